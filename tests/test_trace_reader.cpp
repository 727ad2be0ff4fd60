// The trace reader (engine/observe/trace_reader.hpp) against the in-memory
// view of the same trace: the streamed JSON is the text the whole value
// dumps, a page is a slice of the whole, the log read from any line is the
// log, and lines cut at any byte never throw.
#include "engine/observe/trace_json.hpp"
#include "engine/observe/trace_reader.hpp"

#include <doctest/doctest.h>

#include "tests/test_util.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using json = nlohmann::json;

namespace {

/// A run with `requests` requests, each answered (every third by an
/// error), and a log line per request.
std::string trace_text(size_t requests) {
  std::string out = R"({"event":"run","run":9,"host":"h","t":1767236400000})" "\n";
  for (size_t i = 0; i < requests; ++i) {
    const std::string id = std::to_string(2 * i + 1), reply = std::to_string(2 * i + 2);
    out += R"({"event":"sent","id":)" + id + R"(,"from":"p","to":"w","type":"req","key":"k)"
           + id + R"(","summary":"s","t":1767236400001})" "\n";
    out += R"({"event":"started","id":)" + id + R"(,"worker":"w#1","host":"h","t":1767236400002})"
           "\n";
    out += R"({"component":"p","event":"log","text":"line )" + id + R"(","t":1767236400003})"
           "\n";
    if (i % 3 == 2)
      out += R"({"event":"failed","id":)" + id + R"(,"reply":)" + reply
             + R"(,"error":"e","cancelled":false,"t":1767236400004})" "\n";
    else
      out += R"({"event":"finished","id":)" + id + R"(,"reply":)" + reply
             + R"(,"type":"rep","summary":"r","bytes":7,"t":1767236400004})" "\n";
  }
  return out + R"({"event":"end","outcome":"ok","seconds":1.5,"t":1767236400005})" "\n";
}

std::string streamed(const engine::trace_reader& r) {
  std::string out;
  engine::write_trace_json(r, [&](std::string_view s) { out.append(s); });
  return out;
}

} // namespace

TEST_CASE("trace reader: the streamed JSON is what the whole trace dumps, for empty and "
          "long traces") {
  for (size_t requests : {0, 1, 5, 1200}) {
    INFO(requests << " requests");
    auto r = engine::trace_reader::of_text(trace_text(requests));
    CHECK(r->message_count() == 2 * requests);
    CHECK(streamed(*r) == engine::to_json(r->whole()).dump(2));
  }
  auto empty = engine::trace_reader::of_text("");
  CHECK(streamed(*empty) == engine::to_json(empty->whole()).dump(2));
}

TEST_CASE("trace reader: pages are slices of the whole trace, the log from any line is the log") {
  auto r = engine::trace_reader::of_text(trace_text(1200));
  const auto whole = engine::to_json(r->whole());
  engine::trace_page_query q;
  q.offset = 1500;
  q.limit = 700;
  q.log_offset = 1100;
  auto page = json::parse(engine::trace_page_json(*r, q));
  CHECK(page["messages_total"] == 2400);
  REQUIRE(page["messages"].size() == 700);
  for (size_t i = 0; i < 700; ++i) CHECK(page["messages"][i] == whole["messages"][1500 + i]);
  REQUIRE(page["log"].size() == 100);
  for (size_t i = 0; i < 100; ++i) CHECK(page["log"][i] == whole["log"][1100 + i]);
  CHECK(page["first_failure"] == 5); // the third request
  CHECK(page["selected"]["id"] == 5);
  CHECK(page["selected_reply"]["answers"] == 5);
  q = {};
  q.failed_only = true;
  auto failed = json::parse(engine::trace_page_json(*r, q));
  CHECK(failed["messages_total"] == 800);
  for (const auto& m : failed["messages"]) CHECK(m["status"] == "failed");
  CHECK(failed["log_offset"] == 200); // the last 1000 lines by default
}

