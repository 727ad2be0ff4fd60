// The message trace of real runs of the executable over the loopback
// mirror, read back with `gaia-dr3 trace`: one download and one import per
// file, each answered, in causal order; a failed run's failing message and
// its error; retention that removes the oldest runs.
#include "tests/web_util.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <map>
#include <set>

using namespace gaia;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

/// `gaia-dr3 trace ARGS` against `env`; its exit code and stdout.
std::pair<int, std::string> trace_cmd(const test::temp_dir& dir, const std::string& config,
                                      const std::map<std::string, std::string>& env,
                                      std::vector<std::string> args, const std::string& tag) {
  args.insert(args.begin(), {"trace", "--config", config});
  fs::create_directories(dir / tag);
  test::child_process p(args, env, dir / tag);
  int code = p.wait(60s);
  return {code, p.out()};
}

/// The message of `type` whose key is `key` (one is expected).
const json* find(const json& messages, const std::string& type, const std::string& key) {
  const json* found = nullptr;
  for (const auto& m : messages)
    if (m["type"] == type && m["key"] == key) {
      CHECK_MESSAGE(found == nullptr, "two " << type << " for " << key);
      found = &m;
    }
  return found;
}

/// The reply that answers request `id`.
const json* reply_to(const json& messages, uint64_t id) {
  for (const auto& m : messages)
    if (m["answers"] == id) return &m;
  return nullptr;
}

} // namespace

TEST_CASE("trace: a run over the loopback mirror has one download and one import per "
          "file, each answered, in causal order") {
  test::temp_dir dir("gaia-trace");
  test::mirror_archive m(dir, 5);
  const auto config = test::empty_config(dir);
  const auto env = m.env(dir / "out");
  fs::create_directories(dir / "run");
  test::child_process run({"run", "--config", config}, env, dir / "run");
  REQUIRE(run.wait(120s) == 0);

  auto [code, out] = trace_cmd(dir, config, env, {"--format", "json"}, "trace-json");
  REQUIRE(code == 0);
  auto t = json::parse(out);
  const auto& msgs = t["messages"];
  CHECK(t["run"]["run"] == 1);
  CHECK(t["run"]["outcome"] == "ok");
  CHECK(t["damaged_lines"] == 0);

  // Numbered 1.. in the order sent; the run_request first, its outcome last.
  for (size_t i = 0; i < msgs.size(); ++i) CHECK(msgs[i]["id"] == i + 1);
  CHECK(msgs.front()["type"] == "run_request");
  CHECK(msgs.front()["source"] == "service");
  CHECK(msgs.front()["target"] == "process");
  CHECK(msgs.back()["type"] == "run_outcome");
  CHECK(msgs.back()["answers"] == 1);

  // Exactly one download per file, each answered once; over HTTP the
  // download imports the file as its bytes arrive (its reply carries the
  // import), so no import request goes to the import pool.
  std::map<std::string, int> requests;
  std::set<uint64_t> answered;
  for (const auto& msg : msgs) {
    if (msg["answers"] == 0) requests[msg["type"].get<std::string>()]++;
    else CHECK(answered.insert(msg["answers"].get<uint64_t>()).second);
    CHECK(msg["status"] == "done");
  }
  CHECK(requests["download_request"] == 5);
  CHECK(requests["import_request"] == 0);
  CHECK(requests["prepare_request"] == 1);
  CHECK(requests["compute_request"] == 1);
  CHECK(requests["export_request"] == 1);
  CHECK(requests["run_request"] == 1);
  for (const auto& msg : msgs)
    if (msg["answers"] == 0) CHECK(answered.count(msg["id"].get<uint64_t>()) == 1);

  // Causal order per file: the checksum list before any download, the
  // download before its reply; compute after every download's reply,
  // export after compute's.
  const auto& prepare = *find(msgs, "prepare_reply", "");
  uint64_t last_reply = 0;
  for (size_t i = 0; i < m.archive.ranges.size(); ++i) {
    INFO("file " << m.label(i));
    const json* dl = find(msgs, "download_request", m.label(i));
    REQUIRE(dl);
    const json* dl_reply = reply_to(msgs, (*dl)["id"]);
    REQUIRE(dl_reply);
    CHECK(prepare["id"] < (*dl)["id"]);
    CHECK((*dl)["id"] < (*dl_reply)["id"]);
    CHECK((*dl)["source"] == "process");
    CHECK((*dl)["target"] == "download");
    CHECK((*dl_reply)["type"] == "download_reply");
    CHECK((*dl_reply)["source"] == "download");
    CHECK((*dl_reply)["target"] == "process");
    CHECK((*dl)["worker"].get<std::string>().rfind("download#", 0) == 0);
    CHECK(!(*dl)["host"].get<std::string>().empty());
    CHECK((*dl)["summary"].get<std::string>().find(m.file_name(i)) != std::string::npos);
    // The reply says what the streamed import found.
    CHECK((*dl_reply)["summary"].get<std::string>().find(" sources, ") != std::string::npos);
    CHECK((*dl)["sent_ms"] <= (*dl)["started_ms"]);
    CHECK((*dl)["started_ms"] <= (*dl)["finished_ms"]);
    CHECK((*dl_reply)["bytes"].get<uint64_t>()
          == fs::file_size(dir / "www" / m.file_name(i)));
    last_reply = std::max(last_reply, (*dl_reply)["id"].get<uint64_t>());
  }
  const json* compute = find(msgs, "compute_request", "");
  const json* exporter = find(msgs, "export_request", "");
  REQUIRE(compute);
  REQUIRE(exporter);
  CHECK((*compute)["id"] > last_reply);
  CHECK((*exporter)["id"] > (*reply_to(msgs, (*compute)["id"]))["id"]);

  // The same as a table for people.
  auto [tcode, table] = trace_cmd(dir, config, env, {"--log"}, "trace-table");
  CHECK(tcode == 0);
  CHECK(table.rfind("run 1 on ", 0) == 0);
  CHECK(table.find("answers  sent") != std::string::npos);
  size_t downloads = 0;
  for (size_t p = table.find("download_request"); p != std::string::npos;
       p = table.find("download_request", p + 1))
    ++downloads;
  CHECK(downloads == 5);
  CHECK(table.find("service: starting run 1") != std::string::npos); // --log
}

