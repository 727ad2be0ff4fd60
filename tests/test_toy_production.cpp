// A second production on the engine, declared in this one file without
// touching the engine or any Gaia code: it counts the lines of the text
// files in a folder, one pooled operation per file, as a polling service
// and a process drive it. The engine brings the service, the markers, the
// pool, the run lock and the graph.
#include "engine/polling_service.hpp"
#include "engine/production.hpp"
#include "engine/runner.hpp"
#include "engine/observe/live_state.hpp"
#include "engine/observe/production_json.hpp"
#include "engine/observe/trace_store.hpp"
#include "engine/worker_pool.hpp"

#include "tests/test_util.hpp"
#include "web/metrics.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace toy {

// --- Messages.

struct count_request {
  uint64_t run_id = 0;
  std::string path;
};

struct count_reply {
  std::string path;
  uint64_t lines = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, count_request& x) {
  return f(caf::meta::type_name("toy::count_request"), x.run_id, x.path);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, count_reply& x) {
  return f(caf::meta::type_name("toy::count_reply"), x.path, x.lines);
}

using counter_actor = engine::pool_actor<count_request, count_reply>;
using counter_worker = engine::worker_actor<count_request, count_reply>;

// --- The operation: counts one file's lines.

counter_worker::behavior_type count_lines(counter_worker::pointer) {
  return {[](const count_request& req) -> caf::result<count_reply> {
    std::ifstream in(req.path);
    if (!in) return engine::make_error(engine::errc::cancelled, req.path + ": cannot read");
    count_reply r{req.path, 0};
    for (std::string line; std::getline(in, line);) ++r.lines;
    return r;
  }};
}

// --- The process: one count per file, then the sum.

struct process_state {
  std::string folder;
  counter_actor counter;
  static inline const char* name = "toy_process";
};

engine::process_actor::behavior_type
count_process(engine::process_actor::stateful_pointer<process_state> self, std::string folder,
              counter_actor counter) {
  self->state.folder = std::move(folder);
  self->state.counter = std::move(counter);
  return {
    [self](const engine::run_request& req) -> caf::result<engine::run_outcome> {
      auto rp = self->make_response_promise<engine::run_outcome>();
      std::vector<std::string> files;
      for (const auto& e : fs::directory_iterator(self->state.folder))
        if (e.path().extension() == ".txt") files.push_back(e.path().string());
      auto outcome = std::make_shared<engine::run_outcome>();
      outcome->run_id = req.run_id;
      auto left = std::make_shared<size_t>(files.size());
      for (const auto& f : files)
        self->request(self->state.counter, caf::infinite, count_request{req.run_id, f})
          .then(
            [=](const count_reply& r) mutable {
              outcome->counts["lines"] += r.lines;
              ++outcome->counts["files"];
              if (--*left == 0) {
                outcome->ok = true;
                outcome->summary = {"ok: " + std::to_string(outcome->count("lines"))
                                    + " lines in " + std::to_string(outcome->count("files"))
                                    + " files"};
                rp.deliver(*outcome);
              }
            },
            [=](caf::error& e) mutable {
              outcome->step = "count";
              outcome->error = engine::error_text(e);
              rp.deliver(*outcome);
            });
      return rp;
    },
    [](engine::cancel_atom, uint64_t) {},
  };
}

// --- The production, declared as data.

engine::production declare(const std::string& folder, const std::string& state,
                           const std::string& name = "toy") {
  engine::production prod(name);
  engine::service_config svc;
  svc.state = engine::state_dir(state, "count");
  svc.poll_interval = std::chrono::milliseconds(20);
  // Bottom up, each node with the typed references of the nodes it sends to.
  auto counter = prod.operation<count_request, count_reply>(
    "counter", "Count operation", "counts one file's lines",
    [](engine::spawn_context& ctx) { return ctx.system().spawn(count_lines); },
    engine::pool_setting{"counter_pool_size", 3});
  auto process = prod.process("process", "Count process", "one count per file, then the sum",
                              [folder, counter](engine::spawn_context& ctx) {
                                return ctx.system().spawn(count_process, folder,
                                                          ctx.peer(counter));
                              });
  auto service = prod.service("service", "Polling service", "starts runs",
                              engine::polling_service(svc, process));
  prod.connect(service, process);
  prod.connect<count_request>(process, counter);
  return prod;
}

} // namespace toy

