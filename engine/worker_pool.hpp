// A pool of identical workers behind one address, pull model: requests
// queue here and go to a worker only when it is idle, so one slow job never
// holds up jobs another worker could take (caf::actor_pool's round robin
// would hand jobs to busy workers).
//
//   requester --Request--> pool --Request--> idle worker
//   requester <--Reply---- pool <--Reply----
//
// - Priority: a Request with a `priority` member goes first when higher;
//   ties keep arrival order.
// - Placement: a Request whose `local_only` member is true goes to the
//   pool's own workers, not to remote ones (while it has its own).
// - Time limit: one job may take job_timeout once a worker has it (time in
//   the queue does not count). A late job is answered with errc::job_timeout
//   and its worker, still busy, is replaced. The pool keeps the time itself,
//   with one tick at a time while jobs run, not with CAF request timeouts:
//   CAF 0.17's clock keeps every request's timeout entry until it expires,
//   answered or not, so an hour's limit held an hour of requests' entries
//   (a service's memory grew with its rate of runs; scripts/soak.sh).
// - Cancellation: every Request has a `run_id`; a job of a cancelled run is
//   answered with errc::cancelled instead of being dispatched, and
//   (cancel_atom, run) drops a run's queued jobs at once.
// - Tracing: each request gets a message id when it arrives (sent), then
//   started, and finished or failed with the id of its reply, go to the
//   trace sink.
// - Remote workers (engine/cluster.hpp): (join, remote, name, host) adds a
//   worker on another machine, through a local stand-in the pool's
//   remote_adapter makes; the pool monitors the remote actor. When it goes
//   down (its node killed, frozen past the connection timeout, gone) its
//   job goes back to the queue for the next idle worker, local or remote;
//   so does a job a remote worker answered with an error (another worker,
//   preferably, tries it; "another" by name and host, so the same worker
//   process rejoining after a drop is not another). A job lost or failed on two workers fails, its
//   error naming both (errc::worker_lost when both were lost). ADL hooks, all optional: `trace_summary(x)` a short text of a
//   Request or Reply, `trace_key(request)` what it is about (a file, for
//   timelines), `trace_bytes(reply)` the bytes the job handled.
#pragma once

#include "engine/interfaces.hpp"
#include "engine/log.hpp"
#include "engine/messages.hpp"
#include "engine/production.hpp"
#include "engine/run_control.hpp"
#include "engine/spawn.hpp"
#include "engine/trace.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <deque>
#include <map>
#include <functional>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace engine {

/// What worker_pool is: a pool, and (join, remote, name, host) to take a
/// remote worker (engine/cluster.hpp).
template <class Request, class Reply>
using joinable_pool_actor = typename pool_actor<Request, Reply>::template extend<
  caf::reacts_to<join_atom, caf::actor, std::vector<std::string>, std::string, std::string>,
  caf::reacts_to<pool_tick_atom>>;

