#include "actors/benchmark_process.hpp"

#include "actors/process_run.hpp"

#include "download/checksums.hpp"
#include "download/downloader.hpp"
#include "engine/state/atomic_file.hpp"
#include "engine/log.hpp"

#include <nlohmann/json.hpp>

#include <ctime>
#include <filesystem>
#include <optional>
#include <unistd.h>

namespace gaia {

namespace {

using self_ptr = process_actor::stateful_pointer<process_state>;
using run_ptr = std::shared_ptr<run_state>;

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

/// The done marker's line on the input: a user sees at once whether every
/// row and value of the archive was read.
std::string input_summary(const engine::run_outcome& o) {
  std::string text = "input: " + std::to_string(o.count("rows")) + " rows";
  if (o.count("skipped_rows") == 0 && o.count("skipped_values") == 0)
    return text + ", every row and flux value read";
  return text + "; skipped " + std::to_string(o.count("skipped_rows"))
         + " malformed rows and " + std::to_string(o.count("skipped_values"))
         + " flux values in " + std::to_string(o.count("unclean_files"))
         + " files (the log names them)";
}

/// The done marker's line on the validate step: were the sources where
/// their files' names say?
std::string placement_summary(const engine::run_outcome& o) {
  const uint64_t n = o.count("misplaced_sources");
  if (n == 0) return "validate: every source in its file's HEALPix range";
  const uint64_t left_out = o.count("misplaced_left_out");
  return "validate: " + std::to_string(n) + " sources outside their file's HEALPix range in "
         + std::to_string(o.count("misplaced_files")) + " files, "
         + (left_out == n ? "left out of the answer" : "kept in the answer")
         + " (the log names them)";
}

const output_layout& layout(self_ptr self) { return *self->state.layout; }

/// Rewrites progress.json for `gaia-dr3 status` as progress_pace says (at
/// every step change, otherwise at most once a second). Every 10 s the log
/// gets a line with the rate and the time left.
void report(self_ptr self, const run_ptr& run, run_step step) {
  const auto now = std::chrono::steady_clock::now();
  if (!run->progress.due(step, now)) return;
  const double secs = engine::seconds_since(run->started);
  const uint64_t files = run->ranges.size();
  engine::run_progress p;
  p.run_id = run->id;
  p.pid = ::getpid();
  p.step = step.name;
  p.counts = {{"files", files},
              {"downloaded", run->downloaded},
              {"imported", run->imported},
              {"bytes", run->bytes},
              {"elapsed_ms", static_cast<uint64_t>(secs * 1000)}};
  p.started_unix = run->started_unix;
  layout(self).state.write_progress(p);
  if (step == run_steps::download_import && run->imported > 0 && run->imported < files
      && now - run->last_log >= std::chrono::seconds(10)) {
    run->last_log = now;
    const double rate = run->imported / secs;
    engine::log_line("process", "progress: " + std::to_string(run->imported) + "/"
                                  + std::to_string(files) + " files, "
                                  + engine::format_mb(static_cast<double>(run->bytes)) + " at "
                                  + engine::format_mb(run->bytes / secs) + "/s, "
                                  + std::to_string(static_cast<long long>((files - run->imported) / rate))
                                  + " s left");
  }
}

/// Ends the run with a failure (once): its other jobs are cancelled, the
/// half-made answer removed, and the service told (it writes the verdict,
/// or none when the run was stopped from outside: `abandoned`, or a
/// shutdown).
void fail(self_ptr self, const run_ptr& run, run_step step, const std::string& subject,
          const std::string& error, bool abandoned = false) {
  if (run->finished)
    return;
  run->finished = true;
  auto& st = self->state;
  st.runs->cancel(run->id);
  // Queued jobs of the run go at once; running ones stop at their next check.
  self->send(st.peers.download, engine::cancel_atom::value, run->id);
  self->send(st.peers.import, engine::cancel_atom::value, run->id);
  self->send(st.peers.validate, engine::cancel_atom::value, run->id);
  set_failure(*run, step, subject, error, abandoned || st.runs->shutting_down());
  const auto& o = run->outcome;
  report(self, run, o.abandoned ? run_steps::interrupted : run_steps::failed);
  engine::log_line("process", "run " + std::to_string(run->id)
                                + (o.abandoned ? " stopped without a verdict: "
                                                   + (st.runs->shutting_down() ? "shutting down"
                                                                               : error)
                                               : " failed: " + o.step + " " + subject + ": " + error));
  for (const auto& f : layout(self).answer_files()) {
    try {
      engine::remove_if_exists(f);
    } catch (const std::exception& e) {
      engine::log_line("process", e.what());
    }
  }
  run->promise.deliver(o);
  st.run.reset();
}

/// fail() for an operation's error. A job cancelled while its run was not
/// finished here was cancelled from outside (this process finishes a run
/// before it cancels the rest): the run stops without a verdict.
void fail_on(self_ptr self, const run_ptr& run, run_step step, const std::string& subject,
             const caf::error& err) {
  fail(self, run, step, subject, error_text(err),
       engine::is_error(err, engine::errc::cancelled));
}

/// A run cancelled from outside (the service): stopped without a verdict.
void cancelled(self_ptr self, const run_ptr& run) {
  fail(self, run, run_steps::run, layout(self).dir, "cancelled by the service", true);
}

/// True when the run is over or was cancelled meanwhile: nothing more is
/// started for it.
bool stopped(self_ptr self, const run_ptr& run) {
  return run_stopped(self, run, [&] { cancelled(self, run); });
}

void succeed(self_ptr self, const run_ptr& run) {
  if (run->finished)
    return;
  run->finished = true;
  auto& o = run->outcome;
  o.ok = true;
  o.seconds = engine::seconds_since(run->started);
  o.summary = {"ok: " + std::to_string(o.count("qualifying")) + " qualifying sources of "
                 + std::to_string(o.count("sources")) + " in "
                 + std::to_string(o.count("files")) + " files",
               // Relative: beside this marker is true wherever the
               // directory is mounted (in Docker, /app/output means nothing
               // on the host).
               "results: " + run->answer_names + " (beside this file)", input_summary(o),
               placement_summary(o)};
  report(self, run, run_steps::done);
  engine::log_line("process", "run " + std::to_string(run->id) + " done: "
                                + std::to_string(o.count("qualifying"))
                                + " qualifying sources in " + seconds_text(o.seconds));
  run->promise.deliver(o);
  self->state.run.reset();
}

// Every peer is a pool that times its jobs from when a worker takes them
// (request_timeout_s, engine/worker_pool.hpp): the process's requests wait
// without a limit of their own.
void export_results(self_ptr self, const run_ptr& run) {
  report(self, run, run_steps::export_results);
  const auto& l = layout(self);
  const auto& cfg = self->state.cfg;
  export_request req{run->id,
                     l.qualifying_path(),
                     l.results_csv,
                     l.results_vot,
                     l.results_fits,
                     l.results_ecsv,
                     engine::utc_text(static_cast<std::time_t>(run->started_unix)),
                     cfg.archive.archive_url_template,
                     run->checksum_url,
                     {},
                     {},
                     cfg.settings_json};
  for (const auto& r : run->ranges) {
    req.files.push_back(r.label());
    req.md5s.push_back(run->md5s[r.label()]);
  }
  self->request(self->state.peers.exporter,
                caf::infinite, req)
    .then(
      [self, run](export_reply& rep) {
        engine::log_scope scope(run->id);
        if (stopped(self, run)) return;
        run->outcome.counts["qualifying"] = rep.rows;
        std::string files = rep.csv_path;
        run->answer_names = std::filesystem::path(rep.csv_path).filename().string();
        for (const auto& p : rep.extra_paths) {
          files += ", " + p;
          run->answer_names += ", " + std::filesystem::path(p).filename().string();
        }
        engine::log_line("process", "export: " + std::to_string(rep.rows) + " rows to "
                                      + files);
        succeed(self, run);
      },
      [self, run](caf::error& err) {
        engine::log_scope scope(run->id);
        // The file that failed: results.csv, or the other format's the
        // error names (export_operation.cpp).
        const auto named = engine::error_subject(err);
        fail_on(self, run, run_steps::export_results,
                named.empty() ? layout(self).results_csv : named, err);
      });
}

void compute(self_ptr self, const run_ptr& run) {
  report(self, run, run_steps::compute);
  const auto& l = layout(self);
  std::vector<std::string> checkpoints;
  for (const auto& r : run->ranges)
    checkpoints.push_back(run->compute_inputs.at(r.label()));
  compute_request req{run->id, checkpoints, l.qualifying_path()};
  self->request(self->state.peers.compute,
                caf::infinite, req)
    .then(
      [self, run](compute_reply& rep) {
        engine::log_scope scope(run->id);
        if (stopped(self, run)) return;
        run->outcome.counts["sources"] = rep.sources;
        engine::log_line("process", "compute: " + std::to_string(rep.qualifying) + " of "
                                      + std::to_string(rep.sources) + " sources qualify ("
                                      + seconds_text(rep.seconds) + ")");
        export_results(self, run);
      },
      [self, run](caf::error& err) {
        engine::log_scope scope(run->id);
        fail_on(self, run, run_steps::compute, layout(self).aggregates_dir, err);
      });
}

/// A file's check is in: its misplaced sources are counted and named.
void validated(self_ptr self, const run_ptr& run, const validate_request& req,
               const validate_reply& rep) {
  ++run->validated;
  run->compute_inputs[rep.label] = rep.checkpoint_path;
  if (rep.misplaced > 0) {
    auto& c = run->outcome.counts;
    c["misplaced_sources"] += rep.misplaced;
    ++c["misplaced_files"];
    const bool left_out = rep.checkpoint_path != req.checkpoint_path;
    if (left_out) c["misplaced_left_out"] += rep.misplaced;
    engine::log_line("process", "validate: " + rep.label + ": " + std::to_string(rep.misplaced)
                                  + " of " + std::to_string(rep.sources)
                                  + " sources outside the file's HEALPix range (the first: "
                                  + "source_id " + std::to_string(rep.first_misplaced) + "), "
                                  + (left_out ? "left out of the answer" : "kept in the answer"));
  }
  if (run->validated == run->ranges.size())
    compute(self, run);
}

/// Checks an imported file's sources against its range.
void validate(self_ptr self, const run_ptr& run, const file_range& r, const std::string& url) {
  const auto& l = layout(self);
  validate_request req{run->id, r.label(), r.first, r.last, url, l.checkpoint_path(r),
                       l.in_range_path(r)};
  self->request(self->state.peers.validate, caf::infinite, req)
    .then(
      [self, run, req](validate_reply& rep) {
        engine::log_scope scope(run->id);
        if (stopped(self, run)) return;
        validated(self, run, req, rep);
      },
      [self, run, url = req.url](caf::error& err) {
        engine::log_scope scope(run->id);
        fail_on(self, run, validate_step, url, err);
      });
}

/// A file's import is in (from the download pool, streamed, or from the
/// import pool, read in place).
void imported(self_ptr self, const run_ptr& run, const file_range& r, const std::string& url,
              const import_reply& rep) {
  ++run->imported;
  run->bytes += rep.bytes;
  // The MD5 of the bytes imported (a reused checkpoint's, as recorded);
  // the published one when the import did not hash them.
  auto md5 = rep.source.md5;
  const auto published = run->checksums.find(r.archive_file_name());
  if (md5.empty() && published != run->checksums.end()) md5 = published->second;
  run->md5s[r.label()] = md5;
  auto& c = run->outcome.counts;
  c["rows"] += rep.rows;
  c["skipped_rows"] += rep.skipped_rows;
  c["skipped_values"] += rep.skipped_values;
  if (rep.skipped_rows > 0 || rep.skipped_values > 0)
    ++c["unclean_files"];
  // One line per file: fetched (or read) and imported in one pass.
  engine::log_line(
    "process",
    "file " + std::to_string(run->imported) + "/" + std::to_string(run->ranges.size()) + " "
      + rep.label + " " + engine::format_mb(static_cast<double>(rep.bytes)) + ", "
      + std::to_string(rep.sources) + " sources"
      + (rep.skipped_rows > 0 ? ", " + std::to_string(rep.skipped_rows) + " rows skipped" : "")
      + (rep.skipped_values > 0
           ? ", " + std::to_string(rep.skipped_values) + " flux values skipped"
           : "")
      + (rep.reused ? " (checkpoint reused)" : " in " + seconds_text(rep.seconds)));
  report(self, run, run_steps::download_import);
  validate(self, run, r, url);
}

void download(self_ptr self, const run_ptr& run, const file_range& r, bool force);

/// The published MD5 of a URL's file, "" when the run has no checksums;
/// nothing (the run failed) when the list does not name the file.
std::optional<std::string> md5_of(self_ptr self, const run_ptr& run, const std::string& url) {
  if (run->checksum_url.empty()) return std::string();
  const std::string name = url_file_name(url);
  auto it = run->checksums.find(name);
  if (it == run->checksums.end()) {
    fail(self, run, run_steps::download, url,
         url + ": " + name + " is not listed in " + run->checksum_url);
    return std::nullopt;
  }
  return it->second;
}

/// A file:// file: read where it is, by the import pool.
void import(self_ptr self, const run_ptr& run, const file_range& r, const std::string& url) {
  const auto& st = self->state;
  auto md5 = md5_of(self, run, url);
  if (!md5) return;
  std::error_code ec;
  auto path = file_url_path(url);
  const uint64_t size = path ? std::filesystem::file_size(*path, ec) : 0;
  import_request req{run->id, r.label(), url, layout(self).checkpoint_path(r), *md5,
                     static_cast<uint64_t>(st.cfg.max_line_bytes), ec ? 0 : size};
  // The pools time each job from when a worker takes it; here the request
  // may wait in the queue behind any number of others.
  self->request(st.peers.import, caf::infinite, req)
    .then(
      [self, run, r, url](import_reply& rep) {
        engine::log_scope scope(run->id);
        if (stopped(self, run)) return;
        ++run->downloaded;
        imported(self, run, r, url, rep);
      },
      [self, run, url](caf::error& err) {
        engine::log_scope scope(run->id);
        fail_on(self, run, run_steps::import, url, err);
      });
}

/// An http(s) file: fetched and imported as it streams in, by the download
/// pool.
void download(self_ptr self, const run_ptr& run, const file_range& r, bool force) {
  const auto& st = self->state;
  const std::string url = expand_url_template(st.cfg.archive.archive_url_template, r.label());
  auto md5 = md5_of(self, run, url);
  if (!md5) return;
  download_request req{run->id,  r.label(), url,   layout(self).download_path(r),
                       layout(self).checkpoint_path(r), st.cfg.keep_downloads, force, *md5,
                       static_cast<uint64_t>(st.cfg.max_line_bytes)};
  self->request(st.peers.download, caf::infinite, req)
    .then(
      [self, run, r, url](download_reply& rep) {
        engine::log_scope scope(run->id);
        if (stopped(self, run)) return;
        ++run->downloaded;
        imported(self, run, r, url, rep.import);
      },
      [self, run, url](caf::error& err) {
        engine::log_scope scope(run->id);
        fail_on(self, run,
                is_error(err, gaia_errc::import_failed) ? run_steps::import : run_steps::download,
                url, err);
      });
}

/// One job per file, all queued at once: the pools take them as workers
/// come free.
void fetch_all(self_ptr self, const run_ptr& run) {
  const auto& cfg = self->state.cfg;
  engine::log_line("process", "run " + std::to_string(run->id) + ": "
                                + std::to_string(run->ranges.size()) + " files, download pool "
                                + std::to_string(cfg.download_pool_size) + ", import pool "
                                + std::to_string(cfg.import_pool_size)
                                + (cfg.keep_downloads ? "" : ", archive files not kept"));
  report(self, run, run_steps::download_import);
  for (const auto& r : run->ranges) {
    if (run->finished) return;
    const std::string url = expand_url_template(cfg.archive.archive_url_template, r.label());
    if (url.rfind("file://", 0) == 0)
      import(self, run, r, url);
    else
      download(self, run, r, false);
  }
}

/// Removes what an earlier run left, so nothing stale can be mistaken for
/// this run's answer. The lock and the markers are the service's.
void prepare_output(self_ptr self) {
  const auto& l = layout(self);
  // work/ only holds compute's transient files (the qualifying rows,
  // intermediate merges): whatever is there is from an earlier run.
  std::filesystem::remove_all(l.work_dir);
  l.create_directories();
  // The answer's files of any format, so a run with fewer export_formats
  // leaves none of an earlier run's beside its own.
  for (const auto& f : l.answer_files()) engine::remove_if_exists(f);
  // A process killed mid-write leaves its temporary; the finished file was
  // never renamed into place, so the temporary is just garbage.
  if (int n = l.state.remove_stale_temporaries({"downloads", "aggregates", "work"}))
    engine::log_line("process", "removed " + std::to_string(n)
                                  + " temporary files left by a killed run");
}

caf::result<engine::run_outcome> start(self_ptr self, const engine::run_request& req) {
  engine::log_scope scope(req.run_id);
  auto& st = self->state;
  auto run = std::make_shared<run_state>();
  run->id = req.run_id;
  run->promise = self->make_response_promise<engine::run_outcome>();
  run->started = std::chrono::steady_clock::now();
  run->started_unix = static_cast<int64_t>(std::time(nullptr));
  if (!st.cfg.archive.files.from_list)
    run->ranges = ranges_from_boundaries(st.cfg.archive.file_boundaries);
  run->outcome.run_id = req.run_id;
  run->outcome.counts = {{"files", run->ranges.size()}, {"sources", 0}, {"qualifying", 0},
                         {"rows", 0}, {"skipped_rows", 0}, {"skipped_values", 0},
                         {"unclean_files", 0}, {"misplaced_sources", 0}, {"misplaced_files", 0}};
  st.run = run;
  auto rp = run->promise;
  try {
    prepare_output(self);
  } catch (const std::exception& e) {
    fail(self, run, run_steps::prepare, layout(self).dir, e.what());
    return rp;
  }
  report(self, run, run_steps::prepare);
  const auto src = checksum_source_of(st.cfg.archive);
  run->checksum_url = src.url;
  const auto& sel = st.cfg.archive.files;
  self->request(st.peers.prepare, caf::infinite,
                prepare_request{run->id, src.url, src.explicit_url, sel.from_list, sel.first,
                                sel.last})
    .then(
      [self, run](prepare_reply& rep) {
        engine::log_scope scope(run->id);
        if (stopped(self, run)) return;
        if (!rep.listed)
          run->checksum_url.clear(); // no list at the default place: unchecked
        run->checksums = std::move(rep.checksums);
        if (self->state.cfg.archive.files.from_list) {
          run->ranges = std::move(rep.files);
          run->outcome.counts["files"] = run->ranges.size();
        }
        fetch_all(self, run);
      },
      [self, run](caf::error& err) {
        engine::log_scope scope(run->id);
        fail_on(self, run, run_steps::prepare, run->checksum_url, err);
      });
  return rp;
}

} // namespace

process_settings process_settings_of(const settings& s) {
  process_settings p;
  p.archive = s.get<archive_settings>();
  p.output_dir = s.output_dir;
  p.keep_downloads = s.keep_downloads;
  p.max_line_bytes = s.max_line_bytes;
  p.download_pool_size = s.download_pool_size;
  p.import_pool_size = s.import_pool_size;
  p.settings_json = to_json(s).dump();
  return p;
}

process_actor::behavior_type
benchmark_process(process_actor::stateful_pointer<process_state> self, process_settings cfg,
                  process_peers peers, std::shared_ptr<engine::run_control> runs) {
  auto& st = self->state;
  st.layout.emplace(cfg.output_dir);
  st.cfg = std::move(cfg);
  st.peers = std::move(peers);
  st.runs = std::move(runs);
  return process_behavior(self, start, cancelled);
}

} // namespace gaia
