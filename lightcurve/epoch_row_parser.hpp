// Parses one bulk-file row (the ECSV body row of EpochPhotometry_*.csv.gz)
// into an epoch_row. Columns are found by header name, as archive/'s import
// does, so an export with extra columns (the fixture's ra/dec) reads the
// same. Exact: integers with std::from_chars, doubles as std::from_chars
// reads them (correctly rounded; lightcurve/real_text.hpp), the float32
// *_over_error arrays parsed as float, so every value is the archive's to
// the last bit. A bad cell is never guessed: it throws
// input_error naming the column and the token.
#pragma once

#include "core/errors.hpp"
#include "lightcurve/epoch_row.hpp"

#include <istream>
#include <string>
#include <string_view>
#include <vector>

namespace gaia::lightcurve {

/// The columns the model needs, by their index in that list (the bulk
/// files' order): both parsers read them by these names.
namespace needed_column {
constexpr size_t solution_id = 0, source_id = 1, n_transits = 2, transit_id = 3;
/// Each band's time, flux, flux_error, flux_over_error and mag, in a row.
constexpr size_t g_first = 4, g_n_obs = 9, bp_first = 10, rp_first = 15;
/// The 25 photometry flags, then the 3 variability reject flags.
constexpr size_t flags_first = 20;
constexpr size_t count = flags_first + photometry_flag_count + 3;
} // namespace needed_column

/// The words a flag cell's token may be (either parser takes exactly
/// these), the archive's own ("False", "True") first.
struct flag_word {
  std::string_view text;
  flag value;
};
inline constexpr flag_word flag_words[] = {{"False", flag::no},   {"True", flag::yes},
                                           {"null", flag::missing}, {"false", flag::no},
                                           {"true", flag::yes}};

/// Where each column the model needs sits in a header row.
class epoch_columns {
public:
  /// `header`: the header row's names in order. Throws input_error naming
  /// the first needed column that is missing ("no column g_transit_mag").
  explicit epoch_columns(const std::vector<std::string>& header);
  /// The same from a header row's text ("solution_id,source_id,...").
  static epoch_columns from_header_line(std::string_view line);

  size_t field_count() const { return field_count_; }
  size_t at(size_t needed) const { return index_[needed]; }
  /// The other way: the needed column a header column is, plus one; 0
  /// for a column the model does not read.
  size_t needed_at(size_t column) const { return needed_at_[column]; }

private:
  size_t field_count_ = 0;
  std::vector<size_t> index_;      ///< by needed_column
  std::vector<uint8_t> needed_at_; ///< by header column
};

/// Splits one CSV record (RFC 4180: quoted fields, "" for a quote) into its
/// fields, unquoted. A trailing '\r' or '\n' is ignored. Throws input_error
/// for a quote out of place.
std::vector<std::string> split_csv_record(std::string_view record);

/// Parses one record. Throws input_error naming the column when a cell is
/// malformed, an array's length differs from n_transits, or the record has
/// another number of fields than the header.
epoch_row parse_epoch_row(const epoch_columns& columns, std::string_view record);
/// The same into `row`, every field overwritten and its vectors' memory
/// kept (a select worker parses thousands of rows into one). After a
/// throw, `row` holds a partial row: use it only after a parse succeeds.
void parse_epoch_row_into(const epoch_columns& columns, std::string_view record,
                          epoch_row& row);
/// parse_epoch_row_into without its one-pass parser (epoch_row_fast.hpp):
/// the reference every row's values and errors are held to.
void parse_epoch_row_general(const epoch_columns& columns, std::string_view record,
                             epoch_row& row);

/// Every row of an ECSV text (a bulk file's, decompressed): '#' lines and
/// blank lines before the header are skipped. Rows that fail to parse are
/// skipped and counted in `skipped` (their reasons, "line 9: ...", in
/// `reasons`, the first few). Throws input_error naming `name` without a
/// header row.
struct epoch_rows {
  std::vector<epoch_row> rows;
  uint64_t skipped = 0;
  std::vector<std::string> reasons;
};
epoch_rows read_epoch_rows(std::istream& in, const std::string& name);

} // namespace gaia::lightcurve
