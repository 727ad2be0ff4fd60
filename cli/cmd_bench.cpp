// bench: measures the production against the decompression floor on a
// synthetic archive and prints one table. Every measured stage runs in a
// child process, so wall time, CPU time and peak RSS are its own (wait4).
//
//   floor        only inflate every file, all cores (ISA-L, then zlib)
//   import       `gaia-dr3 run` with the files already local, no checkpoints
//   whole run    `gaia-dr3 run` from a loopback mirror into an empty output
#include "cli/commands.hpp"

#include "tools/bench/bench_runner.hpp"

#include "download/downloader.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace gaia::cli {

using namespace bench;
namespace fs = std::filesystem;

namespace {


/// Peak RSS of a whole run over 20 and over 200 small files of the same
/// size: the compute step merges checkpoints as a stream, so memory must
/// not grow with the number of files (or sources).
int scaling_table(const fs::path& work, int repeat) {
  fs::create_directories(work);
  auto log = (fs::absolute(work) / "bench.log").string();
  auto config = write_empty_config(fs::absolute(work));
  std::printf("| files | sources | wall s | CPU s | peak RSS MB |\n");
  std::printf("| ---: | ---: | ---: | ---: | ---: |\n");
  for (int files : {20, 200}) {
    auto dir = fs::absolute(work) / ("scaling-" + std::to_string(files));
    auto archive = dir / "archive";
    if (!fs::exists(archive / ".complete")) {
      fs::remove_all(archive);
      auto s = run_child({"synth", "--out", archive.string(), "--files",
                          std::to_string(files), "--boundaries", "0:100",
                          "--scale", "0.5"},
                         {}, "/dev/null", log);
      if (s.exit_code != 0) {
        std::fprintf(stderr, "gaia-dr3 bench: synth failed, see %s\n", log.c_str());
        return 1;
      }
      std::FILE* f = std::fopen((archive / ".complete").c_str(), "w");
      if (f != nullptr) std::fclose(f);
    }
    std::string bounds;
    for (int i = 0; i <= files; ++i)
      bounds += (i ? "," : "") + std::to_string(100 * i);
    env_map env = {
      {"GAIA_FILE_BOUNDARIES", bounds},
      {"GAIA_ARCHIVE_URL_TEMPLATE",
       "file://" + archive.string() + "/EpochPhotometry_%s.csv.gz"},
      {"GAIA_OUTPUT_DIR", (dir / "out").string()}};
    auto f = measure(std::to_string(files) + " files", repeat,
                     [&] { fs::remove_all(dir / "out"); },
                     [&] { return run_production(config, env, log); });
    long long sources = 0;
    std::FILE* done = std::fopen((dir / "out" / "results.done").c_str(), "r");
    if (done != nullptr) {
      long long q = 0;
      if (std::fscanf(done, "ok: %lld qualifying sources of %lld", &q, &sources) != 2)
        sources = 0;
      std::fclose(done);
    }
    std::printf("| %d%s | %lld | %.2f | %.2f | %.0f |\n", files,
                f.ok ? "" : " (FAILED)", sources, f.wall, f.cpu, f.rss);
  }
  return 0;
}


/// What `bench` was given.
struct bench_args {
  std::string archive = "output/synthetic/archive";
  std::string work = "output/bench";
  int repeat = 3;
  bool scaling = false;
  std::string stage;           ///< internal: the child of one measurement
  std::string backend = "isal";
};

int bench_main(const bench_args& a) {
  fs::path archive = a.archive;
  fs::path work = a.work;
  const int repeat = a.repeat;
  const bool scaling = a.scaling;
  const std::string& stage = a.stage;
  const std::string& backend = a.backend;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  if (stage == "inflate")
    return inflate_stage(archive, backend == "zlib" ? inflate_backend::zlib
                                                    : inflate_backend::isal,
                         threads);
  if (scaling)
    return scaling_table(work, repeat);
  auto files = archive_files(archive);
  if (files.empty()) {
    std::fprintf(stderr, "gaia-dr3 bench: no EpochPhotometry_*.csv.gz in %s; "
                         "make them with `gaia-dr3 synth --out %s`\n",
                 archive.c_str(), archive.c_str());
    return 2;
  }
  // Boundaries that name exactly these files.
  std::vector<std::pair<long long, long long>> ranges;
  uint64_t compressed = 0;
  for (const auto& f : files) {
    long long a = 0, b = 0;
    std::sscanf(f.filename().c_str(), "EpochPhotometry_%lld-%lld", &a, &b);
    ranges.push_back({a, b});
    compressed += fs::file_size(f);
  }
  std::sort(ranges.begin(), ranges.end());
  std::string bounds;
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (i > 0 && ranges[i].first != ranges[i - 1].second + 1) {
      std::fprintf(stderr, "gaia-dr3 bench: the files' ranges are not contiguous\n");
      return 2;
    }
    bounds += std::to_string(ranges[i].first) + ",";
  }
  bounds += std::to_string(ranges.back().second + 1);