TEST_CASE("trace: a file:// run has one import per file through the import pool, no download") {
  test::temp_dir dir("gaia-trace-file");
  test::mirror_archive m(dir, 3);
  const auto config = test::empty_config(dir);
  auto env = m.env(dir / "out");
  env["GAIA_ARCHIVE_URL_TEMPLATE"] = "file://" + (dir / "www").string() + "/EpochPhotometry_%s.csv.gz";
  fs::create_directories(dir / "run");
  {
    test::child_process run({"run", "--config", config}, env, dir / "run");
    REQUIRE(run.wait(120s) == 0);
  }
  auto [code, out] = trace_cmd(dir, config, env, {"--format", "json"}, "trace-json");
  REQUIRE(code == 0);
  const json t = json::parse(out);
  const auto& msgs = t["messages"];
  std::map<std::string, int> requests;
  for (const auto& msg : msgs)
    if (msg["answers"] == 0) requests[msg["type"].get<std::string>()]++;
  CHECK(requests["download_request"] == 0);
  CHECK(requests["import_request"] == 3);
  for (size_t i = 0; i < m.archive.ranges.size(); ++i) {
    INFO("file " << m.label(i));
    const json* im = find(msgs, "import_request", m.label(i));
    REQUIRE(im);
    CHECK((*im)["source"] == "process");
    CHECK((*im)["target"] == "import");
    CHECK((*im)["worker"].get<std::string>().rfind("import#", 0) == 0);
    const json* reply = reply_to(msgs, (*im)["id"]);
    REQUIRE(reply);
    CHECK((*reply)["type"] == "import_reply");
    CHECK((*reply)["summary"].get<std::string>().find(" sources, ") != std::string::npos);
  }
}

