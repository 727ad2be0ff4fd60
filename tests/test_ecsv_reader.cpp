// The ECSV import: flux token rules, correct rounding, the real 50-column
// sample and its 48-column bulk form, CSV quoting, skipped rows, long lines,
// and agreement with a slow reference parser on random rows.
#include "archive/ecsv_reader.hpp"
#include "archive/source_table.hpp"
#include "core/errors.hpp"
#include "tests/reference_reader.hpp"
#include "tests/test_util.hpp"

#include <doctest/doctest.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

using namespace gaia;
using gaia::test::read_file;
using gaia::test::real_sample_path;
using gaia::test::temp_dir;
using gaia::test::write_file;

namespace {

using gaia::test::gzip_member;

/// A byte_source over a string that hands out at most `chunk` bytes a call.
class string_source final : public byte_source {
public:
  explicit string_source(std::string text, size_t chunk = SIZE_MAX)
    : text_(std::move(text)), chunk_(chunk) {}
  size_t read(char* out, size_t n) override {
    size_t k = std::min({n, chunk_, text_.size() - pos_});
    std::memcpy(out, text_.data() + pos_, k);
    pos_ += k;
    return k;
  }
  const std::string& name() const override { return name_; }

private:
  std::string text_;
  size_t chunk_;
  size_t pos_ = 0;
  std::string name_ = "test.ecsv";
};

struct read_result {
  std::vector<source_aggregate> rows;
  import_stats stats;
};

read_result read_text(const std::string& text, size_t chunk = SIZE_MAX) {
  string_source src(text, chunk);
  read_result r;
  r.stats = read_epoch_photometry(
    src, [&](const source_aggregate& a) { r.rows.push_back(a); });
  return r;
}

bool same(const source_aggregate& a, const source_aggregate& b) {
  return a.source_id == b.source_id && a.bp == b.bp && a.rp == b.rp;
}

bool same(const std::vector<source_aggregate>& a,
          const std::vector<source_aggregate>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!same(a[i], b[i])) return false;
  return true;
}

// --- A slow, obviously correct reference: std::string everywhere, strtod.

/// The lines of `text` without their '\n' (the last may lack one).
std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = std::min(text.find('\n', start), text.size());
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

/// Splits a CSV line into raw fields (quotes kept, so joining with ','
/// gives the line back).
std::vector<std::string> split_raw(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (char c : line) {
    if (c == '"') quoted = !quoted;
    if (c == ',' && !quoted) {
      out.emplace_back();
      continue;
    }
    out.back() += c;
  }
  return out;
}

/// A raw field's contents: outer quotes removed, "" turned into ".
std::string unquote(const std::string& raw) {
  if (raw.size() < 2 || raw.front() != '"') return raw;
  std::string s;
  for (size_t i = 1; i + 1 < raw.size(); ++i) {
    s += raw[i];
    if (raw[i] == '"') ++i;
  }
  return s;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

bool reference_token(const std::string& raw, double& out) {
  std::string t = trim(raw);
  // strtod also takes hex, which the archive never writes, and a second
  // sign after a '+'.
  if (t.size() >= 2 && t[0] == '+' && t[1] != '+' && t[1] != '-')
    t = t.substr(1);
  if (t.empty() || t[0] == '+' || t.find_first_of("xX") != std::string::npos)
    return false;
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || !std::isfinite(v)) return false;
  out = v;
  return true;
}

band_extent reference_band(const std::string& field) {
  std::string s = trim(unquote(field));
  band_extent band;
  // Only a bracketed array holds values.
  if (s.size() < 2 || s.front() != '[' || s.back() != ']') return band;
  s = s.substr(1, s.size() - 2);
  if (trim(s).empty()) return band;
  size_t start = 0;
  for (;;) {
    size_t comma = s.find(',', start);
    double v;
    if (reference_token(s.substr(start, comma - start), v)) band.add(v);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return band;
}

/// The reference aggregates of well-formed ECSV text.
std::vector<source_aggregate> reference_rows(const std::string& text) {
  std::vector<source_aggregate> rows;
  std::vector<std::string> header;
  for (std::string line : split_lines(text)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    auto fields = split_raw(line);
    if (header.empty()) {
      for (auto& f : fields) header.push_back(trim(unquote(f)));
      continue;
    }
    auto col = [&](const char* name) {
      return fields[std::find(header.begin(), header.end(), name) -
                    header.begin()];
    };
    source_aggregate a;
    a.source_id = std::stoll(unquote(col("source_id")));
    a.bp = reference_band(col("bp_flux"));
    a.rp = reference_band(col("rp_flux"));
    rows.push_back(a);
  }
  return rows;
}

double percent_change(const band_extent& b) {
  return ((b.max - b.min) / b.min) * 100;
}

/// The real sample as the 48-column bulk files have it: ra and dec dropped
/// from the YAML datatype list, the header row and every data row.
std::string drop_ra_dec(const std::string& text) {
  std::vector<std::string> lines = split_lines(text);
  std::string out;
  size_t ra_col = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    if (!l.empty() && l[0] == '#') {
      // A datatype entry is "# - " then "#   name: <col>" and its fields.
      if (l == "# - " && i + 1 < lines.size() &&
          (lines[i + 1] == "#   name: ra" || lines[i + 1] == "#   name: dec")) {
        ++i;
        while (i + 1 < lines.size() && lines[i + 1] != "# - " &&
               lines[i + 1].rfind("#   ", 0) == 0)
          ++i;
        continue;
      }
      out += l + "\n";
      continue;
    }
    auto fields = split_raw(l);
    if (ra_col == 0) {
      ra_col = std::find(fields.begin(), fields.end(), "ra") - fields.begin();
      REQUIRE(fields.at(ra_col + 1) == "dec");
    }
    fields.erase(fields.begin() + ra_col, fields.begin() + ra_col + 2);
    for (size_t f = 0; f < fields.size(); ++f)
      out += (f ? "," : "") + fields[f];
    out += "\n";
  }
  return out;
}

