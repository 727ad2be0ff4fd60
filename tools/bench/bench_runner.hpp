// The measuring half of `gaia-dr3 bench` (cmd_bench.cpp prints the tables):
// child processes of this executable timed with wait4, medians of repeated
// runs, the hidden inflate stage and the loopback mirror child.
#pragma once

#include "archive/gzip_reader.hpp"

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace gaia::cli::bench {

/// Extra environment variables for a child, name -> value.
using env_map = std::map<std::string, std::string>;

/// What one child process cost: times from wait4, peak RSS from the child
/// itself (report_peak_rss_at_exit).
struct sample {
  double wall_s = 0;
  double cpu_s = 0;
  double rss_mb = 0;
  int exit_code = 0;
};

/// Where a bench child writes its own peak RSS when it exits: set by
/// run_child, read by report_peak_rss_at_exit in the child.
inline constexpr const char* peak_rss_file_variable = "GAIA_BENCH_PEAK_RSS_FILE";

/// In a bench child (main calls it first): when peak_rss_file_variable is
/// set, writes VmHWM (kB) there at exit. wait4's ru_maxrss cannot be the
/// figure: a posix_spawn child runs on the bench's memory until its exec,
/// and the kernel keeps that peak in the child's, so every row would show
/// at least the bench's own peak (121 MB for every row after drawing
/// 500,000 ids from 11.75 M). VmHWM counts the child's own image only.
void report_peak_rss_at_exit();

/// Starts this executable with `args` and environment `envp`; stdout
/// truncated into `out_path`, stderr appended to `err_path`. Returns the
/// child's pid, or -1 when it could not be started.
pid_t spawn_self(const std::vector<std::string>& args, char* const* envp,
                 const std::string& out_path, const std::string& err_path);

/// Runs this executable with `args` and extra environment (the caller's
/// GAIA_* variables are dropped) to its end; stdout to `out_path` (or
/// /dev/null), stderr to `log_path`.
sample run_child(const std::vector<std::string>& args, const env_map& env_add,
                 const std::string& out_path, const std::string& log_path);

/// Starts this executable with `args` and extra environment (the caller's
/// GAIA_* variables dropped), stdout discarded, stderr appended to
/// `log_path`, and returns at once: a process that runs beside the
/// measured one (a cluster's worker). -1 when it could not be started.
pid_t start_child(const std::vector<std::string>& args, const env_map& env_add,
                  const std::string& log_path);

/// Stops a start_child process (SIGTERM) and waits for it.
void stop_child(pid_t pid);

/// One `gaia-dr3 run --config CONFIG` with `env_add`, stdout discarded.
sample run_production(const std::string& config, const env_map& env_add,
                      const std::string& log_path);

/// One row of a table: medians of repeated samples.
struct figure {
  std::string name;
  double wall = 0, cpu = 0, rss = 0;
  bool ok = true;  ///< every run exited 0
};

/// Calls `before` (when set) and `once` `repeat` times, logging each run on
/// stderr, and returns the medians.
figure measure(const std::string& name, int repeat,
               const std::function<void()>& before,
               const std::function<sample()>& once);

/// One stage to measure: `before` (when set) prepares, `once` runs it.
struct stage_job {
  std::string name;
  std::function<void()> before;
  std::function<sample()> once;
};

/// Measures every job `repeat` times, interleaved (round after round, each
/// job once a round), so that a machine that slows down for a while (a
/// shared host) slows every stage alike and the ratios stay fair. Returns
/// the medians, in the jobs' order.
std::vector<figure> measure_interleaved(const std::vector<stage_job>& jobs, int repeat);

/// The EpochPhotometry_*.csv.gz files of `dir`, largest first.
std::vector<std::filesystem::path> archive_files(
  const std::filesystem::path& dir);

/// Writes an empty JSON config ("{}") in `work`, so a run takes its
/// settings from defaults and the environment; returns its path.
std::string write_empty_config(const std::filesystem::path& work);

/// The shortest text that reads back as `scale` ("0.2"): synth's argument
/// and the archive folder's name.
std::string scale_text(double scale);

/// A full-shaped synthetic archive under `work` (every real DR3 range, or
/// the first `files` of them when files > 0, at `scale` of the real source
/// counts, synth's default seed), written by a `synth` child the first time
/// and kept (a `.complete` mark); empty when synth failed (see `log`).
std::filesystem::path full_archive(const std::filesystem::path& work, double scale, int files,
                                   const std::string& log);

/// The hidden floor stage: inflate every file of `dir`, largest first (and
/// MD5 its compressed bytes in the same pass, when `with_md5`) on `threads`
/// threads; prints the uncompressed byte count. ISA-L is the bare loop of
/// the floor (read() into isal_inflate, nothing of ours between them);
/// zlib goes through gzip_stream, as an import would use it. With a
/// `from_url` (the loopback mirror's base URL) each file is read from a
/// plain socket GET of it instead of the disk (ISA-L only): an informative
/// row, what the socket itself costs; the floors stay the disk's.
int floor_stage(const std::filesystem::path& dir, inflate_backend backend,
                bool with_md5, unsigned threads, const std::string& from_url = "");

/// A `gaia-dr3 mirror` child process.
struct mirror_child {
  pid_t pid = -1;
  std::string base_url;  ///< empty when it printed none in time
};

/// Starts a mirror of `dir` on a free loopback port; its stdout (the base
/// URL) goes to `url_file`. When it prints none, it is stopped, the reason
/// goes to stderr, and base_url stays empty.
mirror_child start_mirror(const std::filesystem::path& dir,
                          const std::string& url_file);

/// Starts a mirror of a generated archive (`mirror --generated SCALE`, the
/// first `files` ranges, 0: all) that keeps its checksum list in
/// `checksums`; waits while it hashes the archive the first time (minutes
/// at the real size).
mirror_child start_generated_mirror(double scale, int files, const std::string& checksums,
                                    const std::string& url_file);

/// Stops the mirror (SIGTERM) and waits for it.
void stop_mirror(const mirror_child& m);

} // namespace gaia::cli::bench
