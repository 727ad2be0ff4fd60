// ctest runs each test case by name (doctest_discover_tests), and CMake
// splits names at ';': a test named "a; b" becomes two filters that match
// nothing, and ctest reports both as passed without running anything.
#include "tests/test_util.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <regex>
#include <string>

TEST_CASE("tests: no test case name contains a semicolon, so ctest runs every one") {
  namespace fs = std::filesystem;
  // TEST_CASE( "part" "part" ... ): adjacent literals, possibly over lines.
  const std::regex test_case(R"re(TEST_CASE\(((\s*"([^"\\]|\\.)*")+)\s*\))re");
  int seen = 0;
  for (const auto& e : fs::directory_iterator(fs::path(GAIA_SOURCE_DIR) / "tests")) {
    if (e.path().extension() != ".cpp")
      continue;
    const std::string text = gaia::test::read_file(e.path());
    for (std::sregex_iterator m(text.begin(), text.end(), test_case), end; m != end; ++m) {
      ++seen;
      CHECK_MESSAGE((*m)[1].str().find(';') == std::string::npos,
                    e.path().filename().string() << ": " << (*m)[1].str());
    }
  }
  CHECK(seen > 100);
}