namespace detail {

template <class T, class = void>
struct has_priority : std::false_type {};
template <class T>
struct has_priority<T, std::void_t<decltype(std::declval<const T&>().priority)>>
  : std::true_type {};

/// A Request with a `local_only` member that is true goes to the pool's
/// own workers only, never to a remote one, while the pool has any of its
/// own (a file this machine holds would be fetched again over there).
template <class T, class = void>
struct has_local_only : std::false_type {};
template <class T>
struct has_local_only<T, std::void_t<decltype(std::declval<const T&>().local_only)>>
  : std::true_type {};

template <class T>
bool local_only(const T& x) {
  if constexpr (has_local_only<T>::value)
    return static_cast<bool>(x.local_only);
  else
    return false;
}

template <class T>
uint64_t priority_of(const T& x) {
  if constexpr (has_priority<T>::value)
    return static_cast<uint64_t>(x.priority);
  else
    return 0;
}

template <class T, class = void>
struct has_summary : std::false_type {};
template <class T>
struct has_summary<T, std::void_t<decltype(trace_summary(std::declval<const T&>()))>>
  : std::true_type {};

template <class T>
std::string summary_of(const T& x) {
  if constexpr (has_summary<T>::value)
    return trace_summary(x);
  else
    return {};
}

template <class T, class = void>
struct has_key : std::false_type {};
template <class T>
struct has_key<T, std::void_t<decltype(trace_key(std::declval<const T&>()))>>
  : std::true_type {};

template <class T>
std::string key_of(const T& x) {
  if constexpr (has_key<T>::value)
    return trace_key(x);
  else
    return {};
}

template <class T, class = void>
struct has_bytes : std::false_type {};
template <class T>
struct has_bytes<T, std::void_t<decltype(trace_bytes(std::declval<const T&>()))>>
  : std::true_type {};

template <class T>
uint64_t bytes_of(const T& x) {
  if constexpr (has_bytes<T>::value)
    return static_cast<uint64_t>(trace_bytes(x));
  else
    return 0;
}

inline double seconds_between(std::chrono::system_clock::time_point a,
                              std::chrono::system_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

} // namespace detail

template <class Request, class Reply>
struct pool_state {
  using worker = worker_actor<Request, Reply>;
  struct job {
    Request request;
    caf::typed_response_promise<Reply> promise;
    uint64_t priority = 0;
    uint64_t id = 0;    ///< its message id in the trace
    std::string source; ///< the node that sent it
    std::chrono::system_clock::time_point sent_at;
    /// The workers it was lost or failed on: "download#3 (w1/download1)".
    std::vector<std::string> lost_on;
    /// And who they were (worker_identity): a worker that rejoins is a new
    /// member but the same worker.
    std::vector<std::string> tried_by;
    std::vector<std::string> why; ///< and how, in the same order
  };
  struct member {
    worker handle;
    int number = 0; ///< for logs and traces: "download#2"
    caf::actor_addr remote; ///< a remote worker's actor (none: local)
    std::string name;       ///< a remote worker's name ("" : local)
    std::string host;       ///< a remote worker's host
  };
  /// A job a worker has now.
  struct busy {
    std::shared_ptr<job> j;
    std::shared_ptr<bool> abandoned; ///< its worker was lost: ignore the answer
    caf::actor_clock::time_point deadline; ///< job_timeout from its start
    /// Answers the job with an error as if its worker had (the tick's
    /// time limit; the request itself waits without one).
    std::function<void(caf::error&)> fail;
  };