size_t count_comment_lines(const std::string& text) {
  size_t n = 0;
  for (const auto& l : split_lines(text))
    if (!l.empty() && l[0] == '#') ++n;
  return n;
}

/// A minimal 48-column-style file around the given data rows.
std::string small_file(const std::string& rows) {
  return "# %ECSV 1.0\n# ---\n# delimiter: ','\n"
         "solution_id,source_id,n_transits,bp_flux,rp_flux,flags\n" +
         rows;
}

} // namespace

TEST_CASE("flux: parse_flux_token accepts only whole finite numbers") {
  struct tc {
    const char* token;
    bool valid;
    double value;
  };
  const tc cases[] = {
    {"1820.8582445068785", true, 1820.8582445068785},
    {"50.0", true, 50.0},
    {"1.01E-13", true, 1.01e-13},
    {"1.0E7", true, 1.0e7},
    {"-3.5", true, -3.5},
    {"0", true, 0.0},
    {"1e5", true, 1e5},
    {" 1.5 ", true, 1.5},
    {"\t2.5", true, 2.5},
    {"NaN", false, 0},
    {"nan", false, 0},
    {"null", false, 0},
    {"Infinity", false, 0},
    {"-Infinity", false, 0},
    {"inf", false, 0},
    {"1e400", false, 0},  // overflows to infinity
    {"", false, 0},
    {"   ", false, 0},
    {"1.2.3", false, 0},
    {"1.0x", false, 0},
    {"--1", false, 0},
    {"0x10", false, 0},   // no hex: the archive writes none
    {"+1", true, 1.0},    // a leading '+', as strtod and Python read it
    {" +2.5e1 ", true, 25.0},
    {"+.5", true, 0.5},
    {"+", false, 0},
    {"++1", false, 0},
    {"+-1", false, 0},
    {"-+1", false, 0},
    {"+NaN", false, 0},
    {"1e", false, 0},
    {"1 2", false, 0},
    {"[1.5]", false, 0},  // brackets belong to the field, not the token
  };
  for (const auto& c : cases) {
    CAPTURE(c.token);
    double v = -42;
    CHECK(parse_flux_token(c.token, v) == c.valid);
    if (c.valid)
      CHECK(v == c.value);
    else
      CHECK(v == -42);  // untouched
  }
}

TEST_CASE("flux: values are correctly rounded, bit for bit like strtod") {
  const char* hard[] = {
    "0.1", "2.2250738585072011e-308", "2.2250738585072012e-308",
    "9007199254740993", "9007199254740992.9999999999", "4.9E-324",
    "2.4703282292062327e-324", "1.7976931348623157E308", "0.30000000000000004",
    "157841.99293824387", "23.783341359526982",
    "1.00000000000000011102230246251565404236316680908203125",  // a tie
    "7.3177701707893310e+15", "1e-400"};
  for (const char* s : hard) {
    CAPTURE(s);
    double v = -1;
    REQUIRE(parse_flux_token(s, v));
    double ref = std::strtod(s, nullptr);
    CHECK(std::memcmp(&v, &ref, sizeof v) == 0);
  }
  double tenth;
  REQUIRE(parse_flux_token("0.1", tenth));
  CHECK(tenth == 0.1);

  std::mt19937_64 rng(20240607);
  auto digit = [&] { return static_cast<char>('0' + rng() % 10); };
  int checked = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string s;
    if (rng() % 4 == 0) s += '-';
    size_t digits = 1 + rng() % 22;
    size_t point = rng() % (digits + 1);
    for (size_t d = 0; d < digits; ++d) {
      if (d == point && d > 0) s += '.';
      s += digit();
    }
    switch (rng() % 3) {
      case 0: break;
      case 1: s += "E" + std::to_string(static_cast<int>(rng() % 80) - 40);
        break;
      default: s += "e" + std::to_string(static_cast<int>(rng() % 660) - 330);
    }
    CAPTURE(s);
    char* end = nullptr;
    double ref = std::strtod(s.c_str(), &end);
    REQUIRE(end == s.c_str() + s.size());
    double v = 0;
    bool ok = parse_flux_token(s, v);
    CHECK(ok == std::isfinite(ref));
    if (ok) {
      CHECK(std::memcmp(&v, &ref, sizeof v) == 0);
      ++checked;
    }
  }
  CHECK(checked > 4500);
}

