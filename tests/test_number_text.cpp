// Exact number text both ways, held to the standard library byte for byte
// and bit for bit: core/shortest_text.hpp (Dragonbox) must write what
// std::to_chars writes, lightcurve/real_text.hpp (fast_float) must read
// what std::from_chars reads and reject what it rejects, on millions of
// values: random bit patterns (every exponent), decimals like the
// archive's, powers of ten and their neighbours, subnormals, the extremes.
#include "core/errors.hpp"
#include "core/shortest_text.hpp"
#include "lightcurve/epoch_row_parser.hpp"
#include "lightcurve/real_text.hpp"
#include "tests/test_util.hpp"

#include <doctest/doctest.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace lc = gaia::lightcurve;

namespace {

template <class Real>
using bits_of = std::conditional_t<sizeof(Real) == 8, uint64_t, uint32_t>;

template <class Real>
bits_of<Real> real_bits(Real v) {
  bits_of<Real> b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

template <class Real>
Real real_from_bits(bits_of<Real> b) {
  Real v;
  std::memcpy(&v, &b, sizeof v);
  return v;
}

std::string hex_bits(uint64_t b) {
  std::ostringstream s;
  s << "0x" << std::hex << b;
  return s.str();
}

/// Compares append_shortest with std::to_chars on values; reports the
/// first few differences with the value's bits.
struct writer_comparison {
  uint64_t compared = 0, different = 0;
  std::string out;

  template <class Real>
  void compare(Real v) {
    ++compared;
    char expected[64];
    const auto end = std::to_chars(expected, expected + sizeof expected, v).ptr;
    out.clear();
    gaia::append_shortest(out, v);
    if (out.size() == static_cast<size_t>(end - expected) &&
        std::memcmp(out.data(), expected, out.size()) == 0)
      return;
    if (++different <= 5)
      FAIL_CHECK(std::string(sizeof(Real) == 8 ? "double " : "float ")
                 << hex_bits(real_bits(v)) << ": std::to_chars wrote '"
                 << std::string(expected, end) << "', append_shortest '" << out << "'");
  }
};

/// A random decimal token like the archive's values: 1-17 significant
/// digits, a point somewhere (or none), sometimes a sign or an exponent.
std::string random_decimal(std::mt19937_64& rng) {
  std::string t;
  if (rng() % 4 == 0) t += '-';
  const int digits = 1 + static_cast<int>(rng() % 17);
  const int point = static_cast<int>(rng() % (digits + 1));
  for (int i = 0; i < digits; ++i) {
    if (i == point && i > 0) t += '.';
    t += static_cast<char>('0' + rng() % 10);
  }
  if (rng() % 3 == 0) {
    t += rng() % 2 ? 'e' : 'E';
    const int e = static_cast<int>(rng() % 80) - 40;
    if (e >= 0 && rng() % 2) t += '+';
    t += std::to_string(e);
  }
  return t;
}

template <class Real>
Real std_read(const std::string& t, bool& ok) {
  Real v{};
  const auto r = std::from_chars(t.data(), t.data() + t.size(), v, std::chars_format::general);
  ok = r.ec == std::errc() && r.ptr == t.data() + t.size();
  return v;
}

/// Compares read_real_text with std::from_chars on tokens: the same
/// verdict, and the same bits when both read the token.
struct reader_comparison {
  uint64_t compared = 0, different = 0;

  template <class Real>
  void compare(const std::string& t) {
    ++compared;
    bool expected_ok = false;
    const Real expected = std_read<Real>(t, expected_ok);
    Real got{};
    const bool ok = lc::read_real_text(t, got);
    if (ok == expected_ok && (!ok || real_bits(got) == real_bits(expected))) return;
    if (++different <= 5)
      FAIL_CHECK(std::string(sizeof(Real) == 8 ? "double" : "float")
                 << " token '" << t << "': std::from_chars "
                 << (expected_ok ? "read " + hex_bits(real_bits(expected)) : "rejects it")
                 << ", read_real_text " << (ok ? "read " + hex_bits(real_bits(got)) : "rejects it"));
  }
  void compare_both(const std::string& t) {
    compare<double>(t);
    compare<float>(t);
  }
};

/// Values whose text is hardest to get right: every power of ten a type
/// has and its neighbours, the extremes, zeros, infinities and NaNs.
template <class Real>
std::vector<Real> edge_values() {
  using lim = std::numeric_limits<Real>;
  std::vector<Real> v = {Real(0), -Real(0), lim::infinity(), -lim::infinity(), lim::quiet_NaN(),
                         -lim::quiet_NaN(), lim::max(), lim::lowest(), lim::min(),
                         lim::denorm_min(), -lim::denorm_min(), Real(0.1), Real(1) / 3};
  for (int e = -330; e <= 310; ++e) {
    bool ok = false;
    const Real p = std_read<Real>("1e" + std::to_string(e), ok);
    if (!ok) continue;
    for (Real x : {p, std::nextafter(p, Real(0)), std::nextafter(p, lim::infinity())}) {
      v.push_back(x);
      v.push_back(-x);
    }
  }
  return v;
}

} // namespace

TEST_CASE("number text: append_shortest writes what std::to_chars writes, byte for byte") {
  writer_comparison w;
  std::mt19937_64 rng(20261207);
  for (double v : edge_values<double>()) w.compare(v);
  for (float v : edge_values<float>()) w.compare(v);
  // Every exponent: its smallest and largest significands and random ones
  // (subnormals at exponent 0), both signs.
  for (uint64_t e = 0; e < 2047; ++e)
    for (uint64_t m : {uint64_t(0), uint64_t(1), uint64_t(2), (uint64_t(1) << 52) - 1,
                       (uint64_t(1) << 52) - 2, rng() >> 12, rng() >> 12})
      for (uint64_t sign : {uint64_t(0), uint64_t(1) << 63})
        w.compare(real_from_bits<double>(sign | e << 52 | m));
  for (uint32_t e = 0; e < 255; ++e)
    for (uint32_t m : {0u, 1u, 2u, (1u << 23) - 1, (1u << 23) - 2, uint32_t(rng() >> 41)})
      for (uint32_t sign : {0u, 1u << 31})
        w.compare(real_from_bits<float>(sign | e << 23 | m));
  // Integers past the significand's precision, where fixed text has every
  // digit of the value (1.2345678901234568e20: "123456789012345683968").
  for (int i = 0; i < 200000; ++i) {
    const double big = std::ldexp(double(rng() >> 11), 1 + static_cast<int>(rng() % 24));
    w.compare(big);
    w.compare(static_cast<float>(big));
    w.compare(std::ldexp(float(rng() >> 40), static_cast<int>(rng() % 24)));
  }
  // Random bit patterns: every exponent, NaNs and infinities among them.
  for (int i = 0; i < 1500000; ++i) {
    const uint64_t b = rng();
    w.compare(real_from_bits<double>(b));
    w.compare(real_from_bits<float>(static_cast<uint32_t>(b)));
  }
  // Short decimals like the archive's, read back as double and float.
  for (int i = 0; i < 700000; ++i) {
    const auto t = random_decimal(rng);
    bool ok = false;
    w.compare(std_read<double>(t, ok));
    w.compare(std_read<float>(t, ok));
  }
  CHECK(w.compared > 5000000);
  CHECK(w.different == 0);
}

TEST_CASE("number text: read_real_text reads and rejects what std::from_chars does, bit for bit") {
  reader_comparison r;
  for (const char* t :
       {"", "+1", "+1.5", "-", "+", ".", "-.", "1e", "1e+", "1e-", "1E5", "1e+05", ".5", "5.", "-0",
        "0", "0.0", "-0.0", "00012.5", "0x1p3", "0X10", "1e400", "-1e400", "1e-400", "-1e-400",
        "2e-324", "3e-324", "2.4703282292062327e-324", "2.4703282292062328e-324", "1e-310",
        "1e-45", "7e-46", "1.17549435e-38", "3.4028235e38", "3.4028236e38", "1.7976931348623157e308",
        "1.7976931348623159e308", "nan", "NaN", "-nan", "NAN", "nan(123)", "nan(", "inf", "-inf",
        "Infinity", "-INFINITY", "infinit", "null", " 1", "1 ", "1,", "1..2", "--1", "1e5x",
        "1d5", "1_000", "0.1e-0", "123456789012345678901234567890", "9007199254740993",
        "0.30000000000000004", "1693.257506198131", "157841.99293824387"})
    r.compare_both(t);
  std::mt19937_64 rng(7);
  for (int i = 0; i < 700000; ++i) r.compare_both(random_decimal(rng));
  // The shortest text of random values, every exponent (subnormals too),
  // and of floats.
  std::string text;
  for (int i = 0; i < 300000; ++i) {
    text.clear();
    gaia::append_shortest(text, real_from_bits<double>(rng()));
    r.compare_both(text);
    text.clear();
    gaia::append_shortest(text, real_from_bits<float>(static_cast<uint32_t>(rng())));
    r.compare_both(text);
  }
  CHECK(r.compared > 2000000);
  CHECK(r.different == 0);
}

TEST_CASE("number text: a bulk row's real cells read as before, the tokens rejected before still "
          "skip their row") {
  const auto text = gaia::test::read_file(std::string(GAIA_FIXTURES_DIR) +
                                          "/datalink_epoch_photometry_1457486023639239296.csv");
  const auto header = text.substr(0, text.find('\n'));
  const auto row = text.substr(text.find('\n') + 1);
  const auto columns = lc::epoch_columns::from_header_line(header);
  const std::string first_time = "1693.257506198131"; // g_transit_time[0]
  REQUIRE(row.find(first_time) != std::string::npos);
  auto with_time = [&](const std::string& token) {
    auto s = row;
    return s.replace(s.find(first_time), first_time.size(), token);
  };
  // Accepted, with std::from_chars's bits: the Java form, a subnormal, -0.
  for (const std::string t : {"1.5E7", "1e-310", "-0", "0.0", "5.", ".5", "-2.5e-3"}) {
    INFO(t);
    bool ok = false;
    const double expected = std_read<double>(t, ok);
    REQUIRE(ok);
    const auto parsed = lc::parse_epoch_row(columns, with_time(t));
    CHECK(real_bits(parsed.g.time[0]) == real_bits(expected));
  }
  CHECK(std::isnan(lc::parse_epoch_row(columns, with_time("NaN")).g.time[0]));
  CHECK(std::isnan(lc::parse_epoch_row(columns, with_time("null")).g.time[0]));
  // Rejected as before, naming the column and the token; the row skipped.
  const std::string rejected[] = {"+1693.25", "0x1p3", "1e400", "1e-400", "inf", "Infinity",
                                  "nan", "-nan", "nan(1)", "1e", "", "1,5"};
  for (const auto& t : rejected) {
    INFO(t);
    if (t == "1,5") { // a comma is a token boundary: one value too many
      CHECK_THROWS_WITH_AS(lc::parse_epoch_row(columns, with_time(t)),
                           doctest::Contains("g_transit_time: 66 values, n_transits is 65"), gaia::input_error);
      continue;
    }
    CHECK_THROWS_WITH_AS(lc::parse_epoch_row(columns, with_time(t)),
                         doctest::Contains(("g_transit_time: '" + t + "'").c_str()),
                         gaia::input_error);
  }
  std::string file = header + "\n" + row;
  for (const auto& t : rejected) file += with_time(t);
  std::istringstream in(file);
  const auto read = lc::read_epoch_rows(in, "tokens.csv");
  CHECK(read.rows.size() == 1);
  CHECK(read.skipped == std::size(rejected));
  REQUIRE(!read.reasons.empty());
  CHECK(read.reasons[0].find("tokens.csv line 3: g_transit_time: '+1693.25'") == 0);
}
