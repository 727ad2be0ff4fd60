// The benchmark rule on the reference's worked examples and at the line.
#include "results/rules.hpp"

#include "core/file_range.hpp"

#include <doctest/doctest.h>

#include <cmath>

using namespace gaia;

namespace {

band_extent band(std::initializer_list<double> values) {
  band_extent b;
  for (double v : values)
    if (std::isfinite(v))
      b.add(v);
  return b;
}

} // namespace

TEST_CASE("rules: source 101 over two files merges min of mins, max of maxes") {
  source_aggregate file1{101, band({10, 30, 12}), band({4, 6})};
  source_aggregate file2{101, band({7, 20}), band({9, 5})};
  source_aggregate merged = file1;
  merged.merge(file2);
  CHECK(merged.bp.min == 7);
  CHECK(merged.bp.max == 30);
  CHECK(merged.rp.min == 4);
  CHECK(merged.rp.max == 9);
  auto pct = percentage_change(merged);
  REQUIRE(pct.has_value());
  CHECK(*pct == 328.57142857142856);
  CHECK(qualifies(*pct));
}

TEST_CASE("rules: source 202 with a zero BP minimum uses RP only") {
  source_aggregate s{202, band({0, 50}), band({10, 30})};
  CHECK_FALSE(band_change(s.bp).has_value());
  auto pct = percentage_change(s);
  REQUIRE(pct.has_value());
  CHECK(*pct == 200);
}

TEST_CASE("rules: exactly 100 percent does not qualify, just above does") {
  CHECK_FALSE(qualifies(100.0));
  CHECK(qualifies(std::nextafter(100.0, 200.0)));
  source_aggregate twice{1, band({21.5, 43.0}), band({})};
  REQUIRE(percentage_change(twice).has_value());
  CHECK(*percentage_change(twice) == 100.0);
  CHECK_FALSE(qualifies(*percentage_change(twice)));
}

TEST_CASE("rules: empty, negative and NaN-only bands have no change") {
  CHECK_FALSE(band_change(band({})).has_value());
  CHECK_FALSE(band_change(band({NAN, NAN})).has_value());
  CHECK_FALSE(band_change(band({-5, 10})).has_value());
  source_aggregate none{3, band({}), band({})};
  CHECK_FALSE(percentage_change(none).has_value());
  source_aggregate one{4, band({}), band({2, 5})};
  CHECK(*percentage_change(one) == 150);
}

TEST_CASE("rules: computed as ((max - min) / min) * 100 in that order") {
  // A tiny minimum gives an enormous, exactly computed percentage.
  band_extent b = band({1.01e-13, 157841.99293824387});
  double expect = ((157841.99293824387 - 1.01e-13) / 1.01e-13) * 100;
  CHECK(*band_change(b) == expect);
}

TEST_CASE("rules: file ranges, labels and URL templates") {
  auto r = ranges_from_boundaries({0, 3112, 5264});
  REQUIRE(r.size() == 2);
  CHECK(r[0].label() == "000000-003111");
  CHECK(r[1].label() == "003112-005263");
  CHECK(r[0].archive_file_name() == "EpochPhotometry_000000-003111.csv.gz");
  CHECK(expand_url_template("https://h/E_%s.csv.gz?x=%s", "a-b")
        == "https://h/E_a-b.csv.gz?x=a-b");
  CHECK(healpix8_of(10655814178816LL) == 1);
}
