// A synthetic bulk file (gaia-dr3 synth) read back line by line for the
// light-curve tests: its header row and each row's text by source_id (the
// synthetic files hold one row a line; source_id is the second field,
// after solution_id, as in the real files).
#pragma once

#include "tests/test_util.hpp"

#include <doctest/doctest.h>

#include <charconv>
#include <cstdint>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>

namespace gaia::test {

struct bulk_file {
  std::string header;
  std::map<int64_t, std::string> rows;
};

inline bulk_file read_bulk(const std::filesystem::path& p) {
  bulk_file b;
  std::istringstream in(gunzip_file(p));
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    if (b.header.empty()) {
      REQUIRE(line.rfind("solution_id,source_id,", 0) == 0);
      b.header = line;
      continue;
    }
    const auto a = line.find(',') + 1;
    int64_t id = 0;
    REQUIRE(std::from_chars(line.data() + a, line.data() + line.find(',', a), id).ec
            == std::errc());
    b.rows[id] = line;
  }
  return b;
}

} // namespace gaia::test
