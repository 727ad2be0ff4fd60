// The engine's worker pool, driven deterministically (CAF's test
// coordinator, simulated time): pull dispatch in priority order, the job
// time limit and the replacement of a hung worker, and a cancelled run's
// jobs dropped.
#include "engine/worker_pool.hpp"

#include "tests/engine_fixture.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct job_request {
  uint64_t run_id = 0;
  int id = 0;
  uint64_t priority = 0;
  bool local_only = false;
};

struct job_reply {
  int id = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_request& x) {
  return f(caf::meta::type_name("job_request"), x.run_id, x.id, x.priority, x.local_only);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_reply& x) {
  return f(caf::meta::type_name("job_reply"), x.id);
}

using worker = engine::worker_actor<job_request, job_reply>;
using pool = engine::pool_actor<job_request, job_reply>;

/// What the workers saw and what the client got back.
struct record {
  std::vector<int> worked;      ///< job ids, in the order workers took them
  std::vector<int> replies;     ///< job ids answered
  std::vector<caf::error> errors;
  int workers_made = 0;
};

/// Answers at once, noting the job.
worker::behavior_type quick_worker(worker::pointer, std::shared_ptr<record> rec) {
  return {[rec](const job_request& r) -> caf::result<job_reply> {
    rec->worked.push_back(r.id);
    return job_reply{r.id};
  }};
}

struct stuck_state {
  std::vector<caf::typed_response_promise<job_reply>> held;
};

/// Never answers job 0 (a hung transfer); answers the others at once.
worker::behavior_type stuck_on_zero(worker::stateful_pointer<stuck_state> self,
                                    std::shared_ptr<record> rec) {
  return {[self, rec](const job_request& r) -> caf::result<job_reply> {
    rec->worked.push_back(r.id);
    if (r.id != 0) return job_reply{r.id};
    auto rp = self->make_response_promise<job_reply>();
    self->state.held.push_back(rp);
    return rp;
  }};
}

/// Fails every job (a remote worker whose disk is full).
worker::behavior_type failing_worker(worker::pointer, std::shared_ptr<record> rec) {
  return {[rec](const job_request& r) -> caf::result<job_reply> {
    rec->worked.push_back(r.id);
    return engine::make_error(engine::errc::job_timeout, "no disk");
  }};
}

/// The local stand-in of a "remote" worker: forwards each job to it.
worker::behavior_type forwarder(worker::pointer self, worker remote) {
  return {[self, remote](const job_request& r) -> caf::result<job_reply> {
    auto rp = self->make_response_promise<job_reply>();
    self->request(remote, caf::infinite, r)
      .then([rp](job_reply& x) mutable { rp.deliver(x); },
            [rp](caf::error& e) mutable { rp.deliver(std::move(e)); });
    return rp;
  }};
}

engine::remote_adapter<job_request, job_reply> forwarding() {
  return [](caf::actor_system& sys, const engine::remote_worker& w,
            const std::string&) -> worker {
    auto remote = engine::typed_remote<worker>(sys, w);
    if (!remote) return {};
    return sys.spawn(forwarder, remote);
  };
}

struct fixture : gaia::test::deterministic_system {
  std::shared_ptr<record> rec = std::make_shared<record>();
  std::shared_ptr<engine::run_control> runs = std::make_shared<engine::run_control>();

  fixture()
    : deterministic_system([](caf::actor_system_config& c) {
        c.add_message_type<job_request>("job_request");
        c.add_message_type<job_reply>("job_reply");
      }) {}

  /// Remote worker `r` joins pool `p` as `name` from `host`, declaring
  /// `interface` (by default a worker's of this pool), as the acceptor
  /// passes a join on.
  template <class Handle>
  void join(const pool& p, const Handle& r, const std::string& name, const std::string& host,
            std::vector<std::string> interface = {}) {
    if (interface.empty()) interface = engine::interface_of<worker>(*sys);
    caf::anon_send(caf::actor_cast<caf::actor>(p), engine::join_atom::value,
                   caf::actor_cast<caf::actor>(r), std::move(interface), name, host);
  }

  template <class Worker>
  pool make_pool(int size, Worker w, caf::duration timeout = caf::infinite,
                 engine::remote_adapter<job_request, job_reply> adopt = nullptr) {
    engine::pool_config<job_request, job_reply> cfg;
    cfg.name = "jobs";
    cfg.size = size;
    cfg.job_timeout = timeout;
    cfg.job_timeout_text = "no reply within job_timeout_s";
    cfg.runs = runs;
    cfg.adopt_remote = std::move(adopt);
    auto r = rec;
    auto& s = *sys;
    cfg.make_worker = [&s, r, w] {
      ++r->workers_made;
      return s.spawn(w, r);
    };
    return sys->spawn(engine::worker_pool<job_request, job_reply>, cfg);
  }

