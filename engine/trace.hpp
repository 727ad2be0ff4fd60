// What the engine reports about the messages of a run, for traces, live
// views and metrics. Every request to a node is a message with an id
// (numbered per run, in the order they are sent); its reply is another
// message, with an id of its own, that answers it. The run_request the
// service sends is each run's first message.
//
// The engine calls a trace_sink at each step: a run starts, a request is
// sent (it queues at its node), a worker starts it, it is answered (a
// reply, or an error), the run ends. The default sink does nothing.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <unistd.h>

namespace engine {

/// One step in the life of a run or of one of its messages.
struct trace_event {
  enum class kind {
    run_started, ///< the service starts run `run_id`
    sent,        ///< request `id` was sent from `source` to `target`
    started,     ///< a worker of `target` took request `id`
    finished,    ///< request `id` was answered by reply `reply_id`
    failed,      ///< request `id` was answered by error `reply_id`
    run_ended,   ///< the run ended: `outcome`, `error`, `seconds`
  };
  kind what = kind::sent;
  /// The production the run belongs to (engine::spawn stamps its name), so
  /// that sinks shared by several productions tell their runs apart.
  std::string production;
  uint64_t run_id = 0;
  uint64_t id = 0;       ///< the request message
  uint64_t reply_id = 0; ///< finished/failed: the reply, which answers `id`
  std::string source;    ///< the node that sent the request
  std::string target;    ///< the node that handles it
  std::string worker;    ///< which worker ("download#2"); empty if none took it
  std::string host;      ///< started: the machine the worker runs on
  std::string message;   ///< sent: the request's type; finished/failed: the reply's
  std::string key;       ///< sent: what the request is about (a file), for timelines
  std::string summary;   ///< a short text of the request (sent) or the reply
  std::string error;     ///< failed: the error's text
  bool cancelled = false; ///< failed: because its run was cancelled
  uint64_t bytes = 0;    ///< finished: the bytes the job handled (ADL trace_bytes)
  double wait_s = 0;     ///< finished/failed: from sent to started
  double run_s = 0;      ///< finished/failed: from started to answered
  std::string outcome;   ///< run_ended: "ok", "failed" or "abandoned"
  double seconds = 0;    ///< run_ended: the run's duration
  std::chrono::system_clock::time_point at = std::chrono::system_clock::now();
};

/// "ok", "failed", "abandoned": how run_ended names outcomes.
namespace outcome_name {
inline constexpr const char* ok = "ok";
inline constexpr const char* failed = "failed";
inline constexpr const char* abandoned = "abandoned";
} // namespace outcome_name

class trace_sink {
public:
  virtual ~trace_sink() = default;
  /// Called from any actor's thread; must not block for long and never
  /// throws.
  virtual void record(const trace_event& e) = 0;

  /// The highest run id this sink has kept (a trace folder), 0: none. A
  /// service numbers its runs above it, so productions sharing a trace
  /// folder never give two runs one id.
  virtual uint64_t last_run_id() const { return 0; }

  /// A new message id within `run`: 1, 2, ... in the order asked. Only the
  /// sink a production was spawned with is asked.
  uint64_t next_message_id(uint64_t run) {
    std::lock_guard<std::mutex> lock(ids_mu_);
    auto id = ++next_ids_[run];
    // Runs end; a late reply of an old run may still ask, keep a few.
    while (next_ids_.size() > 16) next_ids_.erase(next_ids_.begin());
    return id;
  }

private:
  std::mutex ids_mu_;
  std::map<uint64_t, uint64_t> next_ids_;
};

/// Ignores everything.
class no_trace final : public trace_sink {
public:
  void record(const trace_event&) override {}
};

/// Hands every event to each of its sinks, in order (a trace file, a live
/// view, metrics).
class trace_tee final : public trace_sink {
public:
  explicit trace_tee(std::vector<std::shared_ptr<trace_sink>> sinks)
    : sinks_(std::move(sinks)) {}
  void record(const trace_event& e) override {
    for (const auto& s : sinks_)
      if (s) s->record(e);
  }
  uint64_t last_run_id() const override {
    uint64_t last = 0;
    for (const auto& s : sinks_)
      if (s) last = std::max(last, s->last_run_id());
    return last;
  }

private:
  std::vector<std::shared_ptr<trace_sink>> sinks_;
};

/// Stamps every event with a production's name, then hands it on: what
/// spawn() puts in front of the sink a production is spawned with.
class production_stamp final : public trace_sink {
public:
  production_stamp(std::string production, std::shared_ptr<trace_sink> to)
    : production_(std::move(production)), to_(std::move(to)) {}
  void record(const trace_event& e) override {
    if (!to_) return;
    if (e.production == production_) {
      to_->record(e);
      return;
    }
    trace_event stamped = e;
    stamped.production = production_;
    to_->record(stamped);
  }
  uint64_t last_run_id() const override { return to_ ? to_->last_run_id() : 0; }

private:
  std::string production_;
  std::shared_ptr<trace_sink> to_;
};

/// This machine's name, for the host of a worker (found once).
inline const std::string& this_host() {
  static const std::string name = [] {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0')
      return std::string("localhost");
    return std::string(buf);
  }();
  return name;
}

} // namespace engine
