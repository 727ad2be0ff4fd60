// The import's scans at every instruction level (scalar, SSE2, AVX2 where
// the CPU has it: archive/simd_level.hpp) on the same inputs: the same rows,
// counts and bits. And the flux arrays' shortcut (only the final min and
// max tokens are parsed) against std::from_chars on every token, on
// adversarial tokens.
#include "archive/csv_scan.hpp"
#include "archive/ecsv_reader.hpp"
#include "archive/flux_tokens.hpp"
#include "archive/simd_level.hpp"
#include "tests/reference_reader.hpp"
#include "tests/test_util.hpp"

#include <doctest/doctest.h>

#include <charconv>
#include <cstdlib>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace gaia;
using ecsv_detail::forced_simd_level;
using ecsv_detail::runnable_simd_levels;
using ecsv_detail::simd_level;

namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

bool same_bits(const band_extent& a, const band_extent& b) {
  return same_bits(a.min, b.min) && same_bits(a.max, b.max);
}

/// What one array cell gives: the band and the skipped count.
struct cell_result {
  band_extent band;
  uint64_t skipped = 0;
};

/// The rule written out slowly: every token trimmed, a leading '+' dropped
/// (unless a sign follows), std::from_chars over all of it, each finite
/// value added in order; NaN is no value; anything else is skipped. An
/// empty array has no tokens.
cell_result reference_cell(const std::string& tokens) {
  cell_result r;
  if (tokens.find_first_not_of(" \t") == std::string::npos) return r;  // "[]", "[ ]"
  size_t at = 0;
  for (;;) {
    size_t comma = tokens.find(',', at);
    std::string t = tokens.substr(at, comma == std::string::npos ? std::string::npos
                                                                 : comma - at);
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.erase(0, 1);
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.pop_back();
    if (t.size() >= 2 && t[0] == '+' && t[1] != '+' && t[1] != '-') t.erase(0, 1);
    double v = 0;
    auto res = std::from_chars(t.data(), t.data() + t.size(), v);
    // Out of range: std::from_chars leaves v alone; the value is then 0 or
    // +-inf, as strtod rounds it (the shortest denormal's half is 0).
    if (res.ec == std::errc::result_out_of_range) {
      v = std::strtod(t.c_str(), nullptr);
      res.ec = std::errc();
    }
    if (!t.empty() && res.ec == std::errc() && res.ptr == t.data() + t.size()) {
      if (std::isfinite(v)) r.band.add(v);
      else if (!std::isnan(v)) ++r.skipped;
    } else {
      ++r.skipped;
    }
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return r;
}

/// add_flux_values over "[tokens]" with 32 readable bytes after it.
cell_result fast_cell(const std::string& tokens) {
  std::string cell = "[" + tokens + "]";
  const size_t n = cell.size();
  cell += std::string(32, ']');
  cell_result r;
  r.skipped = ecsv_detail::add_flux_values(cell.data(), cell.data() + n, r.band);
  return r;
}

/// Tokens chosen to trip a shortcut: powers of ten and values that round
/// onto them, prefixes of one another, one value in several spellings
/// (ties at the min and max), many digits, 0 and -0.0 in both orders,
/// denormals, overflow, signs, leading zeros, and what is not a number.
const std::vector<std::string>& adversarial_tokens() {
  static const std::vector<std::string> tokens = {
    "12.5", "12.50", "12.500", "1.25E1", "125E-1", "12.5000000000000000001",
    "12.49999999999999999999", "12.", "12", "12.0", "12.51", "12.500000001",
    "9.9999999999999999999999", "99.99999999999999999", "9.99999999999999999999",
    "10", "10.0", "1", "1.0", "1.", "1.00000000000000011102230246251565404236316680908203125",
    "9999999999999999999999", "9999999999999999999999.9", "1000000000000000000000",
    "10000000000000000000000", "100000000000000000000000", "1e22", "1e23",
    "9.99e21", "1.0E7", "1.01E-13", "157841.99293824387", "23.783341359526982",
    "1234.5678901234567890123456789012345", "1820.8582445068785",
    "1820.85824450687851", "1820.858244506878", "0", "0.0", "-0.0", "-0", "+0",
    "+12.5", "+1", "-3.5", "-12.5", "012.5", "0.5", ".5", "00", "4.9E-324",
    "2.4703282292062327e-324", "7e-320", "2.2250738585072011e-308", "1e400",
    "1.7976931348623157E308", "1.7976931348623159E308", "NaN", "nan", "null", "",
    " ", " 12.6", "12.6 ", "Infinity", "-Infinity", "1.0x", "1.2.3", "--1", "+-1",
    "12..5", "1e", "0x10"};
  return tokens;
}

/// A random plain decimal: `k` integer digits, then maybe a fraction.
std::string plain_decimal(std::mt19937_64& rng, unsigned k) {
  std::string s(1, static_cast<char>('1' + rng() % 9));
  for (unsigned i = 1; i < k; ++i) s += static_cast<char>('0' + rng() % 10);
  if (rng() % 4 != 0) {
    s += '.';
    const unsigned f = static_cast<unsigned>(rng() % 20);
    for (unsigned i = 0; i < f; ++i) s += static_cast<char>('0' + rng() % 10);
  }
  return s;
}

} // namespace

