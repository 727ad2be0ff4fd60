#include "core/downloader.hpp"

#include "core/atomic_file.hpp"
#include "core/checkpoint.hpp"
#include "core/errors.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <unistd.h>

#include <curl/curl.h>

namespace gaia {

namespace {

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct transfer {
  std::FILE* file = nullptr;
  uint64_t bytes = 0;
  unsigned char head[2] = {0, 0};
  bool write_failed = false;
  int write_errno = 0;
  const download_options* opts = nullptr;
  std::chrono::steady_clock::time_point last_progress;
};

size_t on_data(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<transfer*>(user);
  size_t len = size * n;
  for (size_t i = 0; i < len && t->bytes + i < 2; ++i)
    t->head[t->bytes + i] = static_cast<unsigned char>(data[i]);
  if (std::fwrite(data, 1, len, t->file) != len) {
    t->write_failed = true;
    t->write_errno = errno;
    return 0; // makes curl abort with CURLE_WRITE_ERROR
  }
  t->bytes += len;
  return len;
}

int on_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t,
                curl_off_t) {
  auto* t = static_cast<transfer*>(user);
  if (t->opts->cancelled && t->opts->cancelled())
    return 1; // aborts with CURLE_ABORTED_BY_CALLBACK
  if (t->opts->on_progress) {
    auto tick = std::chrono::steady_clock::now();
    if (tick - t->last_progress >= std::chrono::seconds(5)) {
      t->last_progress = tick;
      t->opts->on_progress(static_cast<uint64_t>(now),
                           static_cast<uint64_t>(total));
    }
  }
  return 0;
}

std::string stamp_path(const std::string& path) { return path + ".verified"; }

} // namespace

struct downloader::impl {
  CURL* curl = nullptr;
};

downloader::downloader() : impl_(std::make_unique<impl>()) {
  global_init_once();
  impl_->curl = curl_easy_init();
  if (impl_->curl == nullptr)
    throw std::runtime_error("curl_easy_init failed");
}

downloader::~downloader() { curl_easy_cleanup(impl_->curl); }

download_result downloader::fetch(const std::string& url,
                                  const std::string& dest,
                                  const download_options& opts) {
  const std::string part = dest + ".part";
  transfer t;
  t.opts = &opts;
  t.last_progress = std::chrono::steady_clock::now();
  t.file = std::fopen(part.c_str(), "wb");
  if (t.file == nullptr)
    throw output_error(part + ": cannot create: " + std::strerror(errno));
  std::setvbuf(t.file, nullptr, _IOFBF, 1 << 20);

  CURL* c = impl_->curl;
  curl_easy_reset(c);
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, opts.connect_timeout_s);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, opts.total_timeout_s);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "gaia-dr3/0.1 (libcurl)");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  // Certificate verification stays on (libcurl's default); say so anyway.
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);

  auto started = std::chrono::steady_clock::now();
  CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  int close_rc = std::fclose(t.file);

  auto fail = [&](const std::string& why) {
    ::unlink(part.c_str());
    throw download_error(url + ": " + why);
  };
  if (t.write_failed)
    fail("cannot write " + part + ": " + std::strerror(t.write_errno));
  if (rc == CURLE_ABORTED_BY_CALLBACK)
    fail("cancelled");
  if (rc != CURLE_OK)
    fail(std::string(curl_easy_strerror(rc))
         + (errbuf[0] != '\0' ? std::string(" (") + errbuf + ")" : ""));
  // file:// reports 0; http(s) must be 200.
  if (status != 0 && status != 200)
    fail("HTTP status " + std::to_string(status));
  if (close_rc != 0)
    fail("cannot write " + part + ": " + std::strerror(errno));
  if (t.bytes < 2 || t.head[0] != 0x1f || t.head[1] != 0x8b)
    fail("the response is not gzip (" + std::to_string(t.bytes)
         + " bytes, starting "
         + (t.bytes >= 1 && t.head[0] == '<' ? "like HTML" : "otherwise")
         + ")");
  ::unlink(stamp_path(dest).c_str());
  if (::rename(part.c_str(), dest.c_str()) != 0)
    fail("cannot rename " + part + ": " + std::strerror(errno));
  download_result r;
  r.bytes = t.bytes;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now()
                                            - started)
                .count();
  return r;
}

bool is_verified_download(const std::string& path) {
  std::ifstream in(stamp_path(path));
  uint64_t size = 0;
  int64_t mtime = 0;
  if (!(in >> size >> mtime))
    return false;
  try {
    return fingerprint_of(path) == input_fingerprint{size, mtime};
  } catch (const input_error&) {
    return false;
  }
}

void mark_verified_download(const std::string& path) {
  auto fp = fingerprint_of(path);
  std::ostringstream ss;
  ss << fp.size << ' ' << fp.mtime_ns << '\n';
  write_file_atomic(stamp_path(path), ss.str());
}

void discard_download(const std::string& path) {
  for (const auto& p : {path, stamp_path(path), path + ".part"})
    remove_if_exists(p);
}

} // namespace gaia
