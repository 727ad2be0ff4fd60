// What the engine reports about the messages of a run, for traces, live
// views and metrics. The engine calls a trace_sink at each step of a job;
// the default sink does nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace engine {

/// One step in the life of a job (a request to a node and its reply).
struct trace_event {
  enum class kind {
    queued,   ///< a request arrived at a pool
    started,  ///< a worker took it
    finished, ///< it was answered
    failed,   ///< it was answered with an error
  };
  kind what = kind::queued;
  uint64_t run_id = 0;
  std::string node;    ///< the node (pool) that handles it
  std::string worker;  ///< which worker, once started
  std::string message; ///< the request type's name
  std::string summary; ///< a short text of the request or the reply
  std::string error;   ///< for failed
  std::chrono::system_clock::time_point at = std::chrono::system_clock::now();
};

class trace_sink {
public:
  virtual ~trace_sink() = default;
  /// Called from any actor's thread; must not block for long.
  virtual void record(const trace_event& e) = 0;
};

/// Ignores everything.
class no_trace final : public trace_sink {
public:
  void record(const trace_event&) override {}
};

} // namespace engine