TEST_CASE("simd: the CPU's levels include scalar, and forcing one is undone") {
  const auto levels = runnable_simd_levels();
  REQUIRE(!levels.empty());
  CHECK(levels.front() == simd_level::scalar);
  const simd_level best = ecsv_detail::active_simd_level();
  CHECK(best == levels.back());
  {
    forced_simd_level force(simd_level::scalar);
    CHECK(ecsv_detail::active_simd_level() == simd_level::scalar);
  }
  CHECK(ecsv_detail::active_simd_level() == best);
#if defined(__x86_64__)
  CHECK(levels.size() >= 2); // SSE2 is part of x86-64
#endif
}

TEST_CASE("flux: min and max from the text agree bit for bit with from_chars on "
          "every token, at every level") {
  std::mt19937_64 rng(2112);
  const auto& odd = adversarial_tokens();
  std::vector<std::string> cells;
  // Each adversarial token alone, and every ordered pair (ties, -0.0 after
  // 0 and before it, a prefix before and after its extension).
  for (const auto& a : odd) {
    cells.push_back(a);
    for (const auto& b : odd) cells.push_back(a + "," + b);
  }
  // Random arrays mixing them with plain decimals of every digit count.
  for (int i = 0; i < 20000; ++i) {
    std::string cell;
    const size_t n = 1 + rng() % 45;
    const unsigned k = 1 + static_cast<unsigned>(rng() % 23);
    for (size_t j = 0; j < n; ++j) {
      if (j > 0) cell += ',';
      const auto r = rng() % 10;
      if (r < 2) cell += odd[rng() % odd.size()];
      else if (r < 4) cell += plain_decimal(rng, 1 + static_cast<unsigned>(rng() % 24));
      else cell += plain_decimal(rng, k);  // one decade: the digit compares
    }
    cells.push_back(cell);
  }
  size_t with_values = 0;
  for (const auto& c : cells) with_values += reference_cell(c).band.empty() ? 0 : 1;
  CHECK(with_values > cells.size() / 2);  // most cells hold values
  for (const auto level : runnable_simd_levels()) {
    forced_simd_level force(level);
    const std::string level_name = ecsv_detail::to_string(level);
    CAPTURE(level_name);
    for (const auto& c : cells) {
      const auto want = reference_cell(c);
      const auto got = fast_cell(c);
      CAPTURE(c);
      CHECK(got.skipped == want.skipped);
      CHECK(same_bits(got.band, want.band));
    }
  }
}

