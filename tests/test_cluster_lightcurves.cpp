// Light-curve requests with remote select workers
// (lightcurve_production/remote_select.hpp): in one process, a stand-in and
// a shipper with a tiny chunk size give the very part and missing ids a
// local select gives, appended to the stand-in's own spool; with real
// processes, `gaia-dr3 lightcurves` with
// cluster.port set and a `gaia-dr3 worker` over mutual TLS answer a request
// through the loopback mirror with the same tables as a local-only run,
// also when the worker is killed mid-request; files the coordinator holds
// are left to its own select worker.
#include "lightcurve_production/remote_select.hpp"
#include "lightcurve_production/select_operation.hpp"
#include "messages/messages.hpp"
#include "actors/production.hpp"
#include "settings/output_layout.hpp"

#include "tests/cluster_util.hpp"
#include "engine/state/scratch_dir.hpp"
#include "tests/web_util.hpp"

#include <doctest/doctest.h>

#include <caf/all.hpp>

#include <algorithm>
#include <csignal>
#include <map>

#include <sys/stat.h>

using namespace gaia;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// An id file in sorted_id_file's format (8-byte native integers).
void write_ids(const fs::path& p, std::vector<int64_t> ids) {
  std::sort(ids.begin(), ids.end());
  test::write_file(p, std::string(reinterpret_cast<const char*>(ids.data()),
                                  ids.size() * sizeof(int64_t)));
}

/// The bytes of a spool's piece.
std::string range_bytes(const spool_range& r) {
  return test::read_file(r.path).substr(static_cast<size_t>(r.offset),
                                        static_cast<size_t>(r.size));
}

/// The files under `dir`, recursively (what a test expects gone).
std::vector<std::string> files_under(const fs::path& dir) {
  std::vector<std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out.push_back(e.path().string());
  return out;
}

} // namespace

