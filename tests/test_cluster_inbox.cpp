// The light-curve inbox of a `gaia-dr3 serve` that coordinates a cluster:
// a `gaia-dr3 worker` that joins over mutual TLS takes select jobs of an
// inbox request as it takes the variability run's jobs, and the answer
// dropped beside the request equals a local-only `gaia-dr3 lightcurves`
// answer, table by table.
#include "settings/output_layout.hpp"

#include "tests/cluster_util.hpp"
#include "tests/web_util.hpp"

#include <doctest/doctest.h>

using namespace gaia;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

void extract_zip(const fs::path& zip, const fs::path& to) {
  const auto r = test::extract_zip(zip, to);
  INFO(r.output);
  REQUIRE(r.code == 0);
}

} // namespace

TEST_CASE("cluster inbox: serve with cluster.port answers an inbox request with a remote "
          "select worker, and the answer equals a local-only answer's") {
  test::temp_dir dir{"gaia-lc-cluster-inbox"};
  test::mirror_archive m{dir, 5, 0.02};
  test::test_pki pki{dir.path()};
  const auto config = dir / "config.json";
  test::write_file(config, "{\"lightcurves_format\": \"csv\"}\n");

  // The ids: spread over every file, one a file's range holds but not the
  // file, one in no file's range.
  std::string ids;
  for (const auto& rows : m.archive.files)
    for (size_t i = 0; i < rows.size(); i += 3) ids += std::to_string(rows[i].source_id) + "\n";
  ids += std::to_string(m.archive.files[2].back().source_id + 1) + "\n";
  ids += std::to_string(int64_t{999'999} << 43) + "\n";
  test::write_file(dir / "ids.txt", ids);

  // The local-only answer, the yardstick.
  {
    fs::create_directories(dir / "local");
    test::child_process local({"lightcurves", "--ids", (dir / "ids.txt").string(), "--out",
                               (dir / "answer-local").string(), "--format", "csv", "--config",
                               config.string()},
                              m.env(dir / "out-local"), dir / "local");
    REQUIRE(local.wait(60s) == 0);
    extract_zip(dir / "answer-local" / "lightcurves.zip", dir / "tables-local");
  }

  // serve, coordinating: one local select worker, so the remote one gets
  // files once the downloads stall.
  const auto out = dir / "out";
  auto env = test::merged(m.env(out), pki.env("coordinator"));
  const int port = test::free_port();
  env["GAIA_DOWNLOAD_POOL"] = "1";
  env["GAIA_CLUSTER_PORT"] = std::to_string(port);
  env["GAIA_WEB_PORT"] = std::to_string(test::free_port());
  fs::create_directories(dir / "serve");
  test::child_process serve({"serve", "--config", config.string()}, env, dir / "serve");
  REQUIRE(test::wait_for_file(out / "results.done", 120s));
  INFO(serve.err());

  auto wenv = test::merged(m.env(dir / "scratch-w1"), pki.env("w1"));
  wenv["GAIA_DOWNLOAD_POOL"] = "1";
  wenv["GAIA_CLUSTER_COORDINATOR_PORT"] = std::to_string(port);
  wenv["GAIA_CLUSTER_WORKER_NAME"] = "w1";
  fs::create_directories(dir / "w1");
  // Its config named, as every test's worker has it: without, it reads
  // config/production.json from the test's folder (there from the source
  // tree, not from build/, where ctest runs it).
  test::child_process w1({"worker", "--config", config.string()}, wenv, dir / "w1");
  // It joins the variability run's pools now, a request's select pool when
  // the request's pools are spawned.
  REQUIRE(test::wait_for_log(serve, "(w1/download1) joined from", 30s));
  INFO(w1.err());

  // The variability run kept the archive files: the request would read
  // them here, where they are, and give the remote worker none. Gone,
  // every file is fetched, and every download of the request stalls
  // mid-body: the local select worker holds one file, the remote one takes
  // others.
  fs::remove_all(output_layout(out.string()).downloads_dir);
  mirror_fault f;
  f.what = mirror_fault::kind::stall_mid_body;
  f.stall_ms = 1200;
  m.server->set_fault("*", f);
  const auto inbox = out / "lightcurves_inbox";
  fs::create_directories(inbox);
  test::write_file(dir / "wanted.txt", ids);
  fs::rename(dir / "wanted.txt", inbox / "wanted.txt"); // whole, as users are told
  REQUIRE(test::wait_for_log(serve, "(w1/select1) joined from", 30s));
  REQUIRE(test::wait_for_file(inbox / "wanted.done", 120s));
  CHECK(!fs::exists(inbox / "wanted.err"));

  CHECK(serve.err().find("(w1/select1) did ") != std::string::npos);
  CHECK(w1.err().find("worker: select ") != std::string::npos);
  extract_zip(inbox / "wanted.zip", dir / "tables");
  const auto want = test::file_names(dir / "tables-local");
  REQUIRE(want.size() > 10);
  REQUIRE(test::file_names(dir / "tables") == want);
  for (const auto& name : want) {
    CAPTURE(name);
    CHECK(test::read_file(dir / "tables" / name) == test::read_file(dir / "tables-local" / name));
  }
}
