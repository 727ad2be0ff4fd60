// downloader: attempts (http_transfer.cpp) under a retry policy.
//
//   fetch(url, dest)
//     attempt ─► resume the ".part" with Range + If-Range when it can
//             ─► 206 appends, 200 starts over (download_part.cpp)
//             ─► complete? the caller's format? MD5 as published? ─► rename
//     failure ─► will it pass? (5xx/429, timeouts, stalls, drops, short
//                body, not the format, damaged bytes, MD5) ─► backoff + jitter (Retry-After
//                wins when longer), cancellable ─► next attempt
//             ─► otherwise (404, 403, bad URL, certificates): at once
#include "download/downloader.hpp"

#include "engine/state/atomic_file.hpp"
#include "download/download_part.hpp"
#include "core/errors.hpp"
#include "download/http_transfer.hpp"
#include "engine/log.hpp"
#include "download/retry.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <vector>
#include <ctime>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <sstream>
#include <fcntl.h>
#include <unistd.h>

#include <curl/curl.h>
#include <nlohmann/json.hpp>

namespace gaia {

namespace {

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool is_http(const std::string& url) {
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
}

/// Why an attempt failed in a way another attempt may get past: the cause
/// (for the metrics) and the words (for the log and results.err).
struct retry_reason {
  retry_reason(retry_cause c, std::string w, std::optional<int> after = std::nullopt)
    : cause(c), why(std::move(w)), retry_after_s(after) {}
  retry_cause cause;
  std::string why;
  std::optional<int> retry_after_s; ///< the server's Retry-After
};
using attempt_result = std::optional<retry_reason>; ///< nullopt: success

[[noreturn]] void cancelled(const std::string& url) {
  throw download_cancelled(url + ": cancelled");
}

/// Runs attempt(n) until it succeeds, throws (a failure that will not
/// pass), or the retries are used up; sleeps with backoff in between.
/// Returns the number of attempts made.
template <class Attempt>
int with_retries(const std::string& url, const download_options& opts,
                 Attempt&& attempt) {
  const int attempts = opts.retries + 1;
  for (int n = 1;; ++n) {
    if (opts.cancelled && opts.cancelled()) cancelled(url);
    attempt_result r = attempt(n);
    if (!r) return n;
    if (n >= attempts)
      throw download_error(url + ": " + r->why
                           + (attempts > 1 ? " (gave up after " + std::to_string(attempts)
                                               + " attempts)"
                                           : ""));
    auto wait = backoff_delay(n, opts.retry_backoff_ms, random_jitter());
    if (r->retry_after_s)
      wait = std::max(wait, std::chrono::milliseconds(*r->retry_after_s * 1000LL));
    if (opts.on_notice) {
      char secs[32];
      std::snprintf(secs, sizeof secs, "%.1f s", wait.count() / 1000.0);
      opts.on_notice({r->cause, r->why + "; attempt " + std::to_string(n + 1) + " of "
                                  + std::to_string(attempts) + " in " + secs});
    }
    if (!sleep_unless_cancelled(wait, opts.cancelled)) cancelled(url);
  }
}

/// The verdict on a transfer whose body was not (all) the file: a retry
/// reason, a download_error thrown, or nullopt when it delivered.
attempt_result transfer_failure(const std::string& url, const transfer_outcome& o,
                                const download_options& opts) {
  if (o.cancelled) cancelled(url);
  if (o.stalled)
    return retry_reason{retry_cause::stall,
                        "stalled: less than " + std::to_string(opts.stall_min_bytes_per_s)
                          + " bytes/s for " + std::to_string(opts.stall_timeout_s) + " s"};
  const long status = o.head.status;
  if (!body_is_content(status)) {
    std::string why = "HTTP " + std::to_string(status);
    const auto cause = status_retry_cause(status);
    if (!cause) throw download_error(url + ": " + why);
    return retry_reason{*cause, why, parse_retry_after(o.head.retry_after, std::time(nullptr))};
  }
  if (o.curl_code != CURLE_OK && !o.sink_aborted) {
    const auto cause = curl_retry_cause(o.curl_code);
    if (!cause) throw download_error(url + ": " + o.curl_error);
    return retry_reason{*cause, o.curl_error};
  }
  return std::nullopt;
}

std::string bad_start_text(const response_head& h, const stream_sink& sink, uint64_t bytes,
                           const body_check& check) {
  std::string what = "the response is not " + check.format;
  if (bytes < 2 && !sink.began()) what += ": it is empty";
  else if (sink.starts_like_html) what += ": it looks like an HTML page";
  what += h.status != 0 ? " (HTTP " + std::to_string(h.status) : " (file://";
  if (!h.content_type.empty()) what += ", " + h.content_type;
  return what + ")";
}

/// A body kept in memory, up to a limit.
class memory_body : public body_sink {
public:
  explicit memory_body(size_t max) : max_(max) {}
  bool begin(const response_head&) override { return true; }
  bool write(const char* data, size_t n) override {
    if (text.size() + n > max_) {
      too_large = true;
      return false;
    }
    text.append(data, n);
    return true;
  }
  std::string text;
  bool too_large = false;

private:
  size_t max_;
};

/// Feeds `n` bytes of a local file, from its start, to the stream's hash
/// and consumer: a kept ".part" of an earlier run before it is resumed.
void feed_prefix(const std::string& path, uint64_t n, stream_state& st,
                 stream_consumer* consumer) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) throw input_error(path + ": cannot read: " + std::strerror(errno));
  std::vector<char> buf(1 << 20);
  while (n > 0) {
    size_t want = std::min<uint64_t>(n, buf.size());
    size_t got = std::fread(buf.data(), 1, want, f.get());
    if (got == 0) throw input_error(path + ": shorter than expected");
    if (st.hashing) st.hash.update(buf.data(), got);
    if (consumer != nullptr) consumer->feed(buf.data(), got);
    st.fed += got;
    n -= got;
  }
}

