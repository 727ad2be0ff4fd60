// The run lock and the markers: exclusive across processes, whatever
// happens to results.lock; stale locks taken over by flock state (never by
// pid); one verdict marker at a time.
#include "settings/output_layout.hpp"
#include "engine/state/run_lock.hpp"

#include "tests/test_util.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <csignal>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace gaia;

namespace {

std::string host_name() {
  char buf[256] = {0};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

} // namespace

TEST_CASE("lock: taken, busy for a second taker, removed on release") {
  test::temp_dir dir;
  auto path = (dir / "results.lock").string();
  auto first = engine::run_lock::try_acquire(path);
  REQUIRE(first.lock);
  CHECK_FALSE(first.took_over_stale);
  // For people: who runs, where, since when.
  auto text = test::read_file(path);
  CHECK(text.rfind("pid " + std::to_string(::getpid()) + "\nhost " + host_name()
                     + "\nstarted 20", 0) == 0);
  CHECK(text.size() == text.find("started ") + 29); // "started YYYY-MM-DDTHH:MM:SSZ\n"
  auto second = engine::run_lock::try_acquire(path);
  CHECK_FALSE(second.lock);
  CHECK(second.holder.pid == std::to_string(::getpid()));
  CHECK(second.holder.host == host_name());
  CHECK(test::read_file(path) == text); // the loser does not touch it
  first.lock->release();
  CHECK_FALSE(std::filesystem::exists(path));
  auto third = engine::run_lock::try_acquire(path);
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
    auto got = engine::run_lock::try_acquire(path);
    char c = got.lock ? 'y' : 'n';
    (void) !::write(ready[1], &c, 1);
    ::pause(); // holds the lock until killed
    ::_exit(0);
  }
  char c = 0;
  REQUIRE(::read(ready[0], &c, 1) == 1);
  CHECK(c == 'y');
  auto busy = engine::run_lock::try_acquire(path);
  CHECK_FALSE(busy.lock);
  CHECK(busy.holder.pid == std::to_string(child));
  // The holder dies without cleaning up (kill -9): the file stays, the
  // flock goes with the process, and the next taker takes it over.
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  CHECK(std::filesystem::exists(path));
  auto taken = engine::run_lock::try_acquire(path);
  REQUIRE(taken.lock);
  CHECK(taken.took_over_stale);
  CHECK(taken.stale_owner.pid == std::to_string(child));
  ::close(ready[0]);
  ::close(ready[1]);
}

TEST_CASE("lock: a stale lock with our own pid (container restart) is taken") {
  // A restarted container often gives the new process the dead one's pid:
  // the file names us, yet nobody holds the flock. It must not look busy.
  test::temp_dir dir;
  auto path = (dir / "results.lock").string();
  test::write_file(path, std::to_string(::getpid()) + "\n");
  auto got = engine::run_lock::try_acquire(path);
  REQUIRE(got.lock);
  CHECK(got.took_over_stale);
}

TEST_CASE("lock: deleting or replacing results.lock frees nothing, is "
          "noticed, and a replacement is left alone on release") {
  test::temp_dir dir;
  output_layout layout(dir.path().string());
  auto path = layout.lock_marker;
  auto first = engine::run_lock::try_acquire(path);
  REQUIRE(first.lock);
  CHECK(first.lock->check().what == engine::run_lock::state::intact);

  std::filesystem::remove(path);
  CHECK(first.lock->check().what == engine::run_lock::state::deleted);
  CHECK_FALSE(engine::run_lock::try_acquire(path).lock);
  CHECK_FALSE(std::filesystem::exists(path)); // the loser wrote nothing
  std::string holder;
  CHECK(layout.state.run_in_progress(&holder));
  CHECK(holder == "pid unknown");

  // A copy from another machine moved into place.
  const std::string foreign = "pid 4242\nhost elsewhere\nstarted 2020-01-01T00:00:00Z\n";
  test::write_file(path + ".copy", foreign);
  std::filesystem::rename(path + ".copy", path);
  auto found = first.lock->check();
  CHECK(found.what == engine::run_lock::state::replaced);
  CHECK(found.now.describe() == "pid 4242 on host elsewhere");
  CHECK(found.now.started == "2020-01-01T00:00:00Z");
  auto busy = engine::run_lock::try_acquire(path);
  CHECK_FALSE(busy.lock);
  CHECK(busy.holder.describe() == "pid 4242 on host elsewhere");
  CHECK(layout.state.run_in_progress(&holder));
  CHECK(holder == "pid 4242 on host elsewhere");

  first.lock->release();
  CHECK(test::read_file(path) == foreign); // not ours to remove
  CHECK_FALSE(layout.state.run_in_progress(nullptr));
  auto next = engine::run_lock::try_acquire(path);
  REQUIRE(next.lock);
  CHECK(next.took_over_stale);
  CHECK(next.stale_owner.describe() == "pid 4242 on host elsewhere");
  CHECK(test::read_file(path).rfind("pid " + std::to_string(::getpid()) + "\n", 0) == 0);
}