TEST_CASE("remote select: a stand-in fetches a shipper's part and missing ids in chunks into "
          "its own spool, job after job, the same bytes a local select writes, and the "
          "worker's spool is emptied once fetched") {
  test::temp_dir dir{"gaia-remote-select"};
  test::mirror_archive a(dir, 2, 0.05);
  const auto file = dir / "www" / a.file_name(1);
  const auto& rows = a.archive.files[1];
  REQUIRE(rows.size() >= 4);
  // Three ids the file holds, one in its range it does not.
  const std::vector<int64_t> ids = {rows[0].source_id, rows[2].source_id, rows.back().source_id,
                                    rows.back().source_id + 1};
  write_ids(dir / "ids.bin", {int64_t{5}, ids[0], ids[1], ids[2], ids[3]});

  lc_select_request req;
  req.run_id = 7;
  req.label = a.label(1);
  req.url = "file://" + file.string();
  req.path = (dir / "coordinator" / "downloads" / a.file_name(1)).string();
  req.ids_path = (dir / "ids.bin").string();
  req.first = 1; // the first id is another file's
  req.count = 4;
  fs::create_directories(dir / "coordinator" / "parts");
  fs::create_directories(dir / "local");

  // What a local select writes.
  auto local_req = req;
  local_req.spool_dir = (dir / "local").string();
  downloader dl;
  lc_select_output local_out("worker-local.spool");
  const auto want = select_file(dl, default_settings(), local_req,
                                std::make_shared<engine::run_control>(), nullptr, local_out);
  REQUIRE(want.selected == 3);
  REQUIRE(want.missing == 1);
  CHECK(want.part_range.path == (dir / "local" / "worker-local.spool").string());
  CHECK(want.missing_range.offset == want.part_range.size);

  req.spool_dir = (dir / "coordinator" / "parts").string();
  {
    caf::actor_system_config cfg;
    configure_actor_system(cfg);
    caf::actor_system sys{cfg};
    settings worker = default_settings();
    worker.output_dir = (dir / "scratch").string();
    auto runs = std::make_shared<engine::run_control>();
    auto shipper = spawn_select_shipper(sys, worker, runs);
    // 97 bytes a chunk: the part comes in many.
    const uint64_t chunk = 97;
    auto adapters = lc_remote_adapters(chunk);
    auto adopt = std::any_cast<engine::remote_adapter<lc_select_request, lc_select_reply>>(
      adapters.at(lc_node_id::select));
    auto standin = adopt(sys,
                         {caf::actor_cast<caf::actor>(shipper),
                          engine::interface_of<remote_select_actor>(sys)},
                         "lc_select#1 (w1/select1)");
    REQUIRE(standin);
    REQUIRE(want.part_range.size > 10 * chunk);
    caf::scoped_actor self{sys};
    // Twice: the second job's pieces follow the first's in the stand-in's spool.
    uint64_t spooled = 0;
    std::map<std::string, ino_t> worker_inodes; // the worker's files, by name
    for (int job = 0; job < 2; ++job) {
      lc_select_reply got;
      self->request(standin, 60s, req)
        .receive([&](const lc_select_reply& r) { got = r; },
                 [&](caf::error& err) { FAIL(sys.render(err)); });
      CHECK(got.label == want.label);
      CHECK(got.bytes == want.bytes);
      CHECK(got.selected == want.selected);
      CHECK(got.missing == want.missing);
      CHECK(got.skipped_rows == want.skipped_rows);
      CHECK(fs::path(got.part_range.path).parent_path() == dir / "coordinator" / "parts");
      CHECK(got.part_range.offset == spooled);
      CHECK(got.missing_range.path == got.part_range.path);
      CHECK(got.missing_range.offset == spooled + got.part_range.size);
      CHECK(range_bytes(got.part_range) == range_bytes(want.part_range));
      CHECK(range_bytes(got.missing_range) == range_bytes(want.missing_range));
      CHECK(range_bytes(got.missing_range) == std::to_string(ids[3]) + "\n");
      spooled += got.part_range.size + got.missing_range.size;
      // Fetched whole: the worker's spool and id file are emptied (kept
      // for the next job, not created again); the coordinator has its
      // stand-in's spool only, no temporary.
      // (Beside its folder, the lock that marks it as a live worker's.)
      std::vector<std::string> worker_files, worker_locks;
      for (auto& f : files_under(dir / "scratch" / "remote_select"))
        (f.size() > 5 && f.compare(f.size() - 5, 5, ".lock") == 0 ? worker_locks : worker_files)
          .push_back(f);
      CHECK(worker_locks.size() == 1);
      CHECK(worker_files.size() == 2);
      for (const auto& f : worker_files) {
        CHECK(fs::file_size(f) == 0);
        struct stat st {};
        REQUIRE(::stat(f.c_str(), &st) == 0);
        auto& first = worker_inodes[fs::path(f).filename().string()];
        if (job == 0) first = st.st_ino;
        CHECK(st.st_ino == first); // the same file again, not a new one
      }
      CHECK(files_under(dir / "coordinator") == std::vector<std::string>{got.part_range.path});
      CHECK(fs::file_size(got.part_range.path) == spooled);
    }
    // A chunk of a job that no longer waits there is an error, not bytes.
    self->request(shipper, 60s, lc_chunk_request{7, req.label, false, 0, chunk})
      .receive([&](const std::string&) { FAIL("a chunk of a fetched job"); },
               [&](caf::error& err) {
                 CHECK(engine::error_text(err).find("no selected rows") != std::string::npos);
               });
    self->send_exit(standin, caf::exit_reason::user_shutdown);
    self->send_exit(shipper, caf::exit_reason::user_shutdown);
  }
  // A stopped shipper takes its scratch folder with it.
  CHECK(files_under(dir / "scratch" / "remote_select").empty());
}

namespace {

/// A light-curve request over a small archive behind the loopback mirror:
/// its ids (spread over the files, one no file holds, one a file's range
/// holds but not the file) and the local-only answer's tables.
struct lc_cluster_fixture {
  test::temp_dir dir{"gaia-lc-cluster"};
  test::mirror_archive m{dir, 6, 0.02};
  std::string config = test::empty_config(dir);
  int port = test::free_port();
  fs::path ids = dir / "ids.txt";
  test::test_pki pki{dir.path()};

