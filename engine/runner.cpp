#include "engine/runner.hpp"

#include "engine/log.hpp"
#include "engine/host/memory.hpp"

#include <pthread.h>

#include <chrono>
#include <cstring>
#include <set>

namespace engine {

signal_waiter::signal_waiter() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  sigaddset(&set_, SIGUSR1); // internal: stop() without a signal
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);
}

void signal_waiter::start(std::string action, std::shared_ptr<run_control> runs,
                          std::function<void()> on_signal) {
  thread_ = std::thread([this, action = std::move(action), runs = std::move(runs),
                         on_signal = std::move(on_signal)] {
    int sig = 0;
    if (sigwait(&set_, &sig) != 0 || sig == SIGUSR1)
      return;
    signalled_ = true;
    log_line("main", std::string("received ") + strsignal(sig) + ", " + action);
    if (runs) runs->cancel_all();
    if (on_signal) on_signal();
  });
}

signal_waiter::~signal_waiter() { stop(); }

void signal_waiter::stop() {
  if (!thread_.joinable())
    return;
  pthread_kill(thread_.native_handle(), SIGUSR1);
  thread_.join();
}

namespace {

/// The id of the production's service node.
std::string service_of(const production& prod) {
  for (const auto& n : prod.nodes())
    if (n.kind == node_kind::service) return n.id;
  throw std::logic_error("production " + prod.name() + " has no service");
}

/// Waits until every actor of `running` has stopped (after shutdown()), at
/// most `limit`: an operation still inside a transfer when its run failed
/// stops when the transfer ends, and the caller need not wait for that.
void await_stopped(caf::scoped_actor& self, const running_production& running,
                   std::chrono::milliseconds limit) {
  std::set<caf::actor_addr> left;
  for (const auto& [id, a] : running.actors) {
    left.insert(a.address());
    self->monitor(a); // an actor that has stopped already is reported at once
  }
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!left.empty()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      log_line("main", std::to_string(left.size())
                         + " actors of the run still busy after it ended; not waiting for them");
      return;
    }
    self->receive([&](caf::down_msg& d) { left.erase(d.source); },
                  caf::after(deadline - now) >> [] {});
  }
}

} // namespace

run_outcome run_once(caf::actor_system& sys, const production& prod, spawn_options opts) {
  run_outcome outcome;
  caf::scoped_actor self{sys};
  opts.run_once = true;
  opts.listener = caf::actor{self};
  if (!opts.runs) opts.runs = std::make_shared<run_control>();
  {
    auto running = spawn(sys, prod, opts);
    auto service = running.at(service_of(prod));
    self->monitor(service);
    bool waiting = true;
    while (waiting) {
      self->receive(
        [&](run_outcome& o) {
          outcome = std::move(o);
          waiting = false;
        },
        [&](caf::down_msg& d) {
          outcome.step = "service";
          outcome.error = "stopped: " + caf::to_string(d.reason);
          waiting = false;
        });
    }
    running.shutdown();
    await_stopped(self, running, std::chrono::seconds(10));
  }
  // Only now: the handles above were the last ones to the run's actors, so
  // they are destroyed, and what they held freed, before the trim.
  release_free_memory();
  return outcome;
}

void serve(caf::actor_system& sys, caf::scoped_actor& self,
           std::shared_ptr<run_control> runs,
           const std::function<std::optional<serve_plan>()>& load,
           caf::timespan retry) {
  auto await_plan = [&]() -> std::optional<serve_plan> {
    for (;;) {
      if (auto p = load()) return p;
      bool stop = false;
      self->receive([&](shutdown_atom) { stop = true; }, caf::after(retry) >> [] {});
      if (stop) return std::nullopt;
    }
  };
  auto plan = await_plan();
  bool stop = !plan;
  while (!stop) {
    plan->opts.runs = runs;
    plan->opts.listener = caf::actor{self};
    plan->opts.run_once = false;
    auto running = spawn(sys, plan->prod, plan->opts);
    auto service = running.at(service_of(plan->prod));
    self->monitor(service);
    bool restart = false;
    while (!stop && !restart) {
      self->receive(
        [&](shutdown_atom) { stop = true; },
        [&](config_changed_atom) { restart = true; },
        [&](caf::down_msg& d) {
          if (d.source != service.address())
            return; // an earlier production's service
          log_line("main", "the service stopped (" + caf::to_string(d.reason)
                             + "); restarting it in 1 s");
          std::this_thread::sleep_for(std::chrono::seconds(1));
          restart = true;
        });
    }
    self->demonitor(service);
    running.shutdown();
    if (restart) {
      auto fresh = await_plan();
      if (!fresh) break;
      plan = std::move(fresh);
    }
  }
}

} // namespace engine
