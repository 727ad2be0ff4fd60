// trace: what happened in a run, message by message, from the trace the
// engine kept in output_dir/trace (engine/observe/trace_store.hpp). Like
// status, it reads where serve wrote even when the config does not load.
// The run's file is read as it is printed (engine/observe/trace_reader.hpp),
// in bounded memory whatever its size; damaged lines and files that are
// not traces are named on stderr and skipped.
#include "cli/commands.hpp"

#include "cli/config_option.hpp"
#include "engine/observe/trace_json.hpp"
#include "engine/observe/trace_store.hpp"
#include "settings/config_failure.hpp"
#include "settings/output_layout.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

namespace gaia::cli {

namespace {

struct trace_options {
  config_option config;
  uint64_t run = 0;
  bool failed = false;
  bool list = false;
  bool log = false;
  std::string format = "table";
};

/// "22:27:17.937" (UTC); "-" for none.
std::string clock_text(int64_t ms) {
  if (ms <= 0) return "-";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

/// "2026-01-01 03:00:00 UTC".
std::string date_text(int64_t ms) {
  if (ms <= 0) return "?";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

using row = std::vector<std::string>;

/// Column widths of a table, each column as wide as its widest cell.
void widen(std::vector<size_t>& width, const row& r) {
  for (size_t i = 0; i < r.size(); ++i) {
    if (width.size() <= i) width.push_back(0);
    width[i] = std::max(width[i], r[i].size());
  }
}

/// One row, its columns padded to `width`; the last column is not.
void print_row(const std::vector<size_t>& width, const row& r) {
  std::string line;
  for (size_t i = 0; i < r.size(); ++i) {
    line += r[i];
    if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
  }
  std::printf("%s\n", line.c_str());
}

void print_table(const std::vector<row>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows) widen(width, r);
  for (const auto& r : rows) print_row(width, r);
}

std::string outcome_line(const engine::run_summary& r) {
  std::string out = r.outcome;
  if (r.ended_ms > 0) out += " after " + seconds_text(r.seconds);
  if (r.outcome == "unfinished") out += " (still running, or its process stopped)";
  return out;
}

int list_runs(const std::vector<engine::run_summary>& runs) {
  std::vector<std::vector<std::string>> rows{
    {"run", "production", "started", "outcome", "took", "what"}};
  for (const auto& r : runs)
    rows.push_back({std::to_string(r.run_id), r.production.empty() ? "-" : r.production,
                    date_text(r.started_ms), r.outcome,
                    r.ended_ms > 0 ? seconds_text(r.seconds) : "-",
                    r.error.empty() ? r.summary : r.error});
  print_table(rows);
  return 0;
}

const row message_header{"#",    "answers", "sent",    "started", "finished", "from",
                         "to",   "message", "status",  "worker",  "summary"};

row message_row(const engine::traced_message& m) {
  return {std::to_string(m.id), m.answers ? std::to_string(m.answers) : "-",
          clock_text(m.sent_ms), clock_text(m.started_ms), clock_text(m.finished_ms),
          m.source.empty() ? "?" : m.source, m.target.empty() ? "?" : m.target, m.type, m.status,
          m.worker.empty() ? "-" : m.worker,
          // The error says what failed (it names the file).
          m.error.empty() ? m.summary : "error: " + m.error};
}

/// The trace as a table. The messages are read twice, for the column
/// widths and then to print, rather than held: a trace may be large.
void print_trace(const engine::trace_reader& t, bool with_log) {
  const auto& r = t.run();
  std::printf("run %llu on %s, started %s: %s\n", static_cast<unsigned long long>(r.run_id),
              r.host.c_str(), date_text(r.started_ms).c_str(), outcome_line(r).c_str());
  if (!r.error.empty()) std::printf("%s\n", r.error.c_str());
  else if (!r.summary.empty()) std::printf("%s\n", r.summary.c_str());
  std::printf("\n");
  std::vector<size_t> width;
  widen(width, message_header);
  const size_t all = t.message_count();
  t.messages(0, all, [&](const engine::traced_message& m) {
    widen(width, message_row(m));
    return true;
  });
  print_row(width, message_header);
  t.messages(0, all, [&](const engine::traced_message& m) {
    print_row(width, message_row(m));
    return true;
  });
  if (t.truncated())
    std::printf("(the trace stops here: it reached trace_max_bytes)\n");
  if (t.damaged_count() > 0) {
    const bool only_torn_end = t.damaged_count() == 1 && !t.damaged().empty()
                               && t.damaged()[0].why.rfind("no newline", 0) == 0;
    if (only_torn_end)
      std::printf("(%zu damaged line(s) skipped: the process stopped while writing)\n",
                  t.damaged_count());
    else
      std::printf("(%zu damaged line(s) skipped: stderr names them)\n", t.damaged_count());
  }
  if (with_log) {
    std::printf("\nlog:\n");
    t.log(0, t.log_count(), [](const engine::log_entry& l) {
      std::printf("%s %s: %s\n", clock_text(l.at_ms).c_str(), l.component.c_str(),
                  l.text.c_str());
      return true;
    });
  }
}

/// Each damaged line on stderr, naming the file and the line.
void report_damage(const engine::trace_reader& t) {
  for (const auto& d : t.damaged())
    std::fprintf(stderr, "gaia-dr3 trace: %s line %llu skipped: %s\n", t.run().file.c_str(),
                 static_cast<unsigned long long>(d.line), d.why.c_str());
  if (t.damaged_count() > t.damaged().size())
    std::fprintf(stderr, "gaia-dr3 trace: %s: %zu more damaged line(s) skipped\n",
                 t.run().file.c_str(), t.damaged_count() - t.damaged().size());
}

int trace(const trace_options& o) {
  std::string dir;
  try {
    dir = load_settings(o.config.path, process_env()).output_dir;
  } catch (const config_error& e) {
    // The traces are most wanted when something is wrong: read them where
    // serve wrote them.
    dir = output_dir_despite(o.config.path, process_env());
    std::fprintf(stderr, "gaia-dr3 trace: config error: %s (reading %s)\n", e.what(),
                 dir.c_str());
  }
  const std::string trace_dir = output_layout(dir).trace_dir;
  std::vector<std::string> skipped;
  auto runs = engine::trace_store::list_runs(trace_dir, &skipped);
  for (const auto& f : skipped)
    std::fprintf(stderr,
                 "gaia-dr3 trace: skipped %s: its run number does not fit 64 bits (not a trace "
                 "gaia-dr3 wrote)\n",
                 f.c_str());
  if (runs.empty()) {
    std::fprintf(stderr, "gaia-dr3 trace: no run traces in %s\n", trace_dir.c_str());
    return 1;
  }
  if (o.list) {
    if (o.format == "json") {
      auto out = nlohmann::json::array();
      for (const auto& r : runs) out.push_back(engine::to_json(r));
      std::printf("%s\n", out.dump(2).c_str());
      return 0;
    }
    return list_runs(runs);
  }
  uint64_t run = o.run;
  if (run == 0) {
    for (auto i = runs.rbegin(); i != runs.rend() && run == 0; ++i)
      if (!o.failed || i->outcome == "failed") run = i->run_id;
    if (run == 0) {
      std::fprintf(stderr, "gaia-dr3 trace: no failed run among the %zu kept in %s\n",
                   runs.size(), trace_dir.c_str());
      return 1;
    }
  }
  std::string why;
  auto t = engine::trace_store::open_reader(trace_dir, run, &why);
  if (!t && !why.empty()) {
    std::fprintf(stderr, "gaia-dr3 trace: cannot read %s\n", why.c_str());
    return 1;
  }
  if (!t) {
    std::fprintf(stderr, "gaia-dr3 trace: no trace of run %llu in %s (kept: runs %llu to %llu)\n",
                 static_cast<unsigned long long>(run), trace_dir.c_str(),
                 static_cast<unsigned long long>(runs.front().run_id),
                 static_cast<unsigned long long>(runs.back().run_id));
    return 1;
  }
  report_damage(*t);
  if (o.format == "json") {
    engine::write_trace_json(*t, [](std::string_view text) {
      std::fwrite(text.data(), 1, text.size(), stdout);
    });
    std::printf("\n");
  } else {
    print_trace(*t, o.log);
  }
  return 0;
}

} // namespace

void add_trace(CLI::App& app, command_list& out) {
  auto o = std::make_shared<trace_options>();
  auto* cmd = app.add_subcommand(
    "trace",
    "Prints the message trace of a run kept in output_dir/trace: every message "
    "between the production's actors (run_request, each operation's request "
    "and the reply or error that answers it), numbered in the order sent, with "
    "times sent / started / finished (UTC), sender, receiver, status, worker "
    "and a summary of the body. The latest run by default. Exit 1 when there "
    "is no such trace.");
  o->config.add_to(cmd);
  auto* run = cmd->add_option("--run", o->run, "the run (its id, as the log and status say)")
                ->type_name("N");
  cmd->add_flag("--failed", o->failed, "the latest failed run")->excludes(run);
  cmd->add_flag("--list", o->list, "the kept runs, one line each, instead");
  cmd->add_flag("--log", o->log, "also the run's log lines");
  cmd->add_option("--format", o->format, "table, or json for scripts")
    ->check(CLI::IsMember({"table", "json"}))
    ->default_val("table");
  out.push_back({cmd, [o] { return trace(*o); }});
}

} // namespace gaia::cli