  lc_cluster_fixture() {
    std::string text;
    for (const auto& rows : m.archive.files)
      for (size_t i = 0; i < rows.size(); i += 3) text += std::to_string(rows[i].source_id) + "\n";
    text += std::to_string(m.archive.files[2].back().source_id + 1) + "\n"; // not in the file
    text += std::to_string(int64_t{999'999} << 43) + "\n";                 // in no file's range
    test::write_file(ids, text);
    auto local = start("local", {"lightcurves"}, m.env(dir / "out-local"), "answer-local");
    REQUIRE(local->wait(60s) == 0);
    unzip("answer-local", "tables-local");
  }

  std::unique_ptr<test::child_process> start(const std::string& tag,
                                             std::vector<std::string> args,
                                             const std::map<std::string, std::string>& env,
                                             const std::string& answer = "") {
    fs::create_directories(dir / tag);
    if (!answer.empty())
      for (const auto& a : {std::string("--ids"), ids.string(), std::string("--out"),
                            (dir / answer).string()})
        args.push_back(a);
    args.push_back("--config");
    args.push_back(config);
    return std::make_unique<test::child_process>(args, env, dir / tag);
  }

  /// `lightcurves` with one local select worker and cluster.port, once it listens.
  std::unique_ptr<test::child_process> coordinator(const test::test_pki& pki) {
    auto env = test::merged(m.env(dir / "out"), pki.env("coordinator"));
    env["GAIA_DOWNLOAD_POOL"] = "1";
    env["GAIA_CLUSTER_PORT"] = std::to_string(port);
    auto c = start("coordinator", {"lightcurves"}, env, "answer");
    REQUIRE(test::wait_for_log(*c, "workers join on", 20s));
    return c;
  }

  std::unique_ptr<test::child_process> worker(const test::test_pki& pki, const std::string& name) {
    auto env = test::merged(m.env(dir / ("scratch-" + name)), pki.env(name));
    env["GAIA_DOWNLOAD_POOL"] = "1";
    env["GAIA_CLUSTER_COORDINATOR_PORT"] = std::to_string(port);
    env["GAIA_CLUSTER_WORKER_NAME"] = name;
    return start(name, {"worker"}, env);
  }

  /// The coordinator, then worker w1, every download stalling `stall_ms`
  /// mid-body: the request lasts long enough for the worker to join and
  /// take files.
  std::pair<std::unique_ptr<test::child_process>, std::unique_ptr<test::child_process>>
  coordinator_and_worker(int stall_ms) {
    mirror_fault f;
    f.what = mirror_fault::kind::stall_mid_body;
    f.stall_ms = stall_ms;
    m.server->set_fault("*", f);
    auto c = coordinator(pki);
    return {std::move(c), worker(pki, "w1")};
  }

  void unzip(const std::string& answer, const std::string& to) {
    const auto r = test::extract_zip(dir / answer / "lightcurves.zip", dir / to);
    INFO(r.output);
    REQUIRE(r.code == 0);
  }

  /// The answer's tables, name by name, equal the local-only answer's.
  void check_same_tables(const std::string& to) {
    unzip("answer", to);
    const auto want = test::file_names(dir / "tables-local");
    const auto got = test::file_names(dir / to);
    REQUIRE(want.size() > 10);
    REQUIRE(got == want);
    for (const auto& name : want) {
      CAPTURE(name);
      CHECK(test::read_file(dir / to / name) == test::read_file(dir / "tables-local" / name));
    }
  }
};

} // namespace

TEST_CASE("cluster lightcurves: a worker joins the select pool of `lightcurves` over mutual "
          "TLS, selects files and ships their rows back, the tables equal a local-only "
          "answer's") {
  lc_cluster_fixture f;
  auto [c, w1] = f.coordinator_and_worker(1200);
  INFO(c->err()); // lazily: shown when a check below fails
  INFO(w1->err());
  REQUIRE(c->wait(90s) == 0);
  f.check_same_tables("tables");
  CHECK(test::occurrences(c->err(), "joined from") == 1); // the select pool only
  CHECK(test::occurrences(c->err(), "(w1/select1) did ") >= 1);
  CHECK(w1->err().find("worker: select ") != std::string::npos);
  CHECK(w1->err().find("joined gaia-dr3") != std::string::npos);
  // The shipped parts were whole: nothing of them is left beside the answer.
  CHECK(files_under(output_layout((f.dir / "out").string()).lightcurves_dir).empty());
  // The worker's scratch keeps its kept downloads, and no part once shipped.
  w1->signal(SIGTERM);
  REQUIRE(w1->wait(30s) == 0);
  CHECK(files_under(f.dir / "scratch-w1" / "remote_select").empty());
  CHECK(!files_under(f.dir / "scratch-w1" / "downloads").empty());
}

TEST_CASE("cluster lightcurves: a worker killed (SIGKILL) mid-request: its file goes back to "
          "the pool, the answer is complete and equals a local-only answer's") {
  lc_cluster_fixture f;
  auto [c, w1] = f.coordinator_and_worker(1500);
  REQUIRE(test::wait_for_log(*w1, "worker: select ", 30s));
  w1->signal(SIGKILL);
  INFO(c->err()); // lazily: shown when a check below fails
  REQUIRE(c->wait(90s) == 0);
  CHECK(c->err().find("(w1/select1) lost") != std::string::npos);
  CHECK(c->err().find("giving it to another worker") != std::string::npos);
  f.check_same_tables("tables");
}

TEST_CASE("cluster lightcurves: files the coordinator holds (kept by an earlier request) are "
          "left to its own select worker, the remote worker is given none of them, and the "
          "tables equal a local-only answer's") {
  lc_cluster_fixture f;
  // The local-only answer kept all six files; the coordinator holds all
  // but the first (it downloads that one, 1.2 s, while the worker idles).
  const fs::path kept_before = output_layout((f.dir / "out-local").string()).downloads_dir;
  const fs::path kept = output_layout((f.dir / "out").string()).downloads_dir;
  const auto names = test::file_names(kept_before);
  REQUIRE(names.size() == 6);
  fs::create_directories(kept);
  std::vector<std::string> held; // their ranges, "001400-001799"
  for (size_t i = 1; i < names.size(); ++i) {
    fs::copy_file(kept_before / names[i], kept / names[i]);
    const auto from = names[i].find('_') + 1;
    held.push_back(names[i].substr(from, names[i].find('.') - from));
  }
  auto [c, w1] = f.coordinator_and_worker(1200);
  INFO(c->err()); // lazily: shown when a check below fails
  INFO(w1->err());
  REQUIRE(c->wait(90s) == 0);
  f.check_same_tables("tables");
  // The worker was there, idle, while the held files waited...
  const auto log = c->err();
  const auto joined = log.find("(w1/select1) joined from");
  REQUIRE(joined != std::string::npos);
  CHECK(joined < log.find("lc_process: file 2/6"));
  // ... and was given none of them.
  for (const auto& label : held) {
    CAPTURE(label);
    CHECK(w1->err().find("worker: select " + label) == std::string::npos);
  }
  w1->signal(SIGTERM);
  REQUIRE(w1->wait(30s) == 0);
}

TEST_CASE("remote select: a worker's new shipper removes the working folders a killed worker "
          "left, and only those") {
  test::temp_dir dir{"gaia-remote-select-sweep"};
  const auto parent = dir / "scratch" / "remote_select";
  // A killed worker's: a job folder with its lock file, and a lock file
  // whose folder was already gone.
  fs::create_directories(parent / "99");
  test::write_file(parent / "99" / "ids.bin", std::string(4096, 'x'));
  test::write_file(parent / "99.lock", "");
  test::write_file(parent / "98.lock", "");
  // A live one (another worker's on the same output_dir): held.
  engine::scratch_dir live((parent / "live").string());
  test::write_file(parent / "live" / "part.spool", "in use");

  caf::actor_system_config cfg;
  configure_actor_system(cfg);
  caf::actor_system sys{cfg};
  settings worker = default_settings();
  worker.output_dir = (dir / "scratch").string();
  auto shipper = spawn_select_shipper(sys, worker, std::make_shared<engine::run_control>());
  CHECK_FALSE(fs::exists(parent / "99"));
  CHECK_FALSE(fs::exists(parent / "99.lock"));
  CHECK_FALSE(fs::exists(parent / "98.lock"));
  CHECK(test::read_file(parent / "live" / "part.spool") == "in use");
  CHECK(fs::exists(parent / "live.lock"));
  caf::anon_send_exit(shipper, caf::exit_reason::user_shutdown);
}