TEST_CASE("toy production: a second production on the engine, declared in one "
          "file, runs with the engine's service, markers and pool") {
  gaia::test::temp_dir dir;
  fs::create_directories(dir / "in");
  uint64_t want = 0;
  for (int i = 0; i < 5; ++i) {
    std::string text;
    for (int l = 0; l < 10 * (i + 1); ++l) text += "line " + std::to_string(l) + "\n";
    want += 10 * (i + 1);
    gaia::test::write_file(dir / "in" / ("f" + std::to_string(i) + ".txt"), text);
  }
  auto prod = toy::declare((dir / "in").string(), (dir / "state").string());

  // The graph comes from the declaration, grouped like IoP's.
  auto graph = prod.to_mermaid();
  CHECK(graph.find("subgraph group_services[\"Services\"]") != std::string::npos);
  CHECK(graph.find("counter[[\"Count operation pool\"]]") != std::string::npos);
  CHECK(graph.find("process -- count_request --> counter") != std::string::npos);

  caf::actor_system_config cfg;
  engine::register_engine_messages(cfg);
  cfg.add_message_type<toy::count_request>("toy::count_request");
  cfg.add_message_type<toy::count_reply>("toy::count_reply");
  caf::actor_system sys{cfg};
  auto outcome = engine::run_once(sys, prod, {});
  INFO(outcome.step << " " << outcome.error);
  REQUIRE(outcome.ok);
  CHECK(outcome.count("lines") == want);
  CHECK(outcome.count("files") == 5);
  // The engine wrote the verdict from the outcome and released its lock.
  engine::state_dir state((dir / "state").string(), "count");
  auto done = gaia::test::read_file(state.done_marker);
  CHECK(done.rfind("ok: " + std::to_string(want) + " lines in 5 files\nrun 1 finished ", 0) == 0);
  CHECK_FALSE(fs::exists(state.err_marker));
  CHECK_FALSE(fs::exists(state.lock_marker));
}

namespace {

/// Keeps every trace event.
struct recording_sink final : engine::trace_sink {
  std::mutex mu;
  std::vector<engine::trace_event> events;
  void record(const engine::trace_event& e) override {
    std::lock_guard<std::mutex> lock(mu);
    events.push_back(e);
  }
};

} // namespace

TEST_CASE("toy production: the engine traces every message of a run, numbered, each "
          "answered, sender and receiver named") {
  gaia::test::temp_dir dir;
  fs::create_directories(dir / "in");
  for (int i = 0; i < 4; ++i)
    gaia::test::write_file(dir / "in" / ("f" + std::to_string(i) + ".txt"), "a\nb\n");
  auto prod = toy::declare((dir / "in").string(), (dir / "state").string());
  caf::actor_system_config cfg;
  engine::register_engine_messages(cfg);
  cfg.add_message_type<toy::count_request>("toy::count_request");
  cfg.add_message_type<toy::count_reply>("toy::count_reply");
  caf::actor_system sys{cfg};
  auto sink = std::make_shared<recording_sink>();
  auto store = std::make_shared<engine::trace_store>((dir / "trace").string(),
                                                     engine::trace_limits{});
  engine::spawn_options opts;
  opts.trace = std::make_shared<engine::trace_tee>(
    std::vector<std::shared_ptr<engine::trace_sink>>{sink, store});
  auto outcome = engine::run_once(sys, prod, opts);
  REQUIRE(outcome.ok);

  using kind = engine::trace_event::kind;
  std::lock_guard<std::mutex> lock(sink->mu);
  const auto& ev = sink->events;
  REQUIRE(ev.size() >= 2);
  CHECK(ev.front().what == kind::run_started);
  CHECK(ev.back().what == kind::run_ended);
  CHECK(ev.back().outcome == "ok");
  int counts_sent = 0, counts_answered = 0;
  for (const auto& e : ev) {
    if (e.what == kind::sent && e.message == "count_request") {
      ++counts_sent;
      CHECK(e.source == "process"); // found by the sender's address
      CHECK(e.target == "counter");
    }
    if (e.what == kind::finished && e.message == "count_reply") {
      ++counts_answered;
      CHECK(e.worker.rfind("counter#", 0) == 0);
      CHECK(e.reply_id > e.id);
    }
  }
  CHECK(counts_sent == 4);
  CHECK(counts_answered == 4);

  // The same run as the store kept it: ids 1..10 in the order sent, the
  // run_request first, its run_outcome last.
  auto t = engine::trace_store::read_run((dir / "trace").string(), 1);
  REQUIRE(t);
  REQUIRE(t->messages.size() == 10);
  for (size_t i = 0; i < t->messages.size(); ++i) CHECK(t->messages[i].id == i + 1);
  CHECK(t->messages.front().type == "run_request");
  CHECK(t->messages.front().source == "service");
  CHECK(t->messages.back().type == "run_outcome");
  CHECK(t->messages.back().answers == 1);
  for (const auto& m : t->messages) CHECK(m.status == "done");
  CHECK(t->run.outcome == "ok");
}

