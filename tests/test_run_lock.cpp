// results.lock and the markers: exclusive across processes, stale locks
// taken over by flock state (never by pid).
#include "core/output_layout.hpp"
#include "core/run_lock.hpp"

#include "tests/test_util.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace gaia;

TEST_CASE("lock: taken, busy for a second taker, removed on release") {
  test::temp_dir dir;
  auto path = (dir / "results.lock").string();
  auto first = run_lock::try_acquire(path);
  REQUIRE(first.lock);
  CHECK_FALSE(first.took_over_stale);
  CHECK(test::read_file(path) == std::to_string(::getpid()) + "\n");
  auto second = run_lock::try_acquire(path);
  CHECK_FALSE(second.lock);
  CHECK(second.holder == std::to_string(::getpid()));
  first.lock->release();
  CHECK_FALSE(std::filesystem::exists(path));
  auto third = run_lock::try_acquire(path);
  CHECK(third.lock);
}

TEST_CASE("lock: a lock held by another live process is respected") {
  test::temp_dir dir;
  auto path = (dir / "results.lock").string();
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto got = run_lock::try_acquire(path);
    char c = got.lock ? 'y' : 'n';
    (void) !::write(ready[1], &c, 1);
    ::pause(); // holds the lock until killed
    ::_exit(0);
  }
  char c = 0;
  REQUIRE(::read(ready[0], &c, 1) == 1);
  CHECK(c == 'y');
  auto busy = run_lock::try_acquire(path);
  CHECK_FALSE(busy.lock);
  CHECK(busy.holder == std::to_string(child));
  // The holder dies without cleaning up (kill -9): the file stays, the
  // flock goes with the process, and the next taker takes it over.
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  CHECK(std::filesystem::exists(path));
  auto taken = run_lock::try_acquire(path);
  REQUIRE(taken.lock);
  CHECK(taken.took_over_stale);
  CHECK(taken.stale_owner == std::to_string(child));
  ::close(ready[0]);
  ::close(ready[1]);
}

TEST_CASE("lock: a stale lock with our own pid (container restart) is taken") {
  // A restarted container often gives the new process the dead one's pid:
  // the file names us, yet nobody holds the flock. It must not look busy.
  test::temp_dir dir;
  auto path = (dir / "results.lock").string();
  test::write_file(path, std::to_string(::getpid()) + "\n");
  auto got = run_lock::try_acquire(path);
  REQUIRE(got.lock);
  CHECK(got.took_over_stale);
}

TEST_CASE("markers: done or err means idle, lock alone does not") {
  test::temp_dir dir;
  output_layout layout(dir.path().string());
  layout.create_directories();
  CHECK_FALSE(layout.has_outcome_marker());
  test::write_file(layout.lock_marker, "1\n");
  CHECK_FALSE(layout.has_outcome_marker());
  test::write_file(layout.done_marker, "ok\n");
  CHECK(layout.has_outcome_marker());
  std::filesystem::remove(layout.done_marker);
  test::write_file(layout.err_marker, "download failed\n");
  CHECK(layout.has_outcome_marker());
}

TEST_CASE("markers: an unwritable directory is an error naming the lock") {
  if (::geteuid() == 0) {
    // root ignores permissions; use a path under a regular file instead.
    test::temp_dir dir;
    test::write_file(dir / "file", "x");
    CHECK_THROWS_WITH_AS(run_lock::try_acquire((dir / "file/results.lock")
                                                 .string()),
                         doctest::Contains("results.lock"), std::exception);
    return;
  }
  test::temp_dir dir;
  std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_read
                                             | std::filesystem::perms::owner_exec);
  CHECK_THROWS_WITH_AS(run_lock::try_acquire((dir / "results.lock").string()),
                       doctest::Contains("results.lock"), std::exception);
  std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_all);
}
