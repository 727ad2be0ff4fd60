// The one-pass row parser (epoch_row_fast.hpp). Every step checks the form
// the general parser would accept and read the same way; at the first doubt
// it returns false and the general parser decides.
#include "lightcurve/epoch_row_fast.hpp"

#include <fast_float/fast_float.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace gaia::lightcurve {

namespace {

namespace nc = needed_column;

bool starts_with(const char* p, const char* end, const char* word, size_t n) {
  return static_cast<size_t>(end - p) >= n && std::memcmp(p, word, n) == 0;
}

/// A whole integer at p (std::from_chars, as parse_int reads it), p moved
/// past it.
template <class Int>
bool int_token(const char*& p, const char* end, Int& v) {
  const auto r = std::from_chars(p, end, v);
  if (r.ec != std::errc() || r.ptr == p) return false;
  p = r.ptr;
  return true;
}

/// A real at p: "NaN" and "null" as missing, else a token fast_float reads
/// to a normal value, which read_real_text takes as it is (real_text.hpp).
/// Zeros, subnormals and the rest are left to the general parser.
template <class Real>
bool real_token(const char*& p, const char* end, Real& v) {
  if (p < end && (*p == 'N' || *p == 'n')) {
    if (starts_with(p, end, "NaN", 3)) {
      p += 3;
    } else if (starts_with(p, end, "null", 4)) {
      p += 4;
    } else {
      return false;
    }
    v = std::numeric_limits<Real>::quiet_NaN();
    return true;
  }
  const auto r = fast_float::from_chars(p, end, v);
  if (r.ec != std::errc() || r.ptr == p || !std::isnormal(v)) return false;
  p = r.ptr;
  return true;
}

/// A flag at p: True/False/true/false/null, each bare or, in a quoted
/// field, between escaped quotes ("" on each side), as parse_flag reads it
/// once the field is unescaped.
bool flag_token(const char*& p, const char* end, bool quoted_field, flag& f) {
  const bool escaped = quoted_field && starts_with(p, end, "\"\"", 2);
  if (escaped) p += 2;
  const flag_word* found = nullptr;
  for (const auto& w : flag_words)
    if (starts_with(p, end, w.text.data(), w.text.size())) {
      found = &w;
      break;
    }
  if (found == nullptr) return false;
  f = found->value;
  p += found->text.size();
  if (escaped) {
    if (!starts_with(p, end, "\"\"", 2)) return false;
    p += 2;
  }
  return true;
}

/// An array field at p, "[a,b]" or "\"[a,b]\"", holding exactly n tokens
/// each read by `token(p, quoted, value)` into `out`; p is left at the
/// field's end (its ',' or the record's end).
template <class T, class Token>
bool array_field(const char*& p, const char* end, size_t n, std::vector<T>& out, Token token) {
  const bool quoted = p < end && *p == '"';
  if (quoted) ++p;
  if (p >= end || *p != '[') return false;
  ++p;
  out.clear();
  out.reserve(n);
  if (p < end && *p == ']') {
    ++p;
  } else {
    for (;;) {
      T v{};
      if (out.size() == n || !token(p, end, quoted, v)) return false;
      out.push_back(v);
      if (p >= end) return false;
      if (*p == ']') {
        ++p;
        break;
      }
      // An unquoted field ends at its first ',': only "[v]" is whole.
      if (*p != ',' || !quoted) return false;
      ++p;
    }
  }
  if (out.size() != n) return false;
  if (quoted) {
    if (p >= end || *p != '"') return false;
    ++p;
  }
  return true;
}

/// A field no model column reads: passed over as the general parser
/// splits it (a quoted one up to its closing quote, "" being one quote).
bool skip_field(const char*& p, const char* end) {
  if (p < end && *p == '"') {
    for (++p;;) {
      const void* q = std::memchr(p, '"', static_cast<size_t>(end - p));
      if (q == nullptr) return false;
      p = static_cast<const char*>(q) + 1;
      if (p < end && *p == '"') {
        ++p; // "" is one quote
        continue;
      }
      return true;
    }
  }
  while (p < end && *p != ',') {
    if (*p == '"') return false;
    ++p;
  }
  return true;
}

} // namespace

bool parse_epoch_row_fast(const epoch_columns& columns, std::string_view record,
                          epoch_row& row) {
  while (!record.empty() && (record.back() == '\n' || record.back() == '\r'))
    record.remove_suffix(1);
  const size_t fields = columns.field_count();

  const auto real = [](const char*& p, const char* end, bool, auto& v) {
    return real_token(p, end, v);
  };
  const auto integer = [](const char*& p, const char* end, bool, auto& v) {
    return int_token(p, end, v);
  };
  const char* p = record.data();
  const char* const end = p + record.size();
  bool have_n = false;
  size_t n = 0;
  for (size_t col = 0; col < fields; ++col) {
    if (col > 0) {
      if (p >= end || *p != ',') return false;
      ++p;
    }
    const size_t slot = columns.needed_at(col);
    if (slot == 0) {
      if (!skip_field(p, end)) return false;
      continue;
    }
    const size_t need = slot - 1;
    if (need <= nc::n_transits) {
      bool ok = false;
      if (need == nc::solution_id) ok = int_token(p, end, row.solution_id);
      if (need == nc::source_id) ok = int_token(p, end, row.source_id);
      if (need == nc::n_transits) {
        ok = int_token(p, end, row.n_transits) && row.n_transits >= 0;
        n = static_cast<size_t>(row.n_transits);
        have_n = ok;
      }
      if (!ok) return false;
      continue;
    }
    // The arrays' length is n_transits: it comes first in the bulk files.
    if (!have_n) return false;
    bool ok = false;
    if (need == nc::transit_id) {
      ok = array_field(p, end, n, row.transit_id, integer);
    } else if (need == nc::g_n_obs) {
      ok = array_field(p, end, n, row.g_transit_n_obs, integer);
    } else if (need < nc::flags_first) {
      const size_t first = need < nc::g_n_obs ? nc::g_first : need < nc::rp_first ? nc::bp_first
                                                                                  : nc::rp_first;
      band_series& b = first == nc::g_first ? row.g : first == nc::bp_first ? row.bp : row.rp;
      switch (need - first) {
        case 0: ok = array_field(p, end, n, b.time, real); break;
        case 1: ok = array_field(p, end, n, b.flux, real); break;
        case 2: ok = array_field(p, end, n, b.flux_error, real); break;
        case 3: ok = array_field(p, end, n, b.flux_over_error, real); break;
        default: ok = array_field(p, end, n, b.mag, real); break;
      }
    } else {
      const size_t f = need - nc::flags_first;
      auto& out = f < photometry_flag_count ? row.photometry_flags[f]
                                            : row.variability_reject[f - photometry_flag_count];
      ok = array_field(p, end, n, out, flag_token);
    }
    if (!ok) return false;
  }
  return p == end;
}

} // namespace gaia::lightcurve