TEST_CASE("flux: the min/max shortcut agrees with parsing every token") {
  // The reader passes over tokens whose digits show they are inside the
  // current min..max. Near-equal values, shared prefixes, values that round
  // to the same double or up to the next power of ten, and every kind of
  // token the shortcut must leave to the parser.
  std::mt19937_64 rng(7);
  auto pick = [&](std::initializer_list<const char*> l) {
    return std::string(l.begin()[rng() % l.size()]);
  };
  auto digits = [&](size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s += static_cast<char>('0' + rng() % 10);
    return s;
  };
  // Values that are prefixes of each other: a row of only these makes
  // the extremes such values too.
  auto prefixes = [&] {
    return pick({"12.5", "12.50", "12.5000000000000001", "12.", "12",
                 "12.49999999999999999", "12.500000001", "12.51", "12.5.1",
                 "12..5", "11.99999999999999999999", "12.500"});
  };
  auto token = [&]() -> std::string {
    switch (rng() % 12) {
      case 0: return prefixes();
      case 1: return pick({"9.99999999999999999999", "10", "10.0", "9.9",
                           "99.999999999999999999", "100", "1.0E1", "1E2"});
      case 2: return pick({"NaN", "null", "", " 12.6", "12.6 ", "-12.5",
                           "0.5", ".5", "012.7", "0", "-0.0", "Infinity",
                           "1.25E1", "1.01E-13", "7e-320"});
      case 3: return "1234.5678901234567890123456789012345";  // > 32 bytes
      case 4: return "1" + digits(21);                        // 22 digits
      case 5: return "1" + digits(25) + ".5";                 // beyond 1e22
      default: {
        // Same decade, shared prefix, random length: the digit compare.
        std::string s = "1" + pick({"2", "3"}) + "." + digits(rng() % 18);
        if (rng() % 3 == 0) s = pick({"4", "9"}) + digits(rng() % 3) + "." +
                                digits(1 + rng() % 16);
        return s;
      }
    }
  };
  std::string text = "source_id,bp_flux,rp_flux\n";
  for (int row = 0; row < 3000; ++row) {
    text += std::to_string(row);
    for (int band = 0; band < 2; ++band) {
      text += ",\"[";
      size_t n = rng() % 60;
      bool only_prefixes = rng() % 3 == 0;
      for (size_t i = 0; i < n; ++i)
        text += (i ? "," : "") + (only_prefixes ? prefixes() : token());
      text += "]\"";
    }
    text += "\n";
  }
  auto want = reference_rows(text);
  auto got = read_text(text);
  REQUIRE(got.rows.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    CAPTURE(i);
    CHECK(got.rows[i].bp == want[i].bp);
    CHECK(got.rows[i].rp == want[i].rp);
  }
}

TEST_CASE("ecsv: the real 50-column sample, gzip-compressed, imports right") {
  temp_dir dir("ecsv");
  std::string text = read_file(real_sample_path());
  REQUIRE(count_comment_lines(text) == 379);
  auto path = (dir / "EpochPhotometry_sample.csv.gz").string();
  write_file(path, gzip_member(text));

  // The fixture itself, read the slow way: 16 transits in the first row.
  auto first = split_raw(text.substr(text.find("\n375316653866487564,") + 1));
  CHECK(first.at(4) == "16");
  CHECK(std::count(first.at(13).begin(), first.at(13).end(), ',') == 15);

  for (auto b : {inflate_backend::isal, inflate_backend::zlib}) {
    CAPTURE(to_string(b));
    file_aggregates fa = import_archive_file(path, b);
    REQUIRE(fa.sources.size() == 3);
    CHECK(fa.stats.rows == 3);
    CHECK(fa.stats.skipped_rows == 0);
    CHECK(fa.stats.uncompressed_bytes == text.size());
    const auto& s = fa.sources[0];
    CHECK(s.source_id == 10655814178816);
    CHECK(s.bp.max == 157841.99293824387);
    CHECK(s.bp.min == 23.783341359526982);
    CHECK(s.rp.min == 35.634526749900566);
    CHECK(s.rp.max == 1566.8893953334514);
    CHECK(std::max(percent_change(s.bp), percent_change(s.rp)) ==
          663566.1794160244);
    CHECK(fa.sources[1].source_id == 10892037246720);
    CHECK(fa.sources[2].source_id == 14263587225600);
    CHECK(same(fa.sources, reference_rows(text)));
  }
}

TEST_CASE("ecsv: the sample as a 48-column bulk file gives the same result") {
  temp_dir dir("ecsv");
  std::string text = read_file(real_sample_path());
  std::string bulk = drop_ra_dec(text);
  CHECK(count_comment_lines(bulk) == 365);
  std::string header = bulk.substr(bulk.find("\nsolution_id") + 1);
  header = header.substr(0, header.find('\n'));
  CHECK(split_raw(header).size() == 48);
  CHECK(header.find(",ra,") == std::string::npos);

  auto p50 = (dir / "fifty.csv.gz").string();
  auto p48 = (dir / "bulk.csv.gz").string();
  write_file(p50, gzip_member(text));
  write_file(p48, gzip_member(bulk));
  auto a = import_archive_file(p50);
  auto c = import_archive_file(p48);
  REQUIRE(a.sources.size() == 3);
  CHECK(same(a.sources, c.sources));
  CHECK(c.stats.skipped_rows == 0);
}

TEST_CASE("ecsv: CRLF line ends read like LF") {
  std::string text = read_file(real_sample_path());
  std::string crlf;
  for (char ch : text) {
    if (ch == '\n') crlf += '\r';
    crlf += ch;
  }
  auto lf = read_text(text);
  auto cr = read_text(crlf);
  REQUIRE(lf.rows.size() == 3);
  CHECK(same(lf.rows, cr.rows));
  CHECK(cr.stats.skipped_rows == 0);
  // The needed columns last on the line, so '\r' ends a flux field.
  auto tail = read_text("source_id,bp_flux,rp_flux\r\n"
                        "5,\"[1.5,2.5]\",[3.5]\r\n"
                        "6,[7.5],\"[8.5]\"\r\n");
  REQUIRE(tail.rows.size() == 2);
  CHECK(tail.rows[0].rp.min == 3.5);
  CHECK(tail.rows[0].bp.max == 2.5);
  CHECK(tail.rows[1].rp.max == 8.5);
}

