// Reads one run's trace file (engine/observe/trace_format.hpp) in bounded
// memory, whatever the file holds: garbage, binary, truncated, fields of
// the wrong type, lines of any length. A first pass folds the events and
// keeps per message only its id, status and the offsets of the lines that
// describe it (48 bytes); messages and log lines are read back by offset,
// in order, when they are wanted. A 100 MB trace is read in a few dozen MB.
//
// A line that cannot be an event (not a JSON object, no "event", a message
// event without a message number, longer than max_line_bytes, a last line
// without its newline) is skipped and counted; the first few are named by
// line number. Any other field of the wrong type reads as absent.
#pragma once

#include "engine/observe/trace_format.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <deque>
#include <vector>

namespace engine {

/// The bytes of a trace: a file read by offset, or text in memory.
class trace_source {
public:
  virtual ~trace_source() = default;
  /// Up to `n` bytes at `offset` into `buf`; fewer (0) at the end.
  virtual size_t read(uint64_t offset, char* buf, size_t n) const = 0;
};

/// A skipped line: its number (from 1) and why.
struct damaged_line {
  uint64_t line = 0;
  std::string why;
};

class trace_reader {
public:
  /// Longer lines are skipped (the writer keeps every field far shorter).
  static constexpr size_t max_line_bytes = 4u << 20;
  /// Damaged lines named one by one; the others are only counted.
  static constexpr size_t damaged_named = 20;

  /// The file at `path`; nothing, and `why`, when it cannot be opened.
  static std::unique_ptr<trace_reader> open_file(const std::string& path, std::string* why);
  /// Text in memory (a file's head and tail, tests).
  static std::unique_ptr<trace_reader> of_text(std::string text);

  /// Reads the lines appended since (a running run's file grows): what
  /// it then shows equals a new reader's of the file. The cost is the new
  /// lines', not the file's: the page polls a running run every 1.5 s.
  void refresh();
  /// True when `path` is still the file this reader reads (not removed,
  /// nor replaced by another of the same name).
  bool reads(const std::string& path) const;

  ~trace_reader();
  trace_reader(const trace_reader&) = delete;
  trace_reader& operator=(const trace_reader&) = delete;

  /// The run (its file, outcome, ...); run_id 0 when no "run" line says.
  const run_summary& run() const { return run_; }
  run_summary& run() { return run_; }
  bool truncated() const { return truncated_; }
  size_t damaged_count() const { return damaged_count_; }
  const std::vector<damaged_line>& damaged() const { return damaged_; }
  size_t message_count() const;
  size_t failed_count() const;
  size_t log_count() const { return log_count_; }
  /// The request that got the first error reply back (what failed the
  /// run), or 0.
  uint64_t first_failure() const;

  /// Messages [from, from + n) in the order sent (by id), or of the failed
  /// ones only; `f` returns false to stop.
  void messages(size_t from, size_t n, const std::function<bool(const traced_message&)>& f,
                bool failed_only = false) const;
  /// Message `id`, or nothing.
  std::optional<traced_message> message(uint64_t id) const;
  /// The reply that answers request `id`, or nothing.
  std::optional<traced_message> reply_to(uint64_t id) const;
  /// Log lines [from, from + n) in the order written.
  void log(size_t from, size_t n, const std::function<bool(const log_entry&)>& f) const;

  /// Everything in memory: for small traces and tests only.
  run_trace whole() const;

private:
  struct message_ref;
  struct window;
  explicit trace_reader(std::unique_ptr<trace_source> bytes);
  /// Indexes the lines from end_ on (all of them the first time).
  void index();
  traced_message message_at(const message_ref& r) const;

  std::unique_ptr<trace_source> bytes_;
  run_summary run_;
  bool truncated_ = false;
  size_t damaged_count_ = 0;
  std::vector<damaged_line> damaged_;
  /// Sorted by id. A deque: growing never copies it whole (a vector would
  /// hold it twice for a moment).
  std::deque<message_ref> messages_;
  size_t log_count_ = 0;
  /// The offset of every log_stride-th log line: a page of the log is
  /// read from the nearest one.
  std::vector<uint64_t> log_marks_;
  uint64_t end_ = 0; ///< after the last whole line
  uint64_t lines_ = 0; ///< whole lines before end_
  bool torn_ = false;  ///< a line without its newline follows end_, counted as damaged
  std::string path_;   ///< the file's (empty for text)
  uint64_t device_ = 0, inode_ = 0;
  std::unique_ptr<window> window_; ///< recently read bytes, for lines by offset
};

} // namespace engine
