// A real HTTP server (cpp-httplib) that serves a directory of archive files
// the way the ESA CDN does: GET and HEAD, Content-Length, ETag and
// Last-Modified, byte ranges (with If-Range), 404 for anything else, no
// listings, nothing outside the directory. A "_MD5SUM.txt" in the directory
// is served like any file. Tests can make it misbehave (set_fault) the ways
// real networks and proxies do.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace gaia {

/// A file the mirror makes instead of reading it from the directory (a
/// generated archive's, see tools/synth/generated_archive.hpp): its size
/// and any of its bytes.
class generated_body {
public:
  virtual ~generated_body() = default;
  virtual uint64_t size() const = 0;
  /// Bytes [offset, offset + n), inside the file, into `out`.
  virtual void read(uint64_t offset, char* out, size_t n) const = 0;
};

/// The generated file of a name (a request path's one segment), or nullptr.
using generated_lookup =
  std::function<std::shared_ptr<const generated_body>(const std::string& name)>;

struct mirror_options {
  std::string dir;                 ///< the directory served
  /// Set: the files served are these instead of dir's (byte ranges too;
  /// the faults of set_fault do not apply to them).
  generated_lookup generated;
  std::string bind = "127.0.0.1";  ///< loopback unless told otherwise
  int port = 0;                    ///< 0 = any free port
  bool log_requests = true;        ///< one line per request on stderr
};

/// A misbehaviour of the mirror, for tests of the download code.
struct mirror_fault {
  enum class kind {
    status,         ///< answer `status` (500, 503, 429, ...), no file
    not_found,      ///< answer 404 as if the file were not there
    html_page,      ///< answer 200 with an HTML page (a proxy's login page)
    reset_mid_body, ///< send `cut_fraction` of the body, drop the connection
    short_body,     ///< send all but `short_by` bytes of the promised
                    ///< Content-Length, then close
    stall_mid_body, ///< send `cut_fraction` of the body, then nothing for
                    ///< `stall_ms`, then the rest
    ignore_range,   ///< answer a Range request with the whole file (200);
                    ///< requests without Range do not count
    corrupt_body,   ///< flip one byte in the middle of the file: the body is
                    ///< still gzip-looking but its MD5 no longer matches
    whole_as_206,   ///< answer any GET with 206 and a Content-Range of the
                    ///< whole file from byte 0 (some servers do)
    endless_body,   ///< chunked, no Content-Length: the file, then zeros,
                    ///< without end
    huge_length,    ///< announce a Content-Length of `announced_bytes`
  };
  kind what = kind::status;
  int times = -1;            ///< requests it affects; -1 = every one
  int status = 503;          ///< for kind::status
  int retry_after_s = -1;    ///< kind::status: Retry-After header when >= 0
  double cut_fraction = 0.5; ///< reset/stall: where in the body
  uint64_t short_by = 100;   ///< short_body: bytes missing at the end
  int stall_ms = 5000;       ///< stall_mid_body: how long nothing comes
                             ///< (less when the faults are cleared)
  uint64_t announced_bytes = uint64_t{1} << 40; ///< huge_length
};

/// The name of a fault kind ("reset_mid_body").
const char* fault_name(mirror_fault::kind k);

/// One request as the mirror saw it.
struct mirror_request {
  std::string method;
  std::string path;     ///< the request target
  std::string range;    ///< the Range header, or empty
  std::string if_range; ///< the If-Range header, or empty
  int status = 0;       ///< the status answered
  std::string fault;    ///< the fault applied (fault_name), or empty
  std::chrono::steady_clock::time_point at; ///< when it arrived
};

class mirror_server {
public:
  explicit mirror_server(mirror_options opts);
  ~mirror_server(); ///< stops the server
  mirror_server(const mirror_server&) = delete;
  mirror_server& operator=(const mirror_server&) = delete;

  /// Binds and starts serving on a background thread. Throws
  /// std::runtime_error naming the address when it cannot bind.
  void start();
  /// The bound port (after start()).
  int port() const;
  /// "http://127.0.0.1:PORT".
  std::string base_url() const;
  /// Stops serving and joins the thread; idempotent.
  void stop();

  /// Makes requests for `file_name` (the last path segment, e.g.
  /// "EpochPhotometry_000000-003111.csv.gz"), or for any file with "*",
  /// misbehave. Replaces an earlier fault of that name; a name's own fault
  /// wins over "*". Thread-safe, also while serving.
  void set_fault(const std::string& file_name, const mirror_fault& fault);
  /// Serves faithfully again; stalls in progress end now.
  void clear_faults();
  /// Every request so far, in arrival order.
  std::vector<mirror_request> requests() const;
  /// Blocks until a request `match` accepts has arrived (before the call
  /// too), or `limit` passes: false then. For tests that act while a
  /// transfer is under way.
  bool wait_for_request(const std::function<bool(const mirror_request&)>& match,
                        std::chrono::milliseconds limit) const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace gaia