  std::string name;
  caf::duration job_timeout = caf::infinite;
  std::string job_timeout_text;
  std::function<worker()> make_worker;
  std::vector<member> workers;
  std::deque<member> idle;
  std::deque<job> queue;
  std::shared_ptr<run_control> runs;
  std::shared_ptr<trace_sink> trace;
  std::function<std::string(const caf::strong_actor_ptr&)> sender_name;
  int made = 0; ///< workers made so far, for numbering
  remote_adapter<Request, Reply> adopt_remote; ///< none: no remote workers
  std::map<int, busy> running; ///< by member number
  bool ticking = false; ///< a pool_tick_atom is on its way
};

/// Everything a pool needs besides its state.
template <class Request, class Reply>
struct pool_config {
  std::string name; ///< the node id
  int size = 1;
  std::function<worker_actor<Request, Reply>()> make_worker;
  caf::duration job_timeout = caf::infinite;
  std::string job_timeout_text = "no reply in time";
  std::shared_ptr<run_control> runs;
  std::shared_ptr<trace_sink> trace;
  /// The node that sent a request, for the trace (none: "").
  std::function<std::string(const caf::strong_actor_ptr&)> sender_name;
  /// How remote workers are adopted; none: the pool takes none.
  remote_adapter<Request, Reply> adopt_remote;
};

template <class Request, class Reply>
using pool_pointer = typename joinable_pool_actor<Request, Reply>::template stateful_pointer<
  pool_state<Request, Reply>>;

namespace detail {

/// The trace event of a step of `j` (sent, started, finished, failed).
template <class Request, class Reply>
trace_event event_of(pool_pointer<Request, Reply> self, trace_event::kind what,
                     const typename pool_state<Request, Reply>::job& j) {
  trace_event e;
  e.what = what;
  e.run_id = j.request.run_id;
  e.id = j.id;
  e.source = j.source;
  e.target = self->state.name;
  return e;
}

/// Records that `j` was answered: by `reply` (finished) or with `err`
/// (failed), `started` when a worker had it.
template <class Request, class Reply>
void record_answer(pool_pointer<Request, Reply> self,
                   const typename pool_state<Request, Reply>::job& j,
                   const std::string& worker,
                   std::optional<std::chrono::system_clock::time_point> started,
                   const Reply* reply, const caf::error* err) {
  auto& st = self->state;
  auto e = event_of<Request, Reply>(self, reply ? trace_event::kind::finished
                                                : trace_event::kind::failed, j);
  e.reply_id = st.trace->next_message_id(j.request.run_id);
  e.worker = worker;
  e.wait_s = seconds_between(j.sent_at, started ? *started : e.at);
  e.run_s = started ? seconds_between(*started, e.at) : 0;
  if (reply) {
    e.message = message_name<Reply>();
    e.summary = summary_of(*reply);
    e.bytes = bytes_of(*reply);
  } else {
    e.message = "error";
    e.error = error_text(*err);
    e.cancelled = is_error(*err, errc::cancelled);
  }
  st.trace->record(e);
}

/// The error a job of a cancelled run is answered with.
inline caf::error cancelled_error(const std::string& pool, uint64_t run) {
  return make_error(errc::cancelled,
                    pool + ": run " + std::to_string(run) + " was cancelled");
}

template <class Request, class Reply>
typename pool_state<Request, Reply>::member new_worker(pool_pointer<Request, Reply> self) {
  auto& st = self->state;
  auto w = st.make_worker();
  self->link_to(w);
  typename pool_state<Request, Reply>::member m;
  m.handle = w;
  m.number = ++st.made;
  st.workers.push_back(m);
  return m;
}

/// `d` in nanoseconds; nothing for caf::infinite.
inline std::optional<std::chrono::nanoseconds> chrono_of(const caf::duration& d) {
  using u = caf::time_unit;
  const auto n = static_cast<int64_t>(d.count);
  switch (d.unit) {
  case u::minutes: return std::chrono::minutes(n);
  case u::seconds: return std::chrono::seconds(n);
  case u::milliseconds: return std::chrono::milliseconds(n);
  case u::microseconds: return std::chrono::microseconds(n);
  case u::nanoseconds: return std::chrono::nanoseconds(n);
  default: return std::nullopt;
  }
}

/// How often the pool looks at its running jobs' deadlines: an eighth of
/// the limit, between 10 ms and a second (a job is late by at most that).
inline std::chrono::nanoseconds tick_period(std::chrono::nanoseconds limit) {
  return std::clamp<std::chrono::nanoseconds>(limit / 8, std::chrono::milliseconds(10),
                                             std::chrono::seconds(1));
}

/// Sends the next tick while jobs run under a time limit; one at a time.
template <class Request, class Reply>
void arm_tick(pool_pointer<Request, Reply> self) {
  auto& st = self->state;
  const auto limit = chrono_of(st.job_timeout);
  if (st.ticking || !limit || st.running.empty()) return;
  st.ticking = true;
  self->delayed_send(self, tick_period(*limit), pool_tick_atom::value);
}

/// The tick: jobs past their deadline are answered with the time-limit
/// error (their workers are replaced), as a CAF request timeout was.
template <class Request, class Reply>
void on_tick(pool_pointer<Request, Reply> self) {
  auto& st = self->state;
  st.ticking = false;
  const auto now = self->clock().now(); // the actor clock: tests move it
  std::vector<typename pool_state<Request, Reply>::busy> late;
  for (const auto& [number, b] : st.running)
    if (b.deadline <= now) late.push_back(b);
  for (auto& b : late) {
    caf::error err = caf::sec::request_timeout;
    b.fail(err);
    *b.abandoned = true; // its worker's late answer, if any, is ignored
  }
  arm_tick<Request, Reply>(self);
}

/// Who a member is, across rejoins: a remote worker process by its name
/// (cluster.worker_name, the part of the slot name "w1/download1" before
/// the '/') and host, "w1@host-a"; a local worker by its label.
template <class Member>
std::string worker_identity(const std::string& pool, const Member& m) {
  if (!m.remote) return pool + "#" + std::to_string(m.number);
  return m.name.substr(0, m.name.find('/')) + "@" + m.host;
}

/// "download#2", or "download#3 (worker-a@host-b)" for a remote worker.
template <class Member>
std::string worker_label(const std::string& pool, const Member& m) {
  auto who = pool + "#" + std::to_string(m.number);
  return m.name.empty() ? who : who + " (" + m.name + ")";
}

template <class Request, class Reply>
void erase_member(pool_pointer<Request, Reply> self, int number) {
  auto& st = self->state;
  for (auto i = st.workers.begin(); i != st.workers.end(); ++i)
    if (i->number == number) {
      st.workers.erase(i);
      break;
    }
  for (auto i = st.idle.begin(); i != st.idle.end(); ++i)
    if (i->number == number) {
      st.idle.erase(i);
      break;
    }
}

template <class Request, class Reply>
void dispatch(pool_pointer<Request, Reply> self);

/// What a job is about, for logs: its key, else "its job".
template <class Request>
std::string key_or_job(const Request& r) {
  auto key = key_of(r);
  return key.empty() ? "its job" : key;
}

/// "<file>: failed on two workers: A (why); B (why)".
template <class Job>
std::string failed_twice_text(const std::string& pool, const Job& j) {
  auto key = key_of(j.request);
  std::string names;
  for (size_t i = 0; i < j.lost_on.size(); ++i)
    names += (names.empty() ? "" : "; ") + j.lost_on[i] + " (" + j.why[i] + ")";
  return (key.empty() ? pool : key) + ": failed on two workers: " + names;
}

/// A remote worker is gone: its job (if any) goes back to the queue, or
/// fails when it was lost on a worker before.
template <class Request, class Reply>
void lose_member(pool_pointer<Request, Reply> self, const caf::actor_addr& remote,
                 const std::string& why) {
  auto& st = self->state;
  auto i = std::find_if(st.workers.begin(), st.workers.end(),
                        [&](const auto& m) { return m.remote == remote; });
  if (i == st.workers.end()) return;
  auto m = *i;
  const auto who = worker_label(st.name, m);
  self->unlink_from(m.handle);
  caf::anon_send_exit(m.handle, caf::exit_reason::user_shutdown);
  erase_member<Request, Reply>(self, m.number);
  auto b = st.running.find(m.number);
  if (b == st.running.end()) {
    log_line(st.name, who + " left (" + why + ")");
    return;
  }
  auto j = b->second.j;
  *b->second.abandoned = true;
  st.running.erase(b);
  j->lost_on.push_back(who);
  j->tried_by.push_back(worker_identity(st.name, m));
  j->why.push_back("lost: " + why);
  const auto key = key_or_job(j->request);
  if (j->lost_on.size() >= 2) {
    auto err = make_error(errc::worker_lost, failed_twice_text(st.name, *j));
    log_line(st.name, who + " lost (" + why + ") with " + key + "; failing it");
    record_answer<Request, Reply>(self, *j, who, std::nullopt, nullptr, &err);
    j->promise.deliver(std::move(err));
  } else {
    log_line(st.name, who + " lost (" + why + ") with " + key + "; giving it to another worker");
    st.queue.push_front(std::move(*j));
  }
  dispatch<Request, Reply>(self);
}

template <class Request, class Reply>
void dispatch(pool_pointer<Request, Reply> self) {
  using job_type = typename pool_state<Request, Reply>::job;
  auto& st = self->state;
  // A job lost or failed on a worker goes to another one; to the same only
  // when the pool has no other. The same by identity, not member number: a
  // worker that was frozen, dropped and resumed rejoins as a new member.
  // A local_only job waits for one of the pool's own workers.
  const bool has_own = std::any_of(st.workers.begin(), st.workers.end(),
                                   [](const auto& x) { return !x.remote; });
  auto may_take = [&st, has_own](const job_type& j, const auto& m) {
    if (m.remote && has_own && local_only(j.request)) return false;
    auto tried = [&](const auto& x) {
      return std::find(j.tried_by.begin(), j.tried_by.end(), worker_identity(st.name, x))
             != j.tried_by.end();
    };
    return !tried(m) || std::all_of(st.workers.begin(), st.workers.end(), tried);
  };
  while (!st.idle.empty() && !st.queue.empty()) {
    // The best job (priority, then arrival) that an idle worker may take.
    auto best = st.queue.end();
    auto pick = st.idle.end();
    for (auto i = st.queue.begin(); i != st.queue.end(); ++i) {
      if (best != st.queue.end() && i->priority <= best->priority) continue;
      for (auto k = st.idle.begin(); k != st.idle.end(); ++k)
        if (may_take(*i, *k)) {
          best = i;
          pick = k;
          break;
        }
    }
    if (best == st.queue.end()) break;
    auto j = std::make_shared<job_type>(std::move(*best));
    st.queue.erase(best);
    const uint64_t run = j->request.run_id;
    if (st.runs->cancelled(run)) {
      auto err = cancelled_error(st.name, run);
      record_answer<Request, Reply>(self, *j, "", std::nullopt, nullptr, &err);
      j->promise.deliver(std::move(err));
      continue;
    }
    auto m = *pick;
    st.idle.erase(pick);
    const std::string who = worker_label(st.name, m);
    auto started = event_of<Request, Reply>(self, trace_event::kind::started, *j);
    started.worker = who;
    started.host = m.host.empty() ? this_host() : m.host;
    st.trace->record(started);
    const auto started_at = started.at;
    auto abandoned = std::make_shared<bool>(false);
    auto fail = [self, m, who, j, started_at, abandoned](caf::error& err) {
      if (*abandoned) return;
      auto& st = self->state;
      st.running.erase(m.number);
      if (err == caf::sec::request_timeout && m.remote) {
        // A remote worker over the time limit: drop it, keep the error.
        err = make_error(errc::job_timeout, st.job_timeout_text);
        self->unlink_from(m.handle);
        caf::anon_send_exit(m.handle, caf::exit_reason::user_shutdown);
        self->demonitor(m.remote);
        erase_member<Request, Reply>(self, m.number);
      } else if (err == caf::sec::request_timeout) {
        // The worker is still in the job (blocking work cannot be
        // interrupted): let it finish alone and take a fresh one.
        err = make_error(errc::job_timeout, st.job_timeout_text);
        self->unlink_from(m.handle);
        caf::anon_send_exit(m.handle, caf::exit_reason::user_shutdown);
        for (auto i = st.workers.begin(); i != st.workers.end(); ++i)
          if (i->handle == m.handle) {
            st.workers.erase(i);
            break;
          }
        st.idle.push_back(new_worker<Request, Reply>(self));
      } else {
        st.idle.push_back(m);
        if (m.remote && !is_error(err, errc::cancelled) && !st.runs->cancelled(j->request.run_id)) {
          // A remote worker could not do it (its network, its disk):
          // another worker tries, unless this was the second.
          j->lost_on.push_back(who);
          j->tried_by.push_back(worker_identity(st.name, m));
          j->why.push_back(error_text(err));
          if (j->lost_on.size() < 2) {
            log_line(st.name, who + " failed " + key_or_job(j->request) + " ("
                                + error_text(err) + "); giving it to another worker");
            st.queue.push_front(std::move(*j));
            dispatch<Request, Reply>(self);
            return;
          }
          err = caf::error{err.code(), err.category(),
                           caf::make_message(failed_twice_text(st.name, *j))};
        }
      }
      record_answer<Request, Reply>(self, *j, who, started_at, nullptr, &err);
      j->promise.deliver(std::move(err));
      dispatch<Request, Reply>(self);
    };
    const auto limit = chrono_of(st.job_timeout);
    st.running[m.number] = typename pool_state<Request, Reply>::busy{
      j, abandoned,
      self->clock().now()
        + (limit ? std::chrono::duration_cast<caf::actor_clock::duration_type>(*limit)
                 : caf::actor_clock::duration_type::max() / 2),
      fail};
    arm_tick<Request, Reply>(self);
    self->request(m.handle, caf::infinite, j->request)
      .then(
        [self, m, who, j, started_at, abandoned](Reply& reply) {
          if (*abandoned) return;
          self->state.running.erase(m.number);
          record_answer<Request, Reply>(self, *j, who, started_at, &reply, nullptr);
          j->promise.deliver(std::move(reply));
          self->state.idle.push_back(m);
          dispatch<Request, Reply>(self);
        },
        fail);
  }
}

} // namespace detail

/// The pool's behavior; see the file comment.
template <class Request, class Reply>
typename joinable_pool_actor<Request, Reply>::behavior_type
worker_pool(pool_pointer<Request, Reply> self, pool_config<Request, Reply> cfg) {
  auto& st = self->state;
  st.name = std::move(cfg.name);
  st.job_timeout = cfg.job_timeout;
  st.job_timeout_text = std::move(cfg.job_timeout_text);
  st.make_worker = std::move(cfg.make_worker);
  st.runs = cfg.runs ? cfg.runs : std::make_shared<run_control>();
  st.trace = cfg.trace ? cfg.trace : std::make_shared<no_trace>();
  st.sender_name = std::move(cfg.sender_name);
  st.adopt_remote = std::move(cfg.adopt_remote);
  for (int i = 0; i < cfg.size; ++i)
    st.idle.push_back(detail::new_worker<Request, Reply>(self));
  self->set_down_handler([self](caf::down_msg& dm) {
    detail::lose_member<Request, Reply>(self, dm.source,
                                        dm.reason ? caf::to_string(dm.reason) : "left");
  });
  return {
    [self](Request& req) -> caf::result<Reply> {
      auto& st = self->state;
      typename pool_state<Request, Reply>::job j;
      j.request = std::move(req);
      j.priority = detail::priority_of(j.request);
      j.id = st.trace->next_message_id(j.request.run_id);
      j.source = st.sender_name ? st.sender_name(self->current_sender()) : "";
      j.promise = self->template make_response_promise<Reply>();
      auto sent = detail::event_of<Request, Reply>(self, trace_event::kind::sent, j);
      sent.message = message_name<Request>();
      sent.key = detail::key_of(j.request);
      sent.summary = detail::summary_of(j.request);
      j.sent_at = sent.at;
      st.trace->record(sent);
      auto rp = j.promise;
      st.queue.push_back(std::move(j));
      detail::dispatch<Request, Reply>(self);
      return rp;
    },
    [self](cancel_atom, uint64_t run) {
      auto& st = self->state;
      // Remote workers do not share this process's run control: tell them.
      for (const auto& m : st.workers)
        if (m.remote) caf::anon_send(caf::actor_cast<caf::actor>(m.handle), cancel_atom::value, run);
      for (auto i = st.queue.begin(); i != st.queue.end();) {
        if (i->request.run_id != run) {
          ++i;
          continue;
        }
        auto err = detail::cancelled_error(st.name, run);
        detail::record_answer<Request, Reply>(self, *i, "", std::nullopt, nullptr, &err);
        i->promise.deliver(std::move(err));
        i = st.queue.erase(i);
      }
    },
    [self](join_atom, caf::actor remote, std::vector<std::string> interface, std::string name,
           std::string host) {
      auto& st = self->state;
      if (!remote) return;
      if (!st.adopt_remote) {
        log_line(st.name, "refused remote worker " + name + ": this pool takes none");
        caf::anon_send_exit(remote, caf::exit_reason::user_shutdown);
        return;
      }
      typename pool_state<Request, Reply>::member m;
      m.number = ++st.made;
      m.handle = st.adopt_remote(self->system(), remote_worker{remote, std::move(interface)},
                                 st.name + "#" + std::to_string(m.number) + " (" + name + ")");
      if (!m.handle) {
        // Another interface than this pool's jobs: it could answer none.
        log_line(st.name, "refused remote worker " + name + ": it does not take "
                            + st.name + "'s jobs");
        caf::anon_send_exit(remote, caf::exit_reason::user_shutdown);
        --st.made;
        return;
      }
      m.remote = remote.address();
      m.name = std::move(name);
      m.host = std::move(host);
      self->link_to(m.handle);
      self->monitor(remote);
      st.workers.push_back(m);
      st.idle.push_back(m);
      log_line(st.name, detail::worker_label(st.name, m) + " joined from " + m.host);
      detail::dispatch<Request, Reply>(self);
    },
    [self](pool_tick_atom) { detail::on_tick<Request, Reply>(self); },
  };
}

template <class Request, class Reply>
pool_actor<Request, Reply> spawn_pool(spawn_context& ctx,
                                      typed_spawner<worker_actor<Request, Reply>> worker) {
  pool_config<Request, Reply> cfg;
  cfg.name = ctx.self().id;
  cfg.size = ctx.pool_size();
  cfg.job_timeout = ctx.job_timeout();
  cfg.job_timeout_text = ctx.job_timeout_text();
  cfg.runs = ctx.runs();
  cfg.trace = ctx.trace();
  cfg.sender_name = [ctx](const caf::strong_actor_ptr& p) { return ctx.name_of(p); };
  cfg.adopt_remote = ctx.template remote_adapter_of<Request, Reply>();
  // A copy of the context: replacement workers are made after spawn().
  cfg.make_worker = [ctx, worker]() mutable { return worker(ctx); };
  return ctx.system().spawn(worker_pool<Request, Reply>, std::move(cfg));
}

} // namespace engine
