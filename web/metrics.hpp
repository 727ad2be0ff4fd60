// A production's Prometheus metrics (prometheus-cpp), kept from its trace
// events: runs by outcome, the last success, run durations, per node the
// jobs by outcome, the bytes they handled, the queue depth, the jobs
// running, and job durations and waits as histograms. An application adds
// counters of its own that are read at each scrape (add_counter), and the
// metrics of other productions beside it (include). text() is the
// Prometheus text format, for GET /metrics.
#pragma once

#include "engine/trace.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace web {

class metrics final : public engine::trace_sink {
public:
  /// Every name begins with `prefix` and "_" ("toy_runs_total").
  explicit metrics(std::string prefix);
  ~metrics() override;
  metrics(const metrics&) = delete;
  metrics& operator=(const metrics&) = delete;

  void record(const engine::trace_event& e) override;

  /// Shows these nodes' series (at 0) before their first job.
  void add_nodes(const std::vector<std::string>& nodes);

  /// A counter read at each scrape: `name` (after the prefix, ending in
  /// _total), its help, its label, and the values by label value.
  void add_counter(const std::string& name, const std::string& help, const std::string& label,
                   std::function<std::map<std::string, uint64_t>()> read);

  /// Another production's metrics (another prefix: other names), shown
  /// after these in text(): one /metrics for the productions a process runs.
  void include(std::shared_ptr<metrics> other);

  /// The Prometheus text format (version 0.0.4).
  std::string text() const;

  /// A metric name ("my-app" -> "my_app"): what is not a letter, digit
  /// or '_' becomes '_'.
  static std::string name_of(const std::string& text);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace web
