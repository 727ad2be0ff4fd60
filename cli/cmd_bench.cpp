// bench: measures the production against the decompression floor on a
// synthetic archive and prints one table. Every measured stage runs in a
// child process, so wall time, CPU time and peak RSS are its own (wait4).
//
//   floor        only inflate every file, all cores (ISA-L, then zlib)
//   import       `gaia-dr3 run` with the files already local, no checkpoints
//   whole run    `gaia-dr3 run` from a loopback mirror into an empty output
//   --cluster    the same run with the local pools only, and with a
//                coordinator and two one-thread workers over mutual TLS
//   --lightcurves  `gaia-dr3 lightcurves` for N ids against the variability
//                run over the same full-shaped archive (bench_lightcurves.cpp)
#include "cli/commands.hpp"

#include "cli/bench_lightcurves.hpp"
#include "cli/bench_number_text.hpp"
#include "tools/bench/bench_runner.hpp"

#include "download/downloader.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
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


/// Whole runs over the first 20, 200, 1,000 and all 3,386 files of a
/// full-shaped synthetic archive (every real DR3 range, `scale` times the
/// real source counts) from a loopback mirror with MD5 checks: wall and CPU
/// per file must stay flat, and peak RSS too (compute merges the
/// checkpoints as a stream, so memory must not grow with the files).
int scaling_table(const fs::path& work_in, int repeat, double scale) {
  const fs::path work = fs::absolute(work_in);
  fs::create_directories(work);
  auto log = (work / "bench.log").string();
  auto config = write_empty_config(work);
  const std::string scale_s = scale_text(scale);
  const auto archive = full_archive(work, scale, 0, log);
  if (archive.empty()) {
    std::fprintf(stderr, "gaia-dr3 bench: synth failed, see %s\n", log.c_str());
    return 1;
  }
  const auto files = archive_files(archive);
  auto mirror = start_mirror(archive, (work / "mirror.url").string());
  if (mirror.base_url.empty()) return 1;
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  const std::vector<int> counts = {20, 200, 1000, static_cast<int>(files.size())};
  std::vector<stage_job> jobs;
  for (int n : counts) {
    auto out = work / ("scaling-out-" + std::to_string(n));
    env_map env = {
      {"GAIA_FILE_BOUNDARIES", n == static_cast<int>(files.size()) ? "all"
                                                                   : "all:" + std::to_string(n)},
      {"GAIA_ARCHIVE_URL_TEMPLATE", mirror.base_url + "/EpochPhotometry_%s.csv.gz"},
      {"GAIA_DOWNLOAD_POOL", std::to_string(threads)},
      {"GAIA_OUTPUT_DIR", out.string()}};
    jobs.push_back({std::to_string(n), [out] { fs::remove_all(out); },
                    [config, env, log] { return run_production(config, env, log); }});
  }
  auto figs = measure_interleaved(jobs, repeat);
  stop_mirror(mirror);

  std::printf("gaia-dr3 bench --scaling: the full-shaped archive (every DR3 range, "
              "scale %s) from a loopback mirror, MD5 checked, median of %d runs\n\n",
              scale_s.c_str(), repeat);
  std::printf("| files | MB compressed | sources | wall s | CPU s | wall ms per file "
              "| CPU ms per file | peak RSS MB | target RSS <= 64 MB |\n");
  std::printf("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
  // Files in name order are the ranges in order: "all:N" takes the first N.
  std::vector<fs::path> by_name = files;
  std::sort(by_name.begin(), by_name.end());
  for (size_t i = 0; i < counts.size(); ++i) {
    const int n = counts[i];
    const auto& f = figs[i];
    uint64_t bytes = 0;
    for (int k = 0; k < n && k < static_cast<int>(by_name.size()); ++k)
      bytes += fs::file_size(by_name[k]);
    long long sources = 0;
    auto out = work / ("scaling-out-" + std::to_string(n));
    std::FILE* done = std::fopen((out / "results.done").c_str(), "r");
    if (done != nullptr) {
      long long q = 0;
      if (std::fscanf(done, "ok: %lld qualifying sources of %lld", &q, &sources) != 2)
        sources = 0;
      std::fclose(done);
    }
    std::printf("| %d%s | %.1f | %lld | %.2f | %.2f | %.2f | %.2f | %.0f | %s |\n", n,
                f.ok ? "" : " (FAILED)", bytes / 1e6, sources, f.wall, f.cpu,
                1e3 * f.wall / n, 1e3 * f.cpu / n, f.rss, f.rss <= 64 ? "met" : "missed");
  }
  return 0;
}

/// What `bench` was given.
struct bench_args {
  std::string archive = "output/synthetic/archive";
  std::string work = "output/bench";
  int repeat = 3;
  bool scaling = false;
  double scale = 0.01;         ///< --scaling, --lightcurves: the archive's scale
  bool cluster = false;
  bool lightcurves = false;
  bool number_text = false;    ///< --number-text: the number text's own table
  bool scale_given = false;    ///< else each mode's own default scale
  int files = 0;               ///< --lightcurves: the first N ranges only (0: all)
  uint64_t ids = 0;            ///< --lightcurves: ids asked for (0: the real share)
  bool generated = false;      ///< --lightcurves: a generated archive of the real size
  std::vector<std::string> formats = {"csv"};  ///< --lightcurves: one row each
  std::string stage;           ///< internal: the child of one measurement
  std::string backend = "isal";
  bool md5 = false;            ///< internal: the floor hashes too
  std::string from_url;        ///< internal: the floor reads from this server
};

/// One line of the main table: a measured figure, the floor it is held
/// against and the target for that ratio (0: none).
struct table_row {
  figure f;
  const figure* floor = nullptr;
  const char* floor_name = "";
  double target = 0;
};

/// The archive's files as boundaries for file_boundaries ("" when the
/// ranges are not contiguous).
std::string boundaries_of(const std::vector<fs::path>& files) {
  std::vector<std::pair<long long, long long>> ranges;
  for (const auto& f : files) {
    long long a = 0, b = 0;
    std::sscanf(f.filename().c_str(), "EpochPhotometry_%lld-%lld", &a, &b);
    ranges.push_back({a, b});
  }
  std::sort(ranges.begin(), ranges.end());
  std::string bounds;
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (i > 0 && ranges[i].first != ranges[i - 1].second + 1) return "";
    bounds += std::to_string(ranges[i].first) + ",";
  }
  return bounds + std::to_string(ranges.back().second + 1);
}