TEST_CASE("ecsv: flux arrays with spaces, bad tokens, empty fields") {
  auto r = read_text(small_file(
    "1,100,3,\"[ 1.5 , 2.5 ]\",\"[NaN,null,,Infinity,-Infinity,inf,1.2.3,"
    "0x10,1.0x,--1,-7.25,1.01E-13]\",\"[\"\"False\"\"]\"\n"
    "1,101,0,\"[]\",,x\n"
    "1,102,2,\"[NaN,NaN]\",\"[1.0E7]\",x\n"
    "1,103,1,42.5,\"[ 3 ]\",x\n"
    "\n"
    "1,104,1,\"[1.5,\",\"[2,]\",\"[\"\"True\"\",\"\"False\"\"]\"\n"
    "1,105,2,\"[+4.5,+-1]\",[ +6 ],x\n"));
  REQUIRE(r.rows.size() == 6);
  CHECK(r.stats.rows == 6);
  CHECK(r.stats.skipped_rows == 0);
  CHECK(r.rows[0].bp.min == 1.5);
  CHECK(r.rows[0].bp.max == 2.5);
  CHECK(r.rows[0].rp.min == -7.25);
  CHECK(r.rows[0].rp.max == 1.01e-13);
  CHECK(r.rows[1].bp.empty());
  CHECK(r.rows[1].rp.empty());
  CHECK(r.rows[2].bp.empty());
  CHECK(r.rows[2].rp.min == 1.0e7);
  // A cell that is not a bracketed array holds no values.
  CHECK(r.rows[3].bp.empty());
  CHECK(r.rows[3].rp.max == 3);
  CHECK(r.rows[4].source_id == 104);
  CHECK(r.rows[4].bp.empty());      // "[1.5," has no closing bracket
  CHECK(r.rows[4].rp.min == 2);
  CHECK(r.rows[4].rp.max == 2);
  CHECK(r.rows[5].bp.min == 4.5);   // a leading '+' is a number's sign
  CHECK(r.rows[5].bp.max == 4.5);
  CHECK(r.rows[5].rp.max == 6);
  // Counted: null, the empty token, +-Infinity, inf, 1.2.3, 0x10, 1.0x,
  // --1 (9); the bare 42.5 (1); "[1.5," (1) and the empty token of
  // "[2,]" (1); +-1 (1). NaN is the archive's missing value, not counted.
  CHECK(r.stats.skipped_values == 13);
  REQUIRE(!r.stats.skip_examples.empty());
  CHECK(r.stats.skip_examples[0] == "line 5: skipped flux value 'null'");
}

TEST_CASE("ecsv: quoted fields with doubled quotes before the needed ones") {
  // Columns found by name anywhere: flags first, quoted source_id.
  auto r = read_text(
    "# c\n"
    "\"flags\", \"rp_flux\" ,other,source_id,\"bp_flux\"\n"
    "\"[\"\"False\"\",\"\"True\"\"]\",\"[4,5]\",\"a,\"\"b\"\"\",\"77\","
    "\"[1,2]\"\n"
    "\"\"\"\",\"[6]\",,78,\"[3]\"\n");
  REQUIRE(r.rows.size() == 2);
  CHECK(r.rows[0].source_id == 77);
  CHECK(r.rows[0].rp.min == 4);
  CHECK(r.rows[0].rp.max == 5);
  CHECK(r.rows[0].bp.max == 2);
  CHECK(r.rows[1].source_id == 78);
  CHECK(r.rows[1].rp.max == 6);
  CHECK(r.rows[1].bp.min == 3);
}

TEST_CASE("ecsv: rows whose field count differs from the header's are "
          "skipped and counted, even with the needed columns present") {
  // The header has 6 fields; source_id, bp_flux and rp_flux are 2-5.
  auto r = read_text(small_file(
    "1,200,1,\"[1]\",\"[2]\",x\n"
    "1,201,1,\"[1]\"\n"                      // line 6: too few fields
    "1,202,1,\"[3]\",\"[4]\",x\n"
    "1,abc,1,\"[1]\",\"[2]\",x\n"            // line 8: bad id
    "1,12x,1,\"[1]\",\"[2]\",x\n"            // line 9: id not whole
    "1,,1,\"[1]\",\"[2]\",x\n"               // line 10: empty id
    "1, 204 ,1,\"[5]\",\"[6]\"\n"            // line 11: cut after rp_flux
    "1,205,1,\"[5]\",\"[6]\",x,y\n"          // line 12: an extra field
    "1,206,1,\"[5]\",\"[6]\",\"[\"\"a\"\",\"\"b\"\"]\",\n"  // 13: extra
    "1,207,\"[5]\",\"[6]\",x\n"              // line 14: a field missing
    "1,208,1,\"[7]\",\"[8]\",\"x,y\"\n"));   // a quoted comma: fine
  REQUIRE(r.rows.size() == 3);
  CHECK(r.rows[0].source_id == 200);
  CHECK(r.rows[1].source_id == 202);
  CHECK(r.rows[1].bp.min == 3);
  CHECK(r.rows[2].source_id == 208);
  CHECK(r.rows[2].rp.max == 8);
  CHECK(r.stats.rows == 11);
  CHECK(r.stats.skipped_rows == 8);
  REQUIRE(r.stats.skip_examples.size() == 5);
  CHECK(r.stats.skip_examples[0] == "line 6: 4 fields, the header has 6");
  CHECK(r.stats.skip_examples[1] == "line 8: bad source_id 'abc'");
  CHECK(r.stats.skip_examples[2].rfind("line 9: ", 0) == 0);
  CHECK(r.stats.skip_examples[3].rfind("line 10: ", 0) == 0);
  CHECK(r.stats.skip_examples[4] == "line 11: 5 fields, the header has 6");

  // Only a few examples are kept, however many rows are skipped.
  std::string many;
  for (int i = 0; i < 50; ++i) many += "1,x\n";
  auto m = read_text(small_file(many + "1,9,1,\"[1]\",\"[2]\",z\n"));
  CHECK(m.stats.skipped_rows == 50);
  CHECK(m.stats.skip_examples.size() == 5);
  CHECK(m.rows.size() == 1);
}