TEST_CASE("trace: a failed run's trace shows the failing message and its error, and --failed "
          "finds it") {
  test::temp_dir dir("gaia-trace-fail");
  test::mirror_archive m(dir, 3);
  const auto config = test::empty_config(dir);
  const auto env = m.env(dir / "out");
  fs::create_directories(dir / "run1");
  {
    test::child_process run({"run", "--config", config}, env, dir / "run1");
    REQUIRE(run.wait(120s) == 0);
  }
  mirror_fault gone;
  gone.what = mirror_fault::kind::not_found;
  m.server->set_fault(m.file_name(1), gone);
  // Without its archive file and checkpoint, the file must be fetched again.
  fs::remove_all(dir / "out" / "downloads");
  fs::remove_all(dir / "out" / "aggregates");
  fs::create_directories(dir / "run2");
  {
    test::child_process run({"run", "--config", config}, env, dir / "run2");
    REQUIRE(run.wait(120s) == 1);
  }
  m.server->clear_faults();

  auto [code, out] = trace_cmd(dir, config, env, {"--failed", "--format", "json"}, "failed");
  REQUIRE(code == 0);
  auto t = json::parse(out);
  CHECK(t["run"]["run"] == 2);
  CHECK(t["run"]["outcome"] == "failed");
  CHECK(t["run"]["error"].get<std::string>().find("HTTP 404") != std::string::npos);
  const auto& msgs = t["messages"];
  const json* dl = find(msgs, "download_request", m.label(1));
  REQUIRE(dl);
  CHECK((*dl)["status"] == "failed");
  CHECK((*dl)["error"].get<std::string>().find(m.file_name(1) + ": HTTP 404")
        != std::string::npos);
  const json* err = reply_to(msgs, (*dl)["id"]);
  REQUIRE(err);
  CHECK((*err)["type"] == "error");
  CHECK((*err)["status"] == "failed");
  CHECK((*err)["error"] == (*dl)["error"]);
  CHECK(msgs.front()["status"] == "failed"); // the run_request
  // The run's outcome answers the run_request. A job the failure cancelled
  // may answer after it (a worker that had just taken it): only such
  // cancelled replies may follow.
  const json* outcome = reply_to(msgs, 1);
  REQUIRE(outcome);
  CHECK((*outcome)["type"] == "run_outcome");
  CHECK((*outcome)["error"].get<std::string>().find("HTTP 404") != std::string::npos);
  bool after = false;
  for (const auto& msg : msgs) {
    if (after) CHECK(msg["status"] == "cancelled");
    after = after || &msg == outcome;
  }

  auto [tcode, table] = trace_cmd(dir, config, env, {"--failed"}, "failed-table");
  CHECK(tcode == 0);
  CHECK(table.find("failed after") != std::string::npos);
  CHECK(table.find("error: " + m.server->base_url() + "/" + m.file_name(1) + ": HTTP 404")
        != std::string::npos);
  // The latest run by default is the same one; the one before succeeded.
  auto [lcode, list] = trace_cmd(dir, config, env, {"--list"}, "list");
  CHECK(lcode == 0);
  CHECK(list.rfind("run  production  started", 0) == 0);
  CHECK(list.find("\n1    gaia-dr3    ") != std::string::npos); // whose run it is
  CHECK(list.find("\n1  ") != std::string::npos);
  CHECK(list.find("\n2  ") != std::string::npos);
  CHECK(list.find(" ok ") != std::string::npos);
  CHECK(list.find(" failed ") != std::string::npos);
}

TEST_CASE("trace: retention keeps trace_keep_runs runs and removes the oldest") {
  test::temp_dir dir("gaia-trace-keep");
  test::mirror_archive m(dir, 2);
  const auto config = test::empty_config(dir);
  auto env = m.env(dir / "out");
  env["GAIA_TRACE_KEEP_RUNS"] = "2";
  for (int i = 1; i <= 3; ++i) {
    fs::create_directories(dir / ("run" + std::to_string(i)));
    test::child_process run({"run", "--config", config}, env, dir / ("run" + std::to_string(i)));
    REQUIRE(run.wait(120s) == 0);
  }
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir / "out" / "trace")) {
    ++files;
    CHECK(e.path().filename().string().rfind("run-0000000", 0) == 0);
  }
  CHECK(files == 2);
  auto [code, list] = trace_cmd(dir, config, env, {"--list", "--format", "json"}, "list");
  REQUIRE(code == 0);
  auto runs = json::parse(list);
  REQUIRE(runs.size() == 2);
  CHECK(runs[0]["run"] == 2);
  CHECK(runs[1]["run"] == 3);
  auto [gone, out] = trace_cmd(dir, config, env, {"--run", "1"}, "gone");
  CHECK(gone == 1);

  // trace_keep_runs 0: no traces at all.
  env["GAIA_TRACE_KEEP_RUNS"] = "0";
  env["GAIA_OUTPUT_DIR"] = (dir / "out0").string();
  fs::create_directories(dir / "run0");
  test::child_process run({"run", "--config", config}, env, dir / "run0");
  REQUIRE(run.wait(120s) == 0);
  CHECK_FALSE(fs::exists(dir / "out0" / "trace"));
}
