// The correctness suite's reference: a deliberately simple, slow reader of
// archive files written without any of the production's code. zlib's
// gzgets (which reads multi-member gzip), a character-by-character CSV
// split, strtod (correctly rounded in glibc) with a whole-token check, and
// the rule written out inline. If the production and this disagree on a
// single bit, the suite fails.
#pragma once

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>
#include <zlib.h>

namespace gaia::test::reference {

struct minmax {
  double bp_min = NAN, bp_max = NAN, rp_min = NAN, rp_max = NAN;
};

/// Every line of a gzip file, without line ends.
inline std::vector<std::string> gz_lines(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr)
    throw std::runtime_error("cannot open " + path);
  std::vector<std::string> lines;
  std::string cur;
  char buf[1 << 16];
  while (gzgets(f, buf, sizeof buf) != nullptr) {
    cur += buf;
    if (!cur.empty() && cur.back() == '\n') {
      cur.pop_back();
      if (!cur.empty() && cur.back() == '\r')
        cur.pop_back();
      lines.push_back(cur);
      cur.clear();
    }
  }
  if (!cur.empty())
    lines.push_back(cur);
  gzclose(f);
  return lines;
}

/// CSV fields: quotes group, "" inside quotes is a quote.
inline std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

inline std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(' ');
  if (b == std::string::npos)
    return "";
  return s.substr(b, s.find_last_not_of(' ') - b + 1);
}

/// The valid values of an array field "[a,b,...]".
inline std::vector<double> values(std::string field) {
  field = trim(field);
  if (!field.empty() && field.front() == '[')
    field = field.substr(1);
  if (!field.empty() && field.back() == ']')
    field.pop_back();
  std::vector<double> out;
  size_t start = 0;
  while (start <= field.size()) {
    size_t comma = field.find(',', start);
    if (comma == std::string::npos)
      comma = field.size();
    std::string tok = trim(field.substr(start, comma - start));
    start = comma + 1;
    if (tok.empty() || tok[0] == '+')
      continue;
    char* end = nullptr;
    errno = 0;
    double v = std::strtod(tok.c_str(), &end);
    // strtod also reads hex floats; the archive's grammar has none.
    bool hex = tok.find_first_of("xX") != std::string::npos;
    if (end == tok.c_str() + tok.size() && std::isfinite(v) && !hex)
      out.push_back(v);
  }
  return out;
}

/// Folds every data row of one archive file into `acc`.
inline void read_file(const std::string& path,
                      std::map<int64_t, minmax>& acc) {
  auto lines = gz_lines(path);
  size_t i = 0;
  while (i < lines.size() && !lines[i].empty() && lines[i][0] == '#')
    ++i;
  if (i == lines.size())
    throw std::runtime_error(path + ": no header");
  auto header = split_csv(lines[i++]);
  int id_col = -1, bp_col = -1, rp_col = -1;
  for (size_t c = 0; c < header.size(); ++c) {
    auto h = trim(header[c]);
    if (h == "source_id") id_col = static_cast<int>(c);
    if (h == "bp_flux") bp_col = static_cast<int>(c);
    if (h == "rp_flux") rp_col = static_cast<int>(c);
  }
  for (; i < lines.size(); ++i) {
    if (trim(lines[i]).empty())
      continue;
    auto f = split_csv(lines[i]);
    if (static_cast<int>(f.size()) <= std::max({id_col, bp_col, rp_col}))
      continue;
    std::string id_text = trim(f[id_col]);
    char* end = nullptr;
    errno = 0;
    long long id = std::strtoll(id_text.c_str(), &end, 10);
    if (id_text.empty() || end != id_text.c_str() + id_text.size()
        || errno == ERANGE)
      continue;
    auto& m = acc[id];
    auto fold = [](double& lo, double& hi, double v) {
      if (std::isnan(lo) || v < lo) lo = v;
      if (std::isnan(hi) || v > hi) hi = v;
    };
    for (double v : values(f[bp_col])) fold(m.bp_min, m.bp_max, v);
    for (double v : values(f[rp_col])) fold(m.rp_min, m.rp_max, v);
  }
}

/// percentage_change, or NaN when neither band has one.
inline double change(const minmax& m) {
  double best = NAN;
  if (m.bp_min > 0) best = ((m.bp_max - m.bp_min) / m.bp_min) * 100;
  if (m.rp_min > 0) {
    double rp = ((m.rp_max - m.rp_min) / m.rp_min) * 100;
    if (std::isnan(best) || rp > best) best = rp;
  }
  return best;
}

} // namespace gaia::test::reference