/// A consumer's failure: damaged bytes are worth another attempt (they
/// may have been damaged on the way); a file that cannot be imported is
/// not.
attempt_result consumer_failure(const std::string& url, std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const damaged_bytes_error& c) {
    return retry_reason{retry_cause::other,
                        c.what() + std::string(" (while streaming ") + url + ")"};
  }
}

} // namespace

struct downloader::impl {
  CURL* curl = nullptr;

  /// One attempt at the file; see the file comment.
  attempt_result attempt_file(const std::string& url, const std::string& dest,
                              const download_options& opts, stream_state& st,
                              stream_consumer* consumer, download_result& result) {
    const bool keep = !dest.empty();
    const part_file part(keep ? dest : std::string("/dev/null"));
    // What the next transfer may continue: the kept .part, or (not kept)
    // the bytes the hash and the consumer already took in this fetch.
    uint64_t have = keep ? part.size() : st.fed;
    bool resume = is_http(url) && have >= 2 && st.version.known() &&
                  (st.version.total == 0 || have < st.version.total);
    if (resume && keep && st.fed != have) {
      // A .part of an earlier run (or attempt): its bytes go through the
      // hash and the import first.
      st.fed = 0;
      if (st.hashing) st.hash.reset();
      if (consumer != nullptr) consumer->restart();
      try {
        feed_prefix(part.path, have, st, consumer);
      } catch (const input_error&) {
        resume = false; // damaged: start over
      }
    }
    transfer_request req{url, 0, "", false};
    if (resume) {
      req.range_from = have;
      req.if_range = st.version.validator();
    } else {
      if (keep) part.discard();
      st.fed = 0;
      if (st.hashing) st.hash.reset();
      if (consumer != nullptr) consumer->restart();
      have = 0;
    }

    stream_sink sink(st, keep ? &part : nullptr, consumer, opts.max_file_bytes, opts.body);
    transfer_outcome o = perform_transfer(curl, req, opts, sink);
    sink.close();
    auto drop = [&] {
      if (keep) part.discard();
      st.fed = 0;
    };
    // Interrupted with bytes worth resuming in a later run: say what they are.
    auto keep_for_resume = [&] {
      if (keep && !sink.info_saved && part.size() >= 2) {
        try {
          part.save_info(st.version);
        } catch (const std::exception&) {
        }
      }
    };
    if (sink.write_failed) {
      // The bytes that made it are not worth the space: a full disk needs
      // every byte back for the markers and the next attempt.
      drop();
      throw output_error(part.path + ": cannot write: " + std::strerror(sink.write_errno));
    }
    if (o.cancelled) {
      keep_for_resume();
      cancelled(url);
    }
    if (sink.consumer_error) {
      drop();
      return consumer_failure(url, sink.consumer_error);
    }
    if (sink.too_large > 0) {
      drop();
      throw download_error(
        url + ": " +
        (sink.too_large == opts.max_file_bytes
           ? "larger than max_file_bytes (" + std::to_string(opts.max_file_bytes) + " bytes)"
           : "more bytes than the " + std::to_string(sink.too_large) + " the server announced"));
    }
    if (sink.resumed && opts.on_notice)
      opts.on_notice({std::nullopt, "resumed at " + engine::format_mb(static_cast<double>(have))});
    if (sink.restarted && opts.on_notice)
      opts.on_notice({std::nullopt, "the server sent the whole file instead of the rest "
                                    "(range ignored or file changed): starting over"});
    result.resumed = result.resumed || sink.resumed;
    if (sink.bad_range) {
      drop();
      return retry_reason{retry_cause::range,
                          "HTTP 206 with Content-Range '" + o.head.content_range
                            + "' for a request "
                            + (req.range_from > 0 ? "from byte " + std::to_string(req.range_from)
                                                  : std::string("of the whole file"))
                            + " (the bytes do not continue the local .part)"};
    }
    if (sink.bad_start) {
      drop();
      return retry_reason{retry_cause::not_gzip,
                          bad_start_text(o.head, sink, body_check::start_bytes, opts.body)};
    }
    if (o.head.status == 416) { // the .part is not a prefix of the file
      drop();
      return retry_reason{retry_cause::range,
                          "HTTP 416 on resume (the local .part does not fit)"};
    }
    if (auto failed = transfer_failure(url, o, opts)) {
      keep_for_resume(); // the bytes so far stay: the next attempt continues
      return failed;
    }
    const uint64_t size = st.fed;
    if (st.version.total > 0 && size != st.version.total) {
      if (size > st.version.total) drop();
      else keep_for_resume();
      return retry_reason{retry_cause::short_body, "short body: " + std::to_string(size) + " of "
                                                     + std::to_string(st.version.total)
                                                     + " bytes"};
    }
    if (opts.body.checks() && size < body_check::start_bytes) {
      drop();
      return retry_reason{retry_cause::not_gzip, bad_start_text(o.head, sink, size, opts.body)};
    }
    if (consumer != nullptr) {
      try {
        consumer->finish();
      } catch (...) {
        drop();
        return consumer_failure(url, std::current_exception());
      }
    }
    const std::string got = st.hashing ? st.hash.hex() : std::string();
    if (st.hashing && got != opts.expected_md5) {
      drop();
      return retry_reason{retry_cause::md5_mismatch, "MD5 mismatch: got " + got
                                                       + ", the checksum list says "
                                                       + opts.expected_md5};
    }
    result.source = source_version{url, st.version.etag, st.version.last_modified, size, got};
    if (keep) {
      if (::rename(part.path.c_str(), dest.c_str()) != 0)
        throw output_error(part.path + ": cannot rename: " + std::strerror(errno));
      engine::remove_if_exists(part.info_path);
    }
    result.bytes = size;
    result.md5 = got;
    return std::nullopt;
  }
};