TEST_CASE("ecsv: quoted fields follow RFC 4180: line breaks and commas "
          "inside quotes belong to the field") {
  // Line breaks inside quoted fields before, in and after the needed
  // columns; none loses its row or starts a phantom one, and the line
  // numbers after them stay right.
  auto r = read_text(small_file(
    "\"so\nlution\",300,1,\"[1,\n2]\",\"[3]\",\"a\nb,c\"\n"  // lines 5-8
    "1,301,1,\"[4]\",\"[5,\r\n6]\",\"[\"\"x\"\",\n\"\"y\"\"]\"\n"  // 9-11
    "1,302,1,\"[7]\",\"[8]\",\"\"\"\"\n"          // line 12: a '"' field
    "1,303\n"));                                  // line 13: skipped
  REQUIRE(r.rows.size() == 3);
  CHECK(r.stats.rows == 4);
  CHECK(r.rows[0].source_id == 300);
  CHECK(r.rows[0].bp.min == 1);
  CHECK(r.rows[0].bp.max == 2);
  CHECK(r.rows[1].source_id == 301);
  CHECK(r.rows[1].rp.min == 5);
  CHECK(r.rows[1].rp.max == 6);
  CHECK(r.rows[2].source_id == 302);
  CHECK(r.stats.skipped_values == 0);
  REQUIRE(r.stats.skip_examples.size() == 1);
  CHECK(r.stats.skip_examples[0] == "line 13: 2 fields, the header has 6");

  // Misplaced quotes end the row at the end of their line, skipped.
  auto bad = read_text(small_file(
    "1,310,1,\"[1]\"x,\"[2]\",z\n"       // line 5: text after a closing quote
    "1,3\"11,1,\"[1]\",\"[2]\",z\n"       // line 6: a quote in a bare field
    "1,312,1,\"[1]\",\"[2]\",a\"b\n"      // line 7: the same after rp_flux
    "1,313,1,\"[1]\",\"[2]\",\"a\"b\n"     // line 8: closing quote, then b
    "1,314,1,\"[1]\",\"[2]\",\"z\"\r\n"   // line 9: CRLF after a quote: fine
    "1,315,1,\"[1]\",\"[2]\",\"z\"\ry\n"  // line 10: a bare '\r': skipped
    "1,316,1,\"[9]\",\"[9]\",z\n"));
  CHECK(bad.stats.rows == 7);
  CHECK(bad.stats.skipped_rows == 5);
  REQUIRE(bad.rows.size() == 2);
  CHECK(bad.rows[0].source_id == 314);
  CHECK(bad.rows[1].source_id == 316);
  REQUIRE(bad.stats.skip_examples.size() == 5);
  CHECK(bad.stats.skip_examples[0].rfind("line 5: a closing quote", 0) == 0);
  CHECK(bad.stats.skip_examples[1].rfind("line 6: a quote inside", 0) == 0);
  CHECK(bad.stats.skip_examples[2].rfind("line 7: a quote out of place", 0) == 0);
  CHECK(bad.stats.skip_examples[3].rfind("line 8: ", 0) == 0);
  CHECK(bad.stats.skip_examples[4].rfind("line 10: ", 0) == 0);

  // A quote opened and never closed runs to the end of the file: that one
  // row is skipped, nothing after it is read as rows of its own.
  auto open = read_text(small_file("1,320,1,\"[1]\",\"[2]\",z\n"
                                   "1,321,1,\"[1,2\n"
                                   "1,322,1,[1],[2],z\n"));
  REQUIRE(open.rows.size() == 1);
  CHECK(open.rows[0].source_id == 320);
  CHECK(open.stats.rows == 2);
  CHECK(open.stats.skipped_rows == 1);
  CHECK(open.stats.skip_examples.at(0) ==
        "line 6: a quoted field is never closed (the file ends inside it)");
  // Closed by the next row's quote, it is malformed there and ends with
  // that line.
  auto closed = read_text(small_file("1,320,1,\"[1]\",\"[2]\",z\n"
                                     "1,321,1,\"[1,\"[2]\",z\n"
                                     "1,322,1,\"[1]\",\"[2]\",z\n"));
  REQUIRE(closed.rows.size() == 2);
  CHECK(closed.rows[1].source_id == 322);
  CHECK(closed.stats.skipped_rows == 1);
}

