#include "engine/observe/live_state.hpp"

#include "engine/log.hpp"
#include "engine/observe/trace_format.hpp"

namespace engine {

namespace {

using json = nlohmann::json;

void drop(uint64_t& n) {
  if (n > 0) --n;
}

} // namespace

live_state::live_state(size_t log_capacity) : log_capacity_(log_capacity), run_(nullptr) {
  listener_ = add_log_listener(
    [this](const std::string& component, const std::string& text) { log(component, text); });
}

live_state::~live_state() { remove_log_listener(listener_); }

void live_state::set_production(json graph) {
  std::lock_guard<std::mutex> lock(mu_);
  main_name_ = graph.is_object() ? graph.value("name", "") : "";
  production_ = std::move(graph);
}

void live_state::add_production(json graph) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string name = graph.is_object() ? graph.value("name", "") : "";
  beside_[name].graph = std::move(graph);
}

std::vector<uint64_t> live_state::running_runs() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<uint64_t> out;
  auto add = [&out](const json& run) {
    if (run.is_object() && run["state"] == "running") out.push_back(run["id"].get<uint64_t>());
  };
  add(run_);
  for (const auto& [name, b] : beside_) add(b.run);
  return out;
}

void live_state::set_settings(json settings) {
  std::lock_guard<std::mutex> lock(mu_);
  settings_ = std::move(settings);
}

void live_state::set_trace_dir(std::string dir) {
  std::lock_guard<std::mutex> lock(mu_);
  trace_dir_ = std::move(dir);
}

void live_state::set_ready(bool ready, std::string why) {
  std::lock_guard<std::mutex> lock(mu_);
  ready_ = ready;
  not_ready_ = std::move(why);
}

std::string live_state::trace_dir() const {
  std::lock_guard<std::mutex> lock(mu_);
  return trace_dir_;
}

json live_state::settings() const {
  std::lock_guard<std::mutex> lock(mu_);
  return settings_;
}

json live_state::run() const {
  std::lock_guard<std::mutex> lock(mu_);
  return run_;
}

bool live_state::ready(std::string* why) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (why) *why = not_ready_;
  return ready_;
}

live_state::bar* live_state::find_bar(uint64_t id) {
  auto i = bar_of_.find(id);
  if (i == bar_of_.end()) return nullptr;
  return &bars_[i->second.first][i->second.second];
}

void live_state::record_beside(const trace_event& e) {
  using k = trace_event::kind;
  auto& b = beside_[e.production];
  const int64_t t = unix_ms(e.at);
  if (e.what == k::run_started) {
    b.counts_by_node.clear();
    b.target_of.clear();
    b.started.clear();
    b.run = json{{"id", e.run_id}, {"state", "running"}, {"host", e.host}, {"started_ms", t},
                 {"ended_ms", 0}, {"summary", ""}, {"error", ""}, {"seconds", 0}};
    return;
  }
  if (!b.run.is_object() || b.run["id"].get<uint64_t>() != e.run_id) return;
  switch (e.what) {
  case k::sent:
    b.target_of[e.id] = e.target;
    b.started[e.id] = false;
    ++b.counts_by_node[e.target].queued;
    break;
  case k::started: {
    auto& c = b.counts_by_node[b.target_of[e.id]];
    drop(c.queued);
    ++c.active;
    b.started[e.id] = true;
    break;
  }
  case k::finished:
  case k::failed: {
    auto& c = b.counts_by_node[b.target_of[e.id]];
    drop(b.started[e.id] ? c.active : c.queued);
    if (e.what == k::finished) ++c.done;
    else if (e.cancelled) ++c.cancelled;
    else ++c.failed;
    break;
  }
  case k::run_ended:
    b.run["state"] = e.outcome;
    b.run["ended_ms"] = t;
    b.run["summary"] = e.summary;
    b.run["error"] = e.error;
    b.run["seconds"] = e.seconds;
    ++b.runs_by_outcome[e.outcome];
    break;
  case k::run_started:
    break;
  }
}

