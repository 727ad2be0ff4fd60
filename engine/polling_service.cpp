#include "engine/polling_service.hpp"

#include "engine/state/atomic_file.hpp"
#include "engine/errors.hpp"
#include "engine/log.hpp"
#include "engine/run_control.hpp"
#include "engine/state/run_lock.hpp"
#include "engine/spawn.hpp"
#include "engine/trace.hpp"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <memory>

namespace engine {

namespace {

constexpr auto heartbeat_every = std::chrono::seconds(10);
constexpr auto first_backoff = std::chrono::seconds(5);
constexpr auto max_backoff = std::chrono::seconds(300);

struct service_state {
  service_config cfg;
  process_actor process;
  std::shared_ptr<run_control> runs;
  bool run_once = false;
  caf::actor listener;
  std::unique_ptr<run_lock> lock; ///< held while a run is in flight
  uint64_t run_id = 0;            ///< the run in flight
  std::string lock_lost;          ///< set when its lock marker went: how
  std::string last_note;          ///< a repeated condition is logged once
  /// After a failure that left no marker (full disk, unwritable output),
  /// wait before trying again, doubling up to 5 minutes.
  caf::actor_clock::time_point not_before;
  caf::timespan backoff{0};
  caf::actor_clock::time_point last_heartbeat;
  bool heartbeat_written = false;
  /// The trace: this node's id and the process's; the run being traced,
  /// its run_request's message id and start.
  std::shared_ptr<trace_sink> trace;
  std::string node;
  std::string process_node;
  uint64_t traced_run = 0;
  uint64_t request_id = 0;
  std::chrono::system_clock::time_point traced_since;

