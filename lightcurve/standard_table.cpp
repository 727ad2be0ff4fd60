// Builds the standard table (standard_table.hpp) from a bulk row. The
// metadata text is copied from the DataLink product, byte for byte, so our
// VOTable of that source equals it (tests/test_lightcurve_fixture.cpp).
#include "lightcurve/standard_table.hpp"

#include "lightcurve/other_flags.hpp"

namespace gaia::lightcurve {

namespace {

constexpr const char* flux_unit = "'electron'.s**-1";
constexpr const char* time_utype = "spec:Spectrum.Data.TimeAxis.Value";
constexpr const char* flux_utype = "spec:Spectrum.Data.SpectralAxis.Value";

std::vector<table_param> params(const epoch_row& row) {
  return {
    {"citation", "char", "https://www.cosmos.esa.int/web/gaia-users/credits", "meta.bib",
     "How to cite and acknowledge Gaia:"},
    {"release", "char", "Gaia DR3", "meta.version", "Gaia Data Release"},
    {"help", "char", "https://www.cosmos.esa.int/web/gaia-users/archive", "meta.ref.url",
     "Tutorials, documentation, and help:"},
    {"issues", "char", "https://www.cosmos.esa.int/web/gaia-users/known-issues", "meta.ref.url",
     "Known issues in the data:"},
    {"data", "char", "https://www.cosmos.esa.int/web/gaia/data-access", "meta.ref.url",
     "Gaia data:"},
    {"terms", "char", "https://www.cosmos.esa.int/web/esdc/terms-and-conditions",
     "meta.ref.url", "Terms and conditions for use of Gaia data:"},
    {"home", "char", "https://www.cosmos.esa.int/web/gaia", "meta.ref.url",
     "Gaia mission home:"},
    {"publisher", "char", "ESA/Gaia/DPAC", "meta.id;meta.curation", "Dataset publisher"},
    {"creator", "char", "Gaia Collaboration", "meta.ref", "Dataset creator"},
    {"solution_id", "long", std::to_string(row.solution_id), "meta.version",
     "Solution Identifier"},
    {"source_id", "long", std::to_string(row.source_id), "meta.id;meta.main",
     "Unique source identifier (unique within a particular Data Release)"},
  };
}

table_column column(std::string name, value_type type, std::string unit, std::string ucd,
                    std::string utype, std::string description) {
  table_column c;
  c.name = std::move(name);
  c.type = type;
  c.unit = std::move(unit);
  c.ucd = std::move(ucd);
  c.utype = std::move(utype);
  c.description = std::move(description);
  return c;
}

/// The five columns of one band. `g` names them g_transit_*, else
/// <band>_obs_time, <band>_flux, ...; `em` is the band's ucd suffix.
void add_band(table& t, const band_series& b, const std::string& band, bool g,
              const std::string& em, const std::string& what_time,
              const std::string& what) {
  const std::string p = g ? band + "_transit_" : band + "_";
  auto time = column(g ? p + "time" : p + "obs_time", value_type::float64, "d", "time.epoch",
                     time_utype, what_time);
  time.refers_to_time_frame = true;
  time.float64s = b.time;
  auto flux = column(p + "flux", value_type::float64, flux_unit, "phot.flux;" + em, flux_utype,
                     what + " flux");
  flux.float64s = b.flux;
  auto error = column(p + "flux_error", value_type::float64, flux_unit,
                      "stat.error;phot.flux;" + em, "", what + " flux error");
  error.float64s = b.flux_error;
  auto over = column(p + "flux_over_error", value_type::float32, "", "stat.snr;phot.flux;" + em,
                     "", what + " flux divided by its error");
  over.float32s = b.flux_over_error;
  auto mag = column(p + "mag", value_type::float64, "mag", "phot.mag;" + em, "",
                    what + " Vega magnitude");
  mag.float64s = b.mag;
  for (auto* c : {&time, &flux, &error, &over, &mag}) t.columns.push_back(std::move(*c));
}

} // namespace

table standard_table(const epoch_row& row) {
  table t;
  t.params = params(row);
  t.timesys = time_frame{"time_frame", "BARYCENTER", "2455197.5", "TCB"};
  const size_t n = static_cast<size_t>(row.n_transits);

  auto transit = column("transit_id", value_type::int64, "", "meta.id", "",
                        "Transit unique identifier");
  transit.int64s = row.transit_id;
  t.columns.push_back(std::move(transit));
  add_band(t, row.g, "g", true, "em.opt", "Transit averaged G band observing time",
           "Transit averaged G band");
  add_band(t, row.bp, "bp", false, "em.opt.B", "BP CCD transit observing time", "BP band");
  add_band(t, row.rp, "rp", false, "em.opt.R", "RP CCD transit observing time", "RP band");

  const char* reject_text[3] = {
    "Average G transit photometry rejected by variability processing",
    "BP transit photometry rejected by variability processing",
    "RP transit photometry rejected by variability processing"};
  for (size_t b = 0; b < 3; ++b) {
    auto c = column(std::string(variability_flag_name(b)), value_type::boolean, "",
                    "meta.code.status", "", reject_text[b]);
    c.booleans = row.variability_reject[b];
    t.columns.push_back(std::move(c));
  }
  const char* band_names[3] = {"g", "bp", "rp"};
  const char* band_text[3] = {"G", "BP", "RP"};
  for (size_t b = 0; b < 3; ++b) {
    auto c = column(std::string(band_names[b]) + "_other_flags", value_type::int64, "",
                    "meta.code.status", "",
                    std::string("Additional processing flags with debugging information in the ") +
                      band_text[b] + " band.");
    c.int64s.resize(n);
    for (size_t i = 0; i < n; ++i) c.int64s[i] = other_flags(row, i, static_cast<band_index>(b));
    t.columns.push_back(std::move(c));
  }
  auto rejected = column("rejected_by_photometry", value_type::boolean, "", "meta.code.status",
                         "", "Transit unavailable or rejected by photometry processing.");
  rejected.booleans.resize(n);
  for (size_t i = 0; i < n; ++i) rejected.booleans[i] = rejected_by_photometry(row, i);
  t.columns.push_back(std::move(rejected));
  return t;
}

std::string datalink_file_name(int64_t source_id, const std::string& extension) {
  return "EPOCH_PHOTOMETRY-Gaia DR3 " + std::to_string(source_id) + "." + extension;
}

} // namespace gaia::lightcurve
