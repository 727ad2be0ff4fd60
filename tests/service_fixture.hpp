// The engine's polling service on CAF's deterministic scheduler, against a
// stand-in process the test scripts: what it was asked, whether it answers
// at once or holds the run until cancelled, the service's log lines, and
// what the listener (serve's loop, run's caller) was told.
#pragma once

#include "engine/log.hpp"
#include "engine/polling_service.hpp"
#include "engine/production.hpp"
#include "engine/spawn.hpp"

#include "tests/engine_fixture.hpp"
#include "tests/test_util.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace gaia::test {

/// What the stand-in process saw, and how it answers.
struct process_script {
  int runs = 0;
  bool ok = true;
  /// Hold each run until it is cancelled, then answer it abandoned.
  bool hold = false;
  std::vector<uint64_t> cancels;
  std::vector<std::pair<uint64_t, caf::typed_response_promise<engine::run_outcome>>> held;
};

inline engine::process_actor::behavior_type
stand_in_process(engine::process_actor::pointer self, std::shared_ptr<process_script> s) {
  return {
    [self, s](const engine::run_request& req) -> caf::result<engine::run_outcome> {
      ++s->runs;
      if (s->hold) {
        auto rp = self->make_response_promise<engine::run_outcome>();
        s->held.emplace_back(req.run_id, rp);
        return rp;
      }
      engine::run_outcome o;
      o.run_id = req.run_id;
      o.ok = s->ok;
      if (o.ok) {
        o.summary = {"ok: all fine"};
      } else {
        o.step = "step";
        o.subject = "the/file";
        o.error = "it broke";
      }
      return o;
    },
    [s](engine::cancel_atom, uint64_t run) {
      s->cancels.push_back(run);
      for (auto& [id, rp] : s->held) {
        if (id != run) continue;
        engine::run_outcome o;
        o.run_id = run;
        o.abandoned = true;
        o.error = "cancelled";
        rp.deliver(o);
      }
    },
  };
}

/// The service's log lines, as they come (nothing printed meanwhile).
struct service_log {
  std::mutex mu;
  std::vector<std::string> lines;
  int id;
  service_log() {
    engine::set_log_quiet(true);
    id = engine::add_log_listener([this](const std::string& who, const std::string& text) {
      std::lock_guard<std::mutex> lock(mu);
      if (who == "service") lines.push_back(text);
    });
  }
  ~service_log() {
    engine::remove_log_listener(id);
    engine::set_log_quiet(false);
  }
  /// Lines holding `needle`.
  int count(const std::string& needle) {
    std::lock_guard<std::mutex> lock(mu);
    int n = 0;
    for (const auto& l : lines) n += l.find(needle) != std::string::npos;
    return n;
  }
};

/// What the listener heard.
struct listener_record {
  int config_changed = 0;
  std::vector<engine::run_outcome> outcomes;
};

/// A production of one polling service (poll every second) and the
/// stand-in process, on simulated time; `svc.state` and the script are the
/// test's to set before start().
struct service_bench : deterministic_system {
  service_log log;
  temp_dir dir;
  engine::service_config svc;
  std::shared_ptr<process_script> script = std::make_shared<process_script>();
  std::shared_ptr<listener_record> heard = std::make_shared<listener_record>();
  std::shared_ptr<engine::run_control> runs = std::make_shared<engine::run_control>();
  engine::running_production running;

  service_bench() {
    svc.state = engine::state_dir((dir / "out").string());
    svc.poll_interval = std::chrono::seconds(1);
  }
  ~service_bench() {
    running.shutdown();
    caf::anon_send_exit(listener_, caf::exit_reason::user_shutdown);
    script->held.clear();
    run();
  }

  const engine::state_dir& state() const { return svc.state; }

  /// Spawns the production and runs what can run (the first poll).
  void start(bool run_once = false) {
    engine::production prod("test");
    auto s = script;
    auto process = prod.process("process", "Stand-in process", "",
                                [s](engine::spawn_context& ctx) {
                                  return ctx.system().spawn(stand_in_process, s);
                                });
    auto service = prod.service("service", "Polling service", "",
                                engine::polling_service(svc, process));
    prod.connect<engine::run_request>(service, process);
    engine::spawn_options opts;
    opts.runs = runs;
    opts.run_once = run_once;
    auto h = heard;
    opts.listener = sys->spawn([h](caf::event_based_actor*) -> caf::behavior {
      return {
        [h](engine::config_changed_atom) { ++h->config_changed; },
        [h](const engine::run_outcome& o) { h->outcomes.push_back(o); },
      };
    });
    listener_ = opts.listener;
    running = engine::spawn(*sys, prod, opts);
    run();
  }

  /// `seconds` polls, one simulated second apart.
  void polls(int seconds) {
    for (int i = 0; i < seconds; ++i) advance(std::chrono::seconds(1));
  }

private:
  caf::actor listener_; ///< stopped with the production
};

} // namespace gaia::test