  static inline const char* name = "polling_service";
};

using service_actor = caf::stateful_actor<service_state>;

void note(service_actor* self, const std::string& text) {
  auto& st = self->state;
  if (text != st.last_note)
    log_line("service", text);
  st.last_note = text;
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

/// Called after a failed attempt: when no marker records it, retrying at
/// once would fail the same way every poll. (Run-once mode does not retry.)
void back_off_unless_marked(service_actor* self) {
  auto& st = self->state;
  if (st.run_once)
    return;
  if (st.cfg.state.has_outcome_marker()) {
    st.backoff = caf::timespan{0};
    return;
  }
  st.backoff = st.backoff.count() == 0 ? caf::timespan{first_backoff}
                                       : std::min(caf::timespan{max_backoff}, st.backoff * 2);
  st.not_before = self->clock().now() + st.backoff;
  log_line("service", "no marker could be written; next attempt in "
                        + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                           st.backoff).count())
                        + " s");
}

run_outcome lock_failure(service_actor* self, std::string error) {
  run_outcome o;
  o.step = "lock";
  o.subject = self->state.cfg.state.lock_marker;
  o.error = std::move(error);
  return o;
}

/// The trace of a run's start: the run, then its run_request (the run's
/// first message), which the process takes at once.
void trace_start(service_actor* self, uint64_t run) {
  auto& st = self->state;
  trace_event e;
  e.what = trace_event::kind::run_started;
  e.run_id = run;
  e.host = this_host();
  st.trace->record(e);
  st.traced_run = run;
  st.traced_since = e.at;
  st.request_id = st.trace->next_message_id(run);
  for (auto what : {trace_event::kind::sent, trace_event::kind::started}) {
    trace_event m;
    m.what = what;
    m.run_id = run;
    m.id = st.request_id;
    m.source = st.node;
    m.target = st.process_node;
    if (what == trace_event::kind::sent) {
      m.message = message_name<run_request>();
      m.summary = "run " + std::to_string(run);
    } else {
      m.worker = st.process_node;
      m.host = this_host();
    }
    st.trace->record(m);
  }
}

/// The trace of a run's end: the process's run_outcome answers the
/// run_request, then the run ends (`no_verdict`: abandoned).
void trace_end(service_actor* self, const run_outcome& o, bool no_verdict) {
  auto& st = self->state;
  if (st.traced_run == 0 || st.traced_run != o.run_id)
    return;
  const char* outcome = no_verdict ? outcome_name::abandoned
                                   : o.ok ? outcome_name::ok : outcome_name::failed;
  trace_event m;
  m.what = o.ok && !no_verdict ? trace_event::kind::finished : trace_event::kind::failed;
  m.run_id = o.run_id;
  m.id = st.request_id;
  m.reply_id = st.trace->next_message_id(o.run_id);
  m.source = st.node;
  m.target = st.process_node;
  m.worker = st.process_node;
  m.message = message_name<run_outcome>();
  m.run_s = std::chrono::duration<double>(m.at - st.traced_since).count();
  if (no_verdict) {
    m.summary = "stopped without a verdict";
    m.error = !st.lock_lost.empty()
                ? std::filesystem::path(st.cfg.state.lock_marker).filename().string() + " "
                    + st.lock_lost
              : st.runs->shutting_down() ? "shutting down"
              : o.error;
    m.cancelled = true;
  } else if (o.ok) {
    m.summary = o.summary.empty() ? "ok" : o.summary.front();
  } else {
    m.summary = o.step + " failed: " + o.subject;
    m.error = o.error;
  }
  st.trace->record(m);
  trace_event e;
  e.what = trace_event::kind::run_ended;
  e.run_id = o.run_id;
  e.outcome = outcome;
  // "download failed: <the error>" (the error names the file), as a
  // person reads it in a list of runs.
  if (no_verdict) e.error = m.summary + ": " + m.error;
  else if (!o.ok) e.error = o.step + " failed: " + o.error;
  e.summary = m.summary;
  e.seconds = o.seconds > 0 ? o.seconds : m.run_s;
  st.trace->record(e);
  st.traced_run = 0;
}

void report_once(service_actor* self, const run_outcome& o) {
  auto& st = self->state;
  if (st.run_once) {
    self->send(st.listener, o);
    self->quit();
  }
}

/// The verdict of a finished run, in its marker. False when none could be
/// written.
bool write_verdict(service_actor* self, const run_outcome& o) {
  auto& st = self->state;
  const auto& dir = st.cfg.state;
  const std::string tail = "run " + std::to_string(o.run_id)
                           + (o.ok ? " finished " : " failed ") + utc_now()
                           + " after " + seconds_text(o.seconds) + "\n";
  try {
    if (o.ok) {
      std::string text;
      for (const auto& line : o.summary) text += line + "\n";
      try {
        dir.write_verdict(verdict::done, text + tail);
        return true;
      } catch (const std::exception& e) {
        log_line("service", std::string("cannot write the done marker: ") + e.what());
        dir.write_verdict(verdict::failed, "finish failed: " + dir.done_marker + "\n"
                                             + e.what() + "\n" + tail);
        return true;
      }
    }
    dir.write_verdict(verdict::failed, o.step + " failed: " + o.subject + "\n" + o.error
                                         + "\n" + tail);
    return true;
  } catch (const std::exception& e) {
    log_line("service", std::string("cannot write the err marker: ") + e.what());
    return false;
  }
}

/// Every attempt ends here: the verdict, the lock goes, a failure without
/// a marker backs off, run-once mode reports.
void finish(service_actor* self, run_outcome o) {
  auto& st = self->state;
  const bool lost = !st.lock_lost.empty();
  const bool no_verdict = lost || o.abandoned || st.runs->shutting_down();
  trace_end(self, o, no_verdict);
  bool marked = true;
  // A run that never started (no lock) has nothing to say.
  if (!no_verdict && o.step != "lock")
    marked = write_verdict(self, o);
  st.lock.reset(); // removes the lock marker if it is still ours
  if (lost) {
    log_line("service", "run " + std::to_string(o.run_id) + " stopped without a verdict"
                          + (st.run_once ? "" : "; a new run starts at the next poll"));
    auto id = o.run_id;
    o = lock_failure(self, std::filesystem::path(st.cfg.state.lock_marker).filename().string()
                             + " " + st.lock_lost + "; the run was stopped");
    o.run_id = id;
  } else if (!no_verdict && (!o.ok || !marked)) {
    back_off_unless_marked(self);
  }
  st.lock_lost.clear();
  report_once(self, o);
}

/// Takes the lock for a run; false (noted, reported) when it cannot.
bool take_lock(service_actor* self) {
  auto& st = self->state;
  const auto& dir = st.cfg.state;
  run_lock::attempt got;
  try {
    std::error_code ec;
    std::filesystem::create_directories(dir.dir, ec);
    got = run_lock::try_acquire(dir.lock_marker);
  } catch (const output_error& e) {
    note(self, std::string("cannot take the lock: ") + e.what());
    finish(self, lock_failure(self, e.what()));
    return false;
  }
  if (!got.lock) {
    // Another instance is working: no back-off, poll again as usual.
    auto holder = got.holder.describe();
    note(self, "another run holds " + dir.lock_marker + " (" + holder + ")");
    report_once(self, lock_failure(self, "another run holds the lock (" + holder + ")"));
    return false;
  }
  if (got.took_over_stale)
    log_line("service", "took over a stale " +
                          std::filesystem::path(dir.lock_marker).filename().string()
                          + " left by " + got.stale_owner.describe()
                          + " (no process held it)");
  st.lock = std::move(got.lock);
  return true;
}

/// While a run is in flight: the lock marker must still be the file its
/// lock wrote. Someone deleted or replaced it: that run stops, without a
/// verdict (the directory lock still keeps other runs out until it ends).
void watch_lock(service_actor* self) {
  auto& st = self->state;
  if (!st.lock_lost.empty())
    return;
  auto found = st.lock->check();
  if (found.what == run_lock::state::intact)
    return;
  std::string run = "run " + std::to_string(st.run_id);
  st.lock_lost = found.what == run_lock::state::deleted
                   ? "was deleted while " + run + " worked"
                   : "was replaced while " + run + " worked (it now says "
                       + found.now.describe() + ")";
  log_line("service", st.cfg.state.lock_marker + " " + st.lock_lost + "; stopping " + run
                        + " without a verdict");
  st.runs->cancel(st.run_id);
  self->send(st.process, cancel_atom::value, st.run_id);
}

/// Before a run, under the lock: an invalid config is reported in the err
/// marker, which no other run can be writing meanwhile.
config_check::state check_config(service_actor* self) {
  auto& st = self->state;
  if (!st.cfg.check_config)
    return config_check::state::unchanged;
  auto c = st.cfg.check_config();
  if (c.what == config_check::state::changed) {
    log_line("service", st.cfg.config_name + " changed; restarting the production with it");
  } else if (c.what == config_check::state::invalid) {
    log_line("service", "config error: " + c.error);
    try {
      st.cfg.state.write_verdict(verdict::failed,
                                 "config failed: " + st.cfg.config_name + "\n" + c.error + "\n");
    } catch (const std::exception& w) {
      log_line("service", std::string("cannot write the err marker: ") + w.what());
    }
  }
  return c.what;
}

/// Between runs and during one the config is re-read every poll, only so
/// that the application hears at once when it stops loading or loads again
/// (check_config tells it; serve's readiness). Nothing is logged or written
/// here: the err marker is written, and a change acted on, when a run is
/// due (start_run, under the lock); a run in flight goes on with the config
/// it started with.
void recheck_config(service_actor* self) {
  auto& st = self->state;
  if (st.cfg.check_config)
    (void)st.cfg.check_config();
}

void start_run(service_actor* self) {
  auto& st = self->state;
  if (!take_lock(self))
    return;
  if (!st.run_once) {
    // Under the lock nobody else writes markers. A run elsewhere may have
    // ended with one since the last look.
    if (st.cfg.state.has_outcome_marker()) {
      st.lock.reset();
      return;
    }
    switch (check_config(self)) {
    case config_check::state::unchanged:
      break;
    case config_check::state::changed:
      st.lock.reset();
      self->send(st.listener, config_changed_atom::value);
      self->quit();
      return;
    case config_check::state::invalid:
      st.lock.reset();
      back_off_unless_marked(self); // when not even the err marker was written
      return;
    }
  } else {
    // One run now, whatever the markers said: an earlier verdict must not
    // outlive this run if it ends without one (a signal).
    try {
      remove_if_exists(st.cfg.state.done_marker);
      remove_if_exists(st.cfg.state.err_marker);
    } catch (const std::exception& e) {
      log_line("service", e.what());
    }
  }
  // Space for the verdict, whatever fills the disk during the run.
  if (!st.cfg.state.reserve())
    log_line("service", "cannot set space aside for the markers in " + st.cfg.state.dir
                          + " (is the disk full?)");
  st.last_note.clear();
  // Above the state directory's last run and the trace folder's: another
  // production tracing into the same folder has its own state directory.
  uint64_t last = st.trace->last_run_id();
  if (auto p = st.cfg.state.read_progress()) last = std::max(last, p->run_id);
  const uint64_t id = st.run_id = st.runs->next_run_id(last);
  trace_start(self, id); // first: the run's trace has this line too
  log_line("service", "starting run " + std::to_string(id));
  self->request(st.process, caf::infinite, run_request{id})
    .then(
      [self](run_outcome& o) {
        if (self->state.lock_lost.empty())
          log_line("service", "run " + std::to_string(o.run_id) + " "
                                + (o.ok ? "succeeded" : o.abandoned ? "stopped" : "failed")
                                + (self->state.run_once ? ""
                                                        : "; waiting for a marker to be deleted"));
        finish(self, std::move(o));
      },
      [self, id](caf::error& err) {
        log_line("service", "run " + std::to_string(id) + " got no outcome: " + error_text(err));
        run_outcome o;
        o.run_id = id;
        o.step = "process";
        o.error = error_text(err);
        finish(self, std::move(o));
      });
}

caf::behavior service(service_actor* self, service_config cfg, process_actor process,
                      std::shared_ptr<run_control> runs, bool run_once, caf::actor listener,
                      std::shared_ptr<trace_sink> trace, std::string node,
                      std::string process_node) {
  auto& st = self->state;
  st.trace = trace ? std::move(trace) : std::make_shared<no_trace>();
  st.node = std::move(node);
  st.process_node = std::move(process_node);
  st.cfg = std::move(cfg);
  st.process = std::move(process);
  st.runs = std::move(runs);
  st.run_once = run_once;
  st.listener = std::move(listener);
  const auto interval = st.cfg.poll_interval;
  if (st.run_once) {
    start_run(self);
    self->delayed_send(self, interval, poll_atom::value);
  } else {
    log_line("service", "watching " + st.cfg.state.dir + " every "
                          + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             interval).count())
                          + " ms");
    self->send(self, poll_atom::value);
  }
  return {
    [self, interval](poll_atom) {
      auto& st = self->state;
      auto now = self->clock().now();
      if (!st.run_once && (!st.heartbeat_written || now - st.last_heartbeat >= heartbeat_every)
          && st.cfg.state.write_heartbeat()) {
        st.last_heartbeat = now;
        st.heartbeat_written = true;
      }
      if (st.lock) {
        watch_lock(self);
        if (!st.run_once) recheck_config(self);
      } else if (!st.run_once && now >= st.not_before) {
        if (st.cfg.state.has_outcome_marker()) {
          note(self, "idle: delete " + st.cfg.state.done_marker + " or "
                       + st.cfg.state.err_marker + " to start a new run");
          recheck_config(self);
        } else {
          start_run(self);
        }
      } else if (!st.run_once) {
        recheck_config(self);
      }
      self->delayed_send(self, interval, poll_atom::value);
    },
  };
}

} // namespace

spawner polling_service(service_config cfg, node_ref<process_actor> process) {
  return [cfg = std::move(cfg), process = std::move(process)](spawn_context& ctx) {
    return ctx.system().spawn(service, cfg, ctx.peer(process), ctx.runs(), ctx.run_once(),
                              ctx.listener(), ctx.trace(), ctx.self().id, process.id());
  };
}

} // namespace engine
