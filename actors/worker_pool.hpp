// A pool of identical detached workers behind one address (pull model):
// requests queue here and go to a worker only when it is idle, so one slow
// file never holds up jobs another worker could take. caf::actor_pool's
// round robin would hand jobs to busy workers.
//
//   requester --Request--> pool --Request--> idle worker
//   requester <--Reply---- pool <--Reply----
#pragma once

#include <caf/all.hpp>

#include <deque>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace gaia {

struct queued_job {
  caf::message request;
  caf::response_promise promise;
  uint64_t priority = 0; ///< higher goes first; ties keep arrival order
};

struct worker_pool_state {
  std::string name;
  /// How long one job may take once a worker has it (queue time does not
  /// count: with the whole archive, hundreds of jobs wait their turn).
  caf::duration job_timeout = caf::infinite;
  std::vector<caf::actor> workers;
  std::deque<caf::actor> idle;
  std::deque<queued_job> queue;
};

using pool_actor = caf::stateful_actor<worker_pool_state>;

/// Makes one worker; the pool links it to itself.
using worker_factory = std::function<caf::actor(caf::actor_system&)>;

/// How urgent a queued request is (e.g. an import's file size: the largest
/// files go first, so the run does not end waiting for one big file).
template <class Request>
using job_priority = std::function<uint64_t(const Request&)>;

namespace detail {

template <class Reply>
void dispatch(pool_actor* self) {
  auto& st = self->state;
  while (!st.idle.empty() && !st.queue.empty()) {
    auto worker = st.idle.front();
    st.idle.pop_front();
    auto best = st.queue.begin();
    for (auto i = st.queue.begin(); i != st.queue.end(); ++i)
      if (i->priority > best->priority)
        best = i;
    auto job = std::move(*best);
    st.queue.erase(best);
    auto rp = job.promise;
    auto done = [self, worker] {
      self->state.idle.push_back(worker);
      dispatch<Reply>(self);
    };
    self->request(worker, st.job_timeout, std::move(job.request))
      .then(
        [rp, done](Reply& reply) mutable {
          rp.deliver(std::move(reply));
          done();
        },
        [rp, done](caf::error& err) mutable {
          rp.deliver(std::move(err));
          done();
        });
  }
}

} // namespace detail

/// Behavior of a pool taking `Request`s and answering `Reply`s with `size`
/// workers made by `make_worker`; `priority` orders the queue (none: FIFO);
/// a job that runs longer than `job_timeout` is answered with
/// sec::request_timeout.
template <class Request, class Reply>
caf::behavior worker_pool(pool_actor* self, std::string name, int size,
                          worker_factory make_worker,
                          job_priority<Request> priority,
                          caf::duration job_timeout) {
  self->state.name = std::move(name);
  self->state.job_timeout = job_timeout;
  for (int i = 0; i < size; ++i) {
    auto w = make_worker(self->system());
    self->link_to(w);
    self->state.workers.push_back(w);
    self->state.idle.push_back(w);
  }
  return {
    [self, priority](Request& req) {
      auto rp = self->make_response_promise();
      uint64_t p = priority ? priority(req) : 0;
      self->state.queue.push_back({caf::make_message(std::move(req)), rp, p});
      detail::dispatch<Reply>(self);
      return rp;
    },
  };
}

} // namespace gaia
