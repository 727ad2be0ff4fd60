// mirror_server: cpp-httplib serving one directory the way the ESA CDN does.
//
//   request ─► pre-routing handler (every method, no regex routing)
//                ├─ resolve(): path checks + canonical prefix check ─► 404
//                ├─ open + fstat (regular files only)            ─► 404
//                ├─ plan: status, byte range                     ─► 206 / 416
//                ├─ fault hook (a later issue: injected failures)
//                └─ send(): headers + content provider streaming with pread
//
// httplib 0.11.4 applies the parsed Range to every response itself: it
// slices error bodies, and for ranges past the end it answers a bogus 206
// and asks the provider for bytes beyond the file. So the handler clears
// req.ranges and does ranges itself (the Request object is httplib's own
// non-const local; only the handler's view is const).
#include "core/mirror.hpp"

#include <httplib.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

namespace gaia {

namespace fs = std::filesystem;

namespace {

constexpr size_t read_chunk = 64 * 1024;
constexpr int worker_threads = 32; ///< concurrent connections served

/// What the handler is about to send for one request. Faults are meant to be
/// injected by changing this plan (or answering instead of it).
struct serve_plan {
  fs::path file;
  std::shared_ptr<int> fd; ///< open file, closed with the last reference
  uint64_t size = 0;       ///< file size
  uint64_t offset = 0;     ///< first byte sent
  uint64_t length = 0;     ///< bytes sent
  int status = 200;        ///< 200, 206 or 416
};

bool ieq_prefix(const std::string& s, size_t at, const char* p) {
  for (; *p != '\0'; ++p, ++at)
    if (at >= s.size() || std::tolower(static_cast<unsigned char>(s[at])) != *p) return false;
  return true;
}

/// Percent-encoded '.', '/', '\' or NUL in the raw target: never needed for
/// an archive file name, and the classic way around a '..' check.
bool has_encoded_separator(const std::string& target) {
  for (size_t i = target.find('%'); i != std::string::npos; i = target.find('%', i + 1))
    if (ieq_prefix(target, i, "%2e") || ieq_prefix(target, i, "%2f") ||
        ieq_prefix(target, i, "%5c") || ieq_prefix(target, i, "%00"))
      return true;
  return false;
}

/// The served file for a decoded request path, or nothing: every segment a
/// plain name (no '', '.', '..', backslash, NUL), and the canonical path
/// (symlinks resolved) a regular file inside the canonical root.
std::optional<fs::path> resolve(const fs::path& root, const std::string& path) {
  if (path.size() < 2 || path[0] != '/') return std::nullopt;
  if (path.find('\0') != std::string::npos || path.find('\\') != std::string::npos)
    return std::nullopt;
  fs::path rel;
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string seg = path.substr(start, end - start);
    if (seg.empty() || seg == "." || seg == "..") return std::nullopt;
    rel /= seg;
    start = end + 1;
  }
  std::error_code ec;
  const fs::path real = fs::canonical(root / rel, ec);
  if (ec) return std::nullopt;
  auto r = root.begin();
  auto p = real.begin();
  for (; r != root.end(); ++r, ++p)
    if (p == real.end() || *p != *r) return std::nullopt;
  if (p == real.end() || !fs::is_regular_file(real, ec)) return std::nullopt;
  return real;
}

bool parse_u64(const std::string& s, uint64_t& v) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

/// Applies a Range header to the plan. Anything but one well-formed byte
/// range is ignored (a full 200, which RFC 9110 allows); a range that starts
/// past the end gives 416.
void apply_range(const std::string& header, serve_plan& plan) {
  plan.offset = 0;
  plan.length = plan.size;
  plan.status = 200;
  if (header.rfind("bytes=", 0) != 0 || header.find(',') != std::string::npos) return;
  const std::string spec = header.substr(6);
  const size_t dash = spec.find('-');
  if (dash == std::string::npos) return;
  const std::string a = spec.substr(0, dash), b = spec.substr(dash + 1);
  uint64_t first = 0, last = 0;
  if (a.empty()) { // suffix: the last b bytes
    if (!parse_u64(b, last)) return;
    if (last == 0 || plan.size == 0) {
      plan.status = 416;
      return;
    }
    first = last >= plan.size ? 0 : plan.size - last;
    last = plan.size - 1;
  } else {
    if (!parse_u64(a, first)) return;
    if (b.empty())
      last = plan.size == 0 ? 0 : plan.size - 1;
    else if (!parse_u64(b, last) || last < first)
      return;
    if (first >= plan.size) {
      plan.status = 416;
      return;
    }
    if (last >= plan.size) last = plan.size - 1;
  }
  plan.status = 206;
  plan.offset = first;
  plan.length = last - first + 1;
}

std::string content_type_of(const fs::path& p) {
  const auto ext = p.extension().string();
  if (ext == ".gz") return "application/gzip";
  if (ext == ".txt") return "text/plain";
  return "application/octet-stream";
}

void not_found(httplib::Response& res) {
  res.status = 404;
  res.set_content("Not Found\n", "text/plain");
}

/// Makes the response of a plan; the body streams from the file.
void send(const serve_plan& plan, httplib::Response& res) {
  res.status = plan.status;
  res.set_header("Accept-Ranges", "bytes");
  const std::string size = std::to_string(plan.size);
  if (plan.status == 416) {
    res.set_header("Content-Range", "bytes */" + size);
    return;
  }
  if (plan.status == 206)
    res.set_header("Content-Range", "bytes " + std::to_string(plan.offset) + "-" +
                                      std::to_string(plan.offset + plan.length - 1) + "/" + size);
  const std::string type = content_type_of(plan.file);
  if (plan.length == 0) { // httplib wants a provider length > 0
    res.set_content("", type);
    return;
  }
  res.set_content_provider(
    static_cast<size_t>(plan.length), type,
    [fd = plan.fd, base = plan.offset](size_t offset, size_t length, httplib::DataSink& sink) {
      char buf[read_chunk];
      const size_t want = length < read_chunk ? length : read_chunk;
      const ssize_t got = ::pread(*fd, buf, want, static_cast<off_t>(base + offset));
      if (got <= 0) return false; // file shrank or failed: drop the connection
      return sink.write(buf, static_cast<size_t>(got));
    });
}

/// The request target for the log: printable characters only.
std::string printable(const std::string& s) {
  std::string out = s;
  for (auto& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  return out;
}

} // namespace

struct mirror_server::impl {
  mirror_options opts;
  fs::path root; ///< canonical
  httplib::Server server;
  std::thread thread;
  int port = -1;
  std::mutex mu; ///< start/stop
  bool started = false, stopped = false;