TEST_CASE("simd: the real sample and damaged text read the same at every level") {
  // The whole reader (field hops, the record tail scan, flux arrays): the
  // same rows, bits and counts whichever instructions scan them.
  std::vector<std::string> texts = {gaia::test::read_file(gaia::test::real_sample_path())};
  std::mt19937_64 rng(77);
  const char damage[] = {'"', '"', ',', '\n', '\r', ' ', '[', ']', '+', 'x', '1', '.'};
  for (int round = 0; round < 200; ++round) {
    std::string body;
    for (int row = 0; row < 8; ++row) {
      body += "1," + std::to_string(1000 + rng() % 40) + ",3,\"[";
      for (int i = 0; i < 30; ++i)
        body += (i ? "," : "") + std::to_string(1 + rng() % 9999) + "." +
                std::to_string(rng() % 100000);
      body += "]\",\"[" + std::to_string(rng() % 50 + 1) + ".5,NaN,1.0E7]\","
              "\"[20.5]\",\"[\"\"False\"\",\"\"True\"\",\"\"False\"\"]\"\n";
    }
    const int edits = static_cast<int>(rng() % 5);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % body.size();
      body[at] = damage[rng() % sizeof damage];
    }
    texts.push_back("solution_id,source_id,n_transits,bp_flux,rp_flux,rp_mag,flags\n" + body);
  }
  struct outcome {
    std::vector<source_aggregate> rows;
    import_stats stats;
  };
  auto read_all = [](const std::string& text) {
    outcome o;
    ecsv_stream stream("test.ecsv", [&](const source_aggregate& a) { o.rows.push_back(a); });
    size_t at = 0;
    while (at < text.size()) {
      auto [room, cap] = stream.room();
      const size_t n = std::min(cap, text.size() - at);
      std::memcpy(room, text.data() + at, n);
      stream.wrote(n);
      at += n;
    }
    o.stats = stream.finish();
    return o;
  };
  std::vector<outcome> scalar;
  {
    forced_simd_level force(simd_level::scalar);
    for (const auto& t : texts) scalar.push_back(read_all(t));
  }
  CHECK(scalar[0].rows.size() > 0);
  for (const auto level : runnable_simd_levels()) {
    forced_simd_level force(level);
    const std::string level_name = ecsv_detail::to_string(level);
    CAPTURE(level_name);
    for (size_t i = 0; i < texts.size(); ++i) {
      CAPTURE(i);
      const auto got = read_all(texts[i]);
      REQUIRE(got.rows.size() == scalar[i].rows.size());
      for (size_t r = 0; r < got.rows.size(); ++r) {
        CHECK(got.rows[r].source_id == scalar[i].rows[r].source_id);
        CHECK(same_bits(got.rows[r].bp, scalar[i].rows[r].bp));
        CHECK(same_bits(got.rows[r].rp, scalar[i].rows[r].rp));
      }
      CHECK(got.stats.rows == scalar[i].stats.rows);
      CHECK(got.stats.skipped_rows == scalar[i].stats.skipped_rows);
      CHECK(got.stats.skipped_values == scalar[i].stats.skipped_values);
      CHECK(got.stats.skip_examples == scalar[i].stats.skip_examples);
    }
  }
}

TEST_CASE("simd: the record tail scan finds the end, the separators and a misplaced quote "
          "wherever the data is cut, at every level") {
  // A sound tail (doubled quotes, a quoted ',' and line break) and a damaged
  // one (a closing quote followed by 'y'), shifted by 0-130 bytes of a long
  // unquoted field so the line end and the damage fall at every place in a
  // 64-byte block; the data cut after every byte, whole blocks and the last
  // short one. Expected values are counted from the text, not from a scan.
  const std::string sound_tail =
    ",\"[\"\"False\"\",\"\"True\"\"]\",12.5,\"a,b\nc\",\"[NaN,1.5]\",x\n";
  const std::string damaged_tail = ",\"[1.5]\",\"ab\"y,7\n";
  for (const auto level : runnable_simd_levels()) {
    forced_simd_level force(level);
    const std::string level_name = ecsv_detail::to_string(level);
    CAPTURE(level_name);
    for (size_t shift = 0; shift <= 130; ++shift) {
      CAPTURE(shift);
      for (const std::string* tail : {&sound_tail, &damaged_tail}) {
        const std::string text = "," + std::string(shift, '7') + *tail;
        const size_t end_at = text.size() - 1;                  // the '\n'
        const size_t bad_at = tail == &damaged_tail ? text.find("\"y") + 1 : std::string::npos;
        std::string buffer = text + std::string(128, '\n');     // readable past any cut
        for (size_t cut = 1; cut <= text.size(); ++cut) {
          const auto t = ecsv_detail::scan_record_tail(buffer.data(), buffer.data() + cut);
          if (bad_at != std::string::npos && cut > bad_at) {
            REQUIRE(t.malformed == buffer.data() + bad_at);
            CHECK(t.end == nullptr);
          } else if (cut > end_at) {
            CHECK(t.malformed == nullptr);
            REQUIRE(t.end == buffer.data() + end_at);
            CHECK(t.separators == 6);  // one per field after the first byte
            CHECK(t.line_breaks == 1);
          } else {
            CHECK(t.malformed == nullptr);
            CHECK(t.end == nullptr);
          }
        }
      }
    }
  }
}
