// Small helpers shared by the tests: temporary directories, file I/O.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>
#include <zlib.h>

namespace gaia::test {

/// A fresh directory under $TMPDIR, removed with everything in it at scope
/// exit (kept when GAIA_KEEP_TEST_DIRS is set, for debugging).
class temp_dir {
public:
  explicit temp_dir(const std::string& tag = "gaia-test") {
    auto base = std::filesystem::temp_directory_path();
    std::string tmpl = (base / (tag + "-XXXXXX")).string();
    if (::mkdtemp(tmpl.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed for " + tmpl);
    path_ = tmpl;
  }
  ~temp_dir() {
    if (std::getenv("GAIA_KEEP_TEST_DIRS") == nullptr) {
      std::error_code ec;
      std::filesystem::remove_all(path_, ec);
    }
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const {
    return path_ / name;
  }

private:
  std::filesystem::path path_;
};

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The names of the entries of `dir` (not recursive), sorted.
inline std::vector<std::string> file_names(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

inline std::vector<std::string> read_lines(const std::filesystem::path& p) {
  std::vector<std::string> out;
  std::istringstream in(read_file(p));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

inline void write_file(const std::filesystem::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + p.string());
  out << s;
}

/// The text of a gzip file (every member), read by zlib: independent of
/// the archive's own inflater.
inline std::string gunzip_file(const std::filesystem::path& p) {
  gzFile f = gzopen(p.c_str(), "rb");
  if (f == nullptr) throw std::runtime_error("cannot open " + p.string());
  std::string text;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  gzclose(f);
  if (n < 0) throw std::runtime_error("cannot inflate " + p.string());
  return text;
}

/// One gzip member holding `text`, written by zlib (windowBits 31).
/// Concatenate several for a multi-member file.
inline std::string gzip_member(const std::string& text, int level = 6) {
  z_stream s{};
  if (deflateInit2(&s, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  std::string out(deflateBound(&s, text.size()) + 64, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  s.avail_in = static_cast<uInt>(text.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&s, Z_FINISH);
  deflateEnd(&s);
  if (rc != Z_STREAM_END)
    throw std::runtime_error("deflate failed");
  out.resize(s.total_out);
  return out;
}

/// The real 50-column sample of three Gaia DR3 rows.
inline std::filesystem::path real_sample_path() {
  return std::filesystem::path(GAIA_FIXTURES_DIR) / "gaia_dr3_epoch_sample.ecsv";
}

} // namespace gaia::test
