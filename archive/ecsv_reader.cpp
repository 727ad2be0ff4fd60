// The ECSV import: streamed text -> one source_aggregate per valid row.
//
// Speed matters more here than anywhere else: a row is ~25 KB of text of
// which only source_id and the two flux arrays (~6%) are needed. So the text
// is decompressed straight into one reusable buffer; fields up to the last
// needed column are hopped over (a quoted array costs one vector scan,
// csv_scan.cpp) and the flux arrays parsed in place (flux_tokens.cpp); the
// rest of the row is only counted and checked, 64 bytes a step
// (scan_record_tail), so that a row with a field too many or too few is
// skipped instead of read with shifted columns. Nothing is allocated per
// row.
//
//   read() ─► record_buffer (ecsv_records.hpp: the buffer and the record
//          loop every streamed reader shares) ─► epoch_parser::parse_record
//          ─► on_row / skipped and counted
#include "archive/ecsv_reader.hpp"

#include "archive/csv_scan.hpp"
#include "archive/ecsv_records.hpp"
#include "core/errors.hpp"
#include "archive/flux_tokens.hpp"
#include "archive/source_table.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <memory>

namespace gaia {

namespace {

using ecsv_detail::add_flux_values;
using ecsv_detail::record_buffer;
using ecsv_detail::record_parser;
using ecsv_detail::skip_spaces;
using ecsv_detail::split_header;
using ecsv_detail::trim_right;

/// The first value of a flux cell that add_flux_values skips, quoted, for
/// a log line ("'1.0x'"), or why the cell holds none.
std::string first_bad_value(const char* b, const char* e) {
  b = skip_spaces(b, e);
  e = trim_right(b, e);
  if (e - b < 2 || *b != '[' || e[-1] != ']')
    return "'" + std::string(b, std::min<size_t>(e - b, 40)) +
           "' (not a bracketed array)";
  ++b;
  --e;
  for (const char* t = b; t <= e;) {
    const char* c = static_cast<const char*>(std::memchr(t, ',', e - t));
    const char* te = c != nullptr ? c : e;
    std::string token(t, te);
    double v;
    std::string trimmed(skip_spaces(token.data(), token.data() + token.size()),
                        trim_right(token.data(), token.data() + token.size()));
    if (!parse_flux_token(token, v) && trimmed != "NaN" && trimmed != "nan")
      return "'" + token.substr(0, 40) + "'";
    if (c == nullptr) break;
    t = c + 1;
  }
  return "a value";
}

/// The import's records: source_id and the two flux arrays of each row.
class epoch_parser final : public record_parser {
public:
  epoch_parser(const std::string& name,
               const std::function<void(const source_aggregate&)>& on_row,
               import_stats& stats, uint64_t max_line_bytes)
    : record_parser(name, stats, max_line_bytes), on_row_(on_row) {}

private:
  void parse_header(const char* b, const char* e) override {
    auto names = split_header(b, e);
    auto find = [&](const char* col) {
      auto it = std::find(names.begin(), names.end(), col);
      if (it == names.end())
        throw input_error(name_ + ": header row has no column '" + col + "'");
      return static_cast<size_t>(it - names.begin());
    };
    id_col_ = find("source_id");
    bp_col_ = find("bp_flux");
    rp_col_ = find("rp_flux");
    last_col_ = std::max({id_col_, bp_col_, rp_col_});
    fields_ = names.size();
  }

  /// Parses one record starting at `p`; returns the start of the next one,
  /// or nullptr when the record does not end before `end`.
  const char* parse_record(const char* p, const char* end) override {
    source_aggregate agg;
    uint64_t skipped_values = 0;
    uint64_t breaks = 0;   // line breaks inside quoted fields
    bool id_ok = false;
    std::string_view id_text;
    const char* bad_cell = nullptr;
    const char* bad_cell_end = nullptr;
    const char* f = p;
    uint64_t fields = 0;
    const char* record_end = nullptr;
    const char* out = nullptr;
    for (size_t col = 0;; ++col) {
      field fld;
      if (!hop_field(p, f, end, col, fld, breaks, out)) return out;
      const char* cb = fld.begin;
      const char* ce = fld.end;
      if (col == id_col_) {
        id_ok = read_source_id(fld, agg.source_id, id_text);
      } else if (col == bp_col_ || col == rp_col_) {
        uint64_t n = add_flux_values(cb, ce, col == bp_col_ ? agg.bp : agg.rp);
        if (n > 0 && bad_cell == nullptr) {
          bad_cell = cb;
          bad_cell_end = ce;
        }
        skipped_values += n;
      }
      if (*fld.next == '\n' || col == last_col_) {
        // Past the needed columns: count the rest, check its quoting.
        if (!finish_record(p, fld.next, end, col, fields, breaks, record_end, out)) return out;
        break;
      }
      f = fld.next + 1;
    }
    if (sound_record(p, record_end, fields, id_ok, id_text)) {
      if (skipped_values > 0) {
        stats_.skipped_values += skipped_values;
        example("skipped flux value " + first_bad_value(bad_cell, bad_cell_end));
      }
      on_row_(agg);
    }
    line_ += 1 + breaks;
    return record_end + 1;
  }

  const std::function<void(const source_aggregate&)>& on_row_;
  size_t id_col_ = 0, bp_col_ = 0, rp_col_ = 0, last_col_ = 0;
};

} // namespace

struct ecsv_stream::impl {
  std::string name;
  std::function<void(const source_aggregate&)> on_row;
  import_stats stats;
  epoch_parser parser;
  record_buffer buf;

  impl(std::string n, std::function<void(const source_aggregate&)> f,
       const read_options& opts)
    : name(std::move(n)), on_row(std::move(f)),
      parser(name, on_row, stats, std::max<uint64_t>(opts.max_line_bytes, 1)),
      buf(name, opts.max_line_bytes, parser) {}
};

ecsv_stream::ecsv_stream(std::string name,
                         std::function<void(const source_aggregate&)> on_row,
                         const read_options& opts)
  : impl_(std::make_unique<impl>(std::move(name), std::move(on_row), opts)) {}

ecsv_stream::~ecsv_stream() = default;

std::pair<char*, size_t> ecsv_stream::room() { return impl_->buf.room(); }

void ecsv_stream::wrote(size_t n) {
  impl_->stats.uncompressed_bytes += n;
  impl_->buf.wrote(n);
}

import_stats ecsv_stream::finish() {
  impl_->buf.finish();
  return impl_->stats;
}

const import_stats& ecsv_stream::stats() const { return impl_->stats; }

import_stats read_epoch_photometry(
  byte_source& src, const std::function<void(const source_aggregate&)>& on_row,
  const read_options& opts) {
  ecsv_stream stream(src.name(), on_row, opts);
  for (;;) {
    auto [room, cap] = stream.room();
    const size_t got = src.read(room, cap);
    if (got == 0) break;
    stream.wrote(got);
  }
  return stream.finish();
}

file_aggregates import_archive_file(const std::string& path,
                                    inflate_backend backend,
                                    const read_options& opts) {
  gzip_reader reader(path, backend);
  source_table table;
  file_aggregates out;
  out.stats = read_epoch_photometry(
    reader, [&](const source_aggregate& a) { table.add(a); }, opts);
  out.stats.uncompressed_bytes = reader.uncompressed_bytes();
  out.sources = table.take_sorted();
  return out;
}

} // namespace gaia
