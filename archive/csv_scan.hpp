// Field scanning for the ECSV import (ecsv_reader.cpp, flux_tokens.cpp):
// space trimming, hopping over a quoted field, and the structural scan of a
// record's remaining fields. Not a public API.
//
// The CSV dialect is RFC 4180: a field is quoted when it starts with '"';
// inside quotes ',' and '\n' belong to the field and "" is a quote; outside
// quotes a '"' may only open a field. A record ends at the first '\n'
// outside quotes.
#pragma once

#include <cstdint>
#include <cstring>

namespace gaia::ecsv_detail {

/// Spaces a flux token or a header name may be padded with. '\r' and '\n'
/// count too: a CRLF line's last field ends in '\r', and a quoted field may
/// hold a line break.
inline bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/// First byte of [b, e) that is not a space (or `e`).
inline const char* skip_spaces(const char* b, const char* e) {
  while (b < e && is_space(*b)) ++b;
  return b;
}

/// End of [b, e) without trailing spaces.
inline const char* trim_right(const char* b, const char* e) {
  while (e > b && is_space(e[-1])) --e;
  return e;
}

/// First '"' or '\n' at or after `p`. The caller guarantees one of them
/// before the end of its data (a sentinel) and readable memory up to 64
/// bytes past it. Vector scans, AVX2 when the CPU has it (picked at run
/// time).
const char* find_quote_or_newline(const char* p);

/// What scan_record_tail found.
struct tail_scan {
  /// The '\n' that ends the record, or nullptr when the data ended first
  /// (the record is incomplete) or the quoting is malformed.
  const char* end = nullptr;
  /// The first quote out of place (a '"' inside an unquoted field, or a
  /// closing quote followed by something other than ',' or a line end);
  /// nullptr when the quoting is sound.
  const char* malformed = nullptr;
  uint64_t separators = 0; ///< ',' outside quotes before `end`
  uint64_t line_breaks = 0; ///< '\n' inside quoted fields before `end`
};

/// Scans the rest of a record from `p`, a ',' outside quotes that follows a
/// complete field, to the '\n' outside quotes that ends it, counting the
/// separators on the way and checking the quoting. Reads [p, data_end) and
/// needs 64 readable bytes past data_end. 64 bytes a step: the quote
/// parity of a block is a prefix XOR of its quote bits, so doubled quotes
/// ("" in the boolean flag arrays) cost nothing.
tail_scan scan_record_tail(const char* p, const char* data_end);

} // namespace gaia::ecsv_detail
