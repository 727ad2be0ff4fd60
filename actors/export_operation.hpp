// The export step's setting and operation. It writes results.csv (the
// run's answer, results/results_csv) and, as `export_formats` asks, the
// same rows beside it as VOTable, FITS and ECSV (lightcurve/'s table
// writers), each carrying the run's provenance (export_operation.cpp).
#pragma once

#include "actors/interfaces.hpp"
#include "lightcurve/formats/table_files.hpp"
#include "settings/declaration.hpp"

#include <string>
#include <vector>

namespace gaia {

/// The export operation's settings, declared here once: the config key,
/// its environment variable, `check`, --help and the README table come
/// from this declaration (settings/declaration.hpp).
struct export_settings {
  std::vector<lightcurve::table_format> export_formats{lightcurve::table_format::csv};
};

/// What is wrong with a list of formats ("" when nothing): results.csv is
/// the answer, so csv is always in it; both VOTables would be results.vot.
std::string export_formats_problem(const export_settings& s);

inline const settings_group_registration<export_settings> export_settings_group{
  {"export",
   {choice_list({"export_formats", "GAIA_EXPORT_FORMATS",
                 "the files the answer is written as: csv (results.csv, always listed), "
                 "votable (results.vot, BINARY2) or votable_plain (results.vot, TABLEDATA), "
                 "fits (results.fits), ecsv (results.ecsv); each with the run's provenance"},
                &export_settings::export_formats, {lightcurve::table_format::csv},
                {{"csv", lightcurve::table_format::csv},
                 {"votable", lightcurve::table_format::votable},
                 {"votable_plain", lightcurve::table_format::votable_plain},
                 {"fits", lightcurve::table_format::fits},
                 {"ecsv", lightcurve::table_format::ecsv}})
      .checked(export_formats_problem)}},
  "validate"}; // listed after the validate step's key

/// Writes results.csv, then each other format's file (temporary name, then
/// rename), in the order export_formats lists them.
export_actor::behavior_type export_operation(export_actor::pointer self, export_settings cfg);

} // namespace gaia
