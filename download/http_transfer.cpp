#include "download/http_transfer.hpp"

#include <cctype>
#include <charconv>
#include <chrono>
#include <cstring>
#include <memory>

#include <curl/curl.h>

namespace gaia {

namespace {

constexpr auto progress_every = std::chrono::seconds(5);

/// libcurl hands a body to its write callback in pieces of at most
/// CURL_MAX_WRITE_SIZE (16 KiB), however much one recv() brought. Passed
/// on as they come, every 16 KiB cost a write(2) of the kept file and an
/// ISA-L call that saves its 32 KiB window: over loopback 22,000 writes
/// for the 20 files. So pieces are gathered up to this and passed on
/// together (one copy, in L2; CURLOPT_BUFFERSIZE is as large).
constexpr size_t gather_bytes = 256 * 1024;

struct transfer {
  const download_options* opts = nullptr;
  body_sink* sink = nullptr;
  uint64_t offset = 0; ///< bytes before this transfer's first (a resume)
  response_head head;
  bool began = false;
  bool aborted = false;
  bool cancelled = false;
  bool stalled = false;
  std::chrono::steady_clock::time_point last_progress;
  std::chrono::steady_clock::time_point window_start; ///< stall check
  uint64_t window_bytes = 0;
  /// Body bytes received, not yet passed to the sink (see gather_bytes).
  std::unique_ptr<char[]> gathered;
  size_t gathered_len = 0;

  /// Passes the gathered bytes on; false when the sink refused them.
  bool pass_gathered() {
    if (gathered_len == 0) return true;
    const size_t n = gathered_len;
    gathered_len = 0;
    if (sink->write(gathered.get(), n)) return true;
    aborted = true;
    return false;
  }
};

std::string trimmed(const char* b, const char* e) {
  while (b < e && std::isspace(static_cast<unsigned char>(*b))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(e[-1]))) --e;
  return std::string(b, e);
}

bool iequals(const std::string& a, const char* b) {
  size_t n = std::strlen(b);
  if (a.size() != n) return false;
  for (size_t i = 0; i < n; ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  return true;
}

template <class T>
bool parse_number(const std::string& s, T& v) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

/// "bytes 100-999/1000" (or ".../*").
void parse_content_range(const std::string& v, response_head& h) {
  if (v.rfind("bytes ", 0) != 0) return;
  size_t dash = v.find('-', 6), slash = v.find('/', 6);
  if (dash == std::string::npos || slash == std::string::npos || slash < dash) return;
  uint64_t first = 0, total = 0;
  if (!parse_number(v.substr(6, dash - 6), first)) return;
  const std::string t = v.substr(slash + 1);
  if (t != "*" && !parse_number(t, total)) return;
  h.has_content_range = true;
  h.range_first = first;
  h.range_total = total;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<transfer*>(user);
  const size_t len = size * n;
  const char* end = data + len;
  if (len > 5 && std::strncmp(data, "HTTP/", 5) == 0) {
    // A new response (after a redirect or a 100): forget the last one.
    t->head = response_head{};
    const char* sp = static_cast<const char*>(std::memchr(data, ' ', len));
    if (sp != nullptr)
      std::from_chars(sp + 1, end, t->head.status);
    return len;
  }
  const char* colon = static_cast<const char*>(std::memchr(data, ':', len));
  if (colon == nullptr) return len;
  const std::string name = trimmed(data, colon);
  const std::string value = trimmed(colon + 1, end);
  auto& h = t->head;
  if (iequals(name, "content-length")) {
    int64_t v = -1;
    if (parse_number(value, v)) h.content_length = v;
  } else if (iequals(name, "content-type")) {
    h.content_type = value;
  } else if (iequals(name, "etag")) {
    h.etag = value;
  } else if (iequals(name, "last-modified")) {
    h.last_modified = value;
  } else if (iequals(name, "retry-after")) {
    h.retry_after = value;
  } else if (iequals(name, "content-range")) {
    h.content_range = value;
    parse_content_range(value, h);
  }
  return len;
}

size_t on_data(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<transfer*>(user);
  const size_t len = size * n;
  if (!body_is_content(t->head.status))
    return len; // an error page: not the file
  if (!t->began) {
    t->began = true;
    if (!t->sink->begin(t->head)) {
      t->aborted = true;
      return 0; // curl stops with CURLE_WRITE_ERROR
    }
    // The first piece at once: a body that is not the file (an HTML page)
    // stops the transfer after its first bytes.
    if (!t->sink->write(data, len)) {
      t->aborted = true;
      return 0;
    }
    return len;
  }
  if (t->gathered_len + len > gather_bytes && !t->pass_gathered()) return 0;
  if (len >= gather_bytes) {
    if (!t->sink->write(data, len)) {
      t->aborted = true;
      return 0;
    }
    return len;
  }
  if (!t->gathered) t->gathered = std::make_unique<char[]>(gather_bytes);
  std::memcpy(t->gathered.get() + t->gathered_len, data, len);
  t->gathered_len += len;
  return len;
}

int on_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t,
                curl_off_t) {
  auto* t = static_cast<transfer*>(user);
  if (t->opts->cancelled && t->opts->cancelled()) {
    t->cancelled = true;
    return 1; // curl stops with CURLE_ABORTED_BY_CALLBACK
  }
  auto tick = std::chrono::steady_clock::now();
  // The stall check, by hand: curl's own low-speed limit averages over ~5 s
  // of history, so a burst before a stall hides it for that long. Here each
  // window of stall_timeout_s must bring its share of bytes.
  const auto& o = *t->opts;
  if (o.stall_min_bytes_per_s > 0) {
    const double span = std::chrono::duration<double>(tick - t->window_start).count();
    if (span >= static_cast<double>(o.stall_timeout_s)) {
      const auto got = static_cast<uint64_t>(now) - t->window_bytes;
      if (static_cast<double>(got) < static_cast<double>(o.stall_min_bytes_per_s) * span) {
        t->stalled = true;
        return 1;
      }
      t->window_start = tick;
      t->window_bytes = static_cast<uint64_t>(now);
    }
  }
  if (t->opts->on_progress) {
    if (tick - t->last_progress >= progress_every) {
      t->last_progress = tick;
      // A resume counts the bytes it continues; a 200 is the whole file.
      const uint64_t before = t->head.status == 206 ? t->offset : 0;
      t->opts->on_progress(before + static_cast<uint64_t>(now),
                           total > 0 ? before + static_cast<uint64_t>(total) : 0);
    }
  }
  return 0;
}

} // namespace

