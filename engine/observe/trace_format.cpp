#include "engine/observe/trace_format.hpp"

#include "engine/observe/trace_reader.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>

namespace engine {

namespace {

using json = nlohmann::json;

/// A text field's longest: every line stays far below what readers take
/// (trace_reader::max_line_bytes).
constexpr size_t max_field_bytes = 256 * 1024;

std::string capped(const std::string& v) {
  if (v.size() <= max_field_bytes) return v;
  // A cut through a UTF-8 character is replaced when the line is written.
  return v.substr(0, max_field_bytes) + "... (" + std::to_string(v.size() - max_field_bytes)
         + " more bytes not kept)";
}

/// Adds `key` only when there is something to say: lines stay short.
void put(json& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = capped(v);
}
void put(json& j, const char* key, uint64_t v) {
  if (v != 0) j[key] = v;
}
void put(json& j, const char* key, double v) {
  if (v != 0) j[key] = v;
}

std::string line_of(const json& j) {
  // Invalid UTF-8 in a log line or an error must not lose the line.
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

} // namespace

int64_t unix_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string event_line(const trace_event& e) {
  json j;
  using k = trace_event::kind;
  switch (e.what) {
  case k::run_started:
    j["event"] = "run";
    j["run"] = e.run_id;
    put(j, "host", e.host);
    put(j, "production", e.production);
    break;
  case k::sent:
    j["event"] = "sent";
    j["id"] = e.id;
    put(j, "from", e.source);
    put(j, "to", e.target);
    put(j, "type", e.message);
    put(j, "key", e.key);
    put(j, "summary", e.summary);
    break;
  case k::started:
    j["event"] = "started";
    j["id"] = e.id;
    put(j, "worker", e.worker);
    put(j, "host", e.host);
    break;
  case k::finished:
  case k::failed:
    j["event"] = e.what == k::finished ? "finished" : "failed";
    j["id"] = e.id;
    put(j, "reply", e.reply_id);
    put(j, "type", e.message);
    put(j, "summary", e.summary);
    put(j, "error", e.error);
    if (e.what == k::failed) {
      j["cancelled"] = e.cancelled;
      put(j, "worker", e.worker);
    }
    put(j, "bytes", e.bytes);
    put(j, "wait_s", e.wait_s);
    put(j, "run_s", e.run_s);
    break;
  case k::run_ended:
    j["event"] = "end";
    j["outcome"] = capped(e.outcome);
    put(j, "summary", e.summary);
    put(j, "error", e.error);
    j["seconds"] = e.seconds;
    break;
  }
  j["t"] = unix_ms(e.at);
  return line_of(j);
}

std::string log_event_line(const std::string& component, const std::string& text,
                           std::chrono::system_clock::time_point at) {
  json j;
  j["event"] = "log";
  j["component"] = capped(component);
  j["text"] = capped(text);
  j["t"] = unix_ms(at);
  return line_of(j);
}

std::string truncated_line() {
  json j;
  j["event"] = "truncated";
  j["t"] = unix_ms(std::chrono::system_clock::now());
  return line_of(j);
}

run_trace parse_trace(const std::string& text) {
  return trace_reader::of_text(text)->whole();
}

json to_json(const traced_message& m) {
  return json{{"id", m.id},           {"answers", m.answers}, {"source", m.source},
              {"target", m.target},   {"type", m.type},       {"key", m.key},
              {"summary", m.summary}, {"error", m.error},     {"status", m.status},
              {"worker", m.worker},   {"host", m.host},       {"sent_ms", m.sent_ms},
              {"started_ms", m.started_ms}, {"finished_ms", m.finished_ms},
              {"bytes", m.bytes}};
}

json to_json(const run_summary& r) {
  return json{{"run", r.run_id},       {"file", r.file},         {"file_bytes", r.file_bytes},
              {"host", r.host},        {"started_ms", r.started_ms}, {"ended_ms", r.ended_ms},
              {"outcome", r.outcome},  {"summary", r.summary},   {"error", r.error},
              {"seconds", r.seconds}, {"production", r.production}};
}

json to_json(const log_entry& l) {
  return json{{"t", l.at_ms}, {"component", l.component}, {"text", l.text}};
}

json to_json(const run_trace& t) {
  json messages = json::array();
  for (const auto& m : t.messages) messages.push_back(to_json(m));
  json log = json::array();
  for (const auto& l : t.log) log.push_back(to_json(l));
  return json{{"run", to_json(t.run)},
              {"messages", std::move(messages)},
              {"log", std::move(log)},
              {"damaged_lines", t.damaged_lines},
              {"truncated", t.truncated}};
}

} // namespace engine