downloader::downloader() : impl_(std::make_unique<impl>()) {
  global_init_once();
  impl_->curl = curl_easy_init();
  if (impl_->curl == nullptr) throw std::runtime_error("curl_easy_init failed");
}

downloader::~downloader() { curl_easy_cleanup(impl_->curl); }

download_result downloader::fetch(const std::string& url, const std::string& dest,
                                  const download_options& opts, stream_consumer* consumer) {
  if (dest.empty() && consumer == nullptr)
    throw std::logic_error("downloader::fetch: neither kept nor streamed");
  auto started = std::chrono::steady_clock::now();
  download_result r;
  stream_state st;
  st.hashing = !opts.expected_md5.empty();
  if (!dest.empty()) part_file(dest).load_info(st.version); // a .part to resume
  r.attempts = with_retries(url, opts, [&](int) {
    return impl_->attempt_file(url, dest, opts, st, consumer, r);
  });
  r.seconds = engine::seconds_since(started);
  return r;
}

source_version read_local(const std::string& path, const std::string& url,
                          const download_options& opts, stream_consumer& consumer) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) {
    if (errno == ENOENT) throw download_error(url + ": no such file");
    throw input_error(path + ": cannot read: " + std::strerror(errno));
  }
  ::posix_fadvise(::fileno(f.get()), 0, 0, POSIX_FADV_SEQUENTIAL);
  std::setvbuf(f.get(), nullptr, _IONBF, 0);
  const bool hashing = !opts.expected_md5.empty();
  md5 hash;
  consumer.restart();
  std::vector<char> buf(512 * 1024);
  uint64_t size = 0;
  for (;;) {
    if (opts.cancelled && opts.cancelled()) cancelled(url);
    size_t got = std::fread(buf.data(), 1, buf.size(), f.get());
    if (got == 0) break;
    // A regular file reads in whole buffers: the first holds the start.
    if (size == 0 && got >= body_check::start_bytes && opts.body.checks()
        && !opts.body.starts_right(reinterpret_cast<unsigned char*>(buf.data())))
      throw download_error(url + ": not a " + opts.body.format + " file");
    size += got;
    if (opts.max_file_bytes > 0 && size > opts.max_file_bytes)
      throw download_error(url + ": larger than max_file_bytes ("
                           + std::to_string(opts.max_file_bytes) + " bytes)");
    if (hashing) hash.update(buf.data(), got);
    consumer.feed(buf.data(), got);
  }
  if (std::ferror(f.get())) throw input_error(path + ": read error");
  if (opts.body.checks() && size < body_check::start_bytes)
    throw download_error(url + ": not a " + opts.body.format + " file");
  consumer.finish();
  const std::string md5_hex = hashing ? hash.hex() : std::string();
  if (hashing && md5_hex != opts.expected_md5)
    throw download_error(url + ": MD5 mismatch: got " + md5_hex + ", the checksum list says "
                         + opts.expected_md5);
  return source_version{url, "", "", size, md5_hex};
}

