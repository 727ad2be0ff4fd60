// `gaia-dr3 bench --lightcurves`: on a full-shaped synthetic archive served
// by the loopback mirror, interleaved, (a) the variability run over every
// file (MD5 checked) and (b) `gaia-dr3 lightcurves` for N ids drawn over
// every file, once per format asked for. The two do the same inflate-bound
// pass over the same bytes (a light-curve select skips the rows not asked
// for without parsing their arrays), so (b)'s throughput is held against
// (a)'s: the target is >= 0.90, with peak RSS <= 256 MB.
#include "cli/bench_lightcurves.hpp"

#include "tools/bench/bench_runner.hpp"
#include "tools/bench/lightcurve_ids.hpp"
#include "tools/synth/generated_archive.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <thread>

namespace gaia::cli {

using namespace bench;
namespace fs = std::filesystem;

namespace {

/// The targets for the light-curve row.
constexpr double target_ratio = 0.90;
constexpr double target_rss_mb = 256;
/// The ids' draw: fixed, so every run of the bench asks for the same ids.
constexpr uint64_t draw_seed = 20;
/// synth's default seed, which full_archive() uses.
constexpr uint64_t archive_seed = 1;

/// The counts `lightcurves` printed on its summary line.
struct lightcurve_counts {
  unsigned long long asked = 0, found = 0, not_found = 0, duplicates = 0, files = 0,
                     fetched = 0;
  bool read = false;
};

lightcurve_counts read_summary(const fs::path& stdout_path) {
  lightcurve_counts c;
  std::FILE* f = std::fopen(stdout_path.c_str(), "r");
  if (f == nullptr) return c;
  c.read = std::fscanf(f, "lightcurves: %llu ids asked, %llu found, %llu not found, "
                          "%llu duplicates; %llu archive files (%llu fetched",
                       &c.asked, &c.found, &c.not_found, &c.duplicates, &c.files, &c.fetched)
           == 6;
  std::fclose(f);
  return c;
}

uint64_t size_or_zero(const fs::path& p) {
  std::error_code ec;
  auto n = fs::file_size(p, ec);
  return ec ? 0 : n;
}

/// The archive both runs read: its files' count and compressed bytes, and
/// the mirror serving it.
struct served_archive {
  size_t files = 0;
  uint64_t compressed = 0;
  mirror_child mirror;
};

/// synth's archive written once into `work`, served from the disk.
served_archive written_archive(const fs::path& work, double scale, int files,
                               const std::string& log) {
  served_archive s;
  const auto archive = full_archive(work, scale, files, log);
  if (archive.empty()) {
    std::fprintf(stderr, "gaia-dr3 bench: synth failed, see %s\n", log.c_str());
    return s;
  }
  const auto paths = archive_files(archive);
  s.files = paths.size();
  for (const auto& f : paths) s.compressed += fs::file_size(f);
  s.mirror = start_mirror(archive, (work / "mirror.url").string());
  return s;
}

/// The same archive's ids, made by the mirror as it is read (never written).
served_archive made_archive(const fs::path& work, double scale, int files) {
  served_archive s;
  synth::generated_archive_options g;
  g.scale = scale;
  g.seed = archive_seed;
  g.files = files;
  const synth::generated_archive archive(g);
  s.files = archive.ranges().size();
  for (const auto& r : archive.ranges())
    s.compressed += archive.open(r.archive_file_name())->size();
  const auto sums = work / ("generated-" + scale_text(scale) + "-" + std::to_string(files)
                            + "-MD5SUM.txt");
  if (!fs::exists(sums))
    std::fprintf(stderr, "gaia-dr3 bench: the mirror hashes the generated archive (%.1f GB) "
                         "once for its checksum list, kept in %s\n",
                 static_cast<double>(s.compressed) / 1e9, sums.c_str());
  s.mirror = start_generated_mirror(scale, files, sums.string(),
                                    (work / "mirror.url").string());
  return s;
}

} // namespace

int lightcurve_bench(const lightcurve_bench_args& args) {
  lightcurve_bench_args a = args;
  if (a.generated && !(a.scale > 0))
    // Rounded, so the mirror's --generated and the names carry it exactly.
    a.scale = std::round(synth::scale_for_sources(real_archive_sources, archive_seed) * 1000) /
              1000;
  if (a.generated && a.ids == 0) a.ids = real_request_ids;
  const fs::path work = fs::absolute(a.work);
  fs::create_directories(work);
  const auto log = (work / "bench.log").string();
  const auto config = write_empty_config(work);
  // Not given (0): the real request's share of the rows (500,000 of the
  // real archive's 11.75 M sources), what issue 20's target is about; a
  // scaled archive asked for 500,000 ids would be asked for a far larger
  // share.
  const auto ids_path =
    work / ("lightcurve-ids-" + (a.ids > 0 ? std::to_string(a.ids) : "real-share") + ".txt");
  drawn_ids drawn;
  try {
    drawn = draw_lightcurve_ids(ids_path.string(), a.files, a.scale, archive_seed, a.ids,
                                draw_seed);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gaia-dr3 bench: %s; use a larger --scale\n", e.what());
    return 1;
  }
  served_archive served =
    a.generated ? made_archive(work, a.scale, a.files) : written_archive(work, a.scale, a.files, log);
  if (served.mirror.base_url.empty()) return 1;
  const auto& mirror = served.mirror;
  const uint64_t compressed = served.compressed;
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  // The same settings for both: the mirror, MD5 checked (the default
  // checksum URL beside the files), the same download pool, downloads
  // streamed and not kept (a kept copy would write the archive to disk
  // again on every run, gigabytes at this scale, the same for both).
  auto env_for = [&](const fs::path& out) {
    return env_map{
      {"GAIA_FILE_BOUNDARIES", a.files > 0 ? "all:" + std::to_string(a.files) : "all"},
      {"GAIA_ARCHIVE_URL_TEMPLATE", mirror.base_url + "/EpochPhotometry_%s.csv.gz"},
      {"GAIA_DOWNLOAD_POOL", std::to_string(threads)},
      {"GAIA_KEEP_DOWNLOADS", "false"},
      {"GAIA_OUTPUT_DIR", out.string()}};
  };
  const auto run_out = work / "lightcurve-bench-run";
  std::vector<stage_job> jobs = {
    {"variability run, every file", [run_out] { fs::remove_all(run_out); },
     [config, env = env_for(run_out), log] { return run_production(config, env, log); }}};
  for (const auto& format : a.formats) {
    const auto out = work / ("lightcurve-bench-" + format);
    const auto summary = work / ("lightcurve-bench-" + format + ".out");
    std::vector<std::string> args = {"lightcurves", "--ids", ids_path.string(), "--out",
                                     (out / "answer").string(), "--format", format,
                                     "--structure", "standard", "--config", config};
    jobs.push_back({"lightcurves --format " + format + " --structure standard",
                    [out] { fs::remove_all(out); },
                    [args, env = env_for(out), summary, log] {
                      return run_child(args, env, summary.string(), log);
                    }});
  }
  auto figs = measure_interleaved(jobs, a.repeat);
  stop_mirror(mirror);

  const double mb = compressed / 1e6;
  std::printf("gaia-dr3 bench --lightcurves: %zu files (%s, scale %s: %llu "
              "sources%s), %.1f MB compressed, loopback mirror, MD5 checked, %u downloads not "
              "kept, median of %d runs\n\n",
              served.files, a.files > 0 ? "the first DR3 ranges" : "every DR3 range",
              scale_text(a.scale).c_str(),
              static_cast<unsigned long long>(drawn.archive_sources),
              a.generated ? ", generated by the mirror as it is read" : "", mb, threads,
              a.repeat);
  std::printf("| run | wall s | CPU s | peak RSS MB | MB/s compressed | x variability "
              "throughput | target >= %.2f | target RSS <= %.0f MB | x variability, CPU |\n",
              target_ratio, target_rss_mb);
  std::printf("| --- | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: |\n");
  for (size_t i = 0; i < figs.size(); ++i) {
    const auto& f = figs[i];
    const double ratio = f.wall > 0 ? figs[0].wall / f.wall : 0;
    const double cpu_ratio = f.cpu > 0 ? figs[0].cpu / f.cpu : 0;
    const bool lc = i > 0;
    std::printf("| %s%s | %.2f | %.2f | %.0f | %.1f | %.2f | %s | %s | %.2f |\n", f.name.c_str(),
                f.ok ? "" : " (FAILED)", f.wall, f.cpu, f.rss, f.wall > 0 ? mb / f.wall : 0,
                ratio, lc ? (ratio >= target_ratio ? "met" : "missed") : "",
                lc ? (f.rss <= target_rss_mb ? "met" : "missed") : "", cpu_ratio);
  }
  // On a shared host each process gets what the others leave of the
  // cores: the wall ratio then says more of the host than of the code.
  std::printf("\n(the target is judged on wall time; on a busy host, where a run gets well "
              "under all of the cores (CPU s / wall s here), read the CPU ratio)\n");
  std::printf("\nids asked: %llu (%llu of the archive's sources, spread over %llu of its %zu "
              "files, and %llu in a file's range that the file does not hold)\n",
              static_cast<unsigned long long>(drawn.held + drawn.absent),
              static_cast<unsigned long long>(drawn.held),
              static_cast<unsigned long long>(drawn.files_holding), served.files,
              static_cast<unsigned long long>(drawn.absent));
  for (size_t i = 0; i < a.formats.size(); ++i) {
    const auto& format = a.formats[i];
    const auto c = read_summary(work / ("lightcurve-bench-" + format + ".out"));
    const auto zip = work / ("lightcurve-bench-" + format) / "answer" / "lightcurves.zip";
    const bool as_drawn = c.read && c.asked == drawn.held + drawn.absent
                          && c.found == drawn.held && c.not_found == drawn.absent;
    std::printf("%s: %llu asked, %llu found, %llu not found (%s); %llu files fetched; "
                "lightcurves.zip %.1f MB\n",
                format.c_str(), c.asked, c.found, c.not_found,
                as_drawn ? "as drawn" : "NOT as drawn", c.fetched,
                size_or_zero(zip) / 1e6);
  }
  return 0;
}

} // namespace gaia::cli
