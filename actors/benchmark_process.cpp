#include "actors/benchmark_process.hpp"

#include "engine/atomic_file.hpp"
#include "settings/cancellation.hpp"
#include "settings/errors.hpp"
#include "archive/file_range.hpp"
#include "engine/log.hpp"
#include "settings/output_layout.hpp"
#include "settings/run_status.hpp"
#include "messages/messages.hpp"

#include <chrono>
#include <ctime>
#include <memory>
#include <filesystem>
#include <set>
#include <unistd.h>

namespace gaia {

namespace {

/// Everything one run keeps while it is in flight.
struct run_state {
  uint64_t id = 0;
  caf::response_promise promise;
  std::vector<file_range> ranges;
  size_t downloaded = 0;
  size_t imported = 0;
  std::set<std::string> fetched_again; ///< labels re-downloaded once
  bool finished = false;
  std::chrono::steady_clock::time_point started;
  int64_t started_unix = 0;
  run_outcome outcome;
};

using run_ptr = std::shared_ptr<run_state>;

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

/// The results.done line on the input: a user sees at once whether every
/// row and value of the archive was read.
std::string input_summary(const run_outcome& o) {
  std::string text = "input: " + std::to_string(o.rows) + " rows";
  if (o.skipped_rows == 0 && o.skipped_values == 0)
    return text + ", every row and flux value read";
  return text + "; skipped " + std::to_string(o.skipped_rows)
         + " malformed rows and " + std::to_string(o.skipped_values)
         + " flux values in " + std::to_string(o.unclean_files)
         + " files (the log names them)";
}

/// The process's wiring; one per actor, shared by its handlers.
class orchestrator : public std::enable_shared_from_this<orchestrator> {
public:
  orchestrator(caf::event_based_actor* self, settings cfg, process_peers peers)
    : self_(self), cfg_(std::move(cfg)), layout_(cfg_.output_dir),
      peers_(std::move(peers)),
      timeout_(std::chrono::seconds(cfg_.request_timeout_s)) {
  }

  caf::response_promise start(const benchmark_request& req) {
    auto run = std::make_shared<run_state>();
    run->id = req.run_id;
    run->promise = self_->make_response_promise();
    run->started = std::chrono::steady_clock::now();
    run->started_unix = static_cast<int64_t>(std::time(nullptr));
    run->ranges = ranges_from_boundaries(cfg_.file_boundaries);
    run->outcome.run_id = req.run_id;
    run->outcome.files = run->ranges.size();
    auto rp = run->promise;
    try {
      prepare();
    } catch (const std::exception& e) {
      fail(run, "prepare", layout_.dir, e.what());
      return rp;
    }
    engine::log_line("process", "run " + std::to_string(run->id) + ": "
                          + std::to_string(run->ranges.size())
                          + " files, download pool "
                          + std::to_string(cfg_.download_pool_size)
                          + ", import pool "
                          + std::to_string(cfg_.import_pool_size));
    report(run, "download+import");
    for (const auto& r : run->ranges)
      download(run, r, false);
    return rp;
  }

private:
  // Removes what an earlier run left, so nothing stale can be mistaken for
  // this run's answer. results.lock stays: the service holds it.
  void prepare() {
    // work/ only holds compute's transient files (the qualifying rows,
    // intermediate merges): whatever is there is from an earlier run.
    std::filesystem::remove_all(layout_.work_dir);
    layout_.create_directories();
    for (const auto& p : {layout_.results_csv, layout_.done_marker,
                          layout_.err_marker})
      engine::remove_if_exists(p);
    // A process killed mid-write leaves its temporary; the finished file
    // was never renamed into place, so the temporary is just garbage.
    if (int n = remove_stale_temporaries(layout_))
      engine::log_line("process", "removed " + std::to_string(n)
                            + " temporary files left by a killed run");
    // Space for the verdict, whatever fills the disk during the run.
    if (!engine::reserve_space(layout_.reserve_path()))
      engine::log_line("process", "cannot reserve space for the markers in "
                            + layout_.dir + " (is the disk full?)");
  }

  /// Rewrites progress.json for `gaia-dr3 status`.
  void report(const run_ptr& run, const std::string& step) {
    run_progress p;
    p.run_id = run->id;
    p.pid = ::getpid();
    p.step = step;
    p.files = run->ranges.size();
    p.downloaded = run->downloaded;
    p.imported = run->imported;
    p.started_unix = run->started_unix;
    write_progress(layout_, p);
  }

