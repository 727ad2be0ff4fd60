#include "core/source_version.hpp"

#include "core/errors.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <sys/stat.h>

namespace gaia {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(source_version, url, etag,
                                                last_modified, size, md5)

input_fingerprint fingerprint_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw input_error(path + ": " + std::strerror(errno));
  return {static_cast<uint64_t>(st.st_size),
          static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

std::string source_version::to_json() const {
  return nlohmann::json(*this).dump();
}

std::optional<source_version> source_version::from_json(const std::string& text) {
  try {
    auto v = nlohmann::json::parse(text).get<source_version>();
    if (v.url.empty()) return std::nullopt;
    return v;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

bool same_source(const source_version& cached, const source_version& wanted) {
  if (cached.url != wanted.url) return false;
  if (!cached.md5.empty() && !wanted.md5.empty() && cached.md5 != wanted.md5)
    return false;
  if (cached.size != 0 && wanted.size != 0 && cached.size != wanted.size)
    return false;
  return true;
}

bool same_server_version(const source_version& a, const source_version& b) {
  if (a.size != b.size) return false;
  auto strong = [](const std::string& e) { return !e.empty() && e.rfind("W/", 0) != 0; };
  if (strong(a.etag) && strong(b.etag)) return a.etag == b.etag;
  if (!a.last_modified.empty() && !b.last_modified.empty())
    return a.last_modified == b.last_modified;
  return false; // nothing to compare: assume it changed
}

} // namespace gaia
