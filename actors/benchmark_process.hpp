// The benchmark process (IoP's business process): orchestrates one run.
//
//   engine::run_request
//     -> prepare the output (directories; remove the old answer's files)
//     -> prepare_request (the run's checksum list, once)
//        (with file_boundaries "all": also the run's files, from that list)
//     -> per file, with its MD5:
//          http(s): download_request (download pool: fetched and imported as
//                   it streams in; a damaged stream is fetched again there)
//          file://: import_request   (import pool: read where it is)
//     -> per file imported: validate_request (its sources in its range)
//     -> all validated -> compute_request -> export_request (with the
//        run's provenance: its files and their MD5s, start, settings)
//     -> reply engine::run_outcome (the service writes the verdict)
//   any failure -> cancel the run's other jobs, reply run_outcome{ok=false}
//   (cancel, run) from the service -> the same, without a verdict
#pragma once

#include "actors/interfaces.hpp"
#include "actors/process_run.hpp"
#include "actors/run_steps.hpp"
#include "actors/validate_operation.hpp"
#include "core/file_range.hpp"
#include "engine/run_control.hpp"
#include "engine/state/state_dir.hpp"
#include "settings/output_layout.hpp"
#include "settings/settings.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace gaia {

/// What the process reads of the settings, and only that: the archive
/// (which files, where, their checksum list), where the run's files go,
/// and the import limits each request carries. The operations' own
/// settings (timeouts, retries, ...) go to the operations.
struct process_settings {
  archive_settings archive;
  std::string output_dir;
  bool keep_downloads = false; ///< each download_request's `keep`
  int64_t max_line_bytes = 0;  ///< each request's limit
  int download_pool_size = 0;  ///< named in the run's first log line
  int import_pool_size = 0;    ///< likewise
  std::string settings_json;   ///< all the settings, resolved: the answer's provenance
};

/// The process's part of `s`.
process_settings process_settings_of(const settings& s);

/// The operations the process talks to, as its declared edges say.
struct process_peers {
  prepare_actor prepare;
  download_actor download;
  import_actor import;
  validate_actor validate;
  compute_actor compute;
  export_actor exporter;
};

/// Everything one run keeps while it is in flight.
struct run_state {
  uint64_t id = 0;
  caf::typed_response_promise<engine::run_outcome> promise;
  std::vector<file_range> ranges;
  std::map<std::string, std::string> checksums; ///< file name -> MD5
  std::string checksum_url;                     ///< where they come from
  size_t downloaded = 0;
  size_t imported = 0;
  size_t validated = 0;
  std::map<std::string, std::string> compute_inputs; ///< label -> checkpoint compute reads
  std::map<std::string, std::string> md5s; ///< label -> MD5 of the bytes imported (provenance)
  uint64_t bytes = 0;   ///< compressed bytes of the files imported
  bool finished = false;
  progress_pace progress; ///< when progress.json is rewritten
  std::chrono::steady_clock::time_point started;
  std::chrono::steady_clock::time_point last_log;    ///< the progress line
  int64_t started_unix = 0;
  std::string answer_names = "results.csv"; ///< the files export wrote, for results.done
  engine::run_outcome outcome;
};

struct process_state {
  process_settings cfg;
  std::optional<output_layout> layout;
  process_peers peers;
  std::shared_ptr<engine::run_control> runs;
  std::shared_ptr<run_state> run; ///< the run in flight, if any

  static inline const char* name = "benchmark_process";
};

process_actor::behavior_type
benchmark_process(process_actor::stateful_pointer<process_state> self, process_settings cfg,
                  process_peers peers, std::shared_ptr<engine::run_control> runs);

} // namespace gaia