TEST_CASE("lock: a results.lock rewritten in place is noticed") {
  test::temp_dir dir;
  auto path = (dir / "results.lock").string();
  auto got = engine::run_lock::try_acquire(path);
  REQUIRE(got.lock);
  test::write_file(path, "12345\n"); // same file, an older version's text
  auto found = got.lock->check();
  CHECK(found.what == engine::run_lock::state::replaced);
  CHECK(found.now.describe() == "pid 12345");
  got.lock->release();
  CHECK(test::read_file(path) == "12345\n");
}

TEST_CASE("lock: an older gaia-dr3 holding only results.lock's flock is "
          "respected") {
  test::temp_dir dir;
  output_layout layout(dir.path().string());
  test::write_file(layout.lock_marker, "777\n");
  int fd = ::open(layout.lock_marker.c_str(), O_RDWR | O_CLOEXEC);
  REQUIRE(fd >= 0);
  REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);
  auto busy = engine::run_lock::try_acquire(layout.lock_marker);
  CHECK_FALSE(busy.lock);
  CHECK(busy.holder.describe() == "pid 777");
  CHECK(layout.state.run_in_progress(nullptr));
  ::close(fd);
  CHECK(engine::run_lock::try_acquire(layout.lock_marker).lock);
}

TEST_CASE("lock: status probes never make a starting run look busy") {
  test::temp_dir dir;
  output_layout layout(dir.path().string());
  std::atomic<bool> done{false};
  std::thread prober([&] {
    while (!done)
      layout.state.run_in_progress(nullptr);
  });
  int refused = 0;
  for (int i = 0; i < 300; ++i)
    if (!engine::run_lock::try_acquire(layout.lock_marker).lock)
      ++refused;
  done = true;
  prober.join();
  CHECK(refused == 0);
}

TEST_CASE("markers: a verdict removes the other marker") {
  test::temp_dir dir;
  output_layout layout(dir.path().string());
  layout.state.write_verdict(engine::verdict::done, "ok: 1\n");
  CHECK(test::read_file(layout.done_marker) == "ok: 1\n");
  layout.state.write_verdict(engine::verdict::failed, "download failed: x\ny\n");
  CHECK(test::read_file(layout.err_marker) == "download failed: x\ny\n");
  CHECK_FALSE(std::filesystem::exists(layout.done_marker));
  layout.state.write_verdict(engine::verdict::done, "ok: 2\n");
  CHECK(test::read_file(layout.done_marker) == "ok: 2\n");
  CHECK_FALSE(std::filesystem::exists(layout.err_marker));
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
    CHECK_THROWS_WITH_AS(engine::run_lock::try_acquire((dir / "file/results.lock")
                                                 .string()),
                         doctest::Contains("results.lock"), std::exception);
    return;
  }
  test::temp_dir dir;
  std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_read
                                             | std::filesystem::perms::owner_exec);
  CHECK_THROWS_WITH_AS(engine::run_lock::try_acquire((dir / "results.lock").string()),
                       doctest::Contains("results.lock"), std::exception);
  std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_all);
}
