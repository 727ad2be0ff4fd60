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
// - Time limit: one job may take job_timeout once a worker has it (time in
//   the queue does not count). A late job is answered with errc::job_timeout
//   and its worker, still busy, is replaced.
// - Cancellation: every Request has a `run_id`; a job of a cancelled run is
//   answered with errc::cancelled instead of being dispatched, and
//   (cancel_atom, run) drops a run's queued jobs at once.
// - Tracing: queued, started, finished and failed go to the trace sink
//   (a Request or Reply may have an ADL `trace_summary(x)` for a short text).
#pragma once

#include "engine/messages.hpp"
#include "engine/production.hpp"
#include "engine/run_control.hpp"
#include "engine/spawn.hpp"
#include "engine/trace.hpp"

#include <caf/all.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace engine {

/// A worker: answers one Request with one Reply.
template <class Request, class Reply>
using worker_actor =
  caf::typed_actor<typename caf::replies_to<Request>::template with<Reply>>;

/// A pool: a worker's interface plus cancelling a run's queued jobs.
template <class Request, class Reply>
using pool_actor = typename worker_actor<Request, Reply>::template extend<
  caf::reacts_to<cancel_atom, uint64_t>>;

namespace detail {

template <class T, class = void>
struct has_priority : std::false_type {};
template <class T>
struct has_priority<T, std::void_t<decltype(std::declval<const T&>().priority)>>
  : std::true_type {};

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

} // namespace detail

template <class Request, class Reply>
struct pool_state {
  using worker = worker_actor<Request, Reply>;
  struct job {
    Request request;
    caf::typed_response_promise<Reply> promise;
    uint64_t priority = 0;
  };
  struct member {
    worker handle;
    int number = 0; ///< for logs and traces: "download#2"
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
  int made = 0; ///< workers made so far, for numbering
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
};

template <class Request, class Reply>
using pool_pointer = typename pool_actor<Request, Reply>::template stateful_pointer<
  pool_state<Request, Reply>>;

namespace detail {

template <class Request, class Reply>
void record(pool_pointer<Request, Reply> self, trace_event::kind what,
            const Request& req, const std::string& worker, std::string summary,
            std::string error = {}) {
  auto& st = self->state;
  trace_event e;
  e.what = what;
  e.run_id = req.run_id;
  e.node = st.name;
  e.worker = worker;
  e.message = message_name<Request>();
  e.summary = std::move(summary);
  e.error = std::move(error);
  st.trace->record(e);
}

template <class Request, class Reply>
typename pool_state<Request, Reply>::member new_worker(pool_pointer<Request, Reply> self) {
  auto& st = self->state;
  auto w = st.make_worker();
  self->link_to(w);
  typename pool_state<Request, Reply>::member m{w, ++st.made};
  st.workers.push_back(m);
  return m;
}

template <class Request, class Reply>
void dispatch(pool_pointer<Request, Reply> self) {
  auto& st = self->state;
  while (!st.idle.empty() && !st.queue.empty()) {
    auto best = st.queue.begin();
    for (auto i = st.queue.begin(); i != st.queue.end(); ++i)
      if (i->priority > best->priority) best = i;
    auto job = std::move(*best);
    st.queue.erase(best);
    const uint64_t run = job.request.run_id;
    if (st.runs->cancelled(run)) {
      record<Request, Reply>(self, trace_event::kind::failed, job.request, "",
                             detail::summary_of(job.request), "cancelled");
      job.promise.deliver(make_error(errc::cancelled, st.name + ": run "
                                                        + std::to_string(run)
                                                        + " was cancelled"));
      continue;
    }
    auto m = st.idle.front();
    st.idle.pop_front();
    const std::string who = st.name + "#" + std::to_string(m.number);
    record<Request, Reply>(self, trace_event::kind::started, job.request, who,
                           detail::summary_of(job.request));
    auto req = job.request;
    auto rp = job.promise;
    self->request(m.handle, st.job_timeout, std::move(job.request))
      .then(
        [self, m, who, req, rp](Reply& reply) mutable {
          record<Request, Reply>(self, trace_event::kind::finished, req, who,
                                 detail::summary_of(reply));
          rp.deliver(std::move(reply));
          self->state.idle.push_back(m);
          dispatch<Request, Reply>(self);
        },
        [self, m, who, req, rp](caf::error& err) mutable {
          auto& st = self->state;
          if (err == caf::sec::request_timeout) {
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
          }
          record<Request, Reply>(self, trace_event::kind::failed, req, who,
                                 detail::summary_of(req), error_text(err));
          rp.deliver(std::move(err));
          dispatch<Request, Reply>(self);
        });
  }
}

} // namespace detail

/// The pool's behavior; see the file comment.
template <class Request, class Reply>
typename pool_actor<Request, Reply>::behavior_type
worker_pool(pool_pointer<Request, Reply> self, pool_config<Request, Reply> cfg) {
  auto& st = self->state;
  st.name = std::move(cfg.name);
  st.job_timeout = cfg.job_timeout;
  st.job_timeout_text = std::move(cfg.job_timeout_text);
  st.make_worker = std::move(cfg.make_worker);
  st.runs = cfg.runs ? cfg.runs : std::make_shared<run_control>();
  st.trace = cfg.trace ? cfg.trace : std::make_shared<no_trace>();
  for (int i = 0; i < cfg.size; ++i)
    st.idle.push_back(detail::new_worker<Request, Reply>(self));
  return {
    [self](Request& req) -> caf::result<Reply> {
      auto& st = self->state;
      auto rp = self->template make_response_promise<Reply>();
      detail::record<Request, Reply>(self, trace_event::kind::queued, req, "",
                                     detail::summary_of(req));
      uint64_t p = detail::priority_of(req);
      st.queue.push_back({std::move(req), rp, p});
      detail::dispatch<Request, Reply>(self);
      return rp;
    },
    [self](cancel_atom, uint64_t run) {
      auto& st = self->state;
      for (auto i = st.queue.begin(); i != st.queue.end();) {
        if (i->request.run_id != run) {
          ++i;
          continue;
        }
        detail::record<Request, Reply>(self, trace_event::kind::failed, i->request, "",
                                       detail::summary_of(i->request), "cancelled");
        i->promise.deliver(make_error(errc::cancelled, st.name + ": run "
                                                          + std::to_string(run)
                                                          + " was cancelled"));
        i = st.queue.erase(i);
      }
    },
  };
}

template <class Request, class Reply>
pool_maker typed_pool_maker() {
  return [](spawn_context& ctx, int size, spawner worker) -> caf::actor {
    pool_config<Request, Reply> cfg;
    cfg.name = ctx.self().id;
    cfg.size = size;
    cfg.job_timeout = ctx.job_timeout();
    cfg.job_timeout_text = ctx.job_timeout_text();
    cfg.runs = ctx.runs();
    cfg.trace = ctx.trace();
    // A copy of the context: replacement workers are made after spawn().
    cfg.make_worker = [ctx, worker]() mutable {
      return caf::actor_cast<worker_actor<Request, Reply>>(worker(ctx));
    };
    auto pool = ctx.system().spawn(worker_pool<Request, Reply>, std::move(cfg));
    return caf::actor_cast<caf::actor>(pool);
  };
}

} // namespace engine