  explicit impl(mirror_options o) : opts(std::move(o)) {}

  /// The seam for fault injection (a later issue): may answer the request
  /// itself (return true) or alter the plan. Serves faithfully for now.
  bool inject_fault(const httplib::Request&, httplib::Response&, serve_plan&) { return false; }

  void handle(const httplib::Request& req, httplib::Response& res) {
    const_cast<httplib::Request&>(req).ranges.clear(); // see the file comment
    if (req.method != "GET" && req.method != "HEAD") {
      res.status = 405;
      res.set_header("Allow", "GET, HEAD");
      return;
    }
    const std::string raw_path = req.target.substr(0, req.target.find('?'));
    std::optional<fs::path> file;
    if (!has_encoded_separator(raw_path)) file = resolve(root, req.path);
    if (!file) return not_found(res);
    serve_plan plan;
    plan.file = *file;
    // O_NOFOLLOW: the canonical path has no symlinks left; one appearing
    // since then is refused instead of followed.
    const int fd = ::open(file->c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return not_found(res);
    plan.fd = std::shared_ptr<int>(new int(fd), [](int* p) {
      ::close(*p);
      delete p;
    });
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return not_found(res);
    plan.size = static_cast<uint64_t>(st.st_size);
    apply_range(req.get_header_value("Range"), plan);
    if (inject_fault(req, res, plan)) return;
    send(plan, res);
  }

  void log(const httplib::Request& req, const httplib::Response& res) {
    if (!opts.log_requests) return;
    std::string bytes = res.get_header_value("Content-Length");
    if (bytes.empty()) bytes = std::to_string(res.body.size());
    std::string line = "mirror: " + req.method + " " + printable(req.target) + " " +
                       std::to_string(res.status) + " " + bytes + " bytes";
    const std::string range = req.get_header_value("Range");
    if (!range.empty()) line += " (range " + printable(range) + ")";
    line += '\n';
    std::fputs(line.c_str(), stderr); // one call: lines do not interleave
  }
};

mirror_server::mirror_server(mirror_options opts)
  : impl_(std::make_unique<impl>(std::move(opts))) {}

mirror_server::~mirror_server() { stop(); }

void mirror_server::start() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto& m = *impl_;
  if (m.started) throw std::logic_error("mirror: already started");
  std::error_code ec;
  m.root = fs::canonical(m.opts.dir, ec);
  if (ec || !fs::is_directory(m.root))
    throw std::runtime_error("mirror: not a directory: " + m.opts.dir);

  m.server.new_task_queue = [] { return new httplib::ThreadPool(worker_threads); };
  m.server.set_pre_routing_handler([&m](const httplib::Request& req, httplib::Response& res) {
    m.handle(req, res);
    return httplib::Server::HandlerResponse::Handled;
  });
  m.server.set_logger([&m](const httplib::Request& req, const httplib::Response& res) {
    m.log(req, res);
  });
  // Idle keep-alive connections hold a worker; a short timeout also keeps
  // stop() quick.
  m.server.set_keep_alive_timeout(2);

  const std::string where = m.opts.bind + ":" + std::to_string(m.opts.port);
  if (m.opts.port == 0) {
    m.port = m.server.bind_to_any_port(m.opts.bind);
    if (m.port < 0) throw std::runtime_error("mirror: cannot bind " + where);
  } else {
    if (!m.server.bind_to_port(m.opts.bind, m.opts.port))
      throw std::runtime_error("mirror: cannot bind " + where);
    m.port = m.opts.port;
  }
  m.started = true;
  m.thread = std::thread([&m] { m.server.listen_after_bind(); });
  // stop() is a no-op until the server runs: wait for it, so an early stop()
  // cannot leave the thread listening forever.
  for (int i = 0; i < 5000 && !m.server.is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

int mirror_server::port() const { return impl_->port; }

std::string mirror_server::base_url() const {
  std::string host = impl_->opts.bind;
  if (host.empty() || host == "0.0.0.0" || host == "::") host = "127.0.0.1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(impl_->port);
}

void mirror_server::stop() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto& m = *impl_;
  if (!m.started || m.stopped) return;
  m.stopped = true;
  m.server.stop();
  if (m.thread.joinable()) m.thread.join();
}

} // namespace gaia
