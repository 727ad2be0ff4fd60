// The shared parts of the DataLink tables (table_parts.hpp). The metadata
// text is DataLink's, byte for byte.
#include "lightcurve/table_parts.hpp"

namespace gaia::lightcurve {

namespace {

constexpr const char* flux_unit = "'electron'.s**-1";
constexpr const char* time_utype = "spec:Spectrum.Data.TimeAxis.Value";
constexpr const char* flux_utype = "spec:Spectrum.Data.SpectralAxis.Value";

} // namespace

table_column make_column(std::string name, value_type type, std::string unit, std::string ucd,
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

std::vector<table_param> release_params() {
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
  };
}

time_frame gaia_time_frame() { return {"time_frame", "BARYCENTER", "2455197.5", "TCB"}; }

std::vector<table_column> band_columns(const epoch_row& row, band_index band) {
  static const char* const prefix[3] = {"g_transit_", "bp_", "rp_"};
  static const char* const time_name[3] = {"g_transit_time", "bp_obs_time", "rp_obs_time"};
  static const char* const em[3] = {"em.opt", "em.opt.B", "em.opt.R"};
  static const char* const what_time[3] = {"Transit averaged G band observing time",
                                           "BP CCD transit observing time",
                                           "RP CCD transit observing time"};
  static const char* const what[3] = {"Transit averaged G band", "BP band", "RP band"};
  const auto& b = row.band(band);
  const std::string p = prefix[band], e = em[band], w = what[band];
  std::vector<table_column> out;
  out.push_back(make_column(time_name[band], value_type::float64, "d", "time.epoch", time_utype,
                            what_time[band]));
  out.back().refers_to_time_frame = true;
  out.back().float64s = b.time;
  out.push_back(make_column(p + "flux", value_type::float64, flux_unit, "phot.flux;" + e,
                            flux_utype, w + " flux"));
  out.back().float64s = b.flux;
  out.push_back(make_column(p + "flux_error", value_type::float64, flux_unit,
                            "stat.error;phot.flux;" + e, "", w + " flux error"));
  out.back().float64s = b.flux_error;
  out.push_back(make_column(p + "flux_over_error", value_type::float32, "",
                            "stat.snr;phot.flux;" + e, "", w + " flux divided by its error"));
  out.back().float32s = b.flux_over_error;
  out.push_back(make_column(p + "mag", value_type::float64, "mag", "phot.mag;" + e, "",
                            w + " Vega magnitude"));
  out.back().float64s = b.mag;
  return out;
}

table_column variability_reject_column(const epoch_row& row, band_index band) {
  static const char* const text[3] = {
    "Average G transit photometry rejected by variability processing",
    "BP transit photometry rejected by variability processing",
    "RP transit photometry rejected by variability processing"};
  auto c = make_column(std::string(variability_flag_name(band)), value_type::boolean, "",
                       "meta.code.status", "", text[band]);
  c.booleans = row.variability_reject[band];
  return c;
}

} // namespace gaia::lightcurve
