// bench: measures the production against the decompression floor on a
// synthetic archive and prints one table. Every measured stage runs in a
// child process, so wall time, CPU time and peak RSS are its own (wait4).
//
//   floor        only inflate every file, all cores (ISA-L, then zlib)
//   import       `gaia-dr3 run` with the files already local, no checkpoints
//   whole run    `gaia-dr3 run` from a loopback mirror into an empty output
#include "src/commands.hpp"

#include "core/downloader.hpp"
#include "core/file_range.hpp"
#include "core/gzip_reader.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <functional>
#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <spawn.h>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace gaia::cli {

namespace {

namespace fs = std::filesystem;

const char* bench_usage =
  "usage: gaia-dr3 bench [--archive DIR] [--work DIR] [--repeat N]\n"
  "\n"
  "Measures, on the archive files in DIR (default output/synthetic/archive,\n"
  "made by `gaia-dr3 synth --out DIR`): the inflate floor (every file\n"
  "decompressed in parallel, ISA-L and zlib), the import stage (files already\n"
  "local) and a whole run from a loopback mirror; wall time, MB/s of\n"
  "uncompressed input, CPU time, peak RSS, ratio to the floor. Medians of N\n"
  "runs (default 3). It reports; it never fails on a slow figure.\n"
  "\n"
  "  --archive DIR  EpochPhotometry_*.csv.gz files\n"
  "  --work DIR     scratch space (default output/bench)\n"
  "  --repeat N     runs per figure (default 3)\n"
  "  --scaling      instead: peak RSS of whole runs over 20 and 200 small\n"
  "                 synthetic files (memory must not grow with the archive)\n";

struct sample {
  double wall_s = 0;
  double cpu_s = 0;
  double rss_mb = 0;
  int exit_code = 0;
};

/// Runs this executable with `args` and extra environment; stdout to
/// `out_path` (or /dev/null), stderr to `log_path`.
sample run_child(const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env_add,
                 const std::string& out_path, const std::string& log_path) {
  std::vector<std::string> argv_s = {"/proc/self/exe"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s;
  for (char** e = environ; *e != nullptr; ++e)
    if (std::string(*e).rfind("GAIA_", 0) != 0) env_s.push_back(*e);
  for (const auto& [k, v] : env_add) env_s.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  auto t0 = std::chrono::steady_clock::now();
  pid_t pid = -1;
  sample s;
  if (posix_spawn(&pid, "/proc/self/exe", &fa, nullptr, argv.data(),
                  envp.data()) != 0) {
    s.exit_code = -1;
    return s;
  }
  posix_spawn_file_actions_destroy(&fa);
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  s.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
               .count();
  s.cpu_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec
            + ru.ru_stime.tv_usec / 1e6;
  s.rss_mb = ru.ru_maxrss / 1024.0;
  s.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return s;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

std::vector<fs::path> archive_files(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    auto name = e.path().filename().string();
    if (name.rfind("EpochPhotometry_", 0) == 0
        && name.size() > 7 && name.substr(name.size() - 7) == ".csv.gz")
      files.push_back(e.path());
  }
  // Largest first, so the last file to finish is a small one.
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return fs::file_size(a) > fs::file_size(b);
  });
  return files;
}

/// The hidden floor stage: inflate every file on `threads` threads and
/// print the uncompressed byte count.
int inflate_stage(const fs::path& dir, inflate_backend backend, unsigned threads) {
  auto files = archive_files(dir);
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> bytes{0};
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (size_t i; (i = next++) < files.size();)
        bytes += verify_gzip_file(files[i].string(), backend);
    });
  for (auto& t : pool) t.join();
  std::printf("%llu\n", static_cast<unsigned long long>(bytes.load()));
  return 0;
}

struct figure {
  std::string name;
  double wall = 0, cpu = 0, rss = 0;
  bool ok = true;
};

figure measure(const std::string& name, int repeat,
               const std::function<void()>& before,
               const std::function<sample()>& once) {
  std::vector<double> wall, cpu, rss;
  figure f{name};
  for (int i = 0; i < repeat; ++i) {
    if (before) before();
    auto s = once();
    if (s.exit_code != 0) f.ok = false;
    wall.push_back(s.wall_s);
    cpu.push_back(s.cpu_s);
    rss.push_back(s.rss_mb);
    std::fprintf(stderr, "bench: %s run %d: %.2f s wall, %.2f s CPU, %.0f MB%s\n",
                 name.c_str(), i + 1, s.wall_s, s.cpu_s, s.rss_mb,
                 s.exit_code != 0 ? " (FAILED)" : "");
  }
  f.wall = median(wall);
  f.cpu = median(cpu);
  f.rss = median(rss);
  return f;
}

