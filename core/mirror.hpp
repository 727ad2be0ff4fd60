// A real HTTP server (cpp-httplib) that serves a directory of archive files
// the way the ESA CDN does: GET and HEAD, Content-Length, byte ranges, 404
// for anything else, no listings, nothing outside the directory.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace gaia {

struct mirror_options {
  std::string dir;                 ///< the directory served
  std::string bind = "127.0.0.1";  ///< loopback unless told otherwise
  int port = 0;                    ///< 0 = any free port
  bool log_requests = true;        ///< one line per request on stderr
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

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace gaia
