// A run's trace as JSON, written as it is read (engine/observe/
// trace_reader.hpp), never built whole: the whole trace for a `trace
// --format json` (the same text as to_json(run_trace).dump(2)), and one
// page of it, bounded in messages, log lines and bytes, for the live page.
#pragma once

#include "engine/observe/trace_reader.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace engine {

/// Takes the JSON text piece by piece.
using text_sink = std::function<void(std::string_view)>;

/// {"damaged_lines", "log", "messages", "run", "truncated"}, indented by 2.
void write_trace_json(const trace_reader& r, const text_sink& out);

/// What page of a trace is wanted.
struct trace_page_query {
  static constexpr size_t default_limit = 1000;
  static constexpr size_t max_limit = 10000;
  /// A page's messages, and its log lines, stop after this many bytes
  /// (the rest comes with the next page).
  static constexpr size_t max_bytes = 4u << 20;

  size_t offset = 0; ///< messages (of the failed ones, with failed_only)
  size_t limit = default_limit;
  bool failed_only = false;
  std::optional<size_t> log_offset; ///< nothing: the last log_limit lines
  size_t log_limit = default_limit;
  uint64_t select = 0; ///< the message to detail; 0: the first failure
};

/// {"run", "messages", "messages_offset", "messages_total", "log",
///  "log_offset", "log_total", "damaged_lines", "damaged": [{"line",
///  "why"}], "truncated", "first_failure", "selected", "selected_reply"}.
/// `outcome`, when not empty, replaces the run's (a running run).
std::string trace_page_json(const trace_reader& r, const trace_page_query& q,
                            const std::string& outcome = "");

} // namespace engine