TEST_CASE("ecsv: a UTF-8 BOM and blank lines before the header row are read") {
  const std::string body = "1,400,1,\"[1,2]\",\"[3]\",x\n";
  for (const std::string& prefix :
       {std::string("\xEF\xBB\xBF"), std::string("\n\n"),
        std::string("   \n\t\r\n"), std::string("\xEF\xBB\xBF\r\n  \n")}) {
    CAPTURE(prefix.size());
    auto r = read_text(prefix + small_file(body));
    REQUIRE(r.rows.size() == 1);
    CHECK(r.rows[0].source_id == 400);
    CHECK(r.rows[0].bp.max == 2);
    CHECK(r.stats.skipped_rows == 0);
    // Also split into tiny reads: the BOM across read boundaries.
    auto bytes = read_text(prefix + small_file(body), 1);
    CHECK(same(r.rows, bytes.rows));
  }
  // Blank and whitespace-only lines between rows are not rows either.
  auto gaps = read_text(small_file("\n  \n" + body + "\r\n\t\n" + body));
  CHECK(gaps.rows.size() == 2);
  CHECK(gaps.stats.rows == 2);
  CHECK(gaps.stats.skipped_rows == 0);
}

TEST_CASE("ecsv: a row longer than max_line_bytes ends the import naming "
          "the file, the line and the limit") {
  std::string long_row = "1,500,1,\"[" + std::string(5000, '1') + "]\",\"[2]\",x\n";
  std::string text = small_file("1,499,1,\"[1]\",\"[2]\",x\n" + long_row);
  read_options opts;
  opts.max_line_bytes = 4096;
  for (size_t chunk : {size_t{1} << 20, size_t{1000}, size_t{7}}) {
    CAPTURE(chunk);
    string_source src(text, chunk);
    CHECK_THROWS_WITH_AS(
      read_epoch_photometry(src, [](const source_aggregate&) {}, opts),
      "test.ecsv: line 6 is longer than max_line_bytes (4096 bytes)",
      input_error);
  }
  // At the limit it is read.
  opts.max_line_bytes = long_row.size();
  string_source ok(text);
  size_t rows = 0;
  read_epoch_photometry(ok, [&](const source_aggregate&) { ++rows; }, opts);
  CHECK(rows == 2);
  // A line without end is caught as it grows, long before it is complete.
  struct endless final : byte_source {
    size_t read(char* out, size_t n) override {
      if (sent_ == 0) {
        const std::string h = "source_id,bp_flux,rp_flux\n";
        std::memcpy(out, h.data(), std::min(n, h.size()));
        sent_ += std::min(n, h.size());
        return std::min(n, h.size());
      }
      std::memset(out, '7', n);
      sent_ += n;
      return n;
    }
    const std::string& name() const override { return name_; }
    size_t sent_ = 0;
    std::string name_ = "endless.ecsv";
  } forever;
  opts.max_line_bytes = 3 << 20;
  CHECK_THROWS_WITH_AS(
    read_epoch_photometry(forever, [](const source_aggregate&) {}, opts),
    "endless.ecsv: line 2 is longer than max_line_bytes (3145728 bytes)",
    input_error);
  CHECK(forever.sent_ < (size_t{8} << 20));
}

TEST_CASE("ecsv: a source twice in one file is merged and sources sorted") {
  temp_dir dir("ecsv");
  auto path = (dir / "dup.csv.gz").string();
  write_file(path, gzip_member(small_file(
                     "1,30,1,\"[5,6]\",\"[50]\",x\n"
                     "1,10,1,\"[1]\",\"[NaN]\",x\n"
                     "1,30,1,\"[2,NaN]\",\"[70,60]\",x\n"
                     "1,20,1,\"[]\",\"[]\",x\n")));
  auto fa = import_archive_file(path, inflate_backend::zlib);
  REQUIRE(fa.sources.size() == 3);
  CHECK(fa.stats.rows == 4);
  CHECK(fa.sources[0].source_id == 10);
  CHECK(fa.sources[0].rp.empty());
  CHECK(fa.sources[1].source_id == 20);
  CHECK(fa.sources[1].bp.empty());
  CHECK(fa.sources[2].source_id == 30);
  CHECK(fa.sources[2].bp.min == 2);
  CHECK(fa.sources[2].bp.max == 6);
  CHECK(fa.sources[2].rp.min == 50);
  CHECK(fa.sources[2].rp.max == 70);
}

namespace {

/// The source table's answer written out slowly: a map, each row merged
/// into its source in arrival order.
std::vector<source_aggregate> table_by_map(const std::vector<source_aggregate>& rows) {
  std::map<int64_t, source_aggregate> m;
  for (const auto& r : rows) {
    auto [it, fresh] = m.emplace(r.source_id, r);
    if (!fresh) it->second.merge(r);
  }
  std::vector<source_aggregate> out;
  for (const auto& kv : m) out.push_back(kv.second);
  return out;
}

bool same_aggregate_bits(const source_aggregate& a, const source_aggregate& b) {
  return a.source_id == b.source_id && std::memcmp(&a.bp, &b.bp, sizeof a.bp) == 0 &&
         std::memcmp(&a.rp, &b.rp, sizeof a.rp) == 0;
}

} // namespace