/// Peak RSS of a whole run over 20 and over 200 small files of the same
/// size: the compute step merges checkpoints as a stream, so memory must
/// not grow with the number of files (or sources).
int scaling_table(const fs::path& work, int repeat) {
  fs::create_directories(work);
  auto log = (fs::absolute(work) / "bench.log").string();
  auto config = (fs::absolute(work) / "bench-config.json").string();
  std::FILE* cf = std::fopen(config.c_str(), "w");
  std::fputs("{}\n", cf);
  std::fclose(cf);
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
    std::map<std::string, std::string> env = {
      {"GAIA_FILE_BOUNDARIES", bounds},
      {"GAIA_ARCHIVE_URL_TEMPLATE",
       "file://" + archive.string() + "/EpochPhotometry_%s.csv.gz"},
      {"GAIA_OUTPUT_DIR", (dir / "out").string()}};
    auto f = measure(std::to_string(files) + " files", repeat,
                     [&] { fs::remove_all(dir / "out"); },
                     [&] { return run_child({"run", "--config", config}, env,
                                            "/dev/null", log); });
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

} // namespace

int cmd_bench(int argc, char** argv) {
  fs::path archive = "output/synthetic/archive";
  fs::path work = "output/bench";
  int repeat = 3;
  bool scaling = false;
  std::string stage, backend = "isal";
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "gaia-dr3 bench: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::fputs(bench_usage, stdout);
      return 0;
    } else if (a == "--archive") archive = value();
    else if (a == "--work") work = value();
    else if (a == "--repeat") repeat = std::max(1, std::atoi(value().c_str()));
    else if (a == "--scaling") scaling = true;
    else if (a == "--stage") stage = value();       // internal
    else if (a == "--backend") backend = value();   // internal
    else {
      std::fprintf(stderr, "gaia-dr3 bench: unknown argument '%s' (see --help)\n",
                   a.c_str());
      return 2;
    }
  }
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
  auto config = (work / "bench-config.json").string();
  std::FILE* cf = std::fopen(config.c_str(), "w");
  std::fputs("{}\n", cf);
  std::fclose(cf);
  std::map<std::string, std::string> env = {
    {"GAIA_FILE_BOUNDARIES", bounds},
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

  // Import stage: files already in downloads/, checkpoints removed each time.
  auto import_out = work / "import";
  fs::remove_all(import_out);
  fs::create_directories(import_out / "downloads");
  for (const auto& f : files) {
    auto dst = import_out / "downloads" / f.filename();
    fs::create_hard_link(f, dst);
    mark_verified_download(dst.string());
  }
  auto import_env = env;
  import_env["GAIA_OUTPUT_DIR"] = import_out.string();
  import_env["GAIA_ARCHIVE_URL_TEMPLATE"] = "file:///nonexistent/%s";
  auto import = measure(
    "import stage (files local)", repeat,
    [&] { fs::remove_all(import_out / "aggregates"); },
    [&] { return run_child({"run", "--config", config}, import_env, "/dev/null", log); });

  // Whole run from a loopback mirror.
  auto url_file = (work / "mirror.url").string();
  pid_t mirror = -1;
  {
    std::vector<std::string> a = {"/proc/self/exe", "mirror", "--dir",
                                  archive.string(), "--port", "0"};
    std::vector<char*> av;
    for (auto& s : a) av.push_back(s.data());
    av.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, url_file.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    posix_spawn(&mirror, "/proc/self/exe", &fa, nullptr, av.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
  }
  std::string base;
  for (int i = 0; i < 100 && base.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::FILE* f = std::fopen(url_file.c_str(), "r");
    char buf[256] = {0};
    if (f != nullptr && std::fgets(buf, sizeof buf, f) != nullptr) {
      base = buf;
      while (!base.empty() && (base.back() == '\n' || base.back() == '\r'))
        base.pop_back();
    }
    if (f != nullptr) std::fclose(f);
  }
  auto whole_out = work / "whole";
  auto whole_env = env;
  whole_env["GAIA_OUTPUT_DIR"] = whole_out.string();
  whole_env["GAIA_ARCHIVE_URL_TEMPLATE"] = base + "/EpochPhotometry_%s.csv.gz";
  auto whole = measure(
    "whole run (loopback mirror)", repeat, [&] { fs::remove_all(whole_out); },
    [&] { return run_child({"run", "--config", config}, whole_env, "/dev/null", log); });
  // The same without MD5 checks: shows what verifying costs.
  auto unchecked_env = whole_env;
  unchecked_env["GAIA_CHECKSUM_URL"] = "none";
  auto unchecked = measure(
    "whole run, checksums off", repeat, [&] { fs::remove_all(whole_out); },
    [&] { return run_child({"run", "--config", config}, unchecked_env, "/dev/null", log); });
  if (mirror > 0) {
    kill(mirror, SIGTERM);
    waitpid(mirror, nullptr, 0);
  }

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

} // namespace gaia::cli