  void download(const run_ptr& run, const file_range& r, bool force) {
    download_request req{run->id, r.label(),
                         expand_url_template(cfg_.archive_url_template,
                                             r.label()),
                         layout_.download_path(r), force};
    auto me = shared_from_this();
    // The pools time each job from when a worker takes it; here the
    // request may wait in the queue behind any number of others.
    self_->request(peers_.download_pool, caf::infinite, req)
      .then(
        [me, run, r](download_reply& rep) { me->downloaded(run, r, rep); },
        [me, run, req](caf::error& err) {
          me->fail(run, "download", req.url, error_text(err));
        });
  }

  void downloaded(const run_ptr& run, const file_range& r,
                  const download_reply& rep) {
    if (run->finished)
      return;
    ++run->downloaded;
    engine::log_line("process", "download " + std::to_string(run->downloaded) + "/"
                          + std::to_string(run->ranges.size()) + " "
                          + rep.label + " " + engine::format_mb(rep.bytes)
                          + (rep.reused ? " (reused)"
                                        : " in " + seconds_text(rep.seconds)));
    report(run, "download+import");
    import(run, r, rep);
  }

  void import(const run_ptr& run, const file_range& r,
              const download_reply& got) {
    import_request req{run->id, r.label(), got.path,
                       layout_.checkpoint_path(r), got.source,
                       static_cast<uint64_t>(cfg_.max_line_bytes)};
    auto me = shared_from_this();
    const bool in_place = got.in_place;
    self_->request(peers_.import_pool, caf::infinite, req)
      .then([me, run](import_reply& rep) { me->imported(run, rep); },
            [me, run, r, req, in_place](caf::error& err) {
              me->import_failed(run, r, req, in_place, err);
            });
  }

  void import_failed(const run_ptr& run, const file_range& r,
                     const import_request& req, bool in_place,
                     const caf::error& err) {
    if (run->finished)
      return;
    // A file that does not decompress was damaged on the way or on disk:
    // fetch it once more before giving up (a file:// source read in place
    // would only be read the same way again).
    if (is_error(err, gaia_errc::corrupt_archive) && !in_place
        && run->fetched_again.insert(r.label()).second) {
      engine::log_line("process", "import " + r.label() + ": " + error_text(err)
                            + "; downloading it again");
      --run->downloaded;
      download(run, r, true);
      return;
    }
    fail(run, "import", req.archive_path, error_text(err));
  }

  void imported(const run_ptr& run, const import_reply& rep) {
    if (run->finished)
      return;
    ++run->imported;
    auto& o = run->outcome;
    o.rows += rep.rows;
    o.skipped_rows += rep.skipped_rows;
    o.skipped_values += rep.skipped_values;
    if (rep.skipped_rows > 0 || rep.skipped_values > 0)
      ++o.unclean_files;
    engine::log_line("process",
             "import " + std::to_string(run->imported) + "/"
               + std::to_string(run->ranges.size()) + " " + rep.label + " "
               + std::to_string(rep.sources) + " sources"
               + (rep.skipped_rows > 0
                    ? ", " + std::to_string(rep.skipped_rows) + " rows skipped"
                    : "")
               + (rep.skipped_values > 0
                    ? ", " + std::to_string(rep.skipped_values)
                        + " flux values skipped"
                    : "")
               + (rep.reused ? " (checkpoint reused)"
                             : " in " + seconds_text(rep.seconds)));
    report(run, "download+import");
    if (run->imported == run->ranges.size())
      compute(run);
  }

  /// A cancelled run (it lost its lock, or a shutdown) goes no further.
  bool stopped(const run_ptr& run, const std::string& step,
               const std::string& file) {
    if (!run_cancelled(run->id))
      return false;
    fail(run, step, file, "run cancelled");
    return true;
  }

  void compute(const run_ptr& run) {
    if (stopped(run, "compute", layout_.aggregates_dir))
      return;
    report(run, "compute");
    auto me = shared_from_this();
    std::vector<std::string> checkpoints;
    for (const auto& r : run->ranges)
      checkpoints.push_back(layout_.checkpoint_path(r));
    compute_request req{run->id, checkpoints, layout_.qualifying_path()};
    self_->request(peers_.compute, timeout_, req)
      .then(
        [me, run](compute_reply& rep) {
          if (run->finished)
            return;
          run->outcome.sources = rep.sources;
          engine::log_line("process", "compute: " + std::to_string(rep.qualifying)
                                + " of " + std::to_string(rep.sources)
                                + " sources qualify ("
                                + seconds_text(rep.seconds) + ")");
          me->export_results(run);
        },
        [me, run](caf::error& err) {
          me->fail(run, "compute", me->layout_.aggregates_dir,
                   error_text(err));
        });
  }