source_version downloader::head(const std::string& url, const download_options& opts) {
  source_version v;
  with_retries(url, opts, [&](int) -> attempt_result {
    memory_body none(0);
    transfer_request req{url, 0, "", true};
    transfer_outcome o = perform_transfer(impl_->curl, req, opts, none);
    if (auto failed = transfer_failure(url, o, opts)) return failed;
    v = source_version{url, o.head.etag, o.head.last_modified,
                       o.head.content_length > 0 ? static_cast<uint64_t>(o.head.content_length) : 0,
                       ""};
    return std::nullopt;
  });
  return v;
}

text_result downloader::fetch_text(const std::string& url, const download_options& opts,
                                   size_t max_bytes) {
  text_result r;
  with_retries(url, opts, [&](int) -> attempt_result {
    memory_body sink(max_bytes);
    transfer_outcome o = perform_transfer(impl_->curl, transfer_request{url, 0, "", false}, opts, sink);
    r.status = o.head.status;
    const long s = o.head.status;
    if (s == 404 || s == 403 || s == 410 || o.curl_code == CURLE_FILE_COULDNT_READ_FILE) {
      r.found = false;
      return std::nullopt;
    }
    if (sink.too_large)
      throw download_error(url + ": larger than " + std::to_string(max_bytes) + " bytes");
    if (auto failed = transfer_failure(url, o, opts)) return failed;
    r.found = true;
    r.text = std::move(sink.text);
    return std::nullopt;
  });
  return r;
}

std::optional<std::string> file_url_path(const std::string& url) {
  const std::string scheme = "file://";
  if (url.rfind(scheme, 0) != 0) return std::nullopt;
  std::string rest = url.substr(scheme.size());
  // file:///path or file://localhost/path.
  if (rest.rfind("localhost/", 0) == 0) rest = rest.substr(9);
  if (rest.empty() || rest[0] != '/')
    throw download_error(url + ": a file:// URL must name an absolute path on this machine");
  global_init_once();
  int len = 0;
  char* raw = curl_easy_unescape(nullptr, rest.c_str(), static_cast<int>(rest.size()), &len);
  if (raw == nullptr) throw download_error(url + ": cannot decode the path");
  std::string path(raw, static_cast<size_t>(len));
  curl_free(raw);
  if (path.find('\0') != std::string::npos)
    throw download_error(url + ": the path holds a NUL byte");
  return path;
}

void discard_download(const std::string& path) {
  part_file part(path);
  for (const auto& p : {path, part.path, part.info_path})
    engine::remove_if_exists(p);
}

} // namespace gaia
