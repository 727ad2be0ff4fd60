// The measuring half of `gaia-dr3 bench`. Every measured stage runs in a
// child process of this executable, so wall time, CPU time and peak RSS are
// its own (wait4).
#include "tools/bench/bench_runner.hpp"

#include "archive/gzip_stream.hpp"
#include "download/md5.hpp"
#include "engine/log.hpp"

#include <isa-l.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <stdexcept>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <arpa/inet.h>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <memory>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace gaia::cli::bench {

namespace fs = std::filesystem;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

} // namespace

pid_t spawn_self(const std::vector<std::string>& args, char* const* envp,
                 const std::string& out_path, const std::string& err_path) {
  std::vector<std::string> argv_s = {"/proc/self/exe"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  pid_t pid = -1;
  if (posix_spawn(&pid, "/proc/self/exe", &fa, nullptr, argv.data(), envp) != 0)
    pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

namespace {

/// This process's environment without GAIA_* variables, plus `env_add`.
struct child_env {
  explicit child_env(const env_map& env_add) {
    for (char** e = environ; *e != nullptr; ++e)
      if (std::string(*e).rfind("GAIA_", 0) != 0) strings.push_back(*e);
    for (const auto& [k, v] : env_add) strings.push_back(k + "=" + v);
    for (auto& e : strings) pointers.push_back(e.data());
    pointers.push_back(nullptr);
  }
  char* const* envp() { return pointers.data(); }
  std::vector<std::string> strings;
  std::vector<char*> pointers;
};

} // namespace

namespace {

/// The peak RSS file the run_child call made and the child wrote (kB), or
/// -1.
double read_peak_kb(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return -1;
  long long kb = -1;
  if (std::fscanf(f, "%lld", &kb) != 1) kb = -1;
  std::fclose(f);
  return static_cast<double>(kb);
}

} // namespace

void report_peak_rss_at_exit() {
  static std::string path;
  const char* p = std::getenv(peak_rss_file_variable);
  if (p == nullptr || *p == '\0') return;
  path = p;
  std::atexit([] {
    std::FILE* status = std::fopen("/proc/self/status", "r");
    if (status == nullptr) return;
    char line[256];
    long long kb = -1;
    while (std::fgets(line, sizeof line, status) != nullptr)
      if (std::sscanf(line, "VmHWM: %lld kB", &kb) == 1) break;
    std::fclose(status);
    if (kb < 0) return;
    if (std::FILE* out = std::fopen(path.c_str(), "w")) {
      std::fprintf(out, "%lld\n", kb);
      std::fclose(out);
    }
  });
}

sample run_child(const std::vector<std::string>& args, const env_map& env_add_in,
                 const std::string& out_path, const std::string& log_path) {
  static std::atomic<unsigned> children{0};
  const std::string peak_file = (fs::temp_directory_path() /
                                 ("gaia-dr3-bench-peak-" + std::to_string(getpid()) + "-" +
                                  std::to_string(children++)))
                                  .string();
  ::unlink(peak_file.c_str());
  env_map env_add = env_add_in;
  env_add[peak_rss_file_variable] = peak_file;
  child_env env(env_add);
  auto t0 = std::chrono::steady_clock::now();
  sample s;
  pid_t pid = spawn_self(args, env.envp(), out_path, log_path);
  if (pid < 0) {
    s.exit_code = -1;
    return s;
  }
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  s.wall_s = engine::seconds_since(t0);
  s.cpu_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec
            + ru.ru_stime.tv_usec / 1e6;
  const double peak_kb = read_peak_kb(peak_file);
  ::unlink(peak_file.c_str());
  // Not written (the child was killed): the kernel's figure, an upper bound.
  s.rss_mb = (peak_kb >= 0 ? peak_kb : static_cast<double>(ru.ru_maxrss)) / 1024.0;
  s.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return s;
}

pid_t start_child(const std::vector<std::string>& args, const env_map& env_add,
                  const std::string& log_path) {
  child_env env(env_add);
  return spawn_self(args, env.envp(), "/dev/null", log_path);
}

void stop_child(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
}

sample run_production(const std::string& config, const env_map& env_add,
                      const std::string& log_path) {
  return run_child({"run", "--config", config}, env_add, "/dev/null", log_path);
}

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

std::vector<figure> measure_interleaved(const std::vector<stage_job>& jobs, int repeat) {
  std::vector<std::vector<sample>> got(jobs.size());
  for (int r = 0; r < repeat; ++r)
    for (size_t j = 0; j < jobs.size(); ++j) {
      if (jobs[j].before) jobs[j].before();
      auto s = jobs[j].once();
      std::fprintf(stderr, "bench: round %d: %s: %.2f s wall, %.2f s CPU, %.0f MB%s\n", r + 1,
                   jobs[j].name.c_str(), s.wall_s, s.cpu_s, s.rss_mb,
                   s.exit_code != 0 ? " (FAILED)" : "");
      got[j].push_back(s);
    }
  std::vector<figure> out;
  for (size_t j = 0; j < jobs.size(); ++j) {
    figure f{jobs[j].name};
    std::vector<double> wall, cpu, rss;
    for (const auto& s : got[j]) {
      if (s.exit_code != 0) f.ok = false;
      wall.push_back(s.wall_s);
      cpu.push_back(s.cpu_s);
      rss.push_back(s.rss_mb);
    }
    f.wall = median(wall);
    f.cpu = median(cpu);
    f.rss = median(rss);
    out.push_back(f);
  }
  return out;
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

std::string write_empty_config(const fs::path& work) {
  auto config = (work / "bench-config.json").string();
  std::FILE* cf = std::fopen(config.c_str(), "w");
  std::fputs("{}\n", cf);
  std::fclose(cf);
  return config;
}

std::string scale_text(double scale) {
  char buf[32];
  return std::string(buf, std::to_chars(buf, buf + sizeof buf, scale).ptr);
}

fs::path full_archive(const fs::path& work, double scale, int files, const std::string& log) {
  const std::string scale_s = scale_text(scale);
  auto archive = work / ("full-archive-" + scale_s
                         + (files > 0 ? "-" + std::to_string(files) + "files" : ""));
  if (fs::exists(archive / ".complete")) return archive;
  fs::remove_all(archive);
  std::fprintf(stderr, "gaia-dr3 bench: writing the full-shaped archive (%s files, scale %s) "
                       "into %s\n", files > 0 ? std::to_string(files).c_str() : "3,386",
               scale_s.c_str(), archive.c_str());
  std::vector<std::string> args = {"synth", "--out", archive.string(), "--boundaries", "all",
                                   "--scale", scale_s};
  if (files > 0) {
    args.push_back("--files");
    args.push_back(std::to_string(files));
  }
  if (run_child(args, {}, "/dev/null", log).exit_code != 0) return {};
  std::FILE* f = std::fopen((archive / ".complete").c_str(), "w");
  if (f != nullptr) std::fclose(f);
  return archive;
}

namespace {

/// Decompressed text thrown away: the floor does only the inflater's work.
struct discard_sink final : text_sink {
  std::unique_ptr<char[]> buf{new char[1024 * 1024]};
  std::pair<char*, size_t> room() override { return {buf.get(), 1024 * 1024}; }
  void wrote(size_t) override {}
};

/// Inflates one file (and hashes its compressed bytes as they are read,
/// when `with_md5`) through gzip_stream, as an import does: the zlib row.
uint64_t inflate_file(const fs::path& path, inflate_backend backend, bool with_md5) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(path.string() + ": cannot open");
  gzip_stream stream(path.string(), backend);
  discard_sink sink;
  md5 hash;
  for (;;) {
    auto [room, cap] = stream.input_room();
    ssize_t got = ::read(fd, room, cap);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    if (with_md5) hash.update(room, static_cast<size_t>(got));
    stream.input_added(static_cast<size_t>(got));
    stream.pump(sink);
  }
  ::close(fd);
  stream.finish(sink);
  if (with_md5 && hash.hex().size() != 32)
    throw std::runtime_error(path.string() + ": no MD5");
  return stream.uncompressed_bytes();
}

/// The floor itself: none of our code between read() and ISA-L. 128 KiB
/// reads of `fd` straight into isal_inflate (gzip wrapper: the CRC32 and size
/// of every member checked), the text written into one 256 KiB buffer and
/// thrown away; MD5 over the compressed bytes of the same reads.
/// `first` holds bytes that come before the fd's (a body read with its
/// HTTP head). Closes `fd`.
///
/// The sizes are the fastest measured: with 1 MiB for both (this floor
/// until 2026-12-07) the text buffer leaves L2 and the same loop costs
/// ~5 % more CPU (paired, 20 files: 0.95x for 128/256 KiB; 64-512 KiB
/// all within 1 % of it). A floor must be the fastest way known.
uint64_t bare_isal_fd(int fd, const std::string& what, const std::string& first,
                      bool with_md5) {
  constexpr size_t chunk = 128 * 1024;     // compressed bytes a read()
  constexpr size_t out_chunk = 256 * 1024; // text an isal_inflate call
  std::unique_ptr<uint8_t[]> in(new uint8_t[chunk]), out(new uint8_t[out_chunk]);
  auto state = std::make_unique<inflate_state>();
  isal_inflate_init(state.get());
  state->crc_flag = ISAL_GZIP;
  md5 hash;
  uint64_t text = 0;
  size_t first_left = first.size();
  for (;;) {
    ssize_t got;
    if (first_left > 0) {
      got = static_cast<ssize_t>(std::min(first_left, chunk));
      std::memcpy(in.get(), first.data() + (first.size() - first_left), static_cast<size_t>(got));
      first_left -= static_cast<size_t>(got);
    } else {
      got = ::read(fd, in.get(), chunk);
    }
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    if (with_md5) hash.update(in.get(), static_cast<size_t>(got));
    state->next_in = in.get();
    state->avail_in = static_cast<uint32_t>(got);
    while (state->avail_in > 0) {
      if (state->block_state == ISAL_BLOCK_FINISH) {  // the next member
        isal_inflate_reset(state.get());
        state->crc_flag = ISAL_GZIP;
      }
      state->next_out = out.get();
      state->avail_out = static_cast<uint32_t>(out_chunk);
      if (isal_inflate(state.get()) < 0) {
        ::close(fd);
        throw std::runtime_error(what + ": corrupt gzip data");
      }
      text += out_chunk - state->avail_out;
    }
  }
  ::close(fd);
  if (state->block_state != ISAL_BLOCK_FINISH) throw std::runtime_error(what + ": truncated");
  if (with_md5 && hash.hex().size() != 32) throw std::runtime_error(what + ": no MD5");
  return text;
}

uint64_t bare_isal_file(const fs::path& path, bool with_md5) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(path.string() + ": cannot open");
  return bare_isal_fd(fd, path.string(), "", with_md5);
}

/// A socket with the answer to a plain GET of `url` (http://IPV4:PORT/PATH,
/// as the loopback mirror serves), its head read and checked for a 200;
/// `body_start` gets the body bytes that came with the head. For the
/// informative floor over a socket: the least a client of the mirror does.
int open_http_body(const std::string& url, std::string& body_start) {
  const std::string scheme = "http://";
  const size_t host_at = scheme.size();
  const size_t colon = url.find(':', host_at);
  const size_t slash = url.find('/', host_at);
  if (url.rfind(scheme, 0) != 0 || colon == std::string::npos || slash == std::string::npos ||
      colon > slash)
    throw std::runtime_error(url + ": not http://IPV4:PORT/PATH");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  unsigned port = 0;
  std::from_chars(url.data() + colon + 1, url.data() + slash, port);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, url.substr(host_at, colon - host_at).c_str(), &addr.sin_addr) != 1)
    throw std::runtime_error(url + ": not an IPv4 address");
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error(url + ": cannot connect");
  }
  const std::string request = "GET " + url.substr(slash) + " HTTP/1.1\r\nHost: " +
                              url.substr(host_at, slash - host_at) +
                              "\r\nConnection: close\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    ::close(fd);
    throw std::runtime_error(url + ": cannot send the request");
  }
  std::string head;
  char buf[64 * 1024];
  while (head.find("\r\n\r\n") == std::string::npos) {
    const ssize_t got = ::read(fd, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0 || head.size() > (1u << 20)) {
      ::close(fd);
      throw std::runtime_error(url + ": no complete HTTP head");
    }
    head.append(buf, static_cast<size_t>(got));
  }
  const size_t end = head.find("\r\n\r\n");
  if (head.compare(0, 12, "HTTP/1.1 200") != 0 && head.compare(0, 12, "HTTP/1.0 200") != 0) {
    ::close(fd);
    throw std::runtime_error(url + ": " + head.substr(0, head.find('\r')));
  }
  body_start = head.substr(end + 4);
  return fd;
}

