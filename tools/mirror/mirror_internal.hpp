// Shared by mirror.cpp (serving) and mirror_faults.cpp (misbehaving): what
// the handler is about to send, and how a fault bends it. Not a public API.
#pragma once

#include "tools/mirror/mirror.hpp"

#include <httplib.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace gaia::mirror_detail {

/// A client that accepts no bytes of an answer for this long is dropped,
/// whether httplib or sendfile writes it.
constexpr int write_timeout_s = 30;

/// What the handler is about to send for one request. Faults change this
/// plan, or answer instead of it.
struct serve_plan {
  std::filesystem::path file;
  std::shared_ptr<int> fd; ///< open file, closed with the last reference
  std::shared_ptr<const generated_body> generated; ///< or the file made on request
  uint64_t size = 0;       ///< file size
  uint64_t offset = 0;     ///< first byte sent
  uint64_t length = 0;     ///< bytes sent
  int status = 200;        ///< 200, 206 or 416
  std::string etag;        ///< of this version of the file
  std::string last_modified;
  bool endless = false;    ///< a fault: chunked, the file then zeros forever
};

/// How the body of a planned response misbehaves.
struct body_fault {
  enum class action { none, drop, stall, flip, pad }; ///< pad: zeros past the end
  action what = action::none;
  uint64_t at = 0;  ///< offset in the body where it happens
  int stall_ms = 0;
  uint64_t epoch = 0; ///< the stall epoch when planned: a newer one ends it
};

/// Makes the response of a plan; the body streams from the file, bent by
/// `fault`. A stall ends early once `stall_epoch` moves past fault.epoch
/// (the server stops, or the test clears its faults). A body without a
/// fault goes out by sendfile on `sock`, the request's connection (-1:
/// none found, or a HEAD), which then closes (mirror_sendfile.cpp).
void send(const serve_plan& plan, httplib::Response& res, const body_fault& fault,
          const std::atomic<uint64_t>& stall_epoch, int sock);

/// The socket of the connection `req` came on, or -1 (mirror_sendfile.cpp).
int connection_socket(const httplib::Request& req);

/// Sends [offset, offset + length) of the file `fd` on `sock` with
/// sendfile(2); false when the client stopped taking bytes for `timeout_s`
/// or went away, or the file ended early.
bool send_file_range(int sock, int fd, uint64_t offset, uint64_t length, int timeout_s);

/// The faults of one mirror, by file name ("*" = any).
class fault_table {
public:
  void set(const std::string& name, const mirror_fault& f);
  void clear();
  /// The fault for a request of `name` (with or without a Range header),
  /// counting it against the fault's `times`; nothing when none applies.
  std::optional<mirror_fault> take(const std::string& name, bool has_range);

private:
  std::mutex mu_;
  std::map<std::string, mirror_fault> faults_;
};

/// Applies `f`: answers the request itself (true), or bends `plan` and
/// `body` for send() (false).
bool apply_fault(const mirror_fault& f, serve_plan& plan, httplib::Response& res,
                 body_fault& body);

} // namespace gaia::mirror_detail
