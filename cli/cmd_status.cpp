// status and trigger: the commands that look at (and for trigger, clear)
// the markers of output_dir while a service runs elsewhere.
#include "cli/commands.hpp"

#include "cli/config_option.hpp"

#include "actors/run_steps.hpp"
#include "settings/config_failure.hpp"

#include "engine/observe/trace_store.hpp"
#include "engine/state/atomic_file.hpp"
#include "settings/output_layout.hpp"
#include "lightcurve_production/inbox.hpp"

#include <cstdio>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <vector>
#include <memory>
#include <optional>
#include <string>

namespace gaia::cli {

namespace {

/// "1234/3386 files, 22.1 GB at 180.2 MB/s, about 3 min left".
std::string files_progress(const engine::run_progress& p) {
  const uint64_t files = p.count("files"), done = p.count("imported");
  std::string out = std::to_string(done) + "/" + std::to_string(files) + " files";
  const double secs = p.count("elapsed_ms") / 1000.0;
  const double bytes = static_cast<double>(p.count("bytes"));
  if (bytes > 0 && secs > 0) {
    char buf[96];
    std::snprintf(buf, sizeof buf, ", %.1f GB at %.1f MB/s", bytes / 1e9, bytes / 1e6 / secs);
    out += buf;
  }
  if (done > 0 && done < files && secs > 0) {
    const double left = (files - done) * secs / done;
    out += left < 120 ? ", about " + std::to_string(static_cast<long long>(left)) + " s left"
                      : ", about " + std::to_string(static_cast<long long>(left / 60)) + " min left";
  }
  return out;
}

/// The remote workers of the latest traced run and the files each did
/// ("w1/download1 on vm: 2 files (001400-001799, 002600-002999)"); none
/// for a run on this machine alone.
void remote_workers(const std::string& trace_dir) {
  auto runs = engine::trace_store::list_runs(trace_dir);
  if (runs.empty()) return;
  // Read message by message: the trace may be large.
  auto t = engine::trace_store::open_reader(trace_dir, runs.back().run_id);
  if (!t) return;
  std::map<std::string, std::vector<std::string>> files;
  t->messages(0, t->message_count(), [&](const engine::traced_message& m) {
    // A remote worker is named "pool#N (name)"; its requests that are done.
    const auto open = m.worker.find(" (");
    if (m.answers != 0 || open == std::string::npos || m.status != "done") return true;
    auto who = m.worker.substr(open + 2, m.worker.size() - open - 3);
    if (!m.host.empty()) who += " on " + m.host;
    files[who].push_back(m.key);
    return true;
  });
  if (files.empty()) return;
  std::printf("remote workers of run %llu:\n", static_cast<unsigned long long>(t->run().run_id));
  for (const auto& [who, keys] : files) {
    std::string list;
    for (const auto& k : keys) list += (list.empty() ? "" : ", ") + k;
    std::printf("  %s: %zu file%s (%s)\n", who.c_str(), keys.size(), keys.size() == 1 ? "" : "s",
                list.c_str());
  }
}

int status(const config_option& config) {
  // A bad config is what status must report, not a reason to stop: the
  // markers are read where serve wrote them (output_dir_despite).
  std::string config_problem, dir;
  std::optional<settings> loaded;
  try {
    loaded = load_settings(config.path, process_env());
    dir = loaded->output_dir;
  } catch (const config_error& e) {
    config_problem = e.what();
    dir = output_dir_despite(config.path, process_env());
    std::printf("config error: %s\n", e.what());
  }
  output_layout layout(dir);
  std::string holder;
  bool running = layout.state.run_in_progress(&holder);
  auto progress = layout.state.read_progress();
  auto heartbeat = layout.state.heartbeat_age();
  auto first_line = [](const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
  };
  if (running) {
    std::string where = "starting";
    if (progress) {
      where = progress->step;
      if (run_steps::download_import.named(progress->step))
        where += " (" + files_progress(*progress) + ")";
      where += ", run " + std::to_string(progress->run_id) + " for "
               + std::to_string(std::time(nullptr) - progress->started_unix)
               + " s";
    }
    std::printf("running: %s (%s)\n", where.c_str(), holder.c_str());
  } else if (std::filesystem::exists(layout.done_marker)) {
    std::printf("idle: last run succeeded: %s\n",
                first_line(layout.done_marker).c_str());
  } else if (std::filesystem::exists(layout.err_marker)) {
    auto failure = first_line(layout.err_marker);
    std::printf("idle: last run failed: %s\n", failure.c_str());
    if (is_config_failure(failure)) {
      config_problem = config_problem.empty() ? failure : config_problem;
      std::printf("  fix the config, then delete %s\n",
                  layout.err_marker.c_str());
    }
  } else {
    std::printf("idle: no outcome yet; a service starts a run at its next "
                "poll\n");
  }
  bool alive = heartbeat && heartbeat->first <= 120;
  if (heartbeat)
    std::printf("service: pid %ld, heartbeat %lld s ago%s\n", heartbeat->second,
                static_cast<long long>(heartbeat->first),
                alive ? "" : " (stale: is the service running?)");
  else
    std::printf("service: no heartbeat in %s\n", layout.dir.c_str());
  // The light-curve requests serve answers in its inbox (the config's,
  // when it loads).
  if (loaded) {
    for (const auto& r : inbox_states(inbox_dir_of(*loaded)))
      std::printf("lightcurves: %s %s%s%s\n", r.name.c_str(), r.state.c_str(),
                  r.detail.empty() ? "" : ": ", r.detail.c_str());
  }
  try {
    remote_workers(layout.trace_dir);
  } catch (const std::exception&) {
    // the trace is extra: status reports the markers whatever it holds
  }
  // 1, not 2, for a config error: Docker reserves a healthcheck's exit 2.
  return (alive || running) && config_problem.empty() ? 0 : 1;
}

int trigger(const config_option& config) {
  auto s = load_or_report(config);
  if (!s)
    return 2;
  output_layout layout(s->output_dir);
  std::string holder;
  if (layout.state.run_in_progress(&holder)) {
    std::printf("a run is in progress (%s); nothing to trigger\n",
                holder.c_str());
    return 0;
  }
  try {
    engine::remove_if_exists(layout.done_marker);
    engine::remove_if_exists(layout.err_marker);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gaia-dr3 trigger: %s\n", e.what());
    return 1;
  }
  std::printf("markers removed: the service starts a new run within one "
              "poll (%d ms)\n", s->poll_interval_ms);
  return 0;
}

} // namespace

void add_status_trigger(CLI::App& app, command_list& out) {
  auto status_config = std::make_shared<config_option>();
  auto* status_cmd = app.add_subcommand(
    "status",
    "Reports, from output_dir: whether a run is in progress (its step and "
    "progress), the last outcome, whether a service is alive, the remote "
    "workers of the latest run with the files each did, and the light-curve "
    "requests of lightcurves_inbox (in flight, waiting, the last answered). Exit 0 when "
    "a service has sent a heartbeat in the last 2 minutes or a run is in "
    "progress, 1 otherwise, and 1 while the config does not load or "
    "results.err reports a config failure (a Docker healthcheck: a service "
    "that waits for a config fix is alive but unhealthy).");
  status_config->add_to(status_cmd);
  out.push_back({status_cmd, [status_config] { return status(*status_config); }});

  auto trigger_config = std::make_shared<config_option>();
  auto* trigger_cmd = app.add_subcommand(
    "trigger",
    "Asks the service for a new run: removes results.done and results.err "
    "(never results.lock). While a run is in progress it changes nothing.");
  trigger_config->add_to(trigger_cmd);
  out.push_back({trigger_cmd, [trigger_config] { return trigger(*trigger_config); }});
}

} // namespace gaia::cli
