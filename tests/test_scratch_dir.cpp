// engine::scratch_dir: a process's working folder, held by a lock beside
// it, removed by its owner at the end or, after the owner was killed, by
// the next sweep; a live owner's folder is never touched.
#include "engine/state/scratch_dir.hpp"

#include "tests/test_util.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace fs = std::filesystem;

namespace {

/// What a killed owner leaves: its folder with a file in it, and its lock
/// file (nobody holds the lock any more: the kernel dropped it).
void leave_as_killed(const fs::path& folder, bool with_lock_file = true) {
  fs::create_directories(folder / "parts");
  gaia::test::write_file(folder / "parts" / "worker-3.spool", std::string(4096, 'x'));
  if (with_lock_file) gaia::test::write_file(folder.string() + ".lock", "");
}

} // namespace

TEST_CASE("scratch dir: made with its lock file, removed with it, and a second holder of the "
          "same path is refused while the first lives") {
  gaia::test::temp_dir dir;
  const auto path = (dir / "lightcurves" / "41-7").string();
  {
    engine::scratch_dir held(path);
    CHECK(fs::is_directory(path));
    CHECK(fs::exists(path + ".lock"));
    gaia::test::write_file(fs::path(path) / "ids.bin", "12345678");
    try {
      engine::scratch_dir again(path);
      FAIL("a second scratch_dir took a held path");
    } catch (const std::runtime_error& e) {
      CHECK(std::string(e.what()).find(path + ".lock: in use by another process")
            != std::string::npos);
    }
    CHECK(fs::exists(fs::path(path) / "ids.bin")); // the refused one touched nothing
    // Moved, it is still held once and removed once.
    engine::scratch_dir moved = std::move(held);
    CHECK(moved.path() == path);
    CHECK(held.path().empty());
  }
  CHECK_FALSE(fs::exists(path));
  CHECK_FALSE(fs::exists(path + ".lock"));
  CHECK(gaia::test::file_names(dir / "lightcurves").empty());
}

TEST_CASE("scratch dir: a sweep removes what killed owners left (folder and lock file, a "
          "folder of an older version without one, a lone lock file) and never a live "
          "owner's folder") {
  gaia::test::temp_dir dir;
  const auto parent = dir / "lightcurves";
  leave_as_killed(parent / "100-1");
  leave_as_killed(parent / "100-2", false);           // before lock files existed
  gaia::test::write_file(parent / "100-3.lock", "");  // killed before its folder was made
  engine::scratch_dir live((parent / "200-1").string());
  gaia::test::write_file(parent / "200-1" / "ids.bin", "12345678");
  // A lock file someone else holds right now (an owner between taking its
  // lock and making its folder): left alone.
  const auto taking = (parent / "300-1.lock").string();
  const int fd = ::open(taking.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);

  CHECK(engine::scratch_dir::sweep_stale(parent.string()) == 2);
  CHECK(gaia::test::file_names(parent)
        == std::vector<std::string>{"200-1", "200-1.lock", "300-1.lock"});
  CHECK(fs::exists(parent / "200-1" / "ids.bin"));
  ::close(fd); // its owner died before making its folder: the next sweep takes it
  CHECK(engine::scratch_dir::sweep_stale(parent.string()) == 0);
  CHECK(gaia::test::file_names(parent) == std::vector<std::string>{"200-1", "200-1.lock"});
  // A new owner of a killed owner's name starts empty.
  leave_as_killed(parent / "100-1");
  engine::scratch_dir reused((parent / "100-1").string());
  CHECK(gaia::test::file_names(parent / "100-1").empty());
  CHECK(engine::scratch_dir::sweep_stale((dir / "nothing-here").string()) == 0);
}
