// Field scanning for the ECSV import (ecsv_reader.cpp, flux_tokens.cpp):
// space trimming, and finding the end of a quoted field or a line. Not a
// public API.
#pragma once

#include <cstring>

namespace gaia::ecsv_detail {

inline bool is_space(char c) { return c == ' ' || c == '\t'; }

/// First byte of [b, e) that is not a space or tab (or `e`).
inline const char* skip_spaces(const char* b, const char* e) {
  while (b < e && is_space(*b)) ++b;
  return b;
}

/// End of [b, e) without trailing spaces. Also drops a '\r' so the last
/// field of a CRLF line is clean.
inline const char* trim_right(const char* b, const char* e) {
  while (e > b && (is_space(e[-1]) || e[-1] == '\r')) --e;
  return e;
}

/// The '\n' that ends the line at `p`; [p, end) holds one.
inline const char* line_end(const char* p, const char* end) {
  return static_cast<const char*>(std::memchr(p, '\n', end - p));
}

/// First '"' or '\n' at or after `p`. The caller guarantees a '\n' before
/// the end of the data and readable memory up to 64 bytes past it. Vector
/// scans, AVX2 when the CPU has it (picked at run time).
const char* find_quote_or_newline(const char* p);

} // namespace gaia::ecsv_detail
