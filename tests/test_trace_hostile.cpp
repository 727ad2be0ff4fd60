// Trace files that are not what gaia-dr3 wrote, read by the real
// executable: a stray file whose run number does not fit 64 bits, lines of
// the wrong JSON types, binary garbage, a torn or empty file, a line beyond
// the reader's limit: every `trace` mode, `run` and `serve` go on. A
// generated 100 MB trace is read by `trace` (every mode) and by serve's
// trace API within 64 MB, and the page shows it page by page.
#include "tests/proc_status.hpp"
#include "tests/web_util.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>

using namespace gaia;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

/// What `gaia-dr3 ARGS` did.
struct ran {
  int code = -1;
  std::string out, err;
  long peak_rss_kb = 0;
};

ran run_gaia(const test::temp_dir& dir, const std::map<std::string, std::string>& env,
         std::vector<std::string> args, const std::string& tag,
         std::chrono::seconds limit = 120s) {
  fs::create_directories(dir / tag);
  test::child_process p(std::move(args), env, dir / tag);
  ran r;
  r.code = p.wait(limit);
  r.out = p.out();
  r.err = p.err();
  r.peak_rss_kb = p.peak_rss_kb();
  return r;
}

/// `gaia-dr3 trace --config CONFIG ARGS`.
ran trace(const test::temp_dir& dir, const std::map<std::string, std::string>& env,
          std::vector<std::string> args, const std::string& tag) {
  args.insert(args.begin(), {"trace", "--config", (dir / "config.json").string()});
  return run_gaia(dir, env, std::move(args), tag);
}

size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + what.size())) ++n;
  return n;
}

/// The environment of a `trace` that only reads `out`.
std::map<std::string, std::string> reading(const fs::path& out) {
  return {{"GAIA_OUTPUT_DIR", out.string()}};
}

/// Every mode of `trace` on run `run`: exit 0, and the JSON parses; the
/// JSON.
json every_mode(const test::temp_dir& dir, const std::map<std::string, std::string>& env,
                const std::string& run) {
  INFO("run " << run);
  for (const auto& args : std::vector<std::vector<std::string>>{
         {"--run", run}, {"--run", run, "--log"}, {"--list"}, {"--list", "--format", "json"}}) {
    auto r = trace(dir, env, args, "mode");
    INFO(args.back() << ": " << r.err);
    CHECK(r.code == 0);
  }
  auto r = trace(dir, env, {"--run", run, "--format", "json"}, "json");
  INFO(r.err);
  REQUIRE(r.code == 0);
  auto j = json::parse(r.out, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

/// A run's trace as the engine writes it, `bytes` long at least: many
/// downloads (sent, started, finished, a log line each), one in every
/// thousand cancelled, the 1501st failed; the number of downloads.
size_t write_big_trace(const fs::path& path, uint64_t bytes) {
  std::ofstream out(path, std::ios::binary);
  int64_t t = 1767236400000;
  out << R"({"event":"run","host":"vm","run":1,"t":)" << t << "}\n";
  out << R"({"event":"sent","from":"service","id":1,"summary":"run 1","t":)" << t
      << R"(,"to":"process","type":"run_request"})" << "\n";
  out << R"({"event":"started","host":"vm","id":1,"t":)" << t << R"(,"worker":"process"})"
      << "\n";
  size_t n = 0;
  char line[1024];
  for (uint64_t id = 2; static_cast<uint64_t>(out.tellp()) < bytes; id += 2, ++n) {
    const long lo = static_cast<long>(n * 3), hi = lo + 2;
    char key[32];
    std::snprintf(key, sizeof key, "%06ld-%06ld", lo, hi);
    ++t;
    std::snprintf(line, sizeof line,
                  R"({"event":"sent","from":"process","id":%llu,"key":"%s","summary":)"
                  R"("https://cdn.gea.esac.esa.int/Gaia/gdr3/Photometry/epoch_photometry/)"
                  R"(EpochPhotometry_%s.csv.gz","t":%lld,"to":"download","type":)"
                  R"("download_request"})" "\n"
                  R"({"event":"started","host":"vm","id":%llu,"t":%lld,"worker":"download#%d"})"
                  "\n",
                  static_cast<unsigned long long>(id), key, key, static_cast<long long>(t),
                  static_cast<unsigned long long>(id), static_cast<long long>(t + 3),
                  static_cast<int>(n % 4 + 1));
    out << line;
    if (n % 1000 == 999 || n == 1500) {
      // Cancelled now and then; one fails.
      std::snprintf(line, sizeof line,
                    R"({"cancelled":%s,"error":"%s","event":"failed","id":%llu,)"
                    R"("reply":%llu,"t":%lld,"type":"error","worker":"download#1"})" "\n",
                    n == 1500 ? "false" : "true", n == 1500 ? "HTTP 404" : "run cancelled",
                    static_cast<unsigned long long>(id), static_cast<unsigned long long>(id + 1),
                    static_cast<long long>(t + 900));
    } else {
      std::snprintf(line, sizeof line,
                    R"({"bytes":%llu,"event":"finished","id":%llu,"reply":%llu,"run_s":1.2345,)"
                    R"("summary":"%zu sources, %zu rows","t":%lld,"type":"download_reply",)"
                    R"("wait_s":0.0123})" "\n",
                    static_cast<unsigned long long>(28000000 + n), static_cast<unsigned long long>(id),
                    static_cast<unsigned long long>(id + 1), 100 + n % 50, 100 + n % 50,
                    static_cast<long long>(t + 900));
    }
    out << line;
    std::snprintf(line, sizeof line,
                  R"({"component":"process","event":"log","t":%lld,"text":"file %zu %s )"
                  R"(28.3 MB, %zu sources in 1.2 s"})" "\n",
                  static_cast<long long>(t + 901), n + 1, key, 100 + n % 50);
    out << line;
  }
  const uint64_t last = 2 + 2 * n;
  out << R"({"event":"finished","id":1,"reply":)" << last << R"(,"summary":"ok","t":)" << t + 1000
      << R"(,"type":"run_outcome"})" << "\n";
  out << R"({"event":"end","outcome":"ok","seconds":12.5,"summary":"ok","t":)" << t + 1000
      << "}\n";
  return n;
}

