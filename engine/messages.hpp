// The engine's own messages: what the polling service says to a
// production's process, how a run ends, and the atoms of its timers and
// controls. Plain structs with inspect() beside them, registered by
// register_engine_messages(), so they can cross the network unchanged.
#pragma once

#include "engine/errors.hpp"

#include <caf/all.hpp>

#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

namespace engine {

/// Timer tick of the polling service.
using poll_atom = caf::atom_constant<caf::atom("poll")>;

/// The service found a changed, valid configuration: respawn the
/// production with it.
using config_changed_atom = caf::atom_constant<caf::atom("cfgchanged")>;

/// Stop serving (SIGTERM/SIGINT).
using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>;

/// Drop the queued jobs of a run (sent to a pool with the run id).
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;

/// A worker on another machine joins a pool (engine/cluster.hpp).
using join_atom = caf::atom_constant<caf::atom("join")>;
/// A pool's clock for its jobs' time limits (engine/worker_pool.hpp).
using pool_tick_atom = caf::atom_constant<caf::atom("pooltick")>;

/// A double field as inspect() names it, so that it crosses the wire as its
/// 64 bits, exactly: CAF 0.17's binary serializer packs doubles with a
/// portable routine that turns -0.0 into 0.0, garbles NaNs and subnormals and
/// never returns on an infinity. Other inspectors (to_string) see the double.
struct exact_double {
  double* value;
};

/// For inspect(): `f(..., engine::exact(x.seconds))`.
inline exact_double exact(double& x) {
  return {&x};
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, exact_double& x) {
  if constexpr (std::is_base_of_v<caf::serializer, Inspector>) {
    uint64_t bits;
    std::memcpy(&bits, x.value, sizeof bits);
    return f(bits);
  } else if constexpr (std::is_base_of_v<caf::deserializer, Inspector>) {
    uint64_t bits = 0;
    auto err = f(bits);
    if (!err)
      std::memcpy(x.value, &bits, sizeof bits);
    return err;
  } else {
    return f(*x.value);
  }
}

/// Start run `run_id` now (service -> process).
struct run_request {
  uint64_t run_id = 0;
};

/// How a run ended (the process's reply to run_request). The service turns
/// it into the done or err marker.
struct run_outcome {
  uint64_t run_id = 0;
  bool ok = false;
  /// Stopped without a verdict (shutdown, lock lost): no marker is written
  /// and the next run starts over.
  bool abandoned = false;
  std::string step;    ///< on failure: the step that failed
  std::string subject; ///< on failure: the file or URL concerned, or empty
  std::string error;   ///< on failure: what went wrong
  /// On success: the lines of the done marker, the first a headline.
  std::vector<std::string> summary;
  /// Named counts, for status, metrics and tests.
  std::map<std::string, uint64_t> counts;
  double seconds = 0;

  uint64_t count(const std::string& name) const {
    auto i = counts.find(name);
    return i == counts.end() ? 0 : i->second;
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, run_request& x) {
  return f(caf::meta::type_name("run_request"), x.run_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, run_outcome& x) {
  return f(caf::meta::type_name("run_outcome"), x.run_id, x.ok, x.abandoned,
           x.step, x.subject, x.error, x.summary, x.counts, exact(x.seconds));
}

caf::error make_error(errc code, std::string text);

/// The answer to a failure caught at a handler: its own code, or
/// `otherwise` (an operation's kind, of `category`) when it has none; its
/// what() as the context, then its subject when it has one.
caf::error error_of(const failure& e, caf::atom_value category, uint8_t otherwise);

/// An error's context as text: its first string, or CAF's rendering.
std::string context_text(const caf::message& ctx);

/// The subject an error names (failure::subject, the context's second
/// string), "" when it names none.
std::string error_subject(const caf::error& e);

/// True when `e` is an engine error with this code.
bool is_error(const caf::error& e, errc code);

/// The text of an error for people: the context string of errors made with
/// a string context (the engine's and, by convention, an application's),
/// CAF's rendering of others (timeouts, dead actors).
std::string error_text(const caf::error& e);

/// Registers every declared message type (message_type<T> below, the
/// engine's and the application's) and the engine's error category.
void register_engine_messages(caf::actor_system_config& cfg);

/// Declares a message type where the type is, once, for every actor
/// system: an inline variable beside the struct (`inline const
/// engine::message_type<my_request> my_request_type{"app::my_request"};`)
/// and register_engine_messages adds it. A new message touches its own
/// header only.
template <class T>
struct message_type {
  explicit message_type(const char* name) {
    declare_message_type([name](caf::actor_system_config& cfg) {
      cfg.add_message_type<T>(name);
    });
  }
};

/// message_type's registry: `add` is kept until register_engine_messages.
void declare_message_type(std::function<void(caf::actor_system_config&)> add);

inline const message_type<run_request> run_request_type{"engine::run_request"};
inline const message_type<run_outcome> run_outcome_type{"engine::run_outcome"};


} // namespace engine
