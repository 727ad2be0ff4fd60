#include "actors/polling_service.hpp"

#include "settings/cancellation.hpp"
#include "settings/errors.hpp"
#include "engine/log.hpp"
#include "settings/output_layout.hpp"
#include "engine/run_lock.hpp"
#include "settings/run_status.hpp"
#include "messages/messages.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <memory>

namespace gaia {

namespace {

struct service_state {
  settings cfg;
  output_layout layout;
  caf::actor process;
  service_options opts;
  std::unique_ptr<engine::run_lock> lock; ///< held while a run is in flight
  uint64_t run_id = 0;            ///< the run in flight
  /// Set when that run's results.lock was deleted or replaced: how.
  std::string lock_lost;
  std::string last_note;          ///< to log a repeated condition once
  /// After a failure that left no marker (full disk, unwritable output),
  /// wait before trying again, doubling up to 5 minutes.
  std::chrono::steady_clock::time_point not_before;
  std::chrono::seconds backoff{0};
  std::chrono::steady_clock::time_point last_heartbeat;

  service_state(settings c, caf::actor p, service_options o)
    : cfg(std::move(c)), layout(cfg.output_dir), process(std::move(p)),
      opts(std::move(o)) {
  }

  void note(const std::string& text) {
    if (text != last_note)
      engine::log_line("service", text);
    last_note = text;
  }
};

using state_ptr = std::shared_ptr<service_state>;

/// Called after a failed attempt: when no marker records it, retrying at
/// once would fail the same way every poll. (Run-once mode does not retry.)
void back_off_unless_marked(const state_ptr& st) {
  if (st->opts.run_once)
    return;
  if (st->layout.has_outcome_marker()) {
    st->backoff = std::chrono::seconds(0);
    return;
  }
  st->backoff = std::min<std::chrono::seconds>(
    std::chrono::seconds(300),
    st->backoff.count() == 0 ? std::chrono::seconds(5) : st->backoff * 2);
  st->not_before = std::chrono::steady_clock::now() + st->backoff;
  engine::log_line("service", "no marker could be written; next attempt in "
                        + std::to_string(st->backoff.count()) + " s");
}

enum class config_check { unchanged, changed, invalid };

/// Re-reads the config before a run, holding the lock: an invalid one is
/// reported in results.err, which no other run can be writing meanwhile.
config_check check_config(const state_ptr& st) {
  if (st->opts.config_path.empty())
    return config_check::unchanged;
  try {
    auto fresh = load_settings(st->opts.config_path, process_env());
    if (to_json(fresh) == to_json(st->cfg))
      return config_check::unchanged;
    engine::log_line("service", st->opts.config_path
                          + " changed; restarting the production with it");
    return config_check::changed;
  } catch (const config_error& e) {
    engine::log_line("service", std::string("config error: ") + e.what());
    try {
      st->layout.write_verdict(verdict::failed,
                               "config failed: " + st->opts.config_path + "\n"
                                 + e.what() + "\n");
    } catch (const std::exception& w) {
      engine::log_line("service", std::string("cannot write results.err: ") + w.what());
    }
    return config_check::invalid;
  }
}

void report_once(caf::event_based_actor* self, const state_ptr& st,
                 const run_outcome& outcome) {
  if (st->opts.run_once) {
    self->send(st->opts.listener, outcome);
    self->quit();
  }
}

/// A run that could not start, or lost its lock: `error` about results.lock.
run_outcome lock_failure(const state_ptr& st, std::string error) {
  run_outcome o;
  o.step = "lock";
  o.file = st->layout.lock_marker;
  o.error = std::move(error);
  return o;
}

/// True when a run ended without a verdict because it lost its lock (it
/// may have finished with one just before it noticed).
bool stopped_by_lock_loss(const state_ptr& st, const run_outcome& o) {
  return !o.ok && !st->lock_lost.empty() && !st->layout.has_outcome_marker();
}

/// Every attempt ends here: the lock goes, a failure backs off, run-once
/// mode reports. A run stopped because it lost its lock has no marker, and
/// needs none: the service starts a new run at the next poll.
void finish(caf::event_based_actor* self, const state_ptr& st,
            run_outcome o) {
  const bool lost = stopped_by_lock_loss(st, o);
  st->lock.reset(); // removes results.lock if it is still ours
  if (lost) {
    engine::log_line("service", "run " + std::to_string(o.run_id)
                          + " stopped without a verdict"
                          + (st->opts.run_once
                               ? ""
                               : "; a new run starts at the next poll"));
    auto id = o.run_id;
    o = lock_failure(st, "results.lock " + st->lock_lost
                           + "; the run was stopped");
    o.run_id = id;
  } else if (!o.ok) {
    back_off_unless_marked(st);
  }
  st->lock_lost.clear();
  report_once(self, st, o);
}

/// Takes the lock for a run; false (noted, reported) when it cannot.
bool take_lock(caf::event_based_actor* self, const state_ptr& st) {
  engine::run_lock::attempt got;
  try {
    std::error_code ec;
    std::filesystem::create_directories(st->layout.dir, ec);
    got = engine::run_lock::try_acquire(st->layout.lock_marker);
  } catch (const output_error& e) {
    st->note(std::string("cannot take the lock: ") + e.what());
    finish(self, st, lock_failure(st, e.what()));
    return false;
  }
  if (!got.lock) {
    // Another instance is working: no back-off, poll again as usual.
    auto holder = got.holder.describe();
    st->note("another run holds " + st->layout.lock_marker + " (" + holder
             + ")");
    report_once(self, st,
                lock_failure(st, "another run holds the lock (" + holder + ")"));
    return false;
  }
  if (got.took_over_stale)
    engine::log_line("service", "took over a stale results.lock left by "
                          + got.stale_owner.describe()
                          + " (no process held it)");
  st->lock = std::move(got.lock);
  return true;
}

/// While a run is in flight: results.lock must still be the file its lock
/// wrote. Someone deleted or replaced it: that run stops, without a
/// verdict (the directory lock still keeps other runs out until it ends).
void watch_lock(const state_ptr& st) {
  if (!st->lock_lost.empty())
    return;
  auto found = st->lock->check();
  if (found.what == engine::run_lock::state::intact)
    return;
  std::string run = "run " + std::to_string(st->run_id);
  st->lock_lost = found.what == engine::run_lock::state::deleted
                    ? "was deleted while " + run + " worked"
                    : "was replaced while " + run + " worked (it now says "
                        + found.now.describe() + ")";
  engine::log_line("service", st->layout.lock_marker + " " + st->lock_lost
                        + "; stopping " + run + " without a verdict");
  abandon_run(st->run_id);
}

void start_run(caf::event_based_actor* self, const state_ptr& st) {
  if (!take_lock(self, st))
    return;
  if (!st->opts.run_once) {
    // Under the lock nobody else writes markers. A run elsewhere may have
    // ended with one since the last look.
    if (st->layout.has_outcome_marker()) {
      st->lock.reset();
      return;
    }
    switch (check_config(st)) {
    case config_check::unchanged:
      break;
    case config_check::changed:
      st->lock.reset();
      self->send(st->opts.listener, config_changed_atom::value);
      self->quit();
      return;
    case config_check::invalid:
      st->lock.reset();
      back_off_unless_marked(st); // when not even results.err was written
      return;
    }
  }
  st->last_note.clear();
  uint64_t id = st->run_id = next_run_id();
  engine::log_line("service", "starting run " + std::to_string(id));
  self->request(st->process, caf::infinite, benchmark_request{id})
    .then(
      [self, st](run_outcome& o) {
        if (!stopped_by_lock_loss(st, o))
          engine::log_line("service", "run " + std::to_string(o.run_id) + " "
                                + (o.ok ? "succeeded" : "failed")
                                + "; waiting for a marker to be deleted");
        finish(self, st, std::move(o));
      },
      [self, st, id](caf::error& err) {
        engine::log_line("service", "run " + std::to_string(id)
                              + " got no outcome: " + error_text(err));
        run_outcome o;
        o.run_id = id;
        o.step = "process";
        o.error = error_text(err);
        finish(self, st, std::move(o));
      });
}

} // namespace

caf::behavior polling_service(caf::event_based_actor* self, settings cfg,
                              caf::actor process, service_options opts) {
  auto st = std::make_shared<service_state>(std::move(cfg), std::move(process),
                                            std::move(opts));
  auto interval = std::chrono::milliseconds(st->cfg.poll_interval_ms);
  if (st->opts.run_once) {
    start_run(self, st);
    self->delayed_send(self, interval, poll_atom::value);
  } else {
    engine::log_line("service", "watching " + st->layout.dir + " every "
                          + std::to_string(st->cfg.poll_interval_ms) + " ms");
    self->send(self, poll_atom::value);
  }
  return {
    [self, st, interval](poll_atom) {
      auto now = std::chrono::steady_clock::now();
      if (!st->opts.run_once
          && now - st->last_heartbeat >= std::chrono::seconds(10)
          && write_heartbeat(st->layout))
        st->last_heartbeat = now;
      if (st->lock) {
        watch_lock(st);
      } else if (!st->opts.run_once && now >= st->not_before) {
        if (st->layout.has_outcome_marker())
          st->note("idle: delete " + st->layout.done_marker + " or "
                   + st->layout.err_marker + " to start a new run");
        else
          start_run(self, st);
      }
      self->delayed_send(self, interval, poll_atom::value);
    },
  };
}

} // namespace gaia
