// The engine's typed actor interfaces (a worker, a pool of workers, a
// production's process), what an interface takes, and the typed reference
// to a declared node that production::service, process and operation
// return. A reference's type is its node's interface, so
// production::connect<Message> compiles only when the target takes Message,
// and spawn_context::peer hands a spawner the peer's typed handle.
#pragma once

#include "engine/messages.hpp"

#include <caf/all.hpp>

#include <cstdint>
#include <functional>
#include <set>
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

/// A production's process, as the service sees it.
using process_actor = caf::typed_actor<
  caf::replies_to<run_request>::with<run_outcome>,
  caf::reacts_to<cancel_atom, uint64_t>>;

/// A worker on another machine as it joins a pool: its handle, untyped as
/// it comes over the network, and the interface it declares (the message
/// types of the typed handle it was spawned as, in CAF's portable names).
struct remote_worker {
  caf::actor handle;
  std::vector<std::string> interface;
};

/// `Handle`'s interface, as a remote_worker declares it.
template <class Handle>
std::vector<std::string> interface_of(const caf::actor_system& sys) {
  auto types = sys.message_types<Handle>();
  return {types.begin(), types.end()};
}

/// The remote worker as a `Handle` when the interface it declares can be
/// assigned to one (CAF's own check for remote actors, as
/// middleman::remote_actor does); an invalid handle otherwise. The one
/// place a remote actor becomes typed.
template <class Handle>
Handle typed_remote(const caf::actor_system& sys, const remote_worker& w) {
  if (!w.handle
      || !sys.assignable<Handle>(std::set<std::string>(w.interface.begin(), w.interface.end())))
    return Handle{};
  return caf::actor_cast<Handle>(w.handle);
}

/// How a pool of `Request -> Reply` adopts a remote worker: the local
/// stand-in that forwards its jobs (engine/cluster.hpp), named `name` in
/// logs; an invalid handle refuses it.
template <class Request, class Reply>
using remote_adapter = std::function<worker_actor<Request, Reply>(
  caf::actor_system&, const remote_worker&, const std::string& name)>;

class production;

/// A node of a production whose actor has the interface `Handle` (a
/// caf::typed_actor, or caf::actor for an untyped node). Only a production's
/// declaration makes one, so the type is the one its spawner returns.
template <class Handle>
class node_ref {
public:
  using handle_type = Handle;
  const std::string& id() const { return id_; }

private:
  friend class production;
  explicit node_ref(std::string id) : id_(std::move(id)) {}
  std::string id_;
};

namespace detail {

/// True when signature `Sig` takes the one-element message `Message`.
template <class Message, class Sig>
struct takes : std::false_type {};
template <class Message, class Out>
struct takes<Message, caf::typed_mpi<caf::detail::type_list<Message>, Out>> : std::true_type {};

/// The message of a signature that takes one.
template <class Sig>
struct input_of {};
template <class Message, class Out>
struct input_of<caf::typed_mpi<caf::detail::type_list<Message>, Out>> {
  using type = Message;
};

} // namespace detail

/// True when an actor with interface `Handle` takes `Message`; never for an
/// untyped caf::actor, whose interface the compiler does not know.
template <class Message, class Handle>
struct handles : std::false_type {};
template <class Message, class... Sigs>
struct handles<Message, caf::typed_actor<Sigs...>>
  : std::disjunction<detail::takes<Message, Sigs>...> {};

/// True when a handle of interface `From` may be assigned to one of
/// interface `To` (From takes all that To does). caf::typed_actor's
/// converting constructor asserts this in its body only, so
/// std::is_convertible cannot tell.
template <class To, class From>
struct assignable : std::false_type {};
template <class... To, class... From>
struct assignable<caf::typed_actor<To...>, caf::typed_actor<From...>>
  : caf::detail::tl_subset_of<caf::detail::type_list<To...>, caf::detail::type_list<From...>> {};

/// The request an interface takes first: a worker's or a pool's Request, a
/// process's run_request.
template <class Handle>
struct request_of {};
template <class Sig, class... Sigs>
struct request_of<caf::typed_actor<Sig, Sigs...>> : detail::input_of<Sig> {};

} // namespace engine