  /// An event-based client sending `jobs` to `p` in one go.
  void send_all(const pool& p, std::vector<job_request> jobs) {
    auto r = rec;
    sys->spawn([p, jobs, r](caf::event_based_actor* self) {
      for (const auto& j : jobs)
        self->request(p, caf::infinite, j)
          .then([r](const job_reply& rep) { r->replies.push_back(rep.id); },
                [r](caf::error& e) { r->errors.push_back(e); });
    });
  }
};

} // namespace

TEST_CASE("engine pool: an idle worker takes the next job, highest priority "
          "first, ties in arrival order") {
  fixture f;
  auto p = f.make_pool(1, quick_worker);
  f.send_all(p, {{1, 10, 0}, {1, 11, 1}, {1, 12, 9}, {1, 13, 5}, {1, 14, 5}});
  f.run();
  // Job 10 found the worker idle; the others waited for it, best first.
  CHECK(f.rec->worked == std::vector<int>{10, 12, 13, 14, 11});
  CHECK(f.rec->replies == std::vector<int>{10, 12, 13, 14, 11});
  CHECK(f.rec->errors.empty());
  caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
  f.run();
}

TEST_CASE("engine pool: a job past its time limit is answered with "
          "job_timeout, and its hung worker is replaced") {
  fixture f;
  auto p = f.make_pool(1, stuck_on_zero, caf::duration{std::chrono::seconds(60)});
  f.send_all(p, {{1, 0, 0}, {1, 1, 0}});
  f.run();
  CHECK(f.rec->worked == std::vector<int>{0});
  f.advance(59s);
  CHECK(f.rec->errors.empty()); // the time in the job is what counts
  f.advance(2s);
  REQUIRE(f.rec->errors.size() == 1);
  CHECK(engine::is_error(f.rec->errors[0], engine::errc::job_timeout));
  CHECK(engine::error_text(f.rec->errors[0]) == "no reply within job_timeout_s");
  // A fresh worker took the queued job; the hung one is gone.
  CHECK(f.rec->workers_made == 2);
  CHECK(f.rec->worked == std::vector<int>{0, 1});
  CHECK(f.rec->replies == std::vector<int>{1});
  caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
  f.run();
}

TEST_CASE("engine pool: a job's time limit starts when a worker takes it, not when it "
          "queues") {
  fixture f;
  auto p = f.make_pool(1, stuck_on_zero, caf::duration{std::chrono::seconds(60)});
  f.send_all(p, {{1, 0, 0}, {1, 0, 0}}); // both hang; the second waits for the worker
  f.run();
  CHECK(f.rec->worked == std::vector<int>{0});
  for (int i = 0; i < 61; ++i) f.advance(1s);
  REQUIRE(f.rec->errors.size() == 1); // the first, past its limit
  CHECK(f.rec->worked == std::vector<int>{0, 0}); // a fresh worker took the second
  for (int i = 0; i < 58; ++i) f.advance(1s);
  CHECK(f.rec->errors.size() == 1); // 119 s since it queued, under 60 s since it started
  for (int i = 0; i < 3; ++i) f.advance(1s);
  REQUIRE(f.rec->errors.size() == 2);
  CHECK(engine::is_error(f.rec->errors[1], engine::errc::job_timeout));
  CHECK(f.rec->workers_made == 3);
  caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
  f.run();
}

TEST_CASE("engine pool: answered jobs leave nothing on the actor clock, whatever "
          "their time limit") {
  // A service runs for years: an hour's limit must not keep an hour of
  // answered jobs' timers (CAF 0.17's request timeouts stay on the clock
  // until they expire, answered or not).
  fixture f;
  auto p = f.make_pool(2, stuck_on_zero, caf::duration{std::chrono::seconds(3600)});
  std::vector<job_request> jobs;
  for (int i = 1; i <= 300; ++i) jobs.push_back({1, i, 0});
  f.send_all(p, jobs);
  f.run();
  REQUIRE(f.rec->replies.size() == 300);
  // At most the pool's one tick (none once it has fired with nothing running).
  CHECK(f.sched->clock().schedule().size() <= 1);
  f.advance(2s);
  CHECK(f.sched->clock().schedule().empty());
  caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
  f.run();
}

