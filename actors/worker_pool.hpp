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

struct worker_pool_state {
  std::string name;
  std::vector<caf::actor> workers;
  std::deque<caf::actor> idle;
  std::deque<std::pair<caf::message, caf::response_promise>> queue;
};

using pool_actor = caf::stateful_actor<worker_pool_state>;

/// Makes one worker; the pool links it to itself.
using worker_factory = std::function<caf::actor(caf::actor_system&)>;

namespace detail {

template <class Reply>
void dispatch(pool_actor* self) {
  auto& st = self->state;
  while (!st.idle.empty() && !st.queue.empty()) {
    auto worker = st.idle.front();
    st.idle.pop_front();
    auto job = std::move(st.queue.front());
    st.queue.pop_front();
    auto rp = job.second;
    auto done = [self, worker] {
      self->state.idle.push_back(worker);
      dispatch<Reply>(self);
    };
    self->request(worker, caf::infinite, std::move(job.first))
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
/// workers made by `make_worker`.
template <class Request, class Reply>
caf::behavior worker_pool(pool_actor* self, std::string name, int size,
                          worker_factory make_worker) {
  self->state.name = std::move(name);
  for (int i = 0; i < size; ++i) {
    auto w = make_worker(self->system());
    self->link_to(w);
    self->state.workers.push_back(w);
    self->state.idle.push_back(w);
  }
  return {
    [self](Request& req) {
      auto rp = self->make_response_promise();
      self->state.queue.emplace_back(caf::make_message(std::move(req)), rp);
      detail::dispatch<Reply>(self);
      return rp;
    },
  };
}

} // namespace gaia