TEST_CASE("source table: sorted, returning, out-of-order and repeated sources give the map's "
          "aggregates bit for bit") {
  std::mt19937_64 rng(21);
  // 0.0 and -0.0 among the values: merged in another order they would keep
  // the other zero's sign bit.
  const double values[] = {0.0, -0.0, 1.5, 2.5, 1e-13, 7e5};
  auto row = [&](int64_t id) {
    source_aggregate a;
    a.source_id = id;
    a.bp.add(values[rng() % 6]);
    if (rng() % 4 != 0) a.rp.add(values[rng() % 6]);
    return a;
  };
  enum shape { sorted_once, adjacent_repeats, earlier_returns, shuffled, sorted_then_one_early };
  for (shape s : {sorted_once, adjacent_repeats, earlier_returns, shuffled,
                  sorted_then_one_early}) {
    CAPTURE(static_cast<int>(s));
    std::vector<source_aggregate> rows;
    for (int64_t id = 100; id < 2100; id += 2) {
      rows.push_back(row(id));
      if (s == adjacent_repeats && rng() % 3 == 0) rows.push_back(row(id));
      if (s == earlier_returns && rng() % 5 == 0)
        rows.push_back(row(100 + 2 * static_cast<int64_t>(rng() % ((id - 100) / 2 + 1))));
    }
    if (s == shuffled) {
      for (int i = 0; i < 500; ++i) rows.push_back(row(100 + 2 * (rng() % 1000)));
      std::shuffle(rows.begin(), rows.end(), rng);
    }
    if (s == sorted_then_one_early) {
      rows.push_back(row(101));  // new and out of order: the index takes over
      rows.push_back(row(100));  // old, found by the index
      rows.push_back(row(101));
      rows.push_back(row(5000));
    }
    source_table table;
    for (const auto& r : rows) table.add(r);
    const auto want = table_by_map(rows);
    CHECK(table.size() == want.size());
    const auto got = table.take_sorted();
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      CAPTURE(i);
      CHECK(same_aggregate_bits(got[i], want[i]));
    }
    // Taken: the table is empty and starts over.
    CHECK(table.size() == 0);
    table.add(row(7));
    CHECK(table.take_sorted().size() == 1);
  }
}

TEST_CASE("ecsv: a header without a needed column or no header at all") {
  try {
    read_text("# x\nsolution_id,source_id,bp_flux_error,rp_flux\n1,2,3,4\n");
    FAIL("no error");
  } catch (const input_error& e) {
    CHECK(std::string(e.what()) ==
          "test.ecsv: header row has no column 'bp_flux'");
  }
  CHECK_THROWS_WITH_AS(read_text("bp_flux,rp_flux\n"),
                       doctest::Contains("'source_id'"), input_error);
  CHECK_THROWS_WITH_AS(read_text(""), doctest::Contains("no header row"),
                       input_error);
  CHECK_THROWS_WITH_AS(read_text("# %ECSV 1.0\n# ---\n\n"),
                       doctest::Contains("test.ecsv"), input_error);
  // A header row with no data rows is a valid, empty file.
  auto r = read_text("source_id,bp_flux,rp_flux");
  CHECK(r.rows.empty());
  CHECK(r.stats.rows == 0);
}

TEST_CASE("ecsv: a 10 MB line, longer than the text buffer, is read") {
  std::string big = "1,300,800000,\"[";
  std::mt19937 rng(1);
  double lo = 1e300, hi = -1e300;
  for (int i = 0; i < 800000; ++i) {
    std::string token = std::to_string(1.0 + (rng() % 100000000) / 1000.0);
    double v = std::strtod(token.c_str(), nullptr);
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    big += (i ? "," : "") + token;
  }
  big += "]\",\"[1,NaN,2]\",\"[\"\"False\"\"]\"\n";
  REQUIRE(big.size() > 10'000'000);
  auto r = read_text(small_file("1,299,1,\"[9]\",\"[9]\",x\n" + big +
                                "1,301,1,\"[8]\",\"[8]\",x\n"));
  REQUIRE(r.rows.size() == 3);
  CHECK(r.rows[1].source_id == 300);
  CHECK(r.rows[1].bp.min == lo);
  CHECK(r.rows[1].bp.max == hi);
  CHECK(r.rows[1].rp.max == 2);
  CHECK(r.rows[2].bp.min == 8);
}

TEST_CASE("ecsv: any split of the stream into reads gives the same rows") {
  std::string text = read_file(real_sample_path());
  // Also an unterminated last line and a '\r' at a read boundary.
  std::string crlf_tail = small_file("1,1,1,\"[1]\",\"[2]\",x\r\n"
                                     "1,2,1,\"[3]\",\"[4]\",x");
  for (const auto& t : {text, crlf_tail}) {
    auto whole = read_text(t);
    REQUIRE(!whole.rows.empty());
    for (size_t chunk : {1, 2, 3, 17, 4096, 40000}) {
      CAPTURE(chunk);
      auto parts = read_text(t, chunk);
      CHECK(same(whole.rows, parts.rows));
      CHECK(parts.stats.rows == whole.stats.rows);
      CHECK(parts.stats.uncompressed_bytes == t.size());
    }
  }
}