transfer_outcome perform_transfer(void* handle, const transfer_request& req,
                                  const download_options& opts,
                                  body_sink& sink) {
  CURL* c = static_cast<CURL*>(handle);
  transfer t;
  t.opts = &opts;
  t.sink = &sink;
  t.offset = req.range_from;
  t.last_progress = std::chrono::steady_clock::now();
  t.window_start = t.last_progress;

  curl_easy_reset(c);
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
#if LIBCURL_VERSION_NUM >= 0x075500
  // A redirect may not turn an https download into a local file read.
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#endif
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, opts.connect_timeout_s);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, opts.total_timeout_s);
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  // libcurl's default 16 KiB receive buffer means a recv() and a write
  // callback per 16 KiB; archive files are tens of MB.
  curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 512L * 1024);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "gaia-dr3/0.1 (libcurl)");
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  // Certificate verification stays on (libcurl's default); say so anyway.
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (req.head_only) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  std::string range;
  curl_slist* headers = nullptr;
  if (req.range_from > 0) {
    range = std::to_string(req.range_from) + "-";
    curl_easy_setopt(c, CURLOPT_RANGE, range.c_str());
    if (!req.if_range.empty()) {
      headers = curl_slist_append(headers, ("If-Range: " + req.if_range).c_str());
      curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    }
  }

  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  // The bytes gathered last go on whatever ended the transfer (they were
  // received whole: a later attempt resumes after them). The sink refusing
  // them ends it as a refusal inside the transfer would have.
  if (!t.aborted && !t.pass_gathered()) rc = CURLE_WRITE_ERROR;

  transfer_outcome out;
  out.curl_code = rc;
  out.head = t.head;
  out.cancelled = t.cancelled;
  out.stalled = t.stalled;
  out.sink_aborted = t.aborted;
  if (rc != CURLE_OK)
    out.curl_error = std::string(curl_easy_strerror(rc))
                     + (errbuf[0] != '\0' ? std::string(" (") + errbuf + ")" : "");
  return out;
}

std::optional<retry_cause> curl_retry_cause(int code) {
  switch (code) {
  case CURLE_OPERATION_TIMEDOUT:
    return retry_cause::timeout;
  case CURLE_COULDNT_RESOLVE_PROXY:
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_CONNECT:
    return retry_cause::connect;
  case CURLE_HTTP2:
  case CURLE_PARTIAL_FILE:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
  case CURLE_HTTP2_STREAM:
  case CURLE_HTTP3:
    return retry_cause::connection;
  default:
    return std::nullopt;
  }
}

} // namespace gaia
