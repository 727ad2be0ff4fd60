// The light-curve process (lightcurve_process.hpp).
#include "lightcurve_production/lightcurve_process.hpp"

#include "actors/process_run.hpp"
#include "core/file_range.hpp"
#include "download/checksums.hpp"
#include "download/downloader.hpp"
#include "engine/log.hpp"
#include "engine/state/atomic_file.hpp"
#include "engine/state/scratch_dir.hpp"
#include "engine/state/state_dir.hpp"
#include "lightcurve_production/part_file.hpp"
#include "lightcurve_select/file_selection.hpp"
#include "lightcurve_select/id_list.hpp"
#include "messages/errors.hpp"
#include "settings/output_layout.hpp"

#include <chrono>
#include <ctime>
#include <filesystem>
#include <unistd.h>

namespace gaia {

namespace fs = std::filesystem;

lightcurve_answer_paths::lightcurve_answer_paths(const lightcurve_job& job)
  : zip((fs::path(job.out_dir) / (job.name + ".zip")).string()),
    not_found(job.not_found_beside ? (fs::path(job.out_dir) / "not_found.txt").string() : "") {}

/// One request in flight.
struct lc_run {
  uint64_t id = 0;
  caf::typed_response_promise<engine::run_outcome> promise;
  std::string work;     ///< output_dir/lightcurves/<pid>-<run id>
  engine::scratch_dir scratch; ///< holds `work` (removed with it, even by a later request after a kill)
  std::string ids_path; ///< the sorted ids
  std::string checksum_url;
  std::vector<file_ids> files; ///< the holding files, in range order
  std::vector<std::string> md5s; ///< their published MD5s, same order
  size_t selected = 0;         ///< files whose selection is in
  std::vector<bool> in;        ///< which files' selection is in, same order
  std::vector<spool_range> parts;   ///< each file's part in its worker's spool, same order
  std::vector<spool_range> missing; ///< each file's ids it does not hold, same order
  size_t appended = 0;         ///< standard: files [0, appended) are in the zip
  bool appending = false;      ///< standard: a piece is with the assemble step
  bool finished = false;
  progress_pace progress; ///< when progress.json is rewritten
  std::chrono::steady_clock::time_point started;
  int64_t started_unix = 0;
  engine::run_outcome outcome;
};

namespace {

using self_ptr = engine::process_actor::stateful_pointer<lightcurve_process_state>;
using run_ptr = std::shared_ptr<lc_run>;

/// The request's parts/: the select workers' spools (standard: fragments
/// of deflated tables; raw: the rows' text; then each file's missing ids).
std::string spool_dir(const run_ptr& run) { return (fs::path(run->work) / "parts").string(); }
std::string no_file_path(const run_ptr& run) {
  return (fs::path(run->work) / "no_file.ids").string();
}

/// progress.json in the job's folder, for `status` and the live views, as
/// the variability process paces it (progress_pace: every step change,
/// otherwise at most once a second).
void report(self_ptr self, const run_ptr& run, run_step step) {
  if (!run->progress.due(step)) return;
  engine::run_progress p;
  p.run_id = run->id;
  p.pid = ::getpid();
  p.step = step.name;
  p.counts = {{"files", run->files.size()},
              {"selected", run->selected},
              {"bytes", run->outcome.count("bytes")},
              {"elapsed_ms",
               static_cast<uint64_t>(engine::seconds_since(run->started) * 1000)}};
  p.started_unix = run->started_unix;
  engine::state_dir(self->state.job.out_dir, self->state.job.name).write_progress(p);
}

/// The working files go whatever the outcome: the answer is the zip.
void remove_work(const run_ptr& run) {
  std::string error;
  run->scratch.remove(&error);
  if (!error.empty()) engine::log_line("lc_process", "cannot remove " + error);
}

void fail(self_ptr self, const run_ptr& run, run_step step, const std::string& subject,
          const std::string& error, bool abandoned = false) {
  if (run->finished) return;
  run->finished = true;
  auto& st = self->state;
  st.runs->cancel(run->id);
  self->send(st.peers.select, engine::cancel_atom::value, run->id);
  set_failure(*run, step, subject, error, abandoned || st.runs->shutting_down());
  const auto& o = run->outcome;
  report(self, run, o.abandoned ? run_steps::interrupted : run_steps::failed);
  engine::log_line("lc_process", "request " + std::to_string(run->id)
                                   + (o.abandoned ? " stopped without a verdict: " + error
                                                  : " failed: " + o.step + " " + subject + ": "
                                                      + error));
  // A failed request leaves no answer (the assemble step never renamed
  // one into place, or an earlier request's was removed at the start).
  remove_work(run);
  run->promise.deliver(o);
  st.run.reset();
}

void fail_on(self_ptr self, const run_ptr& run, run_step step, const std::string& subject,
             const caf::error& err) {
  fail(self, run, step, subject, error_text(err), engine::is_error(err, engine::errc::cancelled));
}

/// A request cancelled from outside (the service): stopped without a verdict.
void cancelled(self_ptr self, const run_ptr& run) {
  fail(self, run, run_steps::run, self->state.job.out_dir, "cancelled by the service", true);
}

bool stopped(self_ptr self, const run_ptr& run) {
  return run_stopped(self, run, [&] { cancelled(self, run); });
}

/// The done marker's lines (and the command's summary): what was asked,
/// found and fetched.
void succeed(self_ptr self, const run_ptr& run) {
  run->finished = true;
  auto& o = run->outcome;
  o.ok = true;
  o.seconds = engine::seconds_since(run->started);
  const auto c = [&](const char* k) { return std::to_string(o.count(k)); };
  o.summary = {"ok: " + c("found") + " light curves of " + c("unique") + " ids (" + c("not_found")
                 + " not found, " + c("duplicates") + " duplicates) from " + c("files")
                 + " archive files (" + c("fetched") + " fetched, "
                 + engine::format_mb(static_cast<double>(o.count("bytes"))) + ")",
               "answer: " + self->state.job.name + ".zip"
                 + (self->state.job.not_found_beside ? " and not_found.txt" : "")
                 + " (beside this file), "
                 + self->state.job.format + ", " + self->state.job.structure + " structure"};
  if (o.count("skipped_rows") > 0)
    o.summary.push_back("skipped " + c("skipped_rows") + " malformed rows (the log names them)");
  report(self, run, run_steps::done);
  engine::log_line("lc_process", "request " + std::to_string(run->id) + " done: " + o.summary[0]);
  remove_work(run);
  run->promise.deliver(o);
  self->state.run.reset();
}

/// The assemble step's request for files [first, last): their parts (and,
/// for the last request, every file's missing ids).
lc_assemble_request assemble_request(self_ptr self, const run_ptr& run, size_t first,
                                     size_t last, bool more) {
  const auto& job = self->state.job;
  const lightcurve_answer_paths answer(job);
  lc_assemble_request req{run->id, {}, {}, no_file_path(run), answer.zip, answer.not_found,
                          job.format, job.structure, more};
  req.parts.assign(run->parts.begin() + first, run->parts.begin() + last);
  if (!more) req.missing = run->missing;
  return req;
}

/// Every file is in: the last request (the parts not appended yet,
/// not_found.txt, the zip closed and renamed).
void assemble(self_ptr self, const run_ptr& run) {
  report(self, run, lc_steps::assemble);
  const auto req = assemble_request(self, run, run->appended, run->files.size(), false);
  self->request(self->state.peers.assemble, caf::infinite, req)
    .then(
      [self, run](lc_assemble_reply& rep) {
        engine::log_scope scope(run->id);
        if (stopped(self, run)) return;
        auto& c = run->outcome.counts;
        c["found"] = rep.sources;
        c["not_found"] = rep.not_found;
        c["skipped_rows"] += rep.skipped_rows;
        c["zip_bytes"] = rep.zip_bytes;
        for (const auto& e : rep.skip_examples) engine::log_line("lc_assemble", e);
        succeed(self, run);
      },
      [self, run, zip = req.zip_path](caf::error& err) {
        engine::log_scope scope(run->id);
        fail_on(self, run, lc_steps::assemble, zip, err);
      });
}

/// Gives the assemble step what it can take now. For `standard`, the
/// fragments of the files that are in and follow the last appended one, as
/// soon as they are (one piece in flight at a time; those that come in
/// meanwhile go with the next): the copy into the zip overlaps the select
/// pass instead of following it. When every file is in, the last request.
void assemble_ready(self_ptr self, const run_ptr& run) {
  if (run->appending || run->finished) return;
  if (run->selected == run->files.size()) return assemble(self, run);
  if (self->state.job.structure != "standard") return; // raw: its table at the end
  size_t upto = run->appended;
  while (upto < run->files.size() && run->in[upto]) ++upto;
  if (upto == run->appended) return;
  run->appending = true;
  const auto req = assemble_request(self, run, run->appended, upto, true);
  self->request(self->state.peers.assemble, caf::infinite, req)
    .then(
      [self, run, upto](lc_assemble_reply&) {
        engine::log_scope scope(run->id);
        if (stopped(self, run)) return;
        run->appending = false;
        run->appended = upto;
        assemble_ready(self, run);
      },
      [self, run, zip = req.zip_path](caf::error& err) {
        engine::log_scope scope(run->id);
        fail_on(self, run, lc_steps::assemble, zip, err);
      });
}

void selected(self_ptr self, const run_ptr& run, size_t index, const lc_select_request& req,
              const lc_select_reply& rep) {
  ++run->selected;
  run->in[index] = true;
  run->parts[index] = rep.part_range;
  run->missing[index] = rep.missing_range;
  auto& c = run->outcome.counts;
  if (rep.fetched) {
    ++c["fetched"];
    c["bytes"] += rep.bytes;
  } else {
    ++c["read_from_disk"];
  }
  c["skipped_rows"] += rep.skipped_rows;
  engine::log_line("lc_process", "file " + std::to_string(run->selected) + "/"
                                   + std::to_string(run->files.size()) + " " + rep.label + ": "
                                   + std::to_string(rep.selected) + " of "
                                   + std::to_string(req.count) + " ids found"
                                   + (rep.fetched ? ", fetched " : ", read from disk ")
                                   + engine::format_mb(static_cast<double>(rep.bytes)));
  report(self, run, lc_steps::select);
  assemble_ready(self, run);
}

/// The file is on this machine: read where it is (file://), or kept by an
/// earlier request or variability run. Only a placement hint (the select
/// checks the kept file as always): remote workers leave such a job to
/// this machine's select workers.
bool held_here(const std::string& url, const std::string& kept) {
  std::error_code ec;
  return file_url_path(url).has_value() || std::filesystem::exists(kept, ec);
}

/// One job per holding file, all queued at once: the pool takes them as
/// workers come free.
void select_all(self_ptr self, const run_ptr& run) {
  const auto& st = self->state;
  const output_layout layout(st.cfg.output_dir);
  engine::log_line("lc_process", "request " + std::to_string(run->id) + ": "
                                   + std::to_string(run->outcome.count("unique")) + " ids in "
                                   + std::to_string(run->files.size()) + " archive files");
  report(self, run, lc_steps::select);
  if (run->files.empty()) return assemble(self, run);
  for (size_t i = 0; i < run->files.size(); ++i) {
    if (run->finished) return;
    const auto& f = run->files[i];
    const std::string url = expand_url_template(st.cfg.archive.archive_url_template, f.range.label());
    lc_select_request req{run->id,
                          f.range.label(),
                          url,
                          layout.download_path(f.range),
                          st.cfg.keep_downloads,
                          run->md5s[i],
                          static_cast<uint64_t>(st.cfg.max_line_bytes),
                          run->ids_path,
                          f.first,
                          f.count,
                          spool_dir(run),
                          st.job.format,
                          st.job.structure,
                          held_here(url, layout.download_path(f.range))};
    self->request(st.peers.select, caf::infinite, req)
      .then(
        [self, run, i, req](lc_select_reply& rep) {
          engine::log_scope scope(run->id);
          if (stopped(self, run)) return;
          selected(self, run, i, req, rep);
        },
        [self, run, url](caf::error& err) {
          engine::log_scope scope(run->id);
          fail_on(self, run, lc_steps::select, url, err);
        });
  }
}

/// The checksum list is in: the files it names, the ones holding the ids.
void plan(const run_ptr& run, const prepare_reply& rep) {
  std::vector<checksum_entry> entries;
  for (const auto& [name, md5] : rep.checksums) entries.push_back({name, md5, 0});
  auto ranges = archive_files_held(entries, run->checksum_url);
  sorted_id_file ids(run->ids_path);
  std::vector<int64_t> no_file;
  auto selection = select_files(ids, ranges, [&](int64_t id) { no_file.push_back(id); });
  write_id_lines(no_file_path(run), no_file);
  run->files = std::move(selection.files);
  run->in.assign(run->files.size(), false);
  run->parts.assign(run->files.size(), {});
  run->missing.assign(run->files.size(), {});
  run->outcome.counts["files"] = run->files.size();
  run->outcome.counts["archive_files"] = ranges.size();
  run->outcome.counts["in_no_file"] = selection.not_found;
  // Each file's MD5 goes with its job.
  std::vector<std::string> md5s;
  for (const auto& f : run->files) md5s.push_back(rep.checksums.at(f.range.archive_file_name()));
  run->md5s = std::move(md5s);
}

caf::result<engine::run_outcome> start(self_ptr self, const engine::run_request& req) {
  engine::log_scope scope(req.run_id);
  auto& st = self->state;
  auto run = std::make_shared<lc_run>();
  run->id = req.run_id;
  run->promise = self->make_response_promise<engine::run_outcome>();
  run->started = std::chrono::steady_clock::now();
  run->started_unix = static_cast<int64_t>(std::time(nullptr));
  run->outcome.run_id = req.run_id;
  run->outcome.counts = {{"ids", 0},   {"unique", 0},       {"duplicates", 0}, {"found", 0},
                         {"not_found", 0}, {"files", 0},    {"fetched", 0},    {"bytes", 0},
                         {"read_from_disk", 0}, {"skipped_rows", 0}};
  const output_layout layout(st.cfg.output_dir);
  run->work = layout.lightcurve_request_dir(::getpid(), req.run_id);
  run->ids_path = (fs::path(run->work) / "ids.bin").string();
  st.run = run;
  auto rp = run->promise;
  try {
    // Nothing of an earlier request may pass for this one's answer.
    const lightcurve_answer_paths answer(st.job);
    engine::remove_if_exists(answer.zip);
    if (!answer.not_found.empty()) engine::remove_if_exists(answer.not_found);
    // A killed request's working files (its sorted ids, its spools) go
    // now: nobody else would remove them.
    if (int n = engine::scratch_dir::sweep_stale(layout.lightcurves_dir))
      engine::log_line("lc_process", "removed the working files of " + std::to_string(n)
                                       + " request(s) a killed process left in "
                                       + layout.lightcurves_dir);
    run->scratch = engine::scratch_dir(run->work);
    fs::create_directories(fs::path(run->work) / "parts");
    fs::create_directories(layout.downloads_dir);
  } catch (const std::exception& e) {
    fail(self, run, run_steps::prepare, run->work, e.what());
    return rp;
  }
  report(self, run, lc_steps::ids);
  try {
    id_list_options opts;
    opts.temp_dir = run->work;
    auto stats = sort_id_list(st.job.ids_path, run->ids_path, opts);
    run->outcome.counts["ids"] = stats.ids;
    run->outcome.counts["unique"] = stats.unique;
    run->outcome.counts["duplicates"] = stats.duplicates;
  } catch (const std::exception& e) {
    fail(self, run, lc_steps::ids, st.job.ids_path, e.what());
    return rp;
  }
  const auto src = checksum_source_of(st.cfg.archive);
  if (src.url.empty()) {
    fail(self, run, run_steps::prepare, st.cfg.archive.archive_url_template,
         "no checksum list: the light curves take the archive's files from its _MD5SUM.txt "
         "(checksum_url, or beside the files)");
    return rp;
  }
  run->checksum_url = src.url;
  report(self, run, run_steps::prepare);
  self->request(st.peers.prepare, caf::infinite,
                prepare_request{run->id, src.url, true, false, 1, 0})
    .then(
      [self, run](prepare_reply& rep) {
        engine::log_scope scope(run->id);
        if (stopped(self, run)) return;
        try {
          plan(run, rep);
        } catch (const std::exception& e) {
          return fail(self, run, run_steps::prepare, run->checksum_url, e.what());
        }
        select_all(self, run);
      },
      [self, run](caf::error& err) {
        engine::log_scope scope(run->id);
        fail_on(self, run, run_steps::prepare, run->checksum_url, err);
      });
  return rp;
}

} // namespace

engine::process_actor::behavior_type
lightcurve_process(engine::process_actor::stateful_pointer<lightcurve_process_state> self,
                   process_settings cfg, lightcurve_job job, lightcurve_peers peers,
                   std::shared_ptr<engine::run_control> runs) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.job = std::move(job);
  st.peers = std::move(peers);
  st.runs = std::move(runs);
  return process_behavior(self, start, cancelled);
}

} // namespace gaia