TEST_CASE("engine pool: the jobs of a cancelled run are not dispatched") {
  fixture f;
  auto p = f.make_pool(1, stuck_on_zero, caf::duration{std::chrono::seconds(60)});
  // Run 1's first job hangs; its others queue; run 2 also queues.
  f.send_all(p, {{1, 0, 0}, {1, 1, 0}, {1, 2, 0}, {2, 3, 0}});
  f.run();
  CHECK(f.rec->worked == std::vector<int>{0});
  f.runs->cancel(1);
  SUBCASE("cancel_atom drops the queued jobs of the run at once") {
    caf::anon_send(p, engine::cancel_atom::value, uint64_t{1});
    f.run();
    REQUIRE(f.rec->errors.size() == 2);
    for (const auto& e : f.rec->errors) {
      CHECK(engine::is_error(e, engine::errc::cancelled));
      CHECK(engine::error_text(e) == "jobs: run 1 was cancelled");
    }
    CHECK(f.rec->replies.empty()); // run 2 still waits for the worker
  }
  SUBCASE("a cancelled run's job that comes up is answered, not dispatched") {
    f.advance(61s); // the hung job times out; a fresh worker comes
    CHECK(f.rec->worked == std::vector<int>{0, 3});
    CHECK(f.rec->replies == std::vector<int>{3});
    REQUIRE(f.rec->errors.size() == 3); // the timeout, then jobs 1 and 2
    CHECK(engine::is_error(f.rec->errors[0], engine::errc::job_timeout));
    CHECK(engine::is_error(f.rec->errors[1], engine::errc::cancelled));
    CHECK(engine::is_error(f.rec->errors[2], engine::errc::cancelled));
  }
  caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
  f.run();
}

TEST_CASE("engine pool: a local_only job waits for the pool's own workers while a remote one "
          "idles, and goes to a remote one in a pool without its own") {
  fixture f;
  SUBCASE("with a worker of its own") {
    auto p = f.make_pool(1, stuck_on_zero, caf::duration{std::chrono::seconds(60)},
                         forwarding());
    auto r1 = f.sys->spawn(quick_worker, f.rec);
    f.join(p, r1, "r1", "host-a");
    f.run();
    // Job 0 hangs on the local worker. Job 5 (local_only) waits for it;
    // r1, idle, takes job 6 after it.
    f.send_all(p, {{1, 0, 0}, {1, 5, 0, true}, {1, 6, 0}});
    f.run();
    CHECK(f.rec->worked == std::vector<int>{0, 6});
    CHECK(f.rec->replies == std::vector<int>{6});
    f.advance(61s); // job 0 times out; a fresh local worker takes job 5
    CHECK(f.rec->worked == std::vector<int>{0, 6, 5});
    CHECK(f.rec->replies == std::vector<int>{6, 5});
    caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(r1, caf::exit_reason::user_shutdown);
    f.run();
  }
  SUBCASE("without: a remote worker takes it") {
    auto p = f.make_pool(0, quick_worker, caf::infinite, forwarding());
    auto r1 = f.sys->spawn(quick_worker, f.rec);
    f.join(p, r1, "r1", "host-a");
    f.run();
    f.send_all(p, {{1, 5, 0, true}});
    f.run();
    CHECK(f.rec->worked == std::vector<int>{5});
    CHECK(f.rec->replies == std::vector<int>{5});
    caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(r1, caf::exit_reason::user_shutdown);
    f.run();
  }
}