TEST_CASE("ecsv: random realistic rows agree with a slow reference parser") {
  std::mt19937_64 rng(99);
  const char* odd[] = {"NaN", "null", "", " 5.5 ", "Infinity", "1.0E7",
                       "1.01E-13", "-0.0", "7e-320", "1.2.3"};
  std::string header = "solution_id,source_id,n_transits,transit_id,"
                       "g_transit_flux,bp_obs_time,bp_flux,bp_flux_error,"
                       "rp_obs_time,rp_flux,rp_flux_error,"
                       "photometry_flag_noisy_data";
  std::string text = "# %ECSV 1.0\n# ---\n" + header + "\n";
  std::map<int64_t, source_aggregate> expected;
  auto array = [&](int n, bool weird) {
    std::string s = "\"[";
    for (int i = 0; i < n; ++i) {
      if (i) s += ',';
      if (weird && rng() % 5 == 0) {
        s += odd[rng() % 10];
      } else {
        char buf[32];
        double v = std::ldexp(static_cast<double>(rng() % 1000000 + 1),
                              static_cast<int>(rng() % 40) - 20);
        std::snprintf(buf, sizeof buf, "%.17g", v);
        s += buf;
      }
    }
    return s + "]\"";
  };
  int64_t id = 4295806720;
  for (int row = 0; row < 400; ++row) {
    int n = static_cast<int>(rng() % 60);
    id += static_cast<int64_t>(rng() % 5);  // some ids repeat
    std::string bools = "\"[";
    for (int i = 0; i < n; ++i) bools += i ? ",\"\"False\"\"" : "\"\"True\"\"";
    bools += "]\"";
    text += "375316653866487564," + std::to_string(id) + "," +
            std::to_string(n) + "," + array(n, false) + "," +
            array(n, false) + "," + array(n, false) + "," + array(n, true) +
            "," + array(n, false) + "," + array(n, false) + "," +
            array(n, true) + "," + array(n, false) + "," + bools + "\n";
  }
  for (const auto& a : reference_rows(text)) {
    auto [it, inserted] = expected.emplace(a.source_id, a);
    if (!inserted) it->second.merge(a);
  }
  std::vector<source_aggregate> want;
  for (auto& kv : expected) want.push_back(kv.second);

  temp_dir dir("ecsv");
  auto path = (dir / "random.csv.gz").string();
  write_file(path, gzip_member(text.substr(0, text.size() / 2)) +
                     gzip_member(text.substr(text.size() / 2)));
  for (auto b : {inflate_backend::isal, inflate_backend::zlib}) {
    auto fa = import_archive_file(path, b);
    CHECK(fa.stats.rows == 400);
    CHECK(fa.stats.skipped_rows == 0);
    CHECK(fa.sources.size() == want.size());
    CHECK(same(fa.sources, want));
  }
}

TEST_CASE("ecsv: damaged text agrees with the RFC 4180 reference reader") {
  // Random quotes, commas, line breaks, brackets and signs dropped into
  // valid rows: whatever the damage, the import keeps exactly the rows and
  // values the independent reference (tests/reference_reader.hpp, character
  // by character) keeps, in any split into reads.
  std::mt19937_64 rng(4242);
  const char damage[] = {'"', '"', ',', '\n', '\r', ' ', '[', ']', '+', 'x',
                         '#', '1', '.'};
  const std::string header =
    "solution_id,source_id,n_transits,bp_flux,rp_flux,rp_mag,flags\n";
  temp_dir dir("ecsv-fuzz");
  int kept_rows = 0;
  for (int round = 0; round < 400; ++round) {
    std::string body;
    for (int row = 0; row < 12; ++row) {
      body += "1," + std::to_string(1000 + rng() % 40) + ",3,\"[";
      for (int i = 0; i < 3; ++i)
        body += (i ? "," : "") + std::to_string(rng() % 1000) + "." +
                std::to_string(rng() % 100);
      body += "]\",\"[" + std::to_string(rng() % 50 + 1) + ".5,NaN]\"," +
              "\"[20.5]\",\"[\"\"False\"\",\"\"True\"\"]\"\n";
    }
    int edits = 1 + static_cast<int>(rng() % 6);
    for (int e = 0; e < edits; ++e) {
      size_t at = rng() % body.size();
      switch (rng() % 3) {
        case 0: body.insert(at, 1, damage[rng() % sizeof damage]); break;
        case 1: body.erase(at, 1); break;
        default: body[at] = damage[rng() % sizeof damage];
      }
    }
    std::string text = "# %ECSV 1.0\n# ---\n" + header + body;
    auto path = (dir / ("f" + std::to_string(round) + ".csv.gz")).string();
    write_file(path, gzip_member(text));
    std::map<int64_t, test::reference::minmax> want;
    test::reference::read_file(path, want);
    auto got = import_archive_file(path);
    CAPTURE(text);
    REQUIRE(got.sources.size() == want.size());
    size_t i = 0;
    for (const auto& [id, m] : want) {
      const auto& s = got.sources[i++];
      CHECK(s.source_id == id);
      auto same_band = [](const band_extent& b, double lo, double hi) {
        return b.empty() ? std::isnan(lo) && std::isnan(hi)
                         : b.min == lo && b.max == hi;
      };
      CHECK(same_band(s.bp, m.bp_min, m.bp_max));
      CHECK(same_band(s.rp, m.rp_min, m.rp_max));
    }
    kept_rows += static_cast<int>(got.stats.rows - got.stats.skipped_rows);
    // The same in tiny reads.
    auto pieces = read_text(text, 1 + rng() % 50);
    auto whole = read_text(text);
    CHECK(same(pieces.rows, whole.rows));
    CHECK(pieces.stats.skipped_rows == whole.stats.skipped_rows);
    CHECK(pieces.stats.skipped_values == whole.stats.skipped_values);
  }
  CHECK(kept_rows > 2000); // most rows survive a few edits
}