  void export_results(const run_ptr& run) {
    if (stopped(run, "export", layout_.results_csv))
      return;
    report(run, "export");
    auto me = shared_from_this();
    export_request req{run->id, layout_.qualifying_path(),
                       layout_.results_csv};
    self_->request(peers_.exporter, timeout_, req)
      .then(
        [me, run](export_reply& rep) {
          run->outcome.qualifying = rep.rows;
          engine::log_line("process", "export: " + std::to_string(rep.rows)
                                + " rows to " + rep.csv_path);
          me->succeed(run);
        },
        [me, run](caf::error& err) {
          me->fail(run, "export", me->layout_.results_csv, error_text(err));
        });
  }

  void succeed(const run_ptr& run) {
    if (run->finished || stopped(run, "finish", layout_.done_marker))
      return;
    run->outcome.seconds = engine::seconds_since(run->started);
    std::string text = "ok: " + std::to_string(run->outcome.qualifying)
                       + " qualifying sources of "
                       + std::to_string(run->outcome.sources) + " in "
                       + std::to_string(run->outcome.files) + " files\n"
                       // Relative: beside this marker is true wherever
                       // the directory is mounted (in Docker, /app/output
                       // means nothing on the host).
                       + "results: results.csv (beside this file)\n"
                       + input_summary(run->outcome) + "\n" + "run "
                       + std::to_string(run->id) + " finished " + utc_now()
                       + " after " + seconds_text(run->outcome.seconds) + "\n";
    try {
      layout_.write_verdict(verdict::done, text);
    } catch (const std::exception& e) {
      fail(run, "finish", layout_.done_marker, e.what());
      return;
    }
    run->finished = true;
    run->outcome.ok = true;
    report(run, "done");
    engine::log_line("process", "run " + std::to_string(run->id) + " done: "
                          + std::to_string(run->outcome.qualifying)
                          + " qualifying sources in "
                          + seconds_text(run->outcome.seconds));
    run->promise.deliver(run->outcome);
  }

  void fail(const run_ptr& run, const std::string& step,
            const std::string& file, const std::string& error) {
    if (run->finished)
      return;
    run->finished = true;
    cancel_runs_through(run->id);
    run->outcome.ok = false;
    run->outcome.step = step;
    run->outcome.file = file;
    run->outcome.error = error;
    run->outcome.seconds = engine::seconds_since(run->started);
    const bool no_verdict = run_abandoned(run->id);
    report(run, no_verdict ? "interrupted" : "failed");
    if (no_verdict) {
      // Stopped by a signal, or the run lost its results.lock: no verdict;
      // the next run resumes the work.
      engine::log_line("process", "run " + std::to_string(run->id) + " abandoned: "
                            + (shutting_down() ? "shutting down"
                                               : "it lost its results.lock"));
    } else {
      engine::log_line("process", "run " + std::to_string(run->id) + " failed: "
                            + step + " " + file + ": " + error);
      std::string text = step + " failed: " + file + "\n" + error + "\n"
                         + "run " + std::to_string(run->id) + " failed "
                         + utc_now() + " after "
                         + seconds_text(run->outcome.seconds) + "\n";
      try {
        engine::remove_if_exists(layout_.results_csv);
        layout_.write_verdict(verdict::failed, text);
      } catch (const std::exception& e) {
        engine::log_line("process", std::string("cannot write results.err: ")
                              + e.what());
      }
    }
    run->promise.deliver(run->outcome);
  }

  caf::event_based_actor* self_;
  settings cfg_;
  output_layout layout_;
  process_peers peers_;
  std::chrono::seconds timeout_;
};

} // namespace

caf::behavior benchmark_process(caf::event_based_actor* self, settings cfg,
                                process_peers peers) {
  auto orch = std::make_shared<orchestrator>(self, std::move(cfg),
                                             std::move(peers));
  return {
    [orch](benchmark_request& req) { return orch->start(req); },
  };
}

} // namespace gaia