void live_state::record(const trace_event& e) {
  using k = trace_event::kind;
  std::lock_guard<std::mutex> lock(mu_);
  if (!e.production.empty() && !main_name_.empty() && e.production != main_name_) {
    record_beside(e);
    return;
  }
  const int64_t t = unix_ms(e.at);
  if (e.what == k::run_started) {
    counts_.clear();
    keys_.clear();
    bars_.clear();
    bar_of_.clear();
    target_of_.clear();
    started_.clear();
    run_ = json{{"id", e.run_id}, {"state", "running"}, {"host", e.host}, {"started_ms", t},
                {"ended_ms", 0}, {"summary", ""}, {"error", ""}, {"seconds", 0}};
    return;
  }
  // Only the current run is live (a late reply of an earlier one is not).
  if (run_.is_null() || run_["id"].get<uint64_t>() != e.run_id) return;
  switch (e.what) {
  case k::sent: {
    target_of_[e.id] = e.target;
    started_[e.id] = false;
    ++counts_[e.target].queued;
    if (!e.key.empty()) {
      if (bars_.find(e.key) == bars_.end()) keys_.push_back(e.key);
      auto& row = bars_[e.key];
      bar b;
      b.node = e.target;
      b.id = e.id;
      b.sent_ms = t;
      row.push_back(b);
      bar_of_[e.id] = {e.key, row.size() - 1};
    }
    break;
  }
  case k::started: {
    auto& c = counts_[target_of_[e.id]];
    drop(c.queued);
    ++c.active;
    started_[e.id] = true;
    if (auto* b = find_bar(e.id)) {
      b->started_ms = t;
      b->status = "active";
    }
    break;
  }
  case k::finished:
  case k::failed: {
    auto& c = counts_[target_of_[e.id]];
    drop(started_[e.id] ? c.active : c.queued);
    const char* status = e.what == k::finished ? "done" : e.cancelled ? "cancelled" : "failed";
    if (e.what == k::finished) ++c.done;
    else if (e.cancelled) ++c.cancelled;
    else ++c.failed;
    if (auto* b = find_bar(e.id)) {
      b->finished_ms = t;
      b->status = status;
    }
    break;
  }
  case k::run_ended:
    run_["state"] = e.outcome;
    run_["ended_ms"] = t;
    run_["summary"] = e.summary;
    run_["error"] = e.error;
    run_["seconds"] = e.seconds;
    ++runs_by_outcome_[e.outcome];
    break;
  case k::run_started:
    break;
  }
}

void live_state::log(const std::string& component, const std::string& text) {
  std::lock_guard<std::mutex> lock(mu_);
  log_.push_back({++log_seq_, unix_ms(std::chrono::system_clock::now()), component, text});
  while (log_.size() > log_capacity_) log_.pop_front();
}

json live_state::counts_json(const std::map<std::string, counts>& by_node) {
  json out = json::object();
  for (const auto& [node, c] : by_node)
    out[node] = json{{"queued", c.queued}, {"active", c.active}, {"done", c.done},
                     {"failed", c.failed}, {"cancelled", c.cancelled}};
  return out;
}

json live_state::snapshot(uint64_t log_after) const {
  std::lock_guard<std::mutex> lock(mu_);
  json counts = counts_json(counts_);
  json beside = json::array();
  for (const auto& [name, b] : beside_)
    beside.push_back(json{{"production", b.graph.is_null() ? json{{"name", name}} : b.graph},
                          {"run", b.run},
                          {"counts", counts_json(b.counts_by_node)},
                          {"runs", b.runs_by_outcome}});
  json timeline = json::array();
  for (const auto& key : keys_) {
    json row = json::array();
    for (const auto& b : bars_.at(key))
      row.push_back(json{{"node", b.node}, {"id", b.id}, {"sent_ms", b.sent_ms},
                         {"started_ms", b.started_ms}, {"finished_ms", b.finished_ms},
                         {"status", b.status}});
    timeline.push_back(json{{"key", key}, {"bars", std::move(row)}});
  }
  json log = json::array();
  for (const auto& l : log_)
    if (l.seq > log_after)
      log.push_back(json{{"seq", l.seq}, {"t", l.at_ms}, {"component", l.component},
                         {"text", l.text}});
  return json{{"now", unix_ms(std::chrono::system_clock::now())},
              {"ready", ready_},
              {"not_ready_because", not_ready_},
              {"production", production_},
              {"counts", std::move(counts)},
              {"runs", runs_by_outcome_},
              {"run", run_},
              {"timeline", std::move(timeline)},
              {"log", std::move(log)},
              {"log_seq", log_seq_},
              {"beside", std::move(beside)}};
}

} // namespace engine
