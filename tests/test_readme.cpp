// The README stays true: its graphs are the ones the productions'
// declarations generate.
#include "actors/production.hpp"
#include "lightcurve_production/production.hpp"

#include "tests/test_util.hpp"

#include <doctest/doctest.h>

TEST_CASE("readme: the Mermaid graph equals `gaia-dr3 graph`") {
  auto readme = gaia::test::read_file(std::string(GAIA_SOURCE_DIR) + "/README.md");
  auto start = readme.find("```mermaid\n");
  REQUIRE(start != std::string::npos);
  start += 11;
  auto end = readme.find("```", start);
  REQUIRE(end != std::string::npos);
  CHECK(readme.substr(start, end - start) == gaia::gaia_production(gaia::default_settings()).to_mermaid());
}

TEST_CASE("readme: the light-curve production's Mermaid graph equals "
          "`gaia-dr3 graph --production lightcurves`") {
  auto readme = gaia::test::read_file(std::string(GAIA_SOURCE_DIR) + "/README.md");
  auto start = readme.find("```mermaid\n", readme.find("## Light curves for a list of sources"));
  REQUIRE(start != std::string::npos);
  start += 11;
  auto end = readme.find("```", start);
  REQUIRE(end != std::string::npos);
  CHECK(readme.substr(start, end - start)
        == gaia::lightcurve_production(gaia::default_settings(), {}).to_mermaid());
}
