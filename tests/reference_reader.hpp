// The correctness suite's reference: a deliberately simple, slow reader of
// archive files written without any of the production's code. zlib's
// gzread (which reads multi-member gzip), a character-by-character RFC 4180
// record split, strtod (correctly rounded in glibc) with a whole-token
// check, and the rule written out inline. If the production and this disagree on a
// single bit, the suite fails.
#pragma once

#include <cerrno>
#include <cctype>
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

/// The whole decompressed text of a gzip file (zlib's gzread reads
/// concatenated members and ignores zero padding after the last).
inline std::string gz_text(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr)
    throw std::runtime_error("cannot open " + path);
  std::string text;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0)
    text.append(buf, static_cast<size_t>(n));
  gzclose(f);
  if (n < 0)
    throw std::runtime_error("cannot decompress " + path);
  return text;
}

/// One CSV record per RFC 4180, character by character: quoted fields may
/// hold ',' and line breaks, "" is a quote. `ok` is false when a quote is
/// out of place (inside an unquoted field, or a closing quote followed by
/// something other than ',' or the line end); such a record runs to the end
/// of the line where the misplaced quote is.
struct record {
  std::vector<std::string> fields;
  bool ok = true;
};

/// Reads the record starting at text[pos]; moves pos past its '\n'.
inline record next_record(const std::string& text, size_t& pos) {
  record r;
  r.fields.emplace_back();
  bool quoted = false;       // inside a quoted field
  bool field_start = true;   // nothing read of this field yet
  bool after_close = false;  // right after a closing quote
  for (; pos < text.size(); ++pos) {
    char c = text[pos];
    if (quoted) {
      if (c == '"') {
        quoted = false;
        after_close = true;
      } else {
        r.fields.back() += c;
      }
      continue;
    }
    if (after_close) {
      after_close = false;
      if (c == '"') { // "" inside a quoted field: one quote
        r.fields.back() += '"';
        quoted = true;
        continue;
      }
      if (c == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n')
        continue;
      if (c != ',' && c != '\n') {
        r.ok = false;
        break;
      }
    }
    if (c == '\n') {
      ++pos;
      return r;
    }
    if (c == ',') {
      r.fields.emplace_back();
      field_start = true;
      continue;
    }
    if (c == '"') {
      if (!field_start) {
        r.ok = false;
        break;
      }
      quoted = true;
      field_start = false;
      continue;
    }
    r.fields.back() += c;
    field_start = false;
  }
  if (quoted) // the text ends inside a quoted field
    r.ok = false;
  if (!r.ok) { // a malformed record ends with its line
    size_t nl = text.find('\n', pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
  }
  return r;
}

inline std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos)
    return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

/// The valid values of an array field "[a,b,...]"; a field that is not a
/// bracketed array has none.
inline std::vector<double> values(std::string field) {
  field = trim(field);
  std::vector<double> out;
  if (field.size() < 2 || field.front() != '[' || field.back() != ']')
    return out;
  field = field.substr(1, field.size() - 2);
  if (trim(field).empty())
    return out;
  size_t start = 0;
  while (start <= field.size()) {
    size_t comma = field.find(',', start);
    if (comma == std::string::npos)
      comma = field.size();
    std::string tok = trim(field.substr(start, comma - start));
    start = comma + 1;
    // strtod reads a leading '+' too, but also a second sign after it.
    if (tok.size() >= 2 && tok[0] == '+' && tok[1] != '+' && tok[1] != '-')
      tok = tok.substr(1);
    if (tok.empty() || !(std::isdigit(static_cast<unsigned char>(tok[0]))
                         || tok[0] == '-' || tok[0] == '.'))
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
  std::string text = gz_text(path);
  size_t pos = 0;
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0)
    pos = 3;
  std::vector<std::string> header;
  // '#' lines and blank lines before the header row.
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos)
      nl = text.size();
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (trim(line).empty() || line[0] == '#')
      continue;
    size_t p = 0;
    for (auto& h : next_record(line + "\n", p).fields)
      header.push_back(trim(h));
    break;
  }
  if (header.empty())
    throw std::runtime_error(path + ": no header");
  int id_col = -1, bp_col = -1, rp_col = -1;
  for (size_t c = 0; c < header.size(); ++c) {
    if (header[c] == "source_id") id_col = static_cast<int>(c);
    if (header[c] == "bp_flux") bp_col = static_cast<int>(c);
    if (header[c] == "rp_flux") rp_col = static_cast<int>(c);
  }
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    if (trim(line).empty()) { // blank lines are not rows
      pos = nl == std::string::npos ? text.size() : nl + 1;
      continue;
    }
    if (line[0] == '#') { // not a row of data
      pos = nl == std::string::npos ? text.size() : nl + 1;
      continue;
    }
    record r = next_record(text, pos);
    if (!r.ok || r.fields.size() != header.size())
      continue;
    auto& f = r.fields;
    std::string id_text = trim(f[id_col]);
    char* end = nullptr;
    errno = 0;
    long long id = std::strtoll(id_text.c_str(), &end, 10);
    if (id_text.empty() || end != id_text.c_str() + id_text.size()
        || errno == ERANGE || id_text[0] == '+')
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
