// The light-curve inbox (inbox.hpp).
#include "lightcurve_production/inbox.hpp"

#include "engine/log.hpp"
#include "engine/state/state_dir.hpp"
#include "lightcurve_production/production.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

namespace gaia {

namespace fs = std::filesystem;

std::string inbox_dir_of(const settings& s) {
  const auto& g = s.get<lightcurve_inbox_settings>();
  if (!g.lightcurves_inbox.empty()) return g.lightcurves_inbox;
  return (fs::path(s.output_dir) / "lightcurves_inbox").string();
}

std::vector<inbox_request> pending_requests(const std::string& inbox) {
  std::map<std::string, std::string> by_name; // sorted: answered in name order
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(inbox, ec)) {
    const auto ext = e.path().extension().string();
    if ((ext != ".txt" && ext != ".csv") || !e.is_regular_file(ec)) continue;
    const std::string name = e.path().stem().string();
    const engine::state_dir markers(inbox, name);
    if (markers.has_outcome_marker()) continue;
    // NAME.txt and NAME.csv both: one request, the .csv (sorted first).
    auto it = by_name.find(name);
    if (it == by_name.end() || e.path().string() < it->second) by_name[name] = e.path().string();
  }
  std::vector<inbox_request> out;
  for (auto& [name, path] : by_name) out.push_back({name, path});
  return out;
}

namespace {

std::string first_line_of(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

/// "select (3/7 files), run 12 for 4 s", from the inbox's progress.json
/// (the request in flight writes it).
std::string running_detail(const engine::state_dir& markers) {
  const auto p = markers.read_progress();
  if (!p) return "starting";
  return p->step + " (" + std::to_string(p->count("selected")) + "/"
         + std::to_string(p->count("files")) + " files), run " + std::to_string(p->run_id)
         + " for " + std::to_string(std::time(nullptr) - p->started_unix) + " s";
}

} // namespace

std::vector<inbox_request_state> inbox_states(const std::string& inbox, size_t answered) {
  std::vector<inbox_request_state> out;
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(inbox, ec)) {
    const auto ext = e.path().extension().string();
    if (ext == ".txt" || ext == ".csv") names.insert(e.path().stem().string());
  }
  struct finished {
    fs::file_time_type at;
    inbox_request_state state;
  };
  std::vector<finished> done;
  for (const auto& name : names) {
    const engine::state_dir markers(inbox, name);
    std::string holder;
    if (fs::exists(markers.lock_marker, ec) && markers.run_in_progress(&holder)) {
      out.push_back({name, "running", running_detail(markers)});
    } else if (fs::exists(markers.done_marker, ec)) {
      done.push_back({fs::last_write_time(markers.done_marker, ec),
                      {name, "done", first_line_of(markers.done_marker)}});
    } else if (fs::exists(markers.err_marker, ec)) {
      done.push_back({fs::last_write_time(markers.err_marker, ec),
                      {name, "failed", first_line_of(markers.err_marker)}});
    } else {
      out.push_back({name, "waiting", ""});
    }
  }
  std::sort(done.begin(), done.end(),
            [](const finished& a, const finished& b) { return a.at > b.at; });
  for (size_t i = 0; i < done.size() && i < answered; ++i) out.push_back(done[i].state);
  return out;
}

namespace {

/// NAME.json's options over the settings' defaults; input_error naming the
/// file for one that is not JSON, or a key or value it does not know.
void read_job_options(const std::string& path, lightcurve_job& job) {
  std::ifstream in(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw input_error(path + ": not JSON: " + e.what());
  }
  if (!j.is_object()) throw input_error(path + ": not a JSON object");
  for (const auto& [key, value] : j.items()) {
    if (!value.is_string()) throw input_error(path + ": " + key + " must be a string");
    const auto text = value.get<std::string>();
    if (key == "format") {
      if (!lightcurve::parse_table_format(text))
        throw input_error(path + ": format '" + text
                          + "' is not one of votable, votable_plain, fits, ecsv, csv");
      job.format = text;
    } else if (key == "structure") {
      if (text != "standard" && text != "raw")
        throw input_error(path + ": structure '" + text + "' is not standard or raw");
      job.structure = text;
    } else {
      throw input_error(path + ": unknown key " + key + " (format, structure)");
    }
  }
}

} // namespace

