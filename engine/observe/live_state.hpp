// What a live view of a production shows, kept up to date from its trace
// events and log lines: per node how many requests are queued, active,
// done and failed in the current run, the current run's state and its
// per-item timeline (each request with a key, e.g. a file: when it was
// sent, started and answered, per node), the last log lines, the runs of
// this process by outcome, and what the view is told: the production's
// graph, the resolved settings, where the traces are kept, readiness.
// Other productions run beside it (their events stamped with their name)
// are shown apart: each one's graph, current run and per-node counts.
//
// snapshot() is one consistent JSON copy, for a page that polls.
#pragma once

#include "engine/trace.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace engine {

class live_state final : public trace_sink {
public:
  /// Hears log_line() while it lives, keeping the last `log_capacity`.
  explicit live_state(size_t log_capacity = 1000);
  ~live_state() override;
  live_state(const live_state&) = delete;
  live_state& operator=(const live_state&) = delete;

  void record(const trace_event& e) override;

  /// The production's graph (engine/observe/production_json.hpp): the
  /// main one, whose events (by its name, or unnamed) fill the view.
  void set_production(nlohmann::json graph);
  /// Another production run beside the main one: its graph; its events
  /// (stamped with its name) fill its own run and counts.
  void add_production(nlohmann::json graph);
  /// The settings as resolved, shown as they are.
  void set_settings(nlohmann::json settings);
  /// Where the run traces are kept ("" : none).
  void set_trace_dir(std::string dir);
  /// Ready: a production is running; else why not (a bad config).
  void set_ready(bool ready, std::string why = "");

  std::string trace_dir() const;
  nlohmann::json settings() const;
  /// The current (or last) run: {id, state: running|ok|failed|abandoned,
  /// host, started_ms, ended_ms, summary, error, seconds}, null before one.
  nlohmann::json run() const;
  bool ready(std::string* why = nullptr) const;
  /// The ids of the runs going now, of every production.
  std::vector<uint64_t> running_runs() const;

  /// {"now", "ready", "not_ready_because", "production", "counts": {node:
  /// {queued, active, done, failed, cancelled}}, "runs": {outcome: n},
  /// "run": {...} or null, "timeline": [{key, bars: [{node, sent_ms,
  /// started_ms, finished_ms, status}]}], "log": [{seq, t, component,
  /// text}] (those after `log_after`), "log_seq", "beside": [{production,
  /// run, counts, runs}] (the other productions)}
  nlohmann::json snapshot(uint64_t log_after = 0) const;

private:
  struct counts {
    uint64_t queued = 0, active = 0, done = 0, failed = 0, cancelled = 0;
  };
  struct bar {
    std::string node;
    uint64_t id = 0;
    int64_t sent_ms = 0, started_ms = 0, finished_ms = 0;
    std::string status = "queued";
  };
  struct log_line_entry {
    uint64_t seq = 0;
    int64_t at_ms = 0;
    std::string component, text;
  };

  /// What the view keeps of a production run beside the main one.
  struct beside_production {
    nlohmann::json graph;
    nlohmann::json run; ///< null before its first run
    std::map<std::string, counts> counts_by_node;
    std::map<uint64_t, std::string> target_of;
    std::map<uint64_t, bool> started;
    std::map<std::string, uint64_t> runs_by_outcome;
  };

  void log(const std::string& component, const std::string& text);
  bar* find_bar(uint64_t id);
  /// An event of another production than the main one.
  void record_beside(const trace_event& e);
  static nlohmann::json counts_json(const std::map<std::string, counts>& by_node);

  mutable std::mutex mu_;
  size_t log_capacity_;
  int listener_ = 0;
  nlohmann::json production_ = nlohmann::json::object();
  std::string main_name_; ///< the main production's name
  std::map<std::string, beside_production> beside_; ///< by name
  nlohmann::json settings_ = nlohmann::json::object();
  std::string trace_dir_;
  bool ready_ = false;
  std::string not_ready_;
  std::map<std::string, counts> counts_;
  std::map<std::string, uint64_t> runs_by_outcome_;
  nlohmann::json run_; ///< null before the first run
  std::vector<std::string> keys_;                  ///< timeline rows, in order
  std::map<std::string, std::vector<bar>> bars_;   ///< by key
  std::map<uint64_t, std::pair<std::string, size_t>> bar_of_; ///< request id -> bar
  std::map<uint64_t, std::string> target_of_; ///< request id -> node, this run
  std::map<uint64_t, bool> started_;          ///< request id -> a worker took it
  std::deque<log_line_entry> log_;
  uint64_t log_seq_ = 0;
};

} // namespace engine