constexpr long max_rss_kb = 64 * 1024;

} // namespace

TEST_CASE("trace hostile: a stray file whose run number does not fit 64 bits: run succeeds, "
          "every trace mode lists the good runs, serve answers /api/runs") {
  test::temp_dir dir("gaia-trace-stray");
  test::mirror_archive m(dir, 2);
  test::empty_config(dir);
  auto env = m.env(dir / "out");
  const auto traces = dir / "out" / "trace";
  fs::create_directories(traces);
  const auto stray = traces / "run-1234567890123456789012345-20260101T000000Z.jsonl";
  test::write_file(stray, "{\"event\":\"run\",\"run\":5}\n");

  auto run = run_gaia(dir, env, {"run", "--config", (dir / "config.json").string()}, "run");
  INFO(run.err);
  REQUIRE(run.code == 0);
  CHECK(fs::exists(dir / "out" / "results.done"));
  CHECK(run.err.find(stray.string() + ": its run number does not fit 64 bits")
        != std::string::npos);
  CHECK(fs::exists(stray)); // not ours: left alone

  auto j = every_mode(dir, env, "1");
  CHECK(j["run"]["outcome"] == "ok");
  CHECK(j["messages"].size() >= 6);
  auto list = trace(dir, env, {"--list"}, "list");
  CHECK(list.out.find("\n1  ") != std::string::npos);
  CHECK(list.err.find("skipped " + stray.string()) != std::string::npos);
  CHECK(trace(dir, env, {}, "latest").code == 0);
  CHECK(trace(dir, env, {"--failed"}, "failed").code == 1); // none failed: said, not a crash

  // serve with the page: the finished output is left alone, the API reads.
  const int port = test::free_port();
  env["GAIA_WEB_PORT"] = std::to_string(port);
  fs::create_directories(dir / "serve");
  test::child_process serve({"serve", "--config", (dir / "config.json").string()}, env,
                            dir / "serve");
  REQUIRE(test::wait_for_page(serve, port, 30s));
  REQUIRE(test::http_get(port, "/livez").status == 200);
  // The page knows the trace folder from its first answer (serve gives it
  // from the config before the production is spawned).
  auto runs = test::http_get(port, "/api/runs");
  REQUIRE(runs.status == 200);
  auto rj = json::parse(runs.body);
  REQUIRE(rj.size() == 1);
  CHECK(rj[0]["run"] == 1);
  CHECK(test::http_get(port, "/api/runs/1").status == 200);
  serve.signal(SIGTERM);
  CHECK(serve.wait(30s) == 0);
}

