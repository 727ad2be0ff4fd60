// Where a cached file came from: the URL and what the server said of the
// version it sent (ETag, Last-Modified, size) and its MD5 when one is
// published. Recorded with every download and checkpoint, so that changing
// archive_url_template (a mirror, the synthetic archive, the real CDN) in
// the same output_dir never reuses a file of the other source.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace gaia {

struct source_version {
  std::string url;
  std::string etag;          ///< as the server sent it ("" when none)
  std::string last_modified; ///< as the server sent it ("" when none)
  uint64_t size = 0;         ///< bytes of the file
  std::string md5;           ///< 32 hex digits; "" when not computed

  /// JSON text, one line.
  std::string to_json() const;
  /// Parses to_json()'s text; nothing when it is not such a text.
  static std::optional<source_version> from_json(const std::string& text);
};

/// Identifies the version of a local file: its size and mtime.
struct input_fingerprint {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  friend bool operator==(const input_fingerprint& a, const input_fingerprint& b) {
    return a.size == b.size && a.mtime_ns == b.mtime_ns;
  }
};

/// Size and modification time of `path`; throws input_error when missing.
input_fingerprint fingerprint_of(const std::string& path);

/// JSON (NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT in the .cpp).
void to_json(nlohmann::json& j, const source_version& v);
void from_json(const nlohmann::json& j, source_version& v);

/// True when a file recorded as `cached` can stand for `wanted`, the file
/// a run asks for now: the same URL, and when both know it, the same MD5
/// and the same size.
bool same_source(const source_version& cached, const source_version& wanted);

/// The server's validators agree: a strong ETag when both have one, else
/// Last-Modified when both have one; and the same size. (A HEAD answer
/// against the recorded download.)
bool same_server_version(const source_version& a, const source_version& b);

} // namespace gaia
