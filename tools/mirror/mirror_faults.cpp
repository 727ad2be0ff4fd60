// The mirror's misbehaviours (mirror_fault) and the body streaming they bend.
//
// httplib gives a handler no access to the socket, so "reset" is the
// server closing the connection mid-body (the client sees the transfer end
// short of Content-Length), not a TCP RST.
#include "tools/mirror/mirror_internal.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

namespace gaia {

const char* fault_name(mirror_fault::kind k) {
  using kind = mirror_fault::kind;
  switch (k) {
  case kind::status: return "status";
  case kind::not_found: return "not_found";
  case kind::html_page: return "html_page";
  case kind::reset_mid_body: return "reset_mid_body";
  case kind::short_body: return "short_body";
  case kind::stall_mid_body: return "stall_mid_body";
  case kind::ignore_range: return "ignore_range";
  case kind::corrupt_body: return "corrupt_body";
  case kind::whole_as_206: return "whole_as_206";
  case kind::endless_body: return "endless_body";
  case kind::huge_length: return "huge_length";
  }
  return "?";
}

namespace mirror_detail {

namespace {

constexpr size_t read_chunk = 64 * 1024;
/// A generated body is made and sent in pieces of this size.
constexpr size_t generated_chunk = 256 * 1024;

std::string content_type_of(const std::filesystem::path& p) {
  const auto ext = p.extension().string();
  if (ext == ".gz") return "application/gzip";
  if (ext == ".txt") return "text/plain";
  return "application/octet-stream";
}

const char* reason_of(int status) {
  switch (status) {
  case 429: return "Too Many Requests";
  case 500: return "Internal Server Error";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  case 504: return "Gateway Timeout";
  default: return "Error";
  }
}

/// Sleeps `ms` in short slices, ending early when the epoch moves on.
void stall(int ms, const std::atomic<uint64_t>& epoch, uint64_t planned) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (epoch == planned && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

} // namespace

void send(const serve_plan& plan, httplib::Response& res, const body_fault& fault,
          const std::atomic<uint64_t>& stall_epoch, int sock) {
  res.status = plan.status;
  res.set_header("Accept-Ranges", "bytes");
  const std::string size = std::to_string(plan.size);
  if (plan.status == 416) {
    res.set_header("Content-Range", "bytes */" + size);
    return;
  }
  if (!plan.etag.empty()) res.set_header("ETag", plan.etag);
  if (!plan.last_modified.empty()) res.set_header("Last-Modified", plan.last_modified);
  if (plan.status == 206)
    res.set_header("Content-Range", "bytes " + std::to_string(plan.offset) + "-" +
                                      std::to_string(plan.offset + plan.length - 1) + "/" + size);
  const std::string type = content_type_of(plan.file);
  if (plan.endless) {
    res.set_chunked_content_provider(
      type, [fd = plan.fd, size = plan.size, &stall_epoch, planned = fault.epoch](
              size_t offset, httplib::DataSink& sink) {
        if (stall_epoch != planned) return false; // faults cleared, or stopping
        char buf[read_chunk] = {};
        ssize_t got = offset < size ? ::pread(*fd, buf, read_chunk, static_cast<off_t>(offset))
                                    : static_cast<ssize_t>(read_chunk);
        if (got <= 0) got = read_chunk;
        return sink.write(buf, static_cast<size_t>(got));
      });
    return;
  }
  if (plan.length == 0) { // httplib wants a provider length > 0
    res.set_content("", type);
    return;
  }
  if (plan.generated) {
    res.set_content_provider(
      static_cast<size_t>(plan.length), type,
      [body = plan.generated, base = plan.offset,
       buf = std::make_shared<std::vector<char>>(generated_chunk)](
        size_t offset, size_t length, httplib::DataSink& sink) {
        const size_t n = std::min(length, generated_chunk);
        body->read(base + offset, buf->data(), n);
        return sink.write(buf->data(), n);
      });
    return;
  }
  if (fault.what == body_fault::action::none && sock >= 0) {
    res.set_header("Connection", "close");
    res.set_content_provider(
      static_cast<size_t>(plan.length), type,
      [sock, fd = plan.fd, base = plan.offset](size_t offset, size_t length, httplib::DataSink&) {
        send_file_range(sock, *fd, base + offset, length, write_timeout_s);
        return false; // the body is out (or cannot be): httplib closes the connection
      });
    return;
  }
  auto stalled = std::make_shared<bool>(false);
  res.set_content_provider(
    static_cast<size_t>(plan.length), type,
    [fd = plan.fd, base = plan.offset, fault, stalled, &stall_epoch](
      size_t offset, size_t length, httplib::DataSink& sink) {
      using action = body_fault::action;
      size_t want = std::min(length, read_chunk);
      if (fault.what == action::drop || fault.what == action::stall) {
        if (offset >= fault.at) {
          if (fault.what == action::drop) return false; // closes the connection
          if (!*stalled) {
            *stalled = true;
            stall(fault.stall_ms, stall_epoch, fault.epoch);
          }
        } else {
          want = std::min<size_t>(want, fault.at - offset);
        }
      }
      char buf[read_chunk] = {};
      ssize_t got = ::pread(*fd, buf, want, static_cast<off_t>(base + offset));
      if (got == 0 && fault.what == action::pad) got = static_cast<ssize_t>(want); // zeros
      if (got <= 0) return false; // file shrank or failed: drop the connection
      if (fault.what == action::flip && fault.at >= offset &&
          fault.at < offset + static_cast<size_t>(got))
        buf[fault.at - offset] ^= 0x5a;
      return sink.write(buf, static_cast<size_t>(got));
    });
}

void fault_table::set(const std::string& name, const mirror_fault& f) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_[name] = f;
}

void fault_table::clear() {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.clear();
}

std::optional<mirror_fault> fault_table::take(const std::string& name, bool has_range) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = faults_.find(name);
  if (it == faults_.end()) it = faults_.find("*");
  if (it == faults_.end()) return std::nullopt;
  const mirror_fault f = it->second;
  if (f.what == mirror_fault::kind::ignore_range && !has_range) return std::nullopt;
  if (it->second.times > 0 && --it->second.times == 0) faults_.erase(it);
  return f;
}

bool apply_fault(const mirror_fault& f, serve_plan& plan, httplib::Response& res,
                 body_fault& body) {
  using kind = mirror_fault::kind;
  using action = body_fault::action;
  switch (f.what) {
  case kind::status:
    res.status = f.status;
    if (f.retry_after_s >= 0) res.set_header("Retry-After", std::to_string(f.retry_after_s));
    res.set_content(std::to_string(f.status) + " " + reason_of(f.status) + "\n", "text/plain");
    return true;
  case kind::not_found:
    res.status = 404;
    res.set_content("Not Found\n", "text/plain");
    return true;
  case kind::html_page:
    res.status = 200;
    res.set_content("<!DOCTYPE html>\n<html><head><title>Sign in</title></head>"
                    "<body><p>Please sign in to continue.</p></body></html>\n",
                    "text/html");
    return true;
  case kind::ignore_range:
    plan.status = 200;
    plan.offset = 0;
    plan.length = plan.size;
    return false;
  case kind::reset_mid_body:
  case kind::stall_mid_body:
    if (plan.status == 416 || plan.length < 2) return false;
    body.what = f.what == kind::reset_mid_body ? action::drop : action::stall;
    body.at = std::clamp<uint64_t>(static_cast<uint64_t>(plan.length * f.cut_fraction), 1,
                                   plan.length - 1);
    body.stall_ms = f.stall_ms;
    return false;
  case kind::short_body:
    if (plan.status == 416 || plan.length < 2) return false;
    body.what = action::drop;
    body.at = plan.length - std::min<uint64_t>(std::max<uint64_t>(f.short_by, 1), plan.length - 1);
    return false;
  case kind::whole_as_206:
    if (plan.status == 416) return false;
    plan.status = 206;
    plan.offset = 0;
    plan.length = plan.size;
    return false;
  case kind::endless_body:
    plan.status = 200;
    plan.endless = true;
    return false;
  case kind::huge_length:
    plan.status = 200;
    plan.offset = 0;
    plan.length = std::max(f.announced_bytes, plan.size);
    body.what = action::pad;
    return false;
  case kind::corrupt_body: {
    const uint64_t middle = plan.size / 2;
    if (plan.status == 416 || middle < plan.offset || middle >= plan.offset + plan.length)
      return false;
    body.what = action::flip;
    body.at = middle - plan.offset;
    return false;
  }
  }
  return false;
}

} // namespace mirror_detail

} // namespace gaia