TEST_CASE("toy production: two productions sharing one trace folder, live view and "
          "/metrics: runs numbered apart, each event and trace named by its production, "
          "the second shown beside the first") {
  gaia::test::temp_dir dir;
  fs::create_directories(dir / "in");
  for (int i = 0; i < 3; ++i)
    gaia::test::write_file(dir / "in" / ("f" + std::to_string(i) + ".txt"), "a\nb\n");
  // Each its own state directory (its own markers and progress.json).
  auto main_prod = toy::declare((dir / "in").string(), (dir / "state").string());
  auto beside = toy::declare((dir / "in").string(), (dir / "state-b").string(), "toy-b");
  caf::actor_system_config cfg;
  engine::register_engine_messages(cfg);
  cfg.add_message_type<toy::count_request>("toy::count_request");
  cfg.add_message_type<toy::count_reply>("toy::count_reply");
  caf::actor_system sys{cfg};
  auto live = std::make_shared<engine::live_state>();
  live->set_production(engine::production_json(main_prod, nullptr));
  live->add_production(engine::production_json(beside, nullptr));
  auto main_metrics = std::make_shared<web::metrics>("toy");
  auto beside_metrics = std::make_shared<web::metrics>("toy-b");
  main_metrics->include(beside_metrics);
  auto sink = std::make_shared<recording_sink>();
  auto run = [&](const engine::production& prod, std::shared_ptr<web::metrics> m) {
    engine::spawn_options opts;
    opts.trace = std::make_shared<engine::trace_tee>(std::vector<std::shared_ptr<
      engine::trace_sink>>{std::make_shared<engine::trace_store>((dir / "trace").string(),
                                                                 engine::trace_limits{}),
                           live, m, sink});
    return engine::run_once(sys, prod, opts);
  };
  auto first = run(main_prod, main_metrics);
  auto second = run(beside, beside_metrics);
  auto third = run(main_prod, main_metrics);
  REQUIRE(first.ok);
  REQUIRE(second.ok);
  REQUIRE(third.ok);
  // Numbered above the trace folder's runs, whatever each state directory says.
  CHECK(first.run_id == 1);
  CHECK(second.run_id == 2);
  CHECK(third.run_id == 3);
  {
    std::lock_guard<std::mutex> lock(sink->mu);
    for (const auto& e : sink->events)
      CHECK(e.production == (e.run_id == 2 ? "toy-b" : "toy"));
  }
  const auto runs = engine::trace_store::list_runs((dir / "trace").string());
  REQUIRE(runs.size() == 3);
  CHECK(runs[0].production == "toy");
  CHECK(runs[1].production == "toy-b");
  CHECK(runs[2].production == "toy");
  CHECK(engine::to_json(runs[1])["production"] == "toy-b");

  // The live view: the main production's run is the third; the second is
  // beside it, with its counts.
  const auto snap = live->snapshot();
  CHECK(snap["run"]["id"] == 3);
  CHECK(snap["counts"]["counter"]["done"] == 3);
  REQUIRE(snap["beside"].size() == 1);
  CHECK(snap["beside"][0]["production"]["name"] == "toy-b");
  CHECK(snap["beside"][0]["run"]["id"] == 2);
  CHECK(snap["beside"][0]["run"]["state"] == "ok");
  CHECK(snap["beside"][0]["counts"]["counter"]["done"] == 3);
  CHECK(snap["runs"]["ok"] == 2);
  CHECK(snap["beside"][0]["runs"]["ok"] == 1);
  CHECK(live->running_runs().empty());

  // One text, each production under its own names.
  const auto text = main_metrics->text();
  CHECK(text.find("\ntoy_runs_total{outcome=\"ok\"} 2\n") != std::string::npos);
  CHECK(text.find("\ntoy_b_runs_total{outcome=\"ok\"} 1\n") != std::string::npos);
  CHECK(text.find("\ntoy_b_jobs_total{node=\"counter\",outcome=\"done\"} 3\n")
        != std::string::npos);
}
