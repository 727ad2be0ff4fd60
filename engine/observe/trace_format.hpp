// A run's trace on disk, and what it tells once read back. The file is
// written as the run goes, one JSON object per line per event (the run
// starts, a request is sent, started, answered, a log line, the run ends),
// so a crash loses at most the line being written. Reading folds the
// events into messages: each request, and each reply with the id of the
// request it answers, in the order they were sent.
//
//   {"event":"run","run":3,"host":"h","production":"p","t":1767236400000}
//   {"event":"sent","id":2,"from":"process","to":"download","type":"...","key":"...","summary":"...","t":...}
//   {"event":"started","id":2,"worker":"download#1","host":"h","t":...}
//   {"event":"finished","id":2,"reply":5,"type":"...","summary":"...","bytes":123,"t":...}
//   {"event":"failed","id":7,"reply":9,"error":"...","cancelled":false,"t":...}
//   {"event":"log","component":"process","text":"...","t":...}
//   {"event":"end","outcome":"ok","summary":"...","error":"","seconds":2.1,"t":...}
#pragma once

#include "engine/trace.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace engine {

/// One message of a run: a request, or the reply that answers one.
struct traced_message {
  uint64_t id = 0;
  uint64_t answers = 0; ///< a reply: the request it answers; a request: 0
  std::string source;   ///< the node that sent it
  std::string target;   ///< the node it went to
  std::string type;     ///< the message type ("error" for an error reply)
  std::string key;      ///< what it is about (a file), when the request says
  std::string summary;  ///< a short text of its body
  std::string error;    ///< a failed request and its error reply: the error
  /// A request: queued, active, done, failed or cancelled; a reply: done,
  /// failed or cancelled.
  std::string status;
  std::string worker; ///< who handled the request (or sent the reply)
  std::string host;   ///< the machine of that worker
  int64_t sent_ms = 0;     ///< unix milliseconds
  int64_t started_ms = 0;  ///< 0: not (yet)
  int64_t finished_ms = 0; ///< 0: not (yet)
  uint64_t bytes = 0;
};

/// One line of the run's log.
struct log_entry {
  int64_t at_ms = 0;
  std::string component;
  std::string text;
};

/// A run as its trace says, without its messages.
struct run_summary {
  uint64_t run_id = 0;
  std::string file; ///< the trace file
  uint64_t file_bytes = 0;
  std::string host;
  std::string production; ///< whose run ("" in traces of older versions)
  int64_t started_ms = 0;
  int64_t ended_ms = 0; ///< 0: no end recorded
  /// ok, failed, abandoned; "unfinished" when no end was recorded (it is
  /// still going, or its process died).
  std::string outcome = "unfinished";
  std::string summary; ///< the outcome's headline
  std::string error;   ///< failed: what failed and why
  double seconds = 0;
};

/// A whole run: its messages in the order they were sent, and its log.
struct run_trace {
  run_summary run;
  std::vector<traced_message> messages;
  std::vector<log_entry> log;
  size_t damaged_lines = 0; ///< lines that did not parse (a torn last line)
  bool truncated = false;   ///< the trace stopped at its size limit
};

/// The file line of an event (ends with '\n').
std::string event_line(const trace_event& e);
/// The file line of a log line.
std::string log_event_line(const std::string& component, const std::string& text,
                           std::chrono::system_clock::time_point at);
/// The line that says the trace stops here (its size limit).
std::string truncated_line();

/// Folds the lines of a trace file's text, all in memory (for small texts:
/// engine/observe/trace_reader.hpp reads files in bounded memory). A line
/// that does not parse (a torn last line after a crash) is skipped and
/// counted.
run_trace parse_trace(const std::string& text);

/// Milliseconds since the epoch.
int64_t unix_ms(std::chrono::system_clock::time_point t);

nlohmann::json to_json(const traced_message& m);
nlohmann::json to_json(const run_summary& r);
nlohmann::json to_json(const log_entry& l);
/// {"run": {...}, "messages": [...], "log": [...], "damaged_lines", "truncated"}
nlohmann::json to_json(const run_trace& t);

} // namespace engine
