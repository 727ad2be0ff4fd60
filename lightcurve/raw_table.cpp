// Builds the raw structure (raw_table.hpp): each row's per-transit columns,
// concatenated into array columns.
#include "lightcurve/raw_table.hpp"

#include "lightcurve/table_parts.hpp"

#include <cctype>

namespace gaia::lightcurve {

namespace {

/// "photometry_flag_af3_reject" -> "AF3 transit rejected by photometry
/// processing", as the bulk files' header describes the flags.
std::string flag_description(size_t f) {
  if (f == noisy_data)
    return "G band flux scatter larger than expected by photometry processing (all CCDs "
           "considered)";
  std::string name(photometry_flag_name(f).substr(std::string_view("photometry_flag_").size()));
  const auto cut = name.find('_');
  std::string ccd = name.substr(0, cut);
  for (auto& ch : ccd) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  const bool reject = name.substr(cut + 1) == "reject";
  return ccd + " transit " + (reject ? "rejected" : "unavailable") + " by photometry processing";
}

/// The 45 per-transit columns of one row, in the bulk files' order.
std::vector<table_column> transit_columns(const epoch_row& row) {
  std::vector<table_column> out;
  out.push_back(make_column("transit_id", value_type::int64, "", "meta.id", "",
                            "Transit unique identifier"));
  out.back().int64s = row.transit_id;
  for (size_t b = 0; b < 3; ++b) {
    for (auto& c : band_columns(row, static_cast<band_index>(b))) out.push_back(std::move(c));
    if (b == band_g) {
      out.push_back(make_column(
        "g_transit_n_obs", value_type::int16, "", "meta.number", "",
        "Number of CCD observations contributing to transit averaged G band flux"));
      out.back().int16s = row.g_transit_n_obs;
    }
  }
  for (size_t f = 0; f < photometry_flag_count; ++f) {
    out.push_back(make_column(std::string(photometry_flag_name(f)), value_type::boolean, "",
                              "meta.code.status", "", flag_description(f)));
    out.back().booleans = row.photometry_flags[f];
  }
  for (size_t b = 0; b < 3; ++b)
    out.push_back(variability_reject_column(row, static_cast<band_index>(b)));
  return out;
}

template <class T>
void append(std::vector<T>& to, const std::vector<T>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

} // namespace

table raw_table_header() {
  table t;
  t.params = release_params();
  t.timesys = gaia_time_frame();
  t.columns.push_back(make_column("solution_id", value_type::int64, "", "meta.version", "",
                                  "Solution Identifier"));
  t.columns.push_back(make_column(
    "source_id", value_type::int64, "", "meta.id;meta.main", "",
    "Unique source identifier (unique within a particular Data Release)"));
  t.columns.push_back(make_column("n_transits", value_type::int16, "", "meta.number", "",
                                  "Number of Gaia transits"));
  for (auto& c : transit_columns(epoch_row{})) {
    c.offsets = {0};
    t.columns.push_back(std::move(c));
  }
  return t;
}

void append_raw_row(table& t, const epoch_row& row) {
  t.columns[0].int64s.push_back(row.solution_id);
  t.columns[1].int64s.push_back(row.source_id);
  t.columns[2].int16s.push_back(static_cast<int16_t>(row.n_transits));
  auto columns = transit_columns(row);
  for (size_t c = 0; c < columns.size(); ++c) {
    auto& to = t.columns[3 + c];
    const auto& from = columns[c];
    append(to.int16s, from.int16s);
    append(to.int64s, from.int64s);
    append(to.float64s, from.float64s);
    append(to.float32s, from.float32s);
    append(to.booleans, from.booleans);
    to.offsets.push_back(to.offsets.back() + static_cast<size_t>(row.n_transits));
  }
}

table raw_table(const std::vector<epoch_row>& rows) {
  auto t = raw_table_header();
  for (const auto& row : rows) append_raw_row(t, row);
  return t;
}

} // namespace gaia::lightcurve
