// Builds the standard table (standard_table.hpp) from a bulk row. The
// metadata text is copied from the DataLink product, byte for byte, so our
// VOTable of that source equals it (tests/test_lightcurve_fixture.cpp).
// The metadata is built once (standard_layout); each row only refills the
// two id parameters and the columns' values, into the vectors of the
// previous row's table when the caller keeps one (standard_table_into).
#include "lightcurve/standard_table.hpp"

#include "core/errors.hpp"
#include "lightcurve/other_flags.hpp"
#include "lightcurve/table_parts.hpp"

#include <stdexcept>

namespace gaia::lightcurve {

namespace {

// The columns' order: transit_id, each band's five, the three variability
// rejects, the three other_flags, rejected_by_photometry.
constexpr size_t first_band_column = 1;
constexpr size_t first_reject_column = first_band_column + 3 * 5;
constexpr size_t first_other_flags_column = first_reject_column + 3;
constexpr size_t rejected_column = first_other_flags_column + 3;
constexpr size_t standard_column_count = rejected_column + 1;

/// The table of a source without transits and ids 0: every name, unit,
/// ucd and description, the values left to standard_table_into.
table make_standard_layout() {
  const epoch_row none;
  table t;
  t.params = release_params();
  t.params.push_back({"solution_id", "long", "0", "meta.version", "Solution Identifier"});
  t.params.push_back({"source_id", "long", "0", "meta.id;meta.main",
                      "Unique source identifier (unique within a particular Data Release)"});
  t.timesys = gaia_time_frame();
  t.columns.push_back(make_column("transit_id", value_type::int64, "", "meta.id", "",
                                  "Transit unique identifier"));
  for (size_t b = 0; b < 3; ++b)
    for (auto& c : band_columns(none, static_cast<band_index>(b))) t.columns.push_back(std::move(c));
  for (size_t b = 0; b < 3; ++b)
    t.columns.push_back(variability_reject_column(none, static_cast<band_index>(b)));
  const char* band_names[3] = {"g", "bp", "rp"};
  const char* band_text[3] = {"G", "BP", "RP"};
  for (size_t b = 0; b < 3; ++b)
    t.columns.push_back(make_column(std::string(band_names[b]) + "_other_flags",
                                    value_type::int64, "", "meta.code.status", "",
                                    std::string("Additional processing flags with debugging "
                                                "information in the ") + band_text[b] + " band."));
  t.columns.push_back(make_column("rejected_by_photometry", value_type::boolean, "",
                                  "meta.code.status", "",
                                  "Transit unavailable or rejected by photometry processing."));
  if (t.columns.size() != standard_column_count)
    throw std::logic_error("standard_table: the layout has another number of columns");
  return t;
}

const table& standard_layout() {
  static const table layout = make_standard_layout();
  return layout;
}

} // namespace

void standard_table_into(const epoch_row& row, table& t) {
  const auto& layout = standard_layout();
  if (t.columns.size() != standard_column_count || t.params.size() != layout.params.size())
    t = layout;
  // The last two parameters are the ids (make_standard_layout).
  t.params[t.params.size() - 2].value = std::to_string(row.solution_id);
  t.params[t.params.size() - 1].value = std::to_string(row.source_id);
  const size_t n = static_cast<size_t>(row.n_transits);
  auto& cols = t.columns;
  cols[0].int64s.assign(row.transit_id.begin(), row.transit_id.end());
  for (size_t b = 0; b < 3; ++b) {
    const auto& s = row.band(b);
    auto* c = &cols[first_band_column + 5 * b];
    c[0].float64s.assign(s.time.begin(), s.time.end());
    c[1].float64s.assign(s.flux.begin(), s.flux.end());
    c[2].float64s.assign(s.flux_error.begin(), s.flux_error.end());
    c[3].float32s.assign(s.flux_over_error.begin(), s.flux_over_error.end());
    c[4].float64s.assign(s.mag.begin(), s.mag.end());
  }
  for (size_t b = 0; b < 3; ++b)
    cols[first_reject_column + b].booleans.assign(row.variability_reject[b].begin(),
                                                  row.variability_reject[b].end());
  for (size_t b = 0; b < 3; ++b) {
    auto& v = cols[first_other_flags_column + b].int64s;
    v.resize(n);
    for (size_t i = 0; i < n; ++i) v[i] = other_flags(row, i, static_cast<band_index>(b));
  }
  auto& rejected = cols[rejected_column].booleans;
  rejected.resize(n);
  for (size_t i = 0; i < n; ++i) rejected[i] = rejected_by_photometry(row, i);
}

table standard_table(const epoch_row& row) {
  table t;
  standard_table_into(row, t);
  return t;
}

std::string datalink_file_name(int64_t source_id, const std::string& extension) {
  return "EPOCH_PHOTOMETRY-Gaia DR3 " + std::to_string(source_id) + "." + extension;
}

} // namespace gaia::lightcurve
