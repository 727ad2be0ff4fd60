// For tests of the trace and the live page: a small archive on a loopback
// mirror (in this process, so faults can be switched on and off), the
// environment that points gaia-dr3 at it, HTTP GETs, commands such as
// promtool, and headless Chromium.
#pragma once

#include "download/checksums.hpp"
#include "tools/mirror/mirror.hpp"
#include "tools/synth/synth.hpp"

#include "tests/process_util.hpp"
#include "tests/production_fixture.hpp"

#include <httplib.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdio>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace gaia::test {

/// A port nobody listens on now (bound to port 0, then released).
inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t n = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0
      || ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n) != 0)
    throw std::runtime_error("no free port");
  ::close(fd);
  return ntohs(a.sin_port);
}

struct http_result {
  int status = 0; ///< 0: no answer
  std::string body;
};

inline http_result http_get(int port, const std::string& path) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(5, 0);
  c.set_read_timeout(10, 0);
  auto r = c.Get(path.c_str());
  if (!r) return {};
  return {r->status, r->body};
}

struct command_result {
  int code = -1;
  std::string output; ///< stdout and stderr
};

/// Runs `cmd` with sh; its exit code and what it printed.
inline command_result run_command(const std::string& cmd) {
  command_result out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.output.append(buf, n);
  int status = ::pclose(p);
  out.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

/// The samples of a Prometheus text exposition (/metrics): "name{labels}"
/// -> value.
inline std::map<std::string, double> prometheus_samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    auto sp = line.rfind(' ');
    out[line.substr(0, sp)] = std::strtod(line.c_str() + sp + 1, nullptr);
  }
  return out;
}

/// The entries of a zip as Python's zipfile reads it (every entry's CRC
/// checked), in order; throws with what Python said when it cannot.
inline std::vector<std::string> zip_entry_names(const std::filesystem::path& zip) {
  const auto r = run_command(
    "/usr/bin/python3 -c \"import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); "
    "bad = z.testzip(); assert bad is None, bad; print('\\n'.join(z.namelist()))\" '"
    + zip.string() + "'");
  if (r.code != 0) throw std::runtime_error("cannot read " + zip.string() + ": " + r.output);
  std::vector<std::string> names;
  std::istringstream in(r.output);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) names.push_back(line);
  return names;
}

/// Extracts `zip` into `to` with Python's zipfile (a reader of our own
/// would prove nothing); the caller checks the result.
inline command_result extract_zip(const std::filesystem::path& zip,
                                  const std::filesystem::path& to) {
  return run_command(
    "/usr/bin/python3 -c \"import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])\" '"
    + zip.string() + "' '" + to.string() + "'");
}

/// Headless Chromium as root (CI runs as root): a fresh profile each time
/// under `scratch`, nothing fetched but the page.
inline std::string chromium_command(const std::filesystem::path& scratch) {
  static int n = 0;
  const auto profile = scratch / ("chromium-profile-" + std::to_string(++n));
  std::filesystem::create_directories(profile);
  return "timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic "
         "--no-first-run --disable-background-networking --disable-component-update "
         "--disable-sync --disable-dev-shm-usage --user-data-dir='"
         + profile.string() + "' --window-size=1280,900 ";
}

/// The page's DOM once its scripts ran for `budget_ms` of (virtual) time:
/// what a person would see after that long.
inline std::string browser_dom(const std::string& url, const std::filesystem::path& scratch,
                               int budget_ms = 4000) {
  auto r = run_command(chromium_command(scratch) + "--virtual-time-budget="
                       + std::to_string(budget_ms) + " --dump-dom '" + url + "' 2>/dev/null");
  return r.output;
}

/// The page used as a person uses it: tests/browser_steps.py opens `url` in
/// headless Chromium and runs `steps` ({"eval": JS} or {"until": JS,
/// "timeout_ms": N}) in it, clicks included; its output is a JSON list of
/// each step's value, or {"timeout": ...} when one never came true.
inline std::string browser_steps(const std::string& url, const std::string& steps_json,
                                 const std::filesystem::path& scratch) {
  static int n = 0;
  const auto profile = scratch / ("chromium-steps-" + std::to_string(++n));
  std::filesystem::create_directories(profile);
  const auto steps_file = scratch / ("steps-" + std::to_string(n) + ".json");
  write_file(steps_file, steps_json);
  return run_command("timeout 150 /usr/bin/python3 '" GAIA_SOURCE_DIR "/tests/browser_steps.py' '"
                     + url + "' '@" + steps_file.string() + "' '" + profile.string() + "'")
    .output;
}