TEST_CASE("engine pool: remote workers join, a job whose worker goes down goes to another, "
          "and fails once lost on two workers") {
  fixture f;
  SUBCASE("a pool without a remote adapter takes none") {
    auto p = f.make_pool(1, quick_worker);
    auto r1 = f.sys->spawn(stuck_on_zero, f.rec);
    f.join(p, r1, "r1", "host-a");
    f.run();
    f.send_all(p, {{1, 0, 0}});
    f.run();
    CHECK(f.rec->replies == std::vector<int>{0}); // the local worker did it
    caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
  }
  SUBCASE("a remote worker of another interface is refused: it could answer no job") {
    auto p = f.make_pool(1, stuck_on_zero, caf::infinite, forwarding());
    auto r1 = f.sys->spawn(quick_worker, f.rec);
    bool r1_told_to_go = false;
    auto watcher = f.sys->spawn([r1, &r1_told_to_go](caf::event_based_actor* self) {
      self->monitor(r1);
      self->set_down_handler([&r1_told_to_go](caf::down_msg&) { r1_told_to_go = true; });
      return caf::behavior{[](int) {}};
    });
    f.run();
    // It says it takes something else (another version's messages).
    f.join(p, r1, "r1", "host-a", {"caf::replies_to<@str>::with<@str>"});
    f.run();
    CHECK(r1_told_to_go);
    // Job 0 hangs on the local worker, job 1 waits: nobody else took it.
    f.send_all(p, {{1, 0, 0}, {1, 1, 0}});
    f.run();
    CHECK(f.rec->worked == std::vector<int>{0});
    caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
  }
  SUBCASE("lost once: the job goes to the local worker") {
    auto p = f.make_pool(1, quick_worker, caf::infinite, forwarding());
    auto r1 = f.sys->spawn(stuck_on_zero, f.rec);
    f.join(p, r1, "r1", "host-a");
    f.run();
    // Job 1 to the local worker (idle first), job 0 to r1, which hangs.
    f.send_all(p, {{1, 1, 0}, {1, 0, 0}});
    f.run();
    CHECK(f.rec->worked == std::vector<int>{1, 0});
    CHECK(f.rec->replies == std::vector<int>{1});
    caf::anon_send_exit(r1, caf::exit_reason::kill);
    f.run();
    CHECK(f.rec->worked == std::vector<int>{1, 0, 0});
    CHECK(f.rec->replies == std::vector<int>{1, 0});
    CHECK(f.rec->errors.empty());
    caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
  }
  SUBCASE("a remote worker's error: another worker tries, the second error fails it") {
    auto p = f.make_pool(0, quick_worker, caf::infinite, forwarding());
    auto r1 = f.sys->spawn(failing_worker, f.rec);
    auto r2 = f.sys->spawn(failing_worker, f.rec);
    for (auto [r, name] : {std::pair{r1, "r1"}, std::pair{r2, "r2"}})
      f.join(p, r, name, "host-a");
    f.run();
    f.send_all(p, {{1, 7, 0}});
    f.run();
    CHECK(f.rec->worked == std::vector<int>{7, 7}); // r1, then r2
    REQUIRE(f.rec->errors.size() == 1);
    CHECK(engine::error_text(f.rec->errors[0])
          == "jobs: failed on two workers: jobs#1 (r1) (no disk); jobs#2 (r2) (no disk)");
    // The error keeps its kind (the engine's job_timeout code stands in
    // for an application's error here).
    CHECK(f.rec->errors[0].code() == static_cast<uint8_t>(engine::errc::job_timeout));
    caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
  }
  SUBCASE("a remote worker's error: the job waits for another worker") {
    auto r1 = f.sys->spawn(failing_worker, f.rec);
    auto p = f.make_pool(1, stuck_on_zero, caf::duration{std::chrono::seconds(60)},
                         forwarding());
    f.join(p, r1, "r1", "host-a");
    f.run();
    // Job 0 hangs on the local worker; job 8 fails on r1 and waits for
    // the local worker rather than going back to r1.
    f.send_all(p, {{1, 0, 0}, {1, 8, 0}});
    f.run();
    CHECK(f.rec->worked == std::vector<int>{0, 8});
    CHECK(f.rec->errors.empty());
    f.advance(61s); // job 0 times out; a fresh local worker takes job 8
    CHECK(f.rec->worked == std::vector<int>{0, 8, 8});
    CHECK(f.rec->replies == std::vector<int>{8});
    REQUIRE(f.rec->errors.size() == 1);
    CHECK(engine::is_error(f.rec->errors[0], engine::errc::job_timeout)); // job 0's
    caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
  }
  SUBCASE("lost twice: the job fails naming both workers") {
    auto p = f.make_pool(0, quick_worker, caf::infinite, forwarding());
    auto r1 = f.sys->spawn(stuck_on_zero, f.rec);
    auto r2 = f.sys->spawn(stuck_on_zero, f.rec);
    for (auto [r, name] : {std::pair{r1, "r1"}, std::pair{r2, "r2"}})
      f.join(p, r, name, "host-a");
    f.run();
    f.send_all(p, {{1, 0, 0}});
    f.run();
    caf::anon_send_exit(r1, caf::exit_reason::kill);
    f.run();
    CHECK(f.rec->worked == std::vector<int>{0, 0}); // r2 has it now
    CHECK(f.rec->errors.empty());
    caf::anon_send_exit(r2, caf::exit_reason::kill);
    f.run();
    REQUIRE(f.rec->errors.size() == 1);
    CHECK(engine::is_error(f.rec->errors[0], engine::errc::worker_lost));
    CHECK(engine::error_text(f.rec->errors[0])
          == "jobs: failed on two workers: jobs#1 (r1) (lost: exit_reason(kill)); "
             "jobs#2 (r2) (lost: exit_reason(kill))");
    caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
  }
  f.run();
}