TEST_CASE("trace reader: a trace cut at any byte reads without throwing") {
  const std::string text = trace_text(4);
  for (size_t n = 0; n <= text.size(); ++n) {
    auto r = engine::trace_reader::of_text(text.substr(0, n));
    CHECK_NOTHROW(streamed(*r));
    CHECK(r->damaged_count() <= 1);
  }
}

TEST_CASE("trace reader: the writer cuts a text field beyond 256 KiB, so every line it writes "
          "is read back") {
  const std::string huge(3u << 20, 'x');
  const auto line = engine::log_event_line("c", huge, std::chrono::system_clock::now());
  CHECK(line.size() < 300 * 1024);
  auto r = engine::trace_reader::of_text(R"({"event":"run","run":1})" "\n" + line);
  CHECK(r->damaged_count() == 0);
  REQUIRE(r->log_count() == 1);
  r->log(0, 1, [](const engine::log_entry& l) {
    CHECK(l.text.rfind(std::string(1000, 'x'), 0) == 0);
    CHECK(l.text.find("more bytes not kept") != std::string::npos);
    return true;
  });
}

TEST_CASE("trace reader: refreshed while its file grows (whole lines, a line cut short then "
          "finished, damaged lines, the run started again), it reads what a new reader of "
          "the file reads") {
  gaia::test::temp_dir dir;
  const auto path = (dir / "run-00000009-20260101T000000Z.jsonl").string();
  // Two attempts of run 9 (the process died in the first), a damaged line
  // and a line longer than the rest in between.
  std::string text = trace_text(40);
  text.insert(text.find("\n", text.size() / 3) + 1, "not json\n");
  text += trace_text(200) + "{\"event\":\"log\",\"text\":\"" + std::string(70000, 'x')
          + "\",\"component\":\"p\",\"t\":1}\n";
  std::ofstream(path, std::ios::binary | std::ios::trunc).flush();
  auto grown = engine::trace_reader::open_file(path, nullptr);
  REQUIRE(grown);
  CHECK(grown->reads(path));
  // Cut points: at line ends, inside lines, twice the same, then the end.
  std::vector<size_t> cuts;
  for (size_t at = 0; at < text.size(); at += 997 + (at % 7) * 311) cuts.push_back(at);
  cuts.push_back(text.find('\n', text.size() / 2) + 1);
  cuts.push_back(text.size());
  std::sort(cuts.begin(), cuts.end());
  size_t written = 0, refreshed = 0;
  for (size_t at : cuts) {
    {
      std::ofstream out(path, std::ios::binary | std::ios::app);
      out.write(text.data() + written, static_cast<std::streamsize>(at - written));
    }
    written = at;
    grown->refresh();
    ++refreshed;
    auto fresh = engine::trace_reader::open_file(path, nullptr);
    REQUIRE(fresh);
    INFO("after " << at << " of " << text.size() << " bytes");
    CHECK(grown->message_count() == fresh->message_count());
    CHECK(grown->failed_count() == fresh->failed_count());
    CHECK(grown->first_failure() == fresh->first_failure());
    CHECK(grown->log_count() == fresh->log_count());
    CHECK(grown->damaged_count() == fresh->damaged_count());
    REQUIRE(grown->damaged().size() == fresh->damaged().size());
    for (size_t i = 0; i < fresh->damaged().size(); ++i) {
      CHECK(grown->damaged()[i].line == fresh->damaged()[i].line);
      CHECK(grown->damaged()[i].why == fresh->damaged()[i].why);
    }
    CHECK(grown->run().file_bytes == fresh->run().file_bytes);
    CHECK(grown->run().file == path);
    CHECK(streamed(*grown) == streamed(*fresh));
  }
  CHECK(refreshed > 100);
  // The last state: the second attempt's 400 messages, one damaged line
  // (the first attempt's "not json" went with it: damaged lines stay).
  CHECK(grown->message_count() == 400);
  CHECK(grown->run().outcome == "ok");
  // Replaced by another file of the same name: no longer the one it reads.
  std::filesystem::remove(path);
  std::ofstream(path) << trace_text(1);
  CHECK(!grown->reads(path));
  CHECK(!grown->reads(path + ".other"));
}
