// lightcurves: the light curves of a list of source_ids, from the bulk
// archive, as DataLink's tables in one zip (lightcurve_production/). Runs
// the light-curve production once, like `run` runs the variability one.
#include "cli/commands.hpp"

#include "cli/config_option.hpp"

#include "engine/runner.hpp"
#include "lightcurve/formats/table_files.hpp"
#include "lightcurve_production/messages.hpp"
#include "lightcurve_production/production.hpp"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace gaia::cli {

namespace {

struct lightcurves_options {
  config_option config;
  std::string ids;
  std::string out;
  std::string format = "votable";
  std::string structure = "standard";
};

/// The one-line summary: asked, found, not found, duplicates, files
/// fetched, bytes, seconds.
void print_summary(const engine::run_outcome& o) {
  auto c = [&](const char* k) { return static_cast<unsigned long long>(o.count(k)); };
  std::printf("lightcurves: %llu ids asked, %llu found, %llu not found, %llu duplicates; "
              "%llu archive files (%llu fetched, %llu read from disk), %llu bytes fetched; "
              "%.1f s\n",
              c("ids"), c("found"), c("not_found"), c("duplicates"), c("files"), c("fetched"),
              c("read_from_disk"), c("bytes"), o.seconds);
}

int run_lightcurves(const lightcurves_options& o) {
  auto s = load_or_report(o.config);
  if (!s) return 2;
  lightcurve_job job;
  job.ids_path = std::filesystem::absolute(o.ids).string();
  job.out_dir = std::filesystem::absolute(o.out).string();
  job.format = o.format;
  job.structure = o.structure;
  std::error_code ec;
  std::filesystem::create_directories(job.out_dir, ec);
  if (ec) {
    std::fprintf(stderr, "gaia-dr3 lightcurves: cannot create %s: %s\n", job.out_dir.c_str(),
                 ec.message().c_str());
    return 1;
  }
  engine::signal_waiter signals;
  auto runs = std::make_shared<engine::run_control>();
  signals.start("cancelling the request", runs, nullptr);
  engine::run_outcome outcome;
  try {
    outcome = run_lightcurves_once(*s, job, runs, /*remote_workers=*/true);
  } catch (const std::runtime_error& e) { // cluster.port cannot be listened on
    signals.stop();
    std::fprintf(stderr, "gaia-dr3 lightcurves: %s\n", e.what());
    return 1;
  }
  signals.stop();
  if (signals.signalled()) return 130;
  if (!outcome.ok) {
    // The subject once: most errors name their file or URL themselves.
    const bool named = outcome.error.rfind(outcome.subject, 0) == 0;
    std::fprintf(stderr, "gaia-dr3 lightcurves: %s failed: %s%s\n", outcome.step.c_str(),
                 named ? "" : (outcome.subject + ": ").c_str(), outcome.error.c_str());
    // The user's list is at fault: a usage error, like a bad option.
    return lc_steps::ids.named(outcome.step) ? 2 : 1;
  }
  print_summary(outcome);
  return 0;
}

} // namespace

void add_lightcurves(CLI::App& app, command_list& out) {
  auto o = std::make_shared<lightcurves_options>();
  auto* cmd = app.add_subcommand(
    "lightcurves",
    "The light curves of a list of source_ids, fetched from the bulk archive "
    "(archive_url_template; only the files that hold the ids, through the download pool, "
    "with its retries, MD5 checks and kept downloads) and written as ESA's DataLink "
    "tables: OUT/lightcurves.zip and OUT/not_found.txt (the ids no archive file holds). "
    "Exit 0 with the answer, 2 for a line of the list that is not an id (or a bad config), "
    "1 when the archive fails (the URL named; no zip), 130 when interrupted. With "
    "cluster.port set, remote workers (`gaia-dr3 worker`) join its select pool.");
  cmd->add_option("--ids", o->ids,
                  "the ids: one a line ('#' comments allowed), or a CSV/ECSV table with a "
                  "source_id column; duplicates count once")
    ->required();
  cmd->add_option("--out", o->out, "the answer's folder (created when missing)")->required();
  cmd->add_option("--format", o->format, "votable (BINARY2, as DataLink serves it), "
                                         "votable_plain (TABLEDATA), fits, ecsv or csv")
    ->check(CLI::IsMember({"votable", "votable_plain", "fits", "ecsv", "csv"}))
    ->capture_default_str();
  cmd->add_option("--structure", o->structure,
                  "standard: one table per source, named as DataLink names it; raw: one "
                  "table, one row per source (EPOCH_PHOTOMETRY_RAW.<ext>)")
    ->check(CLI::IsMember({"standard", "raw"}))
    ->capture_default_str();
  o->config.add_to(cmd);
  out.push_back({cmd, [o] { return run_lightcurves(*o); }});
}

} // namespace gaia::cli
