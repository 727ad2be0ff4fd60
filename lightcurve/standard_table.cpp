// Builds the standard table (standard_table.hpp) from a bulk row. The
// metadata text is copied from the DataLink product, byte for byte, so our
// VOTable of that source equals it (tests/test_lightcurve_fixture.cpp).
#include "lightcurve/standard_table.hpp"

#include "lightcurve/other_flags.hpp"
#include "lightcurve/table_parts.hpp"

namespace gaia::lightcurve {

table standard_table(const epoch_row& row) {
  table t;
  t.params = release_params();
  t.params.push_back({"solution_id", "long", std::to_string(row.solution_id), "meta.version",
                      "Solution Identifier"});
  t.params.push_back({"source_id", "long", std::to_string(row.source_id), "meta.id;meta.main",
                      "Unique source identifier (unique within a particular Data Release)"});
  t.timesys = gaia_time_frame();
  const size_t n = static_cast<size_t>(row.n_transits);

  auto transit = make_column("transit_id", value_type::int64, "", "meta.id", "",
                             "Transit unique identifier");
  transit.int64s = row.transit_id;
  t.columns.push_back(std::move(transit));
  for (size_t b = 0; b < 3; ++b)
    for (auto& c : band_columns(row, static_cast<band_index>(b))) t.columns.push_back(std::move(c));
  for (size_t b = 0; b < 3; ++b)
    t.columns.push_back(variability_reject_column(row, static_cast<band_index>(b)));

  const char* band_names[3] = {"g", "bp", "rp"};
  const char* band_text[3] = {"G", "BP", "RP"};
  for (size_t b = 0; b < 3; ++b) {
    auto c = make_column(std::string(band_names[b]) + "_other_flags", value_type::int64, "",
                         "meta.code.status", "",
                         std::string("Additional processing flags with debugging information "
                                     "in the ") + band_text[b] + " band.");
    c.int64s.resize(n);
    for (size_t i = 0; i < n; ++i) c.int64s[i] = other_flags(row, i, static_cast<band_index>(b));
    t.columns.push_back(std::move(c));
  }
  auto rejected = make_column("rejected_by_photometry", value_type::boolean, "",
                              "meta.code.status", "",
                              "Transit unavailable or rejected by photometry processing.");
  rejected.booleans.resize(n);
  for (size_t i = 0; i < n; ++i) rejected.booleans[i] = rejected_by_photometry(row, i);
  t.columns.push_back(std::move(rejected));
  return t;
}

std::string datalink_file_name(int64_t source_id, const std::string& extension) {
  return "EPOCH_PHOTOMETRY-Gaia DR3 " + std::to_string(source_id) + "." + extension;
}

} // namespace gaia::lightcurve