engine::run_outcome answer_request(const settings& s, const inbox_request& r,
                                   const lightcurve_runner& run,
                                   std::shared_ptr<engine::run_control> runs) {
  const auto& g = s.get<lightcurve_inbox_settings>();
  const std::string inbox = inbox_dir_of(s);
  lightcurve_job job;
  job.ids_path = r.ids_path;
  job.out_dir = inbox;
  job.name = r.name;
  job.not_found_beside = false; // NAME.not_found.txt would read as a request
  job.format = std::string(lightcurve::format_name(g.lightcurves_format));
  job.structure = g.lightcurves_structure == lightcurve_structure::raw ? "raw" : "standard";
  const auto options = (fs::path(inbox) / (r.name + ".json")).string();
  if (fs::exists(options)) {
    try {
      read_job_options(options, job);
    } catch (const input_error& e) {
      engine::run_outcome o;
      o.step = "options";
      o.subject = options;
      o.error = e.what();
      engine::state_dir(inbox, r.name)
        .write_verdict(engine::verdict::failed, "options failed: " + options + "\n" + o.error
                                                  + "\n");
      return o;
    }
  }
  return run(s, job, std::move(runs));
}

inbox_service::inbox_service(settings_now now, lightcurve_runner run,
                             std::shared_ptr<engine::run_control> runs)
  : now_(std::move(now)), run_(std::move(run)),
    runs_(runs ? std::move(runs) : std::make_shared<engine::run_control>()),
    poll_ms_(default_settings().poll_interval_ms) {
  thread_ = std::thread([this] { loop(); });
}

inbox_service::~inbox_service() { stop(); }

void inbox_service::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  runs_->cancel_all();
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::optional<settings> inbox_service::settings_for_poll() {
  try {
    settings s = now_();
    if (!paused_because_.empty())
      engine::log_line("lightcurves", "the config loads again: the inbox resumes");
    paused_because_.clear();
    poll_ms_ = s.poll_interval_ms;
    return s;
  } catch (const std::exception& e) {
    if (e.what() != paused_because_)
      engine::log_line("lightcurves", std::string("inbox paused: ") + e.what()
                                        + " (requests wait until the config loads)");
    paused_because_ = e.what();
    return std::nullopt;
  }
}

void inbox_service::answer_pending(const settings& s) {
  const std::string inbox = inbox_dir_of(s);
  if (inbox != watched_) {
    std::error_code ec;
    fs::create_directories(inbox, ec);
    engine::log_line("lightcurves", "answering light-curve requests in " + inbox
                                      + (ec ? " (cannot create it: " + ec.message() + ")" : ""));
    watched_ = inbox;
  }
  for (const auto& r : pending_requests(inbox)) {
    if (runs_->shutting_down()) break;
    try {
      const auto o = answer_request(s, r, run_, runs_);
      engine::log_line("lightcurves", r.name + ": "
                                        + (o.ok ? o.summary.front()
                                                : o.step + " failed: " + o.error));
    } catch (const std::exception& e) {
      // Never the end of the inbox: the request gets its err marker.
      engine::log_line("lightcurves", r.name + ": " + e.what());
      try {
        engine::state_dir(inbox, r.name)
          .write_verdict(engine::verdict::failed, "request failed: " + r.ids_path + "\n"
                                                    + e.what() + "\n");
      } catch (const std::exception& w) {
        engine::log_line("lightcurves", std::string("cannot write ") + r.name
                                          + ".err: " + w.what());
      }
    }
  }
}

void inbox_service::loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    // The settings as they are now: a changed config is the next
    // request's (its format, archive, pool sizes).
    if (auto s = settings_for_poll()) answer_pending(*s);
    lock.lock();
    wake_.wait_for(lock, std::chrono::milliseconds(poll_ms_), [this] { return stopping_; });
  }
}

} // namespace gaia