/// A CA and certificates for a coordinator and a worker in `dir`, made with
/// the openssl CLI; false when it is not there.
bool make_test_pki(const fs::path& dir, const std::string& log) {
  fs::create_directories(dir);
  auto sh = [&](const std::string& cmd) {
    return std::system(("cd '" + dir.string() + "' && " + cmd + " >>'" + log + "' 2>&1").c_str())
           == 0;
  };
  if (fs::exists(dir / "worker.pem")) return true;
  bool ok = sh("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=bench-ca "
               "-keyout ca.key -out ca.pem");
  for (const char* n : {"coordinator", "worker"})
    ok = ok
         && sh(std::string("openssl req -newkey rsa:2048 -nodes -subj /CN=") + n + " -keyout "
               + n + ".key -out " + n + ".csr")
         && sh(std::string("openssl x509 -req -days 2 -in ") + n + ".csr -CA ca.pem -CAkey ca.key "
               "-CAcreateserial -out " + n + ".pem");
  return ok;
}

uint64_t bytes_under(const fs::path& dir) {
  uint64_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file(ec)) n += e.file_size(ec);
  return n;
}

/// The same archive from the loopback mirror: the local pools only (two
/// downloads), and a coordinator (one local download) with two one-thread
/// workers over mutual TLS on loopback, started before each run and
/// stopped after it. Reports the throughput ratio and the checkpoint bytes
/// the workers shipped.
int cluster_table(const fs::path& archive_in, const fs::path& work_in, int repeat) {
  auto files = archive_files(archive_in);
  if (files.empty()) {
    std::fprintf(stderr, "gaia-dr3 bench: no EpochPhotometry_*.csv.gz in %s\n",
                 archive_in.c_str());
    return 2;
  }
  const std::string bounds = boundaries_of(files);
  uint64_t compressed = 0;
  for (const auto& f : files) compressed += fs::file_size(f);
  const auto work = fs::absolute(work_in) / "cluster";
  fs::create_directories(work);
  const auto archive = fs::absolute(archive_in);
  const auto log = (work / "bench.log").string();
  const auto config = write_empty_config(work);
  const auto pki = work / "tls";
  if (!make_test_pki(pki, log)) {
    std::fprintf(stderr, "gaia-dr3 bench: could not make certificates with openssl, see %s\n",
                 log.c_str());
    return 1;
  }
  auto mirror = start_mirror(archive, (work / "mirror.url").string());
  if (mirror.base_url.empty()) return 1;
  // A free port for the coordinator: bind, read, release.
  int port = 0;
  {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    port = ntohs(a.sin_port);
  }
  const auto out = work / "out";
  env_map base = {{"GAIA_FILE_BOUNDARIES", bounds},
                  {"GAIA_ARCHIVE_URL_TEMPLATE", mirror.base_url + "/EpochPhotometry_%s.csv.gz"},
                  {"GAIA_OUTPUT_DIR", out.string()},
                  {"GAIA_KEEP_DOWNLOADS", "false"}};
  auto tls = [&](const std::string& node) {
    return env_map{{"GAIA_CLUSTER_CERTIFICATE", (pki / (node + ".pem")).string()},
                   {"GAIA_CLUSTER_KEY", (pki / (node + ".key")).string()},
                   {"GAIA_CLUSTER_CAFILE", (pki / "ca.pem").string()}};
  };
  auto local = base;
  local["GAIA_DOWNLOAD_POOL"] = "2";
  auto coordinator = base;
  coordinator["GAIA_DOWNLOAD_POOL"] = "1";
  coordinator["GAIA_CLUSTER_PORT"] = std::to_string(port);
  for (const auto& kv : tls("coordinator")) coordinator.insert(kv);
  std::vector<pid_t> workers;
  uint64_t shipped = 0;
  auto fresh = [&] { fs::remove_all(out); };
  auto with_workers = [&] {
    fresh();
    for (int i = 1; i <= 2; ++i) {
      env_map w = tls("worker");
      w["GAIA_OUTPUT_DIR"] = (work / ("scratch-" + std::to_string(i))).string();
      fs::remove_all(w["GAIA_OUTPUT_DIR"]);
      w["GAIA_DOWNLOAD_POOL"] = "1";
      w["GAIA_IMPORT_POOL"] = "1";
      w["GAIA_CLUSTER_COORDINATOR_PORT"] = std::to_string(port);
      w["GAIA_CLUSTER_WORKER_NAME"] = "bench-worker-" + std::to_string(i);
      workers.push_back(start_child({"worker", "--config", config}, w, log));
    }
  };
  auto cluster_run = [&] {
    auto s = run_production(config, coordinator, log);
    for (pid_t p : workers) stop_child(p);
    workers.clear();
    uint64_t n = 0;
    for (int i = 1; i <= 2; ++i)
      n += bytes_under(work / ("scratch-" + std::to_string(i)) / "aggregates");
    shipped = n;
    return s;
  };
  std::vector<stage_job> jobs = {
    {"local pools only (2 downloads)", fresh,
     [&] { return run_production(config, local, log); }},
    {"coordinator (1 download) + 2 one-thread workers, mutual TLS", with_workers, cluster_run},
  };
  auto figs = measure_interleaved(jobs, repeat);
  stop_mirror(mirror);
  const double mb = compressed / 1e6;
  std::printf("gaia-dr3 bench --cluster: %zu files, %.1f MB compressed, loopback mirror, "
              "median of %d runs\n\n", files.size(), mb, repeat);
  std::printf("| setup | wall s | MB/s compressed | coordinator CPU s | x local throughput | "
              "target |\n");
  std::printf("| --- | ---: | ---: | ---: | ---: | ---: |\n");
  for (size_t i = 0; i < figs.size(); ++i) {
    const auto& f = figs[i];
    double ratio = f.wall > 0 ? figs[0].wall / f.wall : 0;
    char target[32] = "";
    if (i == 1) std::snprintf(target, sizeof target, ">= 0.90 %s", ratio >= 0.9 ? "met" : "missed");
    std::printf("| %s%s | %.2f | %.1f | %.2f | %.2f | %s |\n", f.name.c_str(),
                f.ok ? "" : " (FAILED)", f.wall, f.wall > 0 ? mb / f.wall : 0, f.cpu, ratio,
                target);
  }
  std::printf("\nCheckpoints the workers shipped back in the last run: %.2f MB (%.1f %% of the "
              "compressed input they stand for at most).\n",
              shipped / 1e6, compressed > 0 ? 100.0 * shipped / compressed : 0);
  return 0;
}