/// One file of the floor: from the disk, or from `from_url`'s server.
uint64_t floor_file(const fs::path& path, inflate_backend backend, bool with_md5,
                    const std::string& from_url) {
  if (!from_url.empty()) {
    std::string first;
    const std::string url = from_url + "/" + path.filename().string();
    const int fd = open_http_body(url, first);
    return bare_isal_fd(fd, url, first, with_md5);
  }
  return backend == inflate_backend::isal ? bare_isal_file(path, with_md5)
                                          : inflate_file(path, backend, with_md5);
}

} // namespace

int floor_stage(const fs::path& dir, inflate_backend backend, bool with_md5,
                unsigned threads, const std::string& from_url) {
  auto files = archive_files(dir);
  // Largest first, as the import pool takes them: no core idles at the end
  // on a big file another could have started earlier.
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return fs::file_size(a) > fs::file_size(b);
  });
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      try {
        for (size_t i; (i = next++) < files.size();)
          bytes += floor_file(files[i], backend, with_md5, from_url);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "gaia-dr3 bench: %s\n", e.what());
        failed = true;
      }
    });
  for (auto& t : pool) t.join();
  std::printf("%llu\n", static_cast<unsigned long long>(bytes.load()));
  return failed ? 1 : 0;
}

namespace {

/// Spawns `mirror ARGS --port 0` and waits up to `wait` for its URL.
mirror_child spawn_mirror(std::vector<std::string> args, const std::string& url_file,
                          std::chrono::seconds wait) {
  mirror_child m;
  args.insert(args.begin(), "mirror");
  args.insert(args.end(), {"--port", "0"});
  // Unlike run_child, the environment as it is: the mirror reads no GAIA_*
  // variable. Its log (hashing a generated archive) goes to stderr.
  m.pid = spawn_self(args, environ, url_file, "/dev/null");
  const auto until = std::chrono::steady_clock::now() + wait;
  while (m.base_url.empty() && std::chrono::steady_clock::now() < until) {
    if (waitpid(m.pid, nullptr, WNOHANG) == m.pid) {
      m.pid = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::FILE* f = std::fopen(url_file.c_str(), "r");
    char buf[256] = {0};
    if (f != nullptr && std::fgets(buf, sizeof buf, f) != nullptr) {
      m.base_url = buf;
      while (!m.base_url.empty()
             && (m.base_url.back() == '\n' || m.base_url.back() == '\r'))
        m.base_url.pop_back();
    }
    if (f != nullptr) std::fclose(f);
  }
  if (m.base_url.empty()) {
    stop_mirror(m);
    m.pid = -1;
    std::fprintf(stderr, "gaia-dr3 bench: the loopback mirror did not start\n");
  }
  return m;
}

} // namespace

mirror_child start_mirror(const fs::path& dir, const std::string& url_file) {
  return spawn_mirror({"--dir", dir.string()}, url_file, std::chrono::seconds(5));
}

mirror_child start_generated_mirror(double scale, int files, const std::string& checksums,
                                    const std::string& url_file) {
  return spawn_mirror({"--generated", scale_text(scale), "--files", std::to_string(files),
                       "--checksums", checksums},
                      url_file, std::chrono::hours(2));
}

void stop_mirror(const mirror_child& m) {
  if (m.pid > 0) {
    kill(m.pid, SIGTERM);
    waitpid(m.pid, nullptr, 0);
  }
}

} // namespace gaia::cli::bench
