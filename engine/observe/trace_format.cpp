#include "engine/observe/trace_format.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <sstream>

namespace engine {

namespace {

using json = nlohmann::json;

/// Adds `key` only when there is something to say: lines stay short.
void put(json& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}
void put(json& j, const char* key, uint64_t v) {
  if (v != 0) j[key] = v;
}
void put(json& j, const char* key, double v) {
  if (v != 0) j[key] = v;
}

std::string text_of(const json& j, const char* key) {
  auto i = j.find(key);
  return i != j.end() && i->is_string() ? i->get<std::string>() : std::string();
}
template <class T>
T number_of(const json& j, const char* key) {
  auto i = j.find(key);
  return i != j.end() && i->is_number() ? i->get<T>() : T{};
}

std::string line_of(const json& j) {
  // Invalid UTF-8 in a log line or an error must not lose the line.
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

/// The fold: messages by id, in arrival order of their first event.
struct folder {
  run_trace out;
  std::map<uint64_t, size_t> at; ///< message id -> index in out.messages

  traced_message* find(uint64_t id) {
    auto i = at.find(id);
    return i == at.end() ? nullptr : &out.messages[i->second];
  }
  traced_message& add(uint64_t id) {
    auto i = at.find(id);
    if (i != at.end()) return out.messages[i->second];
    at[id] = out.messages.size();
    out.messages.emplace_back();
    out.messages.back().id = id;
    return out.messages.back();
  }

  /// The reply `reply` to request `req`, at `t`.
  void reply(const traced_message& req, uint64_t reply, int64_t t, const json& j) {
    if (reply == 0) return;
    traced_message r;
    r.id = reply;
    r.answers = req.id;
    r.source = req.target;
    r.target = req.source;
    r.worker = req.worker;
    r.host = req.host;
    r.key = req.key;
    r.sent_ms = r.started_ms = r.finished_ms = t;
    r.type = text_of(j, "type");
    r.summary = text_of(j, "summary");
    r.error = text_of(j, "error");
    r.bytes = number_of<uint64_t>(j, "bytes");
    r.status = req.status;
    add(reply) = r;
  }

  void take(const json& j) {
    const std::string ev = text_of(j, "event");
    const int64_t t = number_of<int64_t>(j, "t");
    const uint64_t id = number_of<uint64_t>(j, "id");
    if (ev == "run") {
      // The same run id again (its process died before recording it):
      // the later attempt is the run.
      *this = folder{};
      out.run.run_id = number_of<uint64_t>(j, "run");
      out.run.host = text_of(j, "host");
      out.run.started_ms = t;
    } else if (ev == "sent") {
      auto& m = add(id);
      m.source = text_of(j, "from");
      m.target = text_of(j, "to");
      m.type = text_of(j, "type");
      m.key = text_of(j, "key");
      m.summary = text_of(j, "summary");
      m.sent_ms = t;
      m.status = "queued";
    } else if (ev == "started") {
      auto& m = add(id);
      m.worker = text_of(j, "worker");
      m.host = text_of(j, "host");
      m.started_ms = t;
      m.status = "active";
    } else if (ev == "finished" || ev == "failed") {
      auto& m = add(id);
      m.finished_ms = t;
      if (ev == "finished") {
        m.status = "done";
      } else {
        m.status = j.value("cancelled", false) ? "cancelled" : "failed";
        m.error = text_of(j, "error");
        if (m.worker.empty()) m.worker = text_of(j, "worker");
      }
      const traced_message req = m;
      reply(req, number_of<uint64_t>(j, "reply"), t, j);
    } else if (ev == "log") {
      out.log.push_back({t, text_of(j, "component"), text_of(j, "text")});
    } else if (ev == "end") {
      out.run.ended_ms = t;
      out.run.outcome = text_of(j, "outcome");
      out.run.summary = text_of(j, "summary");
      out.run.error = text_of(j, "error");
      out.run.seconds = number_of<double>(j, "seconds");
    } else if (ev == "truncated") {
      out.truncated = true;
    }
  }
};

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
    j["outcome"] = e.outcome;
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
  j["component"] = component;
  j["text"] = text;
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
  folder f;
  size_t damaged = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) {
      // A last line without its newline was being written when the
      // process stopped: not a whole event.
      ++damaged;
      break;
    }
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) continue;
    auto j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      ++damaged;
      continue;
    }
    f.take(j);
  }
  std::stable_sort(f.out.messages.begin(), f.out.messages.end(),
                   [](const traced_message& a, const traced_message& b) { return a.id < b.id; });
  f.out.damaged_lines = damaged;
  return std::move(f.out);
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
              {"seconds", r.seconds}};
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
