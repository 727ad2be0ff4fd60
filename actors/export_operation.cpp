// The export operation (actors/export_operation.hpp): results.csv as ever,
// then the other formats export_formats lists, through lightcurve/'s table
// writers in batches of rows: results.csv's rows and columns with their
// units, UCDs and descriptions, and the run's provenance as table
// parameters (VOTable PARAMs, ECSV meta, FITS header keywords). A failure
// names the file it is about (engine::failure::about): results.err's
// first line.
#include "actors/export_operation.hpp"

#include "actors/version.hpp"
#include "engine/log.hpp"
#include "engine/state/atomic_file.hpp"
#include "lightcurve/table_parts.hpp"
#include "messages/errors.hpp"
#include "results/compute.hpp"
#include "results/results_csv.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <memory>

namespace gaia {

namespace lc = lightcurve;

namespace {

constexpr const char* flux_unit = "'electron'.s**-1"; // as DataLink writes it

lc::table_column flux_column(const char* band, const char* extreme) {
  const std::string b = band, e = extreme;
  const bool is_min = e == "min";
  return lc::make_column(b + "_" + e + "_flux", lc::value_type::float64, flux_unit,
                         "phot.flux;em.opt." + std::string(b == "bp" ? "B" : "R") +
                           (is_min ? ";stat.min" : ";stat.max"),
                         "",
                         std::string(is_min ? "Smallest" : "Largest") + " valid " +
                           (b == "bp" ? "BP" : "RP") + " flux (" + b +
                           "_flux) of the source's epochs; NaN when it has none");
}

double value_or_nan(const band_extent& b, double v) {
  return b.empty() ? std::numeric_limits<double>::quiet_NaN() : v;
}

/// The run's provenance as the table's parameters (names of at most 8
/// characters: FITS keeps long texts whole only under such names, see
/// lightcurve/formats/fits_writer.cpp).
std::vector<lc::table_param> results_provenance(const export_request& req) {
  std::string md5sums;
  for (size_t i = 0; i < req.files.size(); ++i) {
    if (i > 0) md5sums += "; ";
    // "unknown" for a checkpoint that recorded none: never an empty field
    // (FITS drops trailing blanks).
    const bool known = i < req.md5s.size() && !req.md5s[i].empty();
    md5sums += req.files[i] + " " + (known ? req.md5s[i] : std::string("unknown"));
  }
  return {
    {"run_id", "long", std::to_string(req.run_id), "meta.id",
     "The run's id (results.done, progress.json, the message trace)"},
    {"started", "char", req.started, "time.start", "When the run started (ISO 8601, UTC)"},
    {"software", "char", software_version(), "meta.version",
     "The software that made this table, and its version"},
    {"release", "char", "Gaia DR3", "meta.version", "Gaia Data Release of the archive read"},
    {"archive", "char", req.archive_url_template, "meta.ref.url",
     "URL template of the archive files read (%s: a file's HEALPix level-8 range)"},
    // Not "checksum": FITS reserves CHECKSUM for the HDU's own checksum.
    {"md5_url", "char", req.checksum_url.empty() ? "none" : req.checksum_url, "meta.ref.url",
     "The checksum list (_MD5SUM.txt) the files were checked against (none: not checked)"},
    {"files", "long", std::to_string(req.files.size()), "meta.number",
     "How many archive files the run read"},
    {"md5sums", "char", md5sums, "meta.file",
     "Each archive file read: its range and the MD5 of its bytes, '; ' between files"},
    {"settings", "char", req.settings_json, "meta.note",
     "The run's resolved settings (config file, then environment), as JSON"},
    {"rule", "char",
     "per band ((max - min) / min) * 100 over the valid fluxes; the larger of BP and RP; "
     "sources above 100",
     "meta.note", "Which sources are listed"},
  };
}

/// results.csv's columns with their units, UCDs and descriptions, and the
/// run's provenance: what every other format's file opens with.
lc::table results_table_header(const export_request& req) {
  lc::table t;
  t.name = "RESULTS";
  t.resource_utype = "";
  t.params = results_provenance(req);
  t.columns.push_back(lc::make_column("source_id", lc::value_type::int64, "", "meta.id;meta.main",
                                      "", "Unique source identifier (Gaia DR3 source_id)"));
  t.columns.push_back(flux_column("bp", "min"));
  t.columns.push_back(flux_column("bp", "max"));
  t.columns.push_back(flux_column("rp", "min"));
  t.columns.push_back(flux_column("rp", "max"));
  t.columns.push_back(lc::make_column(
    "percentage_change", lc::value_type::float64, "%", "src.var.amplitude;arith.ratio", "",
    "The larger of BP's and RP's ((max - min) / min) * 100; above 100"));
  return t;
}

/// Appends one qualifying row as results.csv has it; a band without a
/// valid value (empty fields in results.csv) is NaN.
void append_result_row(lc::table& t, const result_row& r) {
  t.columns[0].int64s.push_back(r.source.source_id);
  t.columns[1].float64s.push_back(value_or_nan(r.source.bp, r.source.bp.min));
  t.columns[2].float64s.push_back(value_or_nan(r.source.bp, r.source.bp.max));
  t.columns[3].float64s.push_back(value_or_nan(r.source.rp, r.source.rp.min));
  t.columns[4].float64s.push_back(value_or_nan(r.source.rp, r.source.rp.max));
  t.columns[5].float64s.push_back(r.percentage_change);
}

/// Where format `f`'s file goes (csv: results.csv, written by its own code).
const std::string& path_of(const export_request& req, lc::table_format f) {
  switch (f) {
  case lc::table_format::votable:
  case lc::table_format::votable_plain: return req.votable_path;
  case lc::table_format::fits: return req.fits_path;
  case lc::table_format::ecsv: return req.ecsv_path;
  case lc::table_format::csv: break;
  }
  return req.csv_path;
}

/// Runs `work` on the file at `path`; what it throws names that file as
/// its subject (results.err's first line), cfitsio's messages included.
template <class Work>
void about_file(const std::string& path, Work&& work) {
  try {
    work();
  } catch (engine::failure& e) {
    e.about(path);
    throw;
  } catch (const std::exception& e) {
    engine::failure named(path + ": " + e.what()); // no code: the operation's kind
    named.about(path);
    throw named;
  }
}

/// Rows of results.csv a batch holds before it goes to the files.
constexpr size_t export_batch_rows = 4096;

/// The other formats' files (`formats` without csv), written together as
/// results.csv is (temporary name, fsynced, renamed), from one more pass
/// over the qualifying rows (`rows` of them), one batch of rows in
/// memory. Returns their paths, in `formats`' order.
std::vector<std::string> export_other_formats(const export_request& req,
                                              const std::vector<lc::table_format>& formats,
                                              uint64_t rows) {
  auto batch = results_table_header(req);
  std::vector<std::string> paths;
  std::vector<std::unique_ptr<lc::table_file_writer>> files;
  for (auto f : formats) {
    if (f == lc::table_format::csv) continue;
    paths.push_back(path_of(req, f));
    about_file(paths.back(), [&] {
      files.push_back(std::make_unique<lc::table_file_writer>(
        paths.back(), batch, f, engine::durability::durable, static_cast<size_t>(rows)));
    });
  }
  auto write_batch = [&] {
    for (size_t i = 0; i < files.size(); ++i)
      about_file(paths[i], [&] { files[i]->write_rows(batch); });
    batch.clear_rows();
  };
  read_qualifying(req.qualifying_path, [&](const result_row& r) {
    append_result_row(batch, r);
    if (batch.rows() >= export_batch_rows) write_batch();
  });
  write_batch();
  for (size_t i = 0; i < files.size(); ++i) about_file(paths[i], [&] { files[i]->commit(); });
  return paths;
}

export_reply export_answer(const export_request& req, const export_settings& cfg) {
  const auto started = std::chrono::steady_clock::now();
  export_reply rep;
  rep.csv_path = req.csv_path;
  rep.rows = export_results_csv(req.qualifying_path, req.csv_path);
  const auto& formats = cfg.export_formats;
  if (std::any_of(formats.begin(), formats.end(),
                  [](lc::table_format f) { return f != lc::table_format::csv; }))
    rep.extra_paths = export_other_formats(req, formats, rep.rows);
  rep.seconds = engine::seconds_since(started);
  return rep;
}

} // namespace

std::string export_formats_problem(const export_settings& s) {
  const auto& f = s.export_formats;
  auto has = [&](lc::table_format x) { return std::find(f.begin(), f.end(), x) != f.end(); };
  if (!has(lc::table_format::csv))
    return "must list \"csv\": results.csv is the run's answer, the other formats go beside it";
  if (has(lc::table_format::votable) && has(lc::table_format::votable_plain))
    return "\"votable\" and \"votable_plain\" would both be results.vot: list one of them";
  return "";
}

export_actor::behavior_type export_operation(export_actor::pointer, export_settings cfg) {
  return {
    [cfg](const export_request& req) -> caf::result<export_reply> {
      engine::log_scope scope(req.run_id); // its log lines are its run's
      return answer(gaia_errc::export_failed, [&] { return export_answer(req, cfg); });
    },
  };
}

} // namespace gaia