TEST_CASE("trace hostile: fields of the wrong JSON type read safely or count as damaged, in "
          "every mode") {
  test::temp_dir dir("gaia-trace-types");
  test::empty_config(dir);
  const auto traces = dir / "out" / "trace";
  fs::create_directories(traces);
  test::write_file(traces / "run-00000001-20260101T000000Z.jsonl",
                   R"({"event":"run","run":1,"host":"h","t":1767236400000})" "\n"
                   R"({"event":"sent","id":1,"from":"service","to":"process","type":"run_request","t":1767236400001})" "\n"
                   R"({"event":"failed","id":1,"reply":2,"cancelled":"yes","error":"boom","t":1767236400002})" "\n"
                   R"({"event":"sent","id":"x","from":"a","to":"b","t":1})" "\n"
                   R"({"event":5,"id":4})" "\n"
                   R"({"event":"sent","id":3,"from":5,"to":["x"],"type":{},"key":null,"summary":true,"t":[]})" "\n"
                   R"({"event":"started","id":3,"worker":7,"host":{},"t":"soon"})" "\n"
                   R"({"event":"finished","id":3,"reply":-1,"bytes":"many","t":1e300})" "\n"
                   R"({"event":"sent","id":-4,"t":-1e300})" "\n"
                   R"({"event":"log","component":[],"text":{"a":1},"t":-5})" "\n"
                   R"({"event":"log","component":"c","text":"kept","t":18446744073709551615})" "\n"
                   R"({"event":"end","outcome":7,"seconds":"x","summary":[],"t":null})" "\n"
                   "[1,2,3]\n\"just a string\"\n{}\n");
  const auto env = reading(dir / "out");
  auto j = every_mode(dir, env, "1");
  // "id":"x", "event":5, "id":-4, the array, the string, {}.
  CHECK(j["damaged_lines"] == 6);
  const auto& msgs = j["messages"];
  REQUIRE(msgs.size() == 3);
  CHECK(msgs[0]["status"] == "failed"); // "cancelled":"yes" is not true
  CHECK(msgs[0]["error"] == "boom");
  CHECK(msgs[1]["answers"] == 1);
  CHECK(msgs[2]["id"] == 3);
  CHECK(msgs[2]["source"] == "");
  CHECK(msgs[2]["status"] == "done");
  CHECK(msgs[2]["sent_ms"] == 0);
  REQUIRE(j["log"].size() == 2);
  CHECK(j["log"][1]["text"] == "kept");
  CHECK(j["run"]["outcome"] == "");
  auto r = trace(dir, env, {"--run", "1"}, "named");
  CHECK(r.err.find("run-00000001-20260101T000000Z.jsonl line 4 skipped") != std::string::npos);
  CHECK(r.err.find("line 13 skipped: not a JSON object") != std::string::npos);
  CHECK(r.out.find("(6 damaged line(s) skipped") != std::string::npos);
}

TEST_CASE("trace hostile: binary garbage, a torn line, an empty file, a line beyond the limit "
          "and a FIFO are skipped or reported, never an abort") {
  test::temp_dir dir("gaia-trace-garbage");
  test::empty_config(dir);
  const auto traces = dir / "out" / "trace";
  fs::create_directories(traces);
  std::string binary;
  for (int i = 0; i < 200000; ++i) binary += static_cast<char>((i * 7919 + i / 13) & 0xff);
  test::write_file(traces / "run-00000001-20260101T000000Z.jsonl", binary);
  test::write_file(traces / "run-00000002-20260101T000000Z.jsonl", "");
  test::write_file(traces / "run-00000003-20260101T000000Z.jsonl",
                   "{\"event\":\"run\",\"run\":3,\"t\":1767236400000}\n{\"event\":\"sent\",\"id\":1,\"fr");
  // 5 MB of nesting on one line, then a good line.
  test::write_file(traces / "run-00000004-20260101T000000Z.jsonl",
                   "{\"event\":\"run\",\"run\":4}\n" + std::string(5u << 20, '[') + "\n"
                     + std::string(1u << 20, '[') + std::string(1u << 20, ']') + "\n"
                     + "{\"event\":\"sent\",\"id\":1,\"type\":\"after\"}\n");
  REQUIRE(::mkfifo((traces / "run-00000005-20260101T000000Z.jsonl").c_str(), 0644) == 0);
  const auto env = reading(dir / "out");

  auto list = trace(dir, env, {"--list", "--format", "json"}, "list");
  REQUIRE(list.code == 0);
  CHECK(json::parse(list.out).size() == 4); // the FIFO is no trace
  auto garbage = every_mode(dir, env, "1");
  CHECK(garbage["messages"].empty());
  CHECK(garbage["damaged_lines"].get<size_t>() >= 1);
  CHECK(every_mode(dir, env, "2")["damaged_lines"] == 0);
  auto torn = every_mode(dir, env, "3");
  CHECK(torn["damaged_lines"] == 1);
  CHECK(torn["run"]["run"] == 3);
  auto deep = every_mode(dir, env, "4");
  CHECK(deep["damaged_lines"] == 2);
  REQUIRE(deep["messages"].size() == 1);
  CHECK(deep["messages"][0]["type"] == "after");
  auto r = trace(dir, env, {"--run", "4"}, "long");
  CHECK(r.err.find("line 2 skipped: longer than 4 MiB") != std::string::npos);
  CHECK(r.peak_rss_kb < max_rss_kb);
}

