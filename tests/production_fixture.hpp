// Builds small real-shaped archives for end-to-end tests, and computes what
// results.csv must hold by a separate, deliberately simple path: a map of
// min/max over the rows' own values, the rule written out inline.
#pragma once

#include "core/file_range.hpp"
#include "settings/settings.hpp"
#include "tools/synth/synth.hpp"

#include "tests/test_util.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace gaia::test {

/// One expected line of results.csv, as doubles (NaN = empty field).
struct expected_row {
  int64_t source_id;
  double bp_min, bp_max, rp_min, rp_max, pct;
};

/// The archive's files as rows, by range.
struct small_archive {
  std::vector<file_range> ranges;
  std::vector<std::vector<synth::row>> files;
};

/// Expected results.csv rows for these files, the simple way.
inline std::vector<expected_row> expected_rows(const small_archive& a) {
  struct mm {
    double bp_min = NAN, bp_max = NAN, rp_min = NAN, rp_max = NAN;
  };
  auto fold = [](double& lo, double& hi, double v) {
    if (!std::isfinite(v))
      return;
    if (std::isnan(lo) || v < lo) lo = v;
    if (std::isnan(hi) || v > hi) hi = v;
  };
  std::map<int64_t, mm> by_id;
  for (const auto& f : a.files)
    for (const auto& r : f) {
      auto& m = by_id[r.source_id];
      for (double v : r.bp_flux) fold(m.bp_min, m.bp_max, v);
      for (double v : r.rp_flux) fold(m.rp_min, m.rp_max, v);
    }
  std::vector<expected_row> out;
  for (const auto& [id, m] : by_id) {
    double best = NAN;
    if (m.bp_min > 0) best = ((m.bp_max - m.bp_min) / m.bp_min) * 100;
    if (m.rp_min > 0) {
      double rp = ((m.rp_max - m.rp_min) / m.rp_min) * 100;
      if (std::isnan(best) || rp > best) best = rp;
    }
    if (best > 100)
      out.push_back({id, m.bp_min, m.bp_max, m.rp_min, m.rp_max, best});
  }
  return out;
}

/// Parses results.csv back into doubles; checks the header.
inline std::vector<expected_row> parse_results(const std::string& text,
                                               std::string& header) {
  std::vector<expected_row> out;
  std::istringstream in(text);
  std::getline(in, header);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ','))
      f.push_back(cell);
    if (!line.empty() && line.back() == ',')
      f.push_back("");
    if (f.size() != 6)
      throw std::runtime_error("bad results line: " + line);
    auto num = [](const std::string& s) {
      return s.empty() ? NAN : std::strtod(s.c_str(), nullptr);
    };
    out.push_back({std::stoll(f[0]), num(f[1]), num(f[2]), num(f[3]),
                   num(f[4]), num(f[5])});
  }
  return out;
}

/// Same double, or both NaN (empty field).
inline bool same(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || a == b;
}

/// Checks results.csv against the expected rows, value by value.
inline void check_results_equal(const std::string& csv_path,
                         const std::vector<expected_row>& expected) {
  std::string header;
  auto got = parse_results(read_file(csv_path), header);
  CHECK(header
        == "source_id,bp_min_flux,bp_max_flux,rp_min_flux,rp_max_flux,"
           "percentage_change");
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("row " << i << " source " << expected[i].source_id);
    CHECK(got[i].source_id == expected[i].source_id);
    CHECK(same(got[i].bp_min, expected[i].bp_min));
    CHECK(same(got[i].bp_max, expected[i].bp_max));
    CHECK(same(got[i].rp_min, expected[i].rp_min));
    CHECK(same(got[i].rp_max, expected[i].rp_max));
    CHECK(same(got[i].pct, expected[i].pct));
  }
}

/// Settings for a run over `mirror_dir` by file:// into `out_dir`.
inline settings file_mirror_settings(const std::vector<int64_t>& boundaries,
                                     const std::string& mirror_dir,
                                     const std::string& out_dir) {
  settings s = default_settings();
  s.archive_url_template = "file://" + mirror_dir + "/EpochPhotometry_%s.csv.gz";
  s.file_boundaries = boundaries;
  s.output_dir = out_dir;
  s.poll_interval_ms = 50;
  s.download_pool_size = 2;
  s.import_pool_size = 2;
  s.http_timeout_s = 60;
  s.request_timeout_s = 120;
  return s;
}

} // namespace gaia::test
