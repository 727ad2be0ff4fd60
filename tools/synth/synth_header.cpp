// The real bulk files' ECSV header, rebuilt from a column table so the text
// (trailing blanks included) is exactly the archive's: the fixture's header
// minus its two extra ra/dec entries.
#include "tools/synth/synth_header.hpp"

namespace gaia::synth {

namespace {

/// The YAML preamble before the per-column entries, one line per string.
/// Some lines end with a blank, as in the archive's files.
const char* const preamble[] = {
  "# %ECSV 1.0",
  "# ---",
  "# delimiter: ','",
  "# meta: !!omap",
  "# - RELEASE: Gaia DR3",
  "# - TABLE: epoch_photometry",
  "# - DESCRIPTION: >",
  "#     Epoch photometry. Each row in this table contains the light curve for a given "
  "object in bands G, BP and RP as stored in the DataLink Massive data base. This "
  "table makes extensive use of array types. It can be obtained selecting the RAW data "
  "structure option. A flat table (sparse cube), which one photometric point per "
  "source per row can be obtained using INDIVIDUAL or COMBINED. ",
  "#     ",
  "#     Note this table is not available through the main archive TAP interface. Data "
  "are delivered via the Massive Data service indexed by the VO Datalink protocol and "
  "described in Chapter~\\ref{chap:archive}. For example this can be actioned in the "
  "archive user interface by querying the main source catalogue {\\tt GaiaSource} and "
  "selecting {\\tt hasEpochPhotometry}~{\\tt = 't'}.",
  "# - CITATION: >",
  "#     How to cite and acknowledge Gaia: ",
  "#     https://gea.esac.esa.int/archive/documentation/credits.html ",
  "# - KNOWN_ISSUES: >",
  "#     Known issues: ",
  "#     https://www.cosmos.esa.int/web/gaia-users/known-issues ",
  "# - DOCUMENTATION: >",
  "#     Tutorials and documentation: ",
  "#     https://www.cosmos.esa.int/web/gaia-users/archive ",
  "# datatype:",
};

struct column_spec {
  const char* name;
  const char* datatype;    ///< "string" for array columns
  const char* subtype;     ///< element type of array columns, else ""
  const char* unit;        ///< "" when the column has none
  const char* description;
  const char* ucd;
};

// clang-format off
const column_spec columns[column_count] = {
  {"solution_id", "int64", "", "",
   "Solution Identifier",
   "meta.version"},
  {"source_id", "int64", "", "",
   "Unique source identifier (unique within a particular Data Release)",
   "meta.id;meta.main"},
  {"n_transits", "int16", "", "",
   "Number of Gaia transits",
   "meta.number"},
  {"transit_id", "string", "'int64[null]'", "",
   "Transit unique identifier",
   "meta.id"},
  {"g_transit_time", "string", "'float64[null]'", "d",
   "Transit averaged G band observing time",
   "time.epoch"},
  {"g_transit_flux", "string", "'float64[null]'", "\"'electron'.s**-1\"",
   "Transit averaged G band flux",
   "phot.flux;stat.mean"},
  {"g_transit_flux_error", "string", "'float64[null]'", "\"'electron'.s**-1\"",
   "Transit averaged G band flux error",
   "stat.error;phot.flux;em.opt"},
  {"g_transit_flux_over_error", "string", "'float32[null]'", "",
   "Transit averaged G band flux divided by its error",
   "stat.snr;phot.flux;em.opt"},
  {"g_transit_mag", "string", "'float64[null]'", "mag",
   "Transit averaged G band Vega magnitude",
   "phot.mag;em.opt"},
  {"g_transit_n_obs", "string", "'int8[null]'", "",
   "Number of CCD observations contributing to transit averaged G band flux",
   "meta.number"},
  {"bp_obs_time", "string", "'float64[null]'", "d",
   "BP CCD transit observing time",
   "time.epoch"},
  {"bp_flux", "string", "'float64[null]'", "\"'electron'.s**-1\"",
   "BP band flux",
   "phot.flux;stat.mean"},
  {"bp_flux_error", "string", "'float64[null]'", "\"'electron'.s**-1\"",
   "BP band flux error",
   "stat.error;phot.flux;em.opt.B"},
  {"bp_flux_over_error", "string", "'float32[null]'", "",
   "BP band flux divided by its error",
   "stat.snr;phot.flux;em.opt.B"},
  {"bp_mag", "string", "'float64[null]'", "mag",
   "BP band Vega magnitude",
   "phot.mag;em.opt.B"},
  {"rp_obs_time", "string", "'float64[null]'", "d",
   "RP CCD transit observing time",
   "time.epoch"},
  {"rp_flux", "string", "'float64[null]'", "\"'electron'.s**-1\"",
   "RP band flux",
   "phot.flux;stat.mean"},
  {"rp_flux_error", "string", "'float64[null]'", "\"'electron'.s**-1\"",
   "RP band flux error",
   "stat.error;phot.flux;em.opt.R"},
  {"rp_flux_over_error", "string", "'float32[null]'", "",
   "RP band flux divided by its error",
   "stat.snr;phot.flux;em.opt.R"},
  {"rp_mag", "string", "'float64[null]'", "mag",
   "RP band Vega magnitude",
   "phot.mag;em.opt.R"},
  {"photometry_flag_noisy_data", "string", "'bool[null]'", "",
   "G band flux scatter larger than expected by photometry processing (all CCDs considered)",
   "meta.code.status"},
  {"photometry_flag_sm_unavailable", "string", "'bool[null]'", "",
   "SM transit unavailable by photometry processing",
   "meta.code.status"},
  {"photometry_flag_af1_unavailable", "string", "'bool[null]'", "",
   "AF1 transit unavailable by photometry processing",
   "meta.code.status"},
  {"photometry_flag_af2_unavailable", "string", "'bool[null]'", "",
   "AF2 transit unavailable by photometry processing",
   "meta.code.status"},
  {"photometry_flag_af3_unavailable", "string", "'bool[null]'", "",
   "AF3 transit unavailable by photometry processing",
   "meta.code.status"},
  {"photometry_flag_af4_unavailable", "string", "'bool[null]'", "",
   "AF4 transit unavailable by photometry processing",
   "meta.code.status"},
  {"photometry_flag_af5_unavailable", "string", "'bool[null]'", "",
   "AF5 transit unavailable by photometry processing",
   "meta.code.status"},
  {"photometry_flag_af6_unavailable", "string", "'bool[null]'", "",
   "AF6 transit unavailable by photometry processing",
   "meta.code.status"},
  {"photometry_flag_af7_unavailable", "string", "'bool[null]'", "",
   "AF7 transit unavailable by photometry processing",
   "meta.code.status"},
  {"photometry_flag_af8_unavailable", "string", "'bool[null]'", "",
   "AF8 transit unavailable by photometry processing",
   "meta.code.status"},
  {"photometry_flag_af9_unavailable", "string", "'bool[null]'", "",
   "AF9 transit unavailable by photometry processing",
   "meta.code.status"},
  {"photometry_flag_bp_unavailable", "string", "'bool[null]'", "",
   "BP transit unavailable by photometry processing",
   "meta.code.status"},
  {"photometry_flag_rp_unavailable", "string", "'bool[null]'", "",
   "RP transit unavailable by photometry processing",
   "meta.code.status"},
  {"photometry_flag_sm_reject", "string", "'bool[null]'", "",
   "SM transit rejected by photometry processing",
   "meta.code.status"},
  {"photometry_flag_af1_reject", "string", "'bool[null]'", "",
   "AF1 transit rejected by photometry processing",
   "meta.code.status"},
  {"photometry_flag_af2_reject", "string", "'bool[null]'", "",
   "AF2 transit rejected by photometry processing",
   "meta.code.status"},
  {"photometry_flag_af3_reject", "string", "'bool[null]'", "",
   "AF3 transit rejected by photometry processing",
   "meta.code.status"},
  {"photometry_flag_af4_reject", "string", "'bool[null]'", "",
   "AF4 transit rejected by photometry processing",
   "meta.code.status"},
  {"photometry_flag_af5_reject", "string", "'bool[null]'", "",
   "AF5 transit rejected by photometry processing",
   "meta.code.status"},
  {"photometry_flag_af6_reject", "string", "'bool[null]'", "",
   "AF6 transit rejected by photometry processing",
   "meta.code.status"},
  {"photometry_flag_af7_reject", "string", "'bool[null]'", "",
   "AF7 transit rejected by photometry processing",
   "meta.code.status"},
  {"photometry_flag_af8_reject", "string", "'bool[null]'", "",
   "AF8 transit rejected by photometry processing",
   "meta.code.status"},
  {"photometry_flag_af9_reject", "string", "'bool[null]'", "",
   "AF9 transit rejected by photometry processing",
   "meta.code.status"},
  {"photometry_flag_bp_reject", "string", "'bool[null]'", "",
   "BP transit rejected by photometry processing",
   "meta.code.status"},
  {"photometry_flag_rp_reject", "string", "'bool[null]'", "",
   "RP transit rejected by photometry processing",
   "meta.code.status"},
  {"variability_flag_g_reject", "string", "'bool[null]'", "",
   "Average G transit photometry rejected by variability processing",
   "meta.code.status"},
  {"variability_flag_bp_reject", "string", "'bool[null]'", "",
   "BP transit photometry rejected by variability processing",
   "meta.code.status"},
  {"variability_flag_rp_reject", "string", "'bool[null]'", "",
   "RP transit photometry rejected by variability processing",
   "meta.code.status"},
};
// clang-format on

} // namespace

std::string ecsv_header(const char* eol) {
  std::string out;
  out.reserve(16 * 1024);
  auto line = [&](const std::string& s) {
    out += s;
    out += eol;
  };
  for (const char* p : preamble) line(p);
  // Array columns carry "string " and "subtype: '...' " with a trailing
  // blank in the archive's files; scalar ones do not.
  for (const auto& c : columns) {
    const bool array = *c.subtype != '\0';
    line("# - ");
    line(std::string("#   name: ") + c.name);
    line(std::string("#   datatype: ") + c.datatype + (array ? " " : ""));
    if (array) line(std::string("#   subtype: ") + c.subtype + " ");
    if (*c.unit != '\0') line(std::string("#   unit: ") + c.unit);
    line(std::string("#   description: ") + c.description);
    line("#   meta:");
    line(std::string("#     ucd: ") + c.ucd);
  }
  std::string row;
  for (const auto& c : columns) {
    if (!row.empty()) row += ',';
    row += c.name;
  }
  line(row);
  return out;
}

} // namespace gaia::synth

