// mirror_server: cpp-httplib serving one directory the way the ESA CDN does.
//
//   request ─► pre-routing handler (every method, no regex routing)
//                ├─ resolve(): path checks + canonical prefix check ─► 404
//                ├─ open + fstat (regular files only)            ─► 404
//                ├─ plan: status, byte range, If-Range           ─► 206 / 416
//                ├─ inject_fault(): a test's mirror_fault answers ─► 5xx/404/HTML
//                │   instead, or bends the plan / body (mirror_faults.cpp)
//                ├─ send(): headers, then the body by sendfile(2) on the
//                │   connection's socket (mirror_sendfile.cpp), or with
//                │   pread through httplib when a fault bends it
//                └─ the request is recorded (requests())
//   (with mirror_options::generated, the files are made on request instead:
//    serve_generated(), the same ranges and validators, no faults)
//
// httplib 0.11.4 applies the parsed Range to every response itself: it
// slices error bodies, and for ranges past the end it answers a bogus 206
// and asks the provider for bytes beyond the file. So the handler clears
// req.ranges and does ranges itself (the Request object is httplib's own
// non-const local; only the handler's view is const). A Range header httplib
// cannot parse it answers with a bare 416 before any handler runs; RFC 9110
// says to ignore such a header, so the error handler serves those requests.
//
// Slow clients: every connection holds a worker thread while it sends its
// request and while it reads the answer. Enough workers, and timeouts on
// each read and write, keep a few dozen stuck clients from starving the rest.
#include "tools/mirror/mirror.hpp"
#include "tools/mirror/mirror_internal.hpp"

#include <httplib.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdint>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

namespace gaia {

namespace fs = std::filesystem;
using mirror_detail::serve_plan;

namespace {

/// Connections served at once; a further one waits for a free worker. Idle
/// workers only cost a parked thread each.
constexpr int worker_threads = 256;
/// A client that sends nothing of its request for this long is dropped
/// (idle keep-alive: 2 s); one that accepts no bytes of the answer, after
/// mirror_detail::write_timeout_s.
constexpr int read_timeout_s = 10;
using mirror_detail::write_timeout_s;

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

/// RFC 9110 range-unit names compare case-insensitively.
bool is_bytes_unit(const std::string& unit) {
  return unit.size() == 5 && ieq_prefix(unit, 0, "bytes");
}

/// A byte position: digits only, at least one. Values beyond 64 bits
/// saturate: such a first position is past any file's end, such a last
/// position or suffix length covers the whole file.
bool parse_pos(const std::string& s, uint64_t& v) {
  if (s.empty()) return false;
  v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
  }
  return true;
}

/// The validators of a file version: an ETag from size and mtime, and the
/// mtime as an HTTP date.
void set_validators(const struct stat& st, serve_plan& plan) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "\"%llx-%llx\"", static_cast<unsigned long long>(st.st_size),
                static_cast<unsigned long long>(st.st_mtim.tv_sec) * 1000000000ull +
                  static_cast<unsigned long long>(st.st_mtim.tv_nsec));
  plan.etag = buf;
  std::tm tm{};
  gmtime_r(&st.st_mtim.tv_sec, &tm);
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  plan.last_modified = buf;
}