TEST_CASE("trace hostile: a 100 MB trace is read within 64 MB by every trace mode and by "
          "serve's trace API, page by page, and the page shows it") {
  test::temp_dir dir("gaia-trace-big");
  test::empty_config(dir);
  const auto traces = dir / "out" / "trace";
  fs::create_directories(traces);
  const size_t downloads =
    write_big_trace(traces / "run-00000001-20260101T000000Z.jsonl", 100'000'000);
  const size_t messages = 2 + 2 * downloads;
  auto env = reading(dir / "out");

  {
    auto r = trace(dir, env, {"--run", "1"}, "table");
    REQUIRE(r.code == 0);
    CHECK(r.peak_rss_kb <= max_rss_kb);
    CHECK(occurrences(r.out, " download_request ") == downloads);
    CHECK(occurrences(r.out, " cancelled ") == downloads / 1000 * 2);
  }
  {
    auto r = trace(dir, env, {"--run", "1", "--format", "json"}, "json");
    REQUIRE(r.code == 0);
    CHECK(r.peak_rss_kb <= max_rss_kb);
    CHECK(occurrences(r.out, "\n      \"answers\": ") == messages);
    CHECK(occurrences(r.out, "\n      \"component\": ") == downloads);
  }
  {
    auto r = trace(dir, env, {"--log"}, "log");
    REQUIRE(r.code == 0);
    CHECK(r.peak_rss_kb <= max_rss_kb);
    CHECK(occurrences(r.out, " process: file ") == downloads);
  }
  {
    auto r = trace(dir, env, {"--list"}, "list");
    REQUIRE(r.code == 0);
    CHECK(r.peak_rss_kb <= max_rss_kb);
  }

  // serve, its output finished (left alone), answering the page's API.
  const int port = test::free_port();
  env["GAIA_WEB_PORT"] = std::to_string(port);
  env["GAIA_ARCHIVE_URL_TEMPLATE"] = "file://" + (dir / "none").string() + "/%s";
  test::write_file(dir / "out" / "results.done", "done\n");
  fs::create_directories(dir / "serve");
  test::child_process serve({"serve", "--config", (dir / "config.json").string()}, env,
                            dir / "serve");
  REQUIRE(test::wait_for_page(serve, port, 30s));
  REQUIRE(test::http_get(port, "/livez").status == 200);
  auto first = test::http_get(port, "/api/runs/1");
  REQUIRE(first.status == 200);
  auto page = json::parse(first.body);
  CHECK(page["messages_total"] == messages);
  CHECK(page["messages"].size() == 1000);
  CHECK(page["messages"][0]["type"] == "run_request");
  CHECK(page["log_total"] == downloads);
  CHECK(page["log"].size() == 1000);
  CHECK(page["log_offset"] == downloads - 1000); // the log's end
  CHECK(page["first_failure"] == 2 + 2 * 1500);
  CHECK(page["selected"]["error"] == "HTTP 404");
  auto tail = json::parse(
    test::http_get(port, "/api/runs/1?offset=" + std::to_string(messages - 5) + "&limit=10").body);
  REQUIRE(tail["messages"].size() == 5);
  CHECK(tail["messages"][4]["type"] == "run_outcome");
  auto failed = json::parse(test::http_get(port, "/api/runs/1?failed=1&limit=100000").body);
  CHECK(failed["messages_total"] == 2); // the request and its error; cancelled are not failed
  CHECK(failed["messages"].size() == 2);
  auto huge = test::http_get(port, "/api/runs/1?limit=100000000&log_limit=100000000");
  REQUIRE(huge.status == 200);
  CHECK(json::parse(huge.body)["messages"].size() <= 10000);
  CHECK(test::http_get(port, "/api/runs/1?offset=x").status == 400);
  const long hwm = test::vm_hwm_kb(serve.pid());
  INFO("serve peak RSS " << hwm << " KiB");
  CHECK(hwm > 0);
  CHECK(hwm <= max_rss_kb);

  // The page shows the first page, offers the rest, and opens on the
  // message that failed first.
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/#trace/1";
  auto dom = test::browser_dom(url, dir.path(), 8000);
  INFO(dom.substr(0, 3000));
  CHECK(occurrences(dom, "class=\"msg request") + occurrences(dom, "class=\"msg reply") == 1000);
  CHECK(dom.find("show 1000 more of " + std::to_string(messages)) != std::string::npos);
  auto detail = dom.find("id=\"trace-detail\" class=\"detail failed\"");
  REQUIRE(detail != std::string::npos);
  CHECK(dom.find("HTTP 404", detail) != std::string::npos);
  CHECK(dom.find("(the last 999 of " + std::to_string(downloads) + " lines)")
        != std::string::npos);
  serve.signal(SIGTERM);
  CHECK(serve.wait(30s) == 0);
}