/// The real archive's size (data-format notes: 3,386 files, about 61 GB of
/// csv.gz) and the Spark figure the projection is compared with.
constexpr double real_archive_bytes = 61e9;
constexpr int projection_cores = 50;
constexpr double spark_seconds = 15;

/// --lightcurves' default scale: 1.2 M sources in 6.2 GB of csv.gz (the
/// real archive's shape at scale 1 would be 60 GB, hours to write here);
/// the default request asks for the real request's share of its rows
/// (draw_lightcurve_ids: 51,781 ids, as 500,000 are of 11.75 M).
constexpr double lightcurve_scale = 0.2;

int bench_main(const bench_args& a) {
  fs::path archive = a.archive;
  fs::path work = a.work;
  const int repeat = a.repeat;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  if (a.stage == "floor")
    return floor_stage(archive,
                       a.backend == "zlib" ? inflate_backend::zlib
                                           : inflate_backend::isal,
                       a.md5, threads, a.from_url);
  if (a.scaling) return scaling_table(work, repeat, a.scale_given ? a.scale : 0.01);
  if (a.lightcurves)
    return lightcurve_bench({work, repeat,
                             a.scale_given ? a.scale : a.generated ? 0 : lightcurve_scale,
                             a.files, a.ids, a.formats, a.generated});
  if (a.cluster) return cluster_table(archive, work, repeat);
  if (a.number_text) return number_text_bench(repeat);
  auto files = archive_files(archive);
  if (files.empty()) {
    std::fprintf(stderr, "gaia-dr3 bench: no EpochPhotometry_*.csv.gz in %s; "
                         "make them with `gaia-dr3 synth --out %s`\n",
                 archive.c_str(), archive.c_str());
    return 2;
  }
  std::string bounds = boundaries_of(files);
  if (bounds.empty()) {
    std::fprintf(stderr, "gaia-dr3 bench: the files' ranges in %s are not contiguous\n",
                 archive.c_str());
    return 2;
  }
  uint64_t compressed = 0;
  for (const auto& f : files) compressed += fs::file_size(f);

  fs::create_directories(work);
  work = fs::absolute(work);
  archive = fs::absolute(archive);
  auto log = (work / "bench.log").string();
  auto config = write_empty_config(work);
  const std::string file_url = "file://" + archive.string() + "/EpochPhotometry_%s.csv.gz";
  env_map env = {{"GAIA_FILE_BOUNDARIES", bounds},
                 {"GAIA_IMPORT_POOL", std::to_string(threads)}};
  auto with = [&](env_map e, std::initializer_list<std::pair<const std::string, std::string>> more) {
    for (const auto& kv : more) e[kv.first] = kv.second;
    return e;
  };

  // Floors: the least work any program must do on these files, on all
  // cores, nothing else: inflate every file; inflate and MD5 every file.
  uint64_t uncompressed = 0;
  auto floor_once = [&](const char* backend, bool md5, std::string from_url = "") {
    return [&, backend, md5, from_url] {
      auto out = (work / "floor.out").string();
      std::vector<std::string> args = {"bench", "--stage", "floor", "--backend", backend,
                                       "--archive", archive.string()};
      if (md5) args.push_back("--md5");
      if (!from_url.empty()) args.insert(args.end(), {"--from", from_url});
      auto s = run_child(args, {}, out, log);
      std::FILE* f = std::fopen(out.c_str(), "r");
      unsigned long long n = 0;
      if (f != nullptr && std::fscanf(f, "%llu", &n) == 1) uncompressed = n;
      if (f != nullptr) std::fclose(f);
      return s;
    };
  };
  auto out_dir = work / "out";
  auto fresh = [&] { fs::remove_all(out_dir); };
  auto run = [&](const env_map& e) {
    return [&, e] { return run_production(config, e, log); };
  };
  auto base = with(env, {{"GAIA_OUTPUT_DIR", out_dir.string()}});
  // file:// read in place.
  auto local = with(base, {{"GAIA_ARCHIVE_URL_TEMPLATE", file_url}});
  auto local_unchecked = with(local, {{"GAIA_CHECKSUM_URL", "none"}});
  // The import stage in an output directory of its own, prepared once.
  auto import_dir = work / "import";
  auto import_env = with(local_unchecked, {{"GAIA_OUTPUT_DIR", import_dir.string()}});
  fs::remove_all(import_dir);
  run_production(config, import_env, log);
  // A loopback mirror, up for the whole measurement.
  auto mirror = start_mirror(archive, (work / "mirror.url").string());
  if (mirror.base_url.empty()) return 1;
  auto http = with(base, {{"GAIA_ARCHIVE_URL_TEMPLATE",
                           mirror.base_url + "/EpochPhotometry_%s.csv.gz"}});

  std::vector<stage_job> jobs = {
    {"floor: inflate (ISA-L)", nullptr, floor_once("isal", false)},
    {"floor: inflate + MD5 (ISA-L)", nullptr, floor_once("isal", true)},
    // Informative, not a floor: the same loop reading each file from a
    // plain socket GET of the mirror, so the HTTP rows' distance to the
    // floor shows what the socket itself costs.
    {"inflate + MD5 read from the loopback mirror", nullptr,
     floor_once("isal", true, mirror.base_url)},
    {"inflate with zlib instead", nullptr, floor_once("zlib", false)},
    // The import stage: no checksums, the output directory already
    // prepared (the first run makes it); only the checkpoints removed.
    {"import stage (file://, checkpoints removed)",
     [&] { fs::remove_all(import_dir / "aggregates"); }, run(import_env)},
    {"whole run, file://, checksums off", fresh, run(local_unchecked)},
    {"whole run, file://, MD5 checked", fresh, run(local)},
    {"whole run, loopback mirror, MD5 checked", fresh, run(http)},
    {"whole run, loopback, MD5, downloads not kept", fresh,
     run(with(http, {{"GAIA_KEEP_DOWNLOADS", "false"}}))},
    {"whole run, loopback, checksums off", fresh,
     run(with(http, {{"GAIA_CHECKSUM_URL", "none"}}))},
  };
  auto figs = measure_interleaved(jobs, repeat);
  stop_mirror(mirror);
  const auto &inflate_floor = figs[0], &md5_floor = figs[1], &socket_md5 = figs[2],
             &zlib = figs[3], &import = figs[4], &local_off = figs[5], &local_md5 = figs[6],
             &http_md5 = figs[7], &http_gone = figs[8], &http_off = figs[9];

  const char* inflate_name = "inflate";
  const char* md5_name = "inflate + MD5";
  std::vector<table_row> rows = {
    {inflate_floor, nullptr, "", 0},
    {md5_floor, nullptr, "", 0},
    {socket_md5, &md5_floor, md5_name, 0},
    {zlib, &inflate_floor, inflate_name, 0},
    {import, &inflate_floor, inflate_name, 1.05},
    {local_off, &inflate_floor, inflate_name, 1.10},
    {local_md5, &md5_floor, md5_name, 1.10},
    {http_md5, &md5_floor, md5_name, 1.15},
    {http_gone, &md5_floor, md5_name, 1.15},
    {http_off, &inflate_floor, inflate_name, 0},
  };

  double mb = uncompressed / 1e6;
  std::printf("gaia-dr3 bench: %zu files, %.1f MB compressed, %.1f MB "
              "uncompressed, %u threads, median of %d runs\n\n",
              files.size(), compressed / 1e6, mb, threads, repeat);
  std::printf("| stage | wall s | MB/s | CPU s | peak RSS MB | x floor | x floor, CPU | floor "
              "| target (x floor, wall) |\n");
  std::printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |\n");
  for (const auto& r : rows) {
    char ratio[32] = "1.00", cpu_ratio[32] = "1.00", target[48] = "";
    if (r.floor != nullptr && r.floor->wall > 0)
      std::snprintf(ratio, sizeof ratio, "%.2f", r.f.wall / r.floor->wall);
    if (r.floor != nullptr && r.floor->cpu > 0)
      std::snprintf(cpu_ratio, sizeof cpu_ratio, "%.2f", r.f.cpu / r.floor->cpu);
    if (r.target > 0)
      std::snprintf(target, sizeof target, "<= %.2f: %s %s", r.target, ratio,
                    r.floor->wall > 0 && r.f.wall / r.floor->wall <= r.target ? "met"
                                                                              : "missed");
    std::printf("| %s%s | %.2f | %.0f | %.2f | %.0f | %s | %s | %s | %s |\n", r.f.name.c_str(),
                r.f.ok ? "" : " (FAILED)", r.f.wall, r.f.wall > 0 ? mb / r.f.wall : 0,
                r.f.cpu, r.f.rss, ratio, cpu_ratio,
                r.floor != nullptr ? r.floor_name : "(floor)", target);
  }
  // How much of the cores the floor had: on a quiet host it keeps every
  // core busy (CPU ~ wall x threads). Much less means other work shared
  // the cores, and wall ratios then say more about the host than about
  // the stages; CPU ratios hold up better.
  const double share =
    inflate_floor.wall > 0 ? inflate_floor.cpu / (inflate_floor.wall * threads) : 0;
  std::printf("\nThe inflate floor kept %.0f %% of the %u cores busy%s\n", 100 * share, threads,
              share < 0.8 ? ": the host was busy with other work, so the wall ratios are "
                            "unreliable; compare the CPU ratios, or run again when it is quiet."
                          : ".");
  // The projection: per-core throughput of compressed input (CPU seconds,
  // so it does not depend on how many cores this machine has), scaled to
  // the real archive on 50 cores. It assumes the cores scale linearly and
  // storage keeps up, as the Spark figure's cluster does.
  std::printf("\nProjection of the real archive (%.0f GB of csv.gz) onto %d cores, "
              "from CPU per compressed byte here:\n\n",
              real_archive_bytes / 1e9, projection_cores);
  std::printf("| from | MB/s per core | %d cores, s | vs Spark's %.0f s |\n",
              projection_cores, spark_seconds);
  std::printf("| --- | ---: | ---: | ---: |\n");
  for (const auto* f : {&local_off, &local_md5, &http_md5}) {
    if (f->cpu <= 0) continue;
    double per_core = compressed / f->cpu;  // bytes per CPU second
    double secs = real_archive_bytes / (per_core * projection_cores);
    std::printf("| %s | %.0f | %.1f | %.1f x faster |\n", f->name.c_str(), per_core / 1e6,
                secs, spark_seconds / secs);
  }
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
                "instead: whole runs over the first 20, 200, 1,000 and all 3,386 files of a "
                "full-shaped synthetic archive (written once into --work) from a loopback "
                "mirror with MD5 checks: wall and CPU per file, peak RSS (must stay flat)");
  cmd->add_option("--scale", a->scale,
                  "--scaling, --lightcurves: sources per file relative to the real ones "
                  "(default 0.01 for --scaling, 0.2 for --lightcurves)")
    ->check(CLI::Range(1e-4, 4.0))
    ->each([a](const std::string&) { a->scale_given = true; });
  cmd->add_flag("--generated", a->generated,
                "--lightcurves: the archive at the real size instead (every DR3 range, "
                "11.75 M sources, about 65 GB of csv.gz; default scale 1.93, 500,000 ids), "
                "never written: the mirror makes each file as it is asked for (`mirror "
                "--generated`), the variability run and the request read the same bytes; "
                "the first start hashes every file for the checksum list (minutes)");
  cmd->add_flag("--lightcurves", a->lightcurves,
                "instead: `gaia-dr3 lightcurves` for --ids ids drawn over every file of a "
                "full-shaped synthetic archive (written once into --work) against the "
                "variability run over the same files, both from a loopback mirror with MD5 "
                "checks, interleaved: throughput ratio (target >= 0.90), peak RSS (target "
                "<= 256 MB), ids found and not found, the zip's size");
  cmd->add_option("--ids", a->ids,
                  "--lightcurves: ids asked for (default: the share of the archive's rows "
                  "that 500,000 ids are of the real archive's 11.75 M sources, about 4.3 %; "
                  "51,781 at the default scale)")
    ->check(CLI::Range(uint64_t{1}, uint64_t{100000000}));
  cmd->add_option("--lightcurve-formats", a->formats,
                  "--lightcurves: the `lightcurves --format`s to measure, one row each")
    ->default_val(std::vector<std::string>{"csv"})
    ->check(CLI::IsMember({"votable", "votable_plain", "fits", "ecsv", "csv"}));
  cmd->add_option("--files", a->files,
                  "--lightcurves: only the first N ranges of the full-shaped archive "
                  "(a quick look; 0: all)")
    ->default_val(0)
    ->check(CLI::Range(0, 3386));
  cmd->add_flag("--cluster", a->cluster,
                "instead: a whole run from the loopback mirror with the local pools only, "
                "and with a coordinator and two one-thread workers (mutual TLS on "
                "loopback; needs the openssl CLI); the throughput ratio and the checkpoint "
                "bytes shipped");
  cmd->add_flag("--number-text", a->number_text,
                "instead: in this process, CPU ns a value of std::to_chars against "
                "append_shortest (Dragonbox) and std::from_chars against read_real_text "
                "(fast_float) on 1,000,000 archive-like doubles and floats, and whether "
                "both sides' bytes and bits are the same");
  // The measured children: not for people.
  cmd->add_option("--stage", a->stage)->group("");
  cmd->add_option("--backend", a->backend)->group("")->check(CLI::IsMember({"isal", "zlib"}));
  cmd->add_flag("--md5", a->md5)->group("");
  cmd->add_option("--from", a->from_url)->group("");
  out.push_back({cmd, [a] { return bench_main(*a); }});
}

} // namespace gaia::cli
