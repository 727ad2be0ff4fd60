// The bulk row parser (epoch_row_parser.hpp): the 48 columns by name, each
// array cell "[v,v,...]" parsed token by token: integers with
// std::from_chars, reals with read_real_text (fast_float, reading what
// std::from_chars reads). parse_epoch_row_into tries the one-pass parser
// (epoch_row_fast.hpp) first; this one decides every row that one leaves.
#include "lightcurve/epoch_row_parser.hpp"

#include "lightcurve/epoch_row_fast.hpp"
#include "lightcurve/real_text.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <string>

namespace gaia::lightcurve {

namespace {

/// The columns the model needs, in the bulk files' order: 20 named here,
/// then the 25 photometry flags and the 3 variability flags.
constexpr std::string_view named_columns[] = {
  "solution_id", "source_id", "n_transits", "transit_id",
  "g_transit_time", "g_transit_flux", "g_transit_flux_error", "g_transit_flux_over_error",
  "g_transit_mag", "g_transit_n_obs",
  "bp_obs_time", "bp_flux", "bp_flux_error", "bp_flux_over_error", "bp_mag",
  "rp_obs_time", "rp_flux", "rp_flux_error", "rp_flux_over_error", "rp_mag",
};
constexpr size_t named_count = std::size(named_columns);
static_assert(named_count == needed_column::flags_first);
constexpr size_t needed_count = needed_column::count;
constexpr size_t max_reasons = 5;

std::string_view needed_name(size_t i) {
  if (i < named_count) return named_columns[i];
  if (i < named_count + photometry_flag_count) return photometry_flag_name(i - named_count);
  return variability_flag_name(i - named_count - photometry_flag_count);
}

[[noreturn]] void fail(std::string_view column, const std::string& why) {
  throw input_error(std::string(column) + ": " + why);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' ||
                        s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

/// A whole integer token; anything else (a sign alone, "1.0", "null") fails.
template <class Int>
Int parse_int(std::string_view token, std::string_view column) {
  token = trim(token);
  Int v{};
  auto [p, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
  if (ec != std::errc() || p != token.data() + token.size() || token.empty())
    fail(column, "'" + std::string(token) + "' is not an integer of its type");
  return v;
}

/// A finite decimal (Java's "1.0E7" form included), or NaN for the
/// archive's missing value "NaN" (and ECSV's "null"). Infinities and
/// anything else fail.
template <class Real>
Real parse_real(std::string_view token, std::string_view column) {
  token = trim(token);
  if (token == "NaN" || token == "null") return std::numeric_limits<Real>::quiet_NaN();
  Real v{};
  if (!read_real_text(token, v) || !std::isfinite(v))
    fail(column, "'" + std::string(token) + "' is not a finite number or NaN");
  return v;
}

flag parse_flag(std::string_view token, std::string_view column) {
  token = trim(token);
  if (token.size() >= 2 && token.front() == '"' && token.back() == '"')
    token = token.substr(1, token.size() - 2);
  for (const auto& w : flag_words)
    if (token == w.text) return w.value;
  fail(column, "'" + std::string(token) + "' is not True, False or null");
}

/// Calls each(token) for the first `n` tokens of "[a,b,c]"; fails unless
/// the array holds exactly `n`.
template <class F>
void for_each_token(std::string_view cell, size_t n, std::string_view column, F each) {
  cell = trim(cell);
  if (cell.size() < 2 || cell.front() != '[' || cell.back() != ']')
    fail(column, "not an array '[...]'");
  cell = cell.substr(1, cell.size() - 2);
  size_t count = 0;
  if (!trim(cell).empty()) {
    for (size_t start = 0;;) {
      const size_t comma = cell.find(',', start);
      const size_t len = comma == std::string_view::npos ? std::string_view::npos : comma - start;
      if (count < n) each(cell.substr(start, len));
      ++count;
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
  }
  if (count != n)
    fail(column, std::to_string(count) + " values, n_transits is " + std::to_string(n));
}

/// Refills `out` (its memory kept: a worker parses row after row into one
/// epoch_row) with the n values of an array cell.
template <class T, class Parse>
void parse_array(std::vector<T>& out, std::string_view cell, size_t n, std::string_view column,
                 Parse p) {
  out.clear();
  out.reserve(n);
  for_each_token(cell, n, column, [&](std::string_view t) { out.push_back(p(t, column)); });
}

} // namespace

epoch_columns::epoch_columns(const std::vector<std::string>& header)
  : field_count_(header.size()), index_(needed_count), needed_at_(header.size(), 0) {
  for (size_t i = 0; i < needed_count; ++i) {
    const auto name = needed_name(i);
    size_t found = header.size();
    for (size_t c = 0; c < header.size(); ++c)
      if (trim(header[c]) == name) found = c;
    if (found == header.size()) throw input_error("header row: no column " + std::string(name));
    index_[i] = found;
    needed_at_[found] = static_cast<uint8_t>(i + 1);
  }
}

epoch_columns epoch_columns::from_header_line(std::string_view line) {
  return epoch_columns(split_csv_record(line));
}

std::vector<std::string> split_csv_record(std::string_view record) {
  while (!record.empty() && (record.back() == '\n' || record.back() == '\r'))
    record.remove_suffix(1);
  std::vector<std::string> fields(1);
  bool quoted = false, was_quoted = false;
  for (size_t i = 0; i < record.size(); ++i) {
    const char c = record[i];
    if (quoted) {
      if (c != '"') {
        fields.back() += c;
      } else if (i + 1 < record.size() && record[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else {
        quoted = false;
        if (i + 1 < record.size() && record[i + 1] != ',')
          throw input_error("field " + std::to_string(fields.size()) +
                            ": a closing quote not followed by ','");
      }
    } else if (c == ',') {
      fields.emplace_back();
      was_quoted = false;
    } else if (c == '"') {
      if (!fields.back().empty() || was_quoted)
        throw input_error("field " + std::to_string(fields.size()) + ": a quote inside it");
      quoted = was_quoted = true;
    } else {
      fields.back() += c;
    }
  }
  if (quoted) throw input_error("field " + std::to_string(fields.size()) + ": unclosed quote");
  return fields;
}

namespace {

/// split_csv_record without a string per field: every field as a view
/// into the record (a quoted one without its quotes), or, for a quoted
/// field with "" inside (the bulk files' boolean arrays: "[""False"",...]"),
/// into `arena`, which holds it unescaped. Returns false for a quote out of
/// place or an unclosed quote: split_csv_record then names the error.
/// (The field copies were a tenth of the light curves' CPU.)
bool split_csv_views(std::string_view record, std::vector<std::string_view>& out,
                     std::string& arena) {
  while (!record.empty() && (record.back() == '\n' || record.back() == '\r'))
    record.remove_suffix(1);
  out.clear();
  arena.clear();
  struct unescaped {
    size_t field, offset, length;
  };
  thread_local std::vector<unescaped> in_arena;
  in_arena.clear();
  const size_t n = record.size();
  for (size_t i = 0;;) {
    if (i < n && record[i] == '"') {
      size_t segment = i + 1;
      const size_t start = arena.size();
      bool escaped = false;
      for (size_t from = i + 1;;) {
        const size_t q = record.find('"', from);
        if (q == std::string_view::npos) return false;
        if (q + 1 < n && record[q + 1] == '"') { // "" is one quote
          escaped = true;
          arena.append(record.data() + segment, q + 1 - segment);
          from = segment = q + 2;
          continue;
        }
        if (q + 1 < n && record[q + 1] != ',') return false;
        if (escaped) {
          arena.append(record.data() + segment, q - segment);
          in_arena.push_back({out.size(), start, arena.size() - start});
          out.emplace_back();
        } else {
          out.push_back(record.substr(i + 1, q - i - 1));
        }
        i = q + 1;
        break;
      }
    } else {
      const size_t comma = record.find(',', i);
      const size_t end = comma == std::string_view::npos ? n : comma;
      const auto field = record.substr(i, end - i);
      if (field.find('"') != std::string_view::npos) return false;
      out.push_back(field);
      i = end;
    }
    if (i < n) {
      ++i; // the comma
      if (i < n) continue;
      out.emplace_back(); // a trailing comma: an empty last field
    }
    // The arena is complete: no more appends to move it.
    for (const auto& u : in_arena)
      out[u.field] = std::string_view(arena).substr(u.offset, u.length);
    return true;
  }
}

} // namespace

epoch_row parse_epoch_row(const epoch_columns& columns, std::string_view record) {
  epoch_row row;
  parse_epoch_row_into(columns, record, row);
  return row;
}

void parse_epoch_row_into(const epoch_columns& columns, std::string_view record,
                          epoch_row& row) {
  // The bulk files' own form in one pass; the general parser decides the rest.
  if (!parse_epoch_row_fast(columns, record, row)) parse_epoch_row_general(columns, record, row);
}

void parse_epoch_row_general(const epoch_columns& columns, std::string_view record,
                             epoch_row& row) {
  // One buffer of views per thread, reused row after row.
  thread_local std::vector<std::string_view> fields;
  thread_local std::string arena;
  std::vector<std::string> unescaped;
  if (!split_csv_views(record, fields, arena)) {
    unescaped = split_csv_record(record);
    fields.assign(unescaped.begin(), unescaped.end());
  }
  if (fields.size() != columns.field_count())
    throw input_error(std::to_string(fields.size()) + " fields, the header has " +
                      std::to_string(columns.field_count()));
  auto cell = [&](size_t needed) -> std::string_view { return fields[columns.at(needed)]; };
  namespace nc = needed_column;
  row.solution_id = parse_int<int64_t>(cell(nc::solution_id), needed_name(nc::solution_id));
  row.source_id = parse_int<int64_t>(cell(nc::source_id), needed_name(nc::source_id));
  row.n_transits = parse_int<int32_t>(cell(nc::n_transits), needed_name(nc::n_transits));
  if (row.n_transits < 0) fail(needed_name(nc::n_transits), "negative");
  const auto n = static_cast<size_t>(row.n_transits);
  parse_array(row.transit_id, cell(nc::transit_id), n, needed_name(nc::transit_id),
              parse_int<int64_t>);
  // Each band: time, flux, error, over_error, mag from its first column.
  auto band = [&](band_series& b, size_t first) {
    parse_array(b.time, cell(first), n, needed_name(first), parse_real<double>);
    parse_array(b.flux, cell(first + 1), n, needed_name(first + 1), parse_real<double>);
    parse_array(b.flux_error, cell(first + 2), n, needed_name(first + 2), parse_real<double>);
    parse_array(b.flux_over_error, cell(first + 3), n, needed_name(first + 3),
                parse_real<float>);
    parse_array(b.mag, cell(first + 4), n, needed_name(first + 4), parse_real<double>);
  };
  band(row.g, nc::g_first);
  parse_array(row.g_transit_n_obs, cell(nc::g_n_obs), n, needed_name(nc::g_n_obs),
              parse_int<int16_t>);
  band(row.bp, nc::bp_first);
  band(row.rp, nc::rp_first);
  for (size_t f = 0; f < photometry_flag_count; ++f)
    parse_array(row.photometry_flags[f], cell(named_count + f), n,
                needed_name(named_count + f), parse_flag);
  for (size_t b = 0; b < 3; ++b) {
    const size_t i = named_count + photometry_flag_count + b;
    parse_array(row.variability_reject[b], cell(i), n, needed_name(i), parse_flag);
  }
}

epoch_rows read_epoch_rows(std::istream& in, const std::string& name) {
  epoch_rows out;
  std::string line;
  uint64_t line_no = 0;
  std::optional<epoch_columns> columns;
  while (std::getline(in, line)) {
    ++line_no;
    if (!columns) {
      const auto t = trim(line);
      if (t.empty() || t.front() == '#') continue;
      try {
        columns.emplace(epoch_columns::from_header_line(line));
      } catch (const input_error& e) {
        throw input_error(name + " line " + std::to_string(line_no) + ": " + e.what());
      }
      continue;
    }
    if (trim(line).empty()) continue;
    try {
      out.rows.push_back(parse_epoch_row(*columns, line));
    } catch (const input_error& e) {
      ++out.skipped;
      if (out.reasons.size() < max_reasons)
        out.reasons.push_back(name + " line " + std::to_string(line_no) + ": " + e.what());
    }
  }
  if (!columns) throw input_error(name + ": no header row");
  return out;
}

} // namespace gaia::lightcurve
