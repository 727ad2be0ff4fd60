// The expected results.csv of a set of archive files, from the reference
// reader (tests/reference_reader.hpp): its min/max per source and the rule
// written out, formatted by the production's CSV writer (whose round trip
// is tested on its own).
#pragma once

#include "results/results_csv.hpp"
#include "tests/reference_reader.hpp"

#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace gaia::test::reference {

/// The expected results.csv text, from the reference reader.
inline std::string expected_csv(const std::vector<std::string>& files) {
  std::map<int64_t, minmax> acc;
  for (const auto& f : files)
    read_file(f, acc);
  std::string csv = std::string(results_header) + "\n";
  for (const auto& [id, m] : acc) {
    double pct = change(m);
    if (!(pct > 100))
      continue;
    result_row r;
    r.source.source_id = id;
    if (!std::isnan(m.bp_min)) {
      r.source.bp.add(m.bp_min);
      r.source.bp.add(m.bp_max);
    }
    if (!std::isnan(m.rp_min)) {
      r.source.rp.add(m.rp_min);
      r.source.rp.add(m.rp_max);
    }
    r.percentage_change = pct;
    append_result_line(csv, r);
  }
  return csv;
}

} // namespace gaia::test::reference