/// A screenshot of the page (1280x900) after `budget_ms`; true when the
/// PNG was written.
inline bool browser_screenshot(const std::string& url, const std::filesystem::path& png,
                               const std::filesystem::path& scratch, int budget_ms = 4000) {
  std::error_code ec;
  std::filesystem::remove(png, ec);
  run_command(chromium_command(scratch) + "--virtual-time-budget=" + std::to_string(budget_ms)
              + " --hide-scrollbars --screenshot='" + png.string() + "' '" + url + "'");
  if (!std::filesystem::exists(png)) return false;
  auto head = read_file(png).substr(0, 8);
  return head == "\x89PNG\r\n\x1a\n";
}

/// A loopback mirror in this process serving `dir` (its _MD5SUM.txt
/// written first), quiet.
inline std::unique_ptr<mirror_server> loopback_mirror(const std::string& dir) {
  write_checksum_file(dir);
  mirror_options o;
  o.dir = dir;
  o.log_requests = false;
  auto server = std::make_unique<mirror_server>(o);
  server->start();
  return server;
}

/// The full-shaped synthetic archive: all 3,386 DR3 ranges, a few sources
/// each (scale 0.0003), into `dir`.
inline synth::archive_options full_shaped_archive(const std::string& dir, uint64_t seed) {
  synth::archive_options o;
  o.out_dir = dir;
  o.boundaries = synth::dr3_partition();
  o.files = static_cast<int>(o.boundaries.size()) - 1;
  o.scale = 0.0003;
  o.seed = seed;
  return o;
}

/// `files` small synthetic archive files with _MD5SUM.txt in dir/www,
/// served by a loopback mirror in this process.
struct mirror_archive {
  small_archive archive;
  std::string boundaries; ///< "1000,1400,..." for GAIA_FILE_BOUNDARIES
  std::unique_ptr<mirror_server> server;
  uint64_t total_bytes = 0; ///< of the archive files

  mirror_archive(const temp_dir& dir, int files, double scale = 0.05) {
    std::vector<int64_t> b;
    for (int i = 0; i <= files; ++i) b.push_back(1000 + 400 * i);
    archive.ranges = ranges_from_boundaries(b);
    for (size_t i = 0; i < b.size(); ++i) boundaries += (i ? "," : "") + std::to_string(b[i]);
    const auto www = dir / "www";
    std::filesystem::create_directories(www);
    for (const auto& r : archive.ranges) {
      archive.files.push_back(synth::generate_rows(r, scale, 11));
      total_bytes += synth::write_archive_file((www / r.archive_file_name()).string(),
                                               archive.files.back());
    }
    server = loopback_mirror(www.string());
  }

  std::string file_name(size_t i) const { return archive.ranges[i].archive_file_name(); }
  std::string label(size_t i) const { return archive.ranges[i].label(); }

  /// The environment that runs gaia-dr3 against this mirror into `out`.
  std::map<std::string, std::string> env(const std::filesystem::path& out) const {
    return {{"GAIA_ARCHIVE_URL_TEMPLATE", server->base_url() + "/EpochPhotometry_%s.csv.gz"},
            {"GAIA_FILE_BOUNDARIES", boundaries},
            {"GAIA_OUTPUT_DIR", out.string()},
            {"GAIA_POLL_INTERVAL_MS", "50"},
            {"GAIA_DOWNLOAD_POOL", "2"},
            {"GAIA_IMPORT_POOL", "2"},
            {"GAIA_RETRY_BACKOFF_MS", "10"}};
  }
};

/// An empty config file in `dir`: the environment says everything.
inline std::string empty_config(const temp_dir& dir) {
  const auto path = dir / "config.json";
  write_file(path, "{}\n");
  return path.string();
}

} // namespace gaia::test