/// Applies a Range header (RFC 9110 section 14.2) to the plan. One range of
/// unit "bytes" (any case) is honoured. Another unit, invalid syntax
/// ("bytes=5-1", "bytes=abc", "bytes= 0-1") or several ranges are ignored:
/// the whole file, 200, as the RFC asks (several ranges it allows to
/// ignore). A range that starts past the end, or a zero-length suffix,
/// gives 416. An If-Range that names another version of the file (ETag or
/// exact Last-Modified) also gives the whole file.
void apply_range(const std::string& header, const std::string& if_range, serve_plan& plan) {
  plan.offset = 0;
  plan.length = plan.size;
  plan.status = 200;
  const size_t eq = header.find('=');
  if (eq == std::string::npos || !is_bytes_unit(header.substr(0, eq))) return;
  const std::string spec = header.substr(eq + 1);
  const size_t dash = spec.find('-');
  if (dash == std::string::npos || spec.find(',') != std::string::npos) return;
  if (!if_range.empty() && if_range != plan.etag && if_range != plan.last_modified) return;
  const std::string a = spec.substr(0, dash), b = spec.substr(dash + 1);
  uint64_t first = 0, last = 0;
  if (a.empty()) { // suffix: the last b bytes
    if (!parse_pos(b, last)) return;
    if (last == 0 || plan.size == 0) {
      plan.status = 416;
      return;
    }
    first = last >= plan.size ? 0 : plan.size - last;
    last = plan.size - 1;
  } else {
    if (!parse_pos(a, first)) return;
    if (b.empty())
      last = UINT64_MAX;
    else if (!parse_pos(b, last) || last < first)
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

void not_found(httplib::Response& res) {
  res.status = 404;
  res.set_content("Not Found\n", "text/plain");
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
  /// Bumped by stop() and clear_faults(): ends injected stalls early.
  std::atomic<uint64_t> stall_epoch{0};
  mirror_detail::fault_table faults;
  mutable std::mutex requests_mu;
  mutable std::condition_variable request_came; ///< for wait_for_request()
  std::vector<mirror_request> requests;

  explicit impl(mirror_options o) : opts(std::move(o)) {}

  /// The seam for fault injection: a fault set by a test may answer the
  /// request itself (true) or bend the plan and the body (false).
  bool inject_fault(const httplib::Request& req, httplib::Response& res, serve_plan& plan,
                    mirror_detail::body_fault& body, std::string& applied) {
    const std::string name = req.path.substr(req.path.rfind('/') + 1);
    auto f = faults.take(name, req.has_header("Range"));
    if (!f) return false;
    applied = fault_name(f->what);
    res.set_header("X-Mirror-Fault", applied); // for the request log
    return mirror_detail::apply_fault(*f, plan, res, body);
  }

  void record(const httplib::Request& req, int status, const std::string& fault,
              std::chrono::steady_clock::time_point at) {
    mirror_request r{req.method, req.target, req.get_header_value("Range"),
                     req.get_header_value("If-Range"), status, fault, at};
    {
      std::lock_guard<std::mutex> lock(requests_mu);
      requests.push_back(std::move(r));
    }
    request_came.notify_all();
  }

  void handle(const httplib::Request& req, httplib::Response& res) {
    const auto at = std::chrono::steady_clock::now();
    std::string fault;
    serve(req, res, fault);
    record(req, res.status, fault, at);
  }

  void serve(const httplib::Request& req, httplib::Response& res, std::string& fault) {
    const_cast<httplib::Request&>(req).ranges.clear(); // see the file comment
    if (req.method != "GET" && req.method != "HEAD") {
      res.status = 405;
      res.set_header("Allow", "GET, HEAD");
      return;
    }
    const std::string raw_path = req.target.substr(0, req.target.find('?'));
    if (opts.generated) return serve_generated(req, res);
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
    set_validators(st, plan);
    apply_range(req.get_header_value("Range"), req.get_header_value("If-Range"), plan);
    mirror_detail::body_fault body;
    body.epoch = stall_epoch.load();
    if (inject_fault(req, res, plan, body, fault)) return;
    mirror_detail::send(plan, res, body, stall_epoch,
                        req.method == "GET" ? mirror_detail::connection_socket(req) : -1);
  }

  /// A generated archive's file: ranges and validators as for a file on
  /// disk, the body made as it is sent.
  void serve_generated(const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.path.size() > 1 ? req.path.substr(1) : "";
    if (name.find('/') != std::string::npos) return not_found(res);
    serve_plan plan;
    plan.file = name;
    plan.generated = opts.generated(name);
    if (!plan.generated) return not_found(res);
    plan.size = plan.generated->size();
    plan.etag = "\"gen-" + std::to_string(plan.size) + "\"";
    plan.last_modified = "Thu, 01 Jan 1970 00:00:00 GMT";
    apply_range(req.get_header_value("Range"), req.get_header_value("If-Range"), plan);
    mirror_detail::send(plan, res, {}, stall_epoch, -1);
  }

  void log(const httplib::Request& req, const httplib::Response& res) {
    if (!opts.log_requests) return;
    std::string bytes = res.get_header_value("Content-Length");
    if (bytes.empty()) bytes = std::to_string(res.body.size());
    std::string line = "mirror: " + req.method + " " + printable(req.target) + " " +
                       std::to_string(res.status) + " " + bytes + " bytes";
    const std::string range = req.get_header_value("Range");
    if (!range.empty()) line += " (range " + printable(range) + ")";
    const std::string fault = res.get_header_value("X-Mirror-Fault");
    if (!fault.empty()) line += " [fault " + fault + "]";
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
  if (!m.opts.generated) {
    m.root = fs::canonical(m.opts.dir, ec);
    if (ec || !fs::is_directory(m.root))
      throw std::runtime_error("mirror: not a directory: " + m.opts.dir);
  }

  m.server.new_task_queue = [] { return new httplib::ThreadPool(worker_threads); };
  m.server.set_pre_routing_handler([&m](const httplib::Request& req, httplib::Response& res) {
    m.handle(req, res);
    return httplib::Server::HandlerResponse::Handled;
  });
  // httplib's own 416 for a Range header it cannot parse comes before any
  // handler and carries no Content-Range (ours always does): serve the
  // request as if the header were not there.
  using handler_response = httplib::Server::HandlerResponse;
  m.server.set_error_handler(httplib::Server::HandlerWithResponse(
    [&m](const httplib::Request& req, httplib::Response& res) {
      if (res.status != 416 || res.has_header("Content-Range")) return handler_response::Unhandled;
      res.status = -1;
      m.handle(req, res);
      return handler_response::Handled;
    }));
  m.server.set_logger([&m](const httplib::Request& req, const httplib::Response& res) {
    m.log(req, res);
  });
  // Idle keep-alive connections hold a worker; a short timeout also keeps
  // stop() quick.
  m.server.set_keep_alive_timeout(2);
  // Headers and a small body go out in separate writes: with Nagle's
  // algorithm the body waits for the client's delayed ACK, 40 ms a file.
  m.server.set_tcp_nodelay(true);
  // httplib closes a connection after 5 requests by default: with
  // thousands of small files that is a new connection every 5 files.
  m.server.set_keep_alive_max_count(100000);
  m.server.set_read_timeout(read_timeout_s, 0);
  m.server.set_write_timeout(write_timeout_s, 0);

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
  ++m.stall_epoch;
  m.server.stop();
  if (m.thread.joinable()) m.thread.join();
}

void mirror_server::set_fault(const std::string& file_name, const mirror_fault& fault) {
  impl_->faults.set(file_name, fault);
}

void mirror_server::clear_faults() {
  impl_->faults.clear();
  ++impl_->stall_epoch;
}

std::vector<mirror_request> mirror_server::requests() const {
  std::lock_guard<std::mutex> lock(impl_->requests_mu);
  return impl_->requests;
}

bool mirror_server::wait_for_request(const std::function<bool(const mirror_request&)>& match,
                                     std::chrono::milliseconds limit) const {
  std::unique_lock<std::mutex> lock(impl_->requests_mu);
  return impl_->request_came.wait_for(lock, limit, [&] {
    for (const auto& r : impl_->requests)
      if (match(r)) return true;
    return false;
  });
}

} // namespace gaia