  fs::create_directories(work);
  work = fs::absolute(work);
  archive = fs::absolute(archive);
  auto log = (work / "bench.log").string();
  auto config = write_empty_config(work);
  env_map env = {{"GAIA_FILE_BOUNDARIES", bounds},
                 {"GAIA_IMPORT_POOL", std::to_string(threads)}};

  // Floor: inflate only.
  uint64_t uncompressed = 0;
  auto floor_once = [&](const char* be) {
    return [&, be] {
      auto out = (work / "inflate.out").string();
      auto s = run_child({"bench", "--stage", "inflate", "--backend", be,
                          "--archive", archive.string()},
                         {}, out, log);
      std::FILE* f = std::fopen(out.c_str(), "r");
      unsigned long long n = 0;
      if (f != nullptr && std::fscanf(f, "%llu", &n) == 1) uncompressed = n;
      if (f != nullptr) std::fclose(f);
      return s;
    };
  };
  auto isal = measure("inflate floor (ISA-L)", repeat, nullptr, floor_once("isal"));
  auto zlib = measure("inflate (zlib)", repeat, nullptr, floor_once("zlib"));

  // Import stage: the archive read in place over file:// (no copy, no
  // checksums), checkpoints removed each time.
  auto import_out = work / "import";
  fs::remove_all(import_out);
  auto import_env = env;
  import_env["GAIA_OUTPUT_DIR"] = import_out.string();
  import_env["GAIA_ARCHIVE_URL_TEMPLATE"] =
    "file://" + fs::absolute(archive).string() + "/EpochPhotometry_%s.csv.gz";
  import_env["GAIA_CHECKSUM_URL"] = "none";
  auto import = measure(
    "import stage (files local)", repeat,
    [&] { fs::remove_all(import_out / "aggregates"); },
    [&] { return run_production(config, import_env, log); });

  // Whole run from a loopback mirror.
  auto mirror = start_mirror(archive, (work / "mirror.url").string());
  auto whole_out = work / "whole";
  auto whole_env = env;
  whole_env["GAIA_OUTPUT_DIR"] = whole_out.string();
  whole_env["GAIA_ARCHIVE_URL_TEMPLATE"] = mirror.base_url + "/EpochPhotometry_%s.csv.gz";
  auto whole = measure(
    "whole run (loopback mirror)", repeat, [&] { fs::remove_all(whole_out); },
    [&] { return run_production(config, whole_env, log); });
  // The same without MD5 checks: shows what verifying costs.
  auto unchecked_env = whole_env;
  unchecked_env["GAIA_CHECKSUM_URL"] = "none";
  auto unchecked = measure(
    "whole run, checksums off", repeat, [&] { fs::remove_all(whole_out); },
    [&] { return run_production(config, unchecked_env, log); });
  stop_mirror(mirror);

  double mb = uncompressed / 1e6;
  std::printf("gaia-dr3 bench: %zu files, %.1f MB compressed, %.1f MB "
              "uncompressed, %u threads, median of %d runs\n\n",
              files.size(), compressed / 1e6, mb, threads, repeat);
  std::printf("| stage | wall s | MB/s | CPU s | peak RSS MB | x floor |\n");
  std::printf("| --- | ---: | ---: | ---: | ---: | ---: |\n");
  for (const auto& f : {isal, zlib, import, whole, unchecked})
    std::printf("| %s%s | %.2f | %.0f | %.2f | %.0f | %.2f |\n", f.name.c_str(),
                f.ok ? "" : " (FAILED)", f.wall, f.wall > 0 ? mb / f.wall : 0,
                f.cpu, f.rss, isal.wall > 0 ? f.wall / isal.wall : 0);
  return 0;
}

} // namespace

void add_bench(CLI::App& app, command_list& out) {
  auto a = std::make_shared<bench_args>();
  auto* cmd = app.add_subcommand(
    "bench",
    "Measures, on the archive files in DIR (made by `gaia-dr3 synth --out "
    "DIR`): the inflate floor (every file decompressed in parallel, ISA-L and "
    "zlib), the import stage (files already local) and a whole run from a "
    "loopback mirror; wall time, MB/s of uncompressed input, CPU time, peak "
    "RSS, ratio to the floor. Medians of N runs. It reports; it never fails on "
    "a slow figure.");
  cmd->add_option("--archive", a->archive, "EpochPhotometry_*.csv.gz files")
    ->default_val("output/synthetic/archive")
    ->type_name("DIR");
  cmd->add_option("--work", a->work, "scratch space")->default_val("output/bench")->type_name("DIR");
  cmd->add_option("--repeat", a->repeat, "runs per figure")->default_val(3)->check(CLI::Range(1, 100));
  cmd->add_flag("--scaling", a->scaling,
                "instead: peak RSS of whole runs over 20 and 200 small synthetic files "
                "(memory must not grow with the archive)");
  // The measured children: not for people.
  cmd->add_option("--stage", a->stage)->group("");
  cmd->add_option("--backend", a->backend)->group("")->check(CLI::IsMember({"isal", "zlib"}));
  out.push_back({cmd, [a] { return bench_main(*a); }});
}

} // namespace gaia::cli