TEST_CASE("engine pool: a job lost or failed on a worker does not go back to it when it "
          "rejoins as a new member, but to another worker") {
  fixture f;
  // The stand-ins forward to these; each "worker process" records apart.
  auto first = std::make_shared<record>();
  auto rejoined = std::make_shared<record>();
  auto other = std::make_shared<record>();
  auto join = [&](const pool& p, const caf::actor& r,
                  const std::string& name, const std::string& host) {
    f.join(p, r, name, host);
    f.run();
  };
  SUBCASE("lost: w1 dropped (frozen past the timeout) rejoins under its name") {
    // The local worker hangs on its job: the lost job can only wait.
    auto p = f.make_pool(1, stuck_on_zero, caf::duration{std::chrono::seconds(60)},
                         forwarding());
    auto w1 = f.sys->spawn(stuck_on_zero, first);
    join(p, caf::actor_cast<caf::actor>(w1), "w1/download1", "host-a");
    f.send_all(p, {{1, 0, 0}, {1, 0, 0}}); // the local worker's, then w1's
    f.run();
    CHECK(first->worked == std::vector<int>{0});
    caf::anon_send_exit(w1, caf::exit_reason::kill); // dropped: the job is queued again
    f.run();
    // w1 resumed: a new member, the same worker (and its other slot too).
    join(p, caf::actor_cast<caf::actor>(f.sys->spawn(quick_worker, rejoined)), "w1/download1",
         "host-a");
    join(p, caf::actor_cast<caf::actor>(f.sys->spawn(quick_worker, rejoined)), "w1/download2",
         "host-a");
    CHECK(rejoined->worked.empty());
    CHECK(f.rec->replies.empty());
    // Another worker comes: it takes the job.
    join(p, caf::actor_cast<caf::actor>(f.sys->spawn(quick_worker, other)), "w2/download1",
         "host-a");
    CHECK(other->worked == std::vector<int>{0});
    CHECK(rejoined->worked.empty());
    CHECK(f.rec->replies == std::vector<int>{0});
    CHECK(f.rec->errors.empty());
    caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
  }
  SUBCASE("failed: w1 answered with an error, rejoins, the job waits for another worker") {
    auto p = f.make_pool(0, quick_worker, caf::infinite, forwarding());
    auto busy = std::make_shared<record>();
    auto w2 = f.sys->spawn(stuck_on_zero, busy);
    join(p, caf::actor_cast<caf::actor>(w2), "w2/download1", "host-b");
    auto w1 = f.sys->spawn(failing_worker, first);
    join(p, caf::actor_cast<caf::actor>(w1), "w1/download1", "host-a");
    // Job 0 hangs on w2; job 7 fails on w1 and waits for w2.
    f.send_all(p, {{1, 0, 0}, {1, 7, 0}});
    f.run();
    CHECK(busy->worked == std::vector<int>{0});
    CHECK(first->worked == std::vector<int>{7});
    caf::anon_send_exit(w1, caf::exit_reason::kill);
    f.run();
    join(p, caf::actor_cast<caf::actor>(f.sys->spawn(quick_worker, rejoined)), "w1/download1",
         "host-a");
    CHECK(rejoined->worked.empty());
    CHECK(f.rec->replies.empty());
    join(p, caf::actor_cast<caf::actor>(f.sys->spawn(quick_worker, other)), "w3/download1",
         "host-c");
    CHECK(other->worked == std::vector<int>{7});
    CHECK(f.rec->replies == std::vector<int>{7});
    caf::anon_send_exit(w2, caf::exit_reason::kill);
    caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
  }
  SUBCASE("the same name on another host is another worker") {
    auto p = f.make_pool(0, quick_worker, caf::infinite, forwarding());
    auto w1 = f.sys->spawn(stuck_on_zero, first);
    join(p, caf::actor_cast<caf::actor>(w1), "w1/download1", "host-a");
    f.send_all(p, {{1, 0, 0}});
    f.run();
    caf::anon_send_exit(w1, caf::exit_reason::kill);
    f.run();
    join(p, caf::actor_cast<caf::actor>(f.sys->spawn(quick_worker, other)), "w1/download1",
         "host-b");
    CHECK(other->worked == std::vector<int>{0});
    CHECK(f.rec->replies == std::vector<int>{0});
    caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
  }
  f.run();
}
