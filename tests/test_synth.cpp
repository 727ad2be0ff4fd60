// The synthetic archive: Java number forms, deterministic rows, and files
// that have the real sample's shape.
#include "download/md5.hpp"
#include "tools/synth/generated_archive.hpp"
#include "tools/synth/synth.hpp"
#include "tools/synth/synth_format.hpp"
#include "tools/synth/synth_rng.hpp"
#include "tests/test_util.hpp"

#include <doctest/doctest.h>
#include <zlib.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <regex>
#include <sstream>
#include <sys/wait.h>
#include <vector>

using namespace gaia;
using gaia::synth::java_double;

namespace {

/// Inflates every gzip member of `gz`; counts the members.
std::string gunzip(const std::string& gz, int* members = nullptr) {
  z_stream zs{};
  REQUIRE(inflateInit2(&zs, 31) == Z_OK);
  std::string out;
  char buf[1 << 16];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  int count = 0;
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    const int rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
    if (rc == Z_STREAM_END) {
      ++count;
      if (zs.avail_in == 0) break;
      inflateReset(&zs);
    } else {
      REQUIRE(rc == Z_OK);
    }
  }
  inflateEnd(&zs);
  if (members != nullptr) *members = count;
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

/// CSV fields of one line, raw (quotes and doubled quotes kept).
std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> out;
  size_t i = 0;
  for (;;) {
    size_t start = i;
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (i < line.size()) {
        if (line[i] == '"' && i + 1 < line.size() && line[i + 1] == '"') {
          i += 2;
        } else if (line[i] == '"') {
          ++i;
          break;
        } else {
          ++i;
        }
      }
    }
    while (i < line.size() && line[i] != ',') ++i;
    out.push_back(line.substr(start, i - start));
    if (i >= line.size()) break;
    ++i;
  }
  return out;
}

/// The fixture's '#' lines without the ra/dec entries, and its header row
/// without ra,dec: what a 48-column bulk file has.
struct real_shape {
  std::vector<std::string> comments;
  std::vector<std::string> columns;
  std::vector<std::string> rows;
};

real_shape load_real_shape() {
  real_shape s;
  auto lines = split_lines(test::read_file(test::real_sample_path()));
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& l = lines[i];
    if (l.rfind("#", 0) != 0) {
      if (s.columns.empty()) {
        for (auto& c : csv_fields(l))
          if (c != "ra" && c != "dec") s.columns.push_back(c);
      } else {
        s.rows.push_back(l);
      }
      continue;
    }
    if (l == "# - " && i + 1 < lines.size() &&
        (lines[i + 1] == "#   name: ra" || lines[i + 1] == "#   name: dec")) {
      // Skip the whole entry: up to the next "# - " or the first data line.
      size_t j = i + 1;
      while (j < lines.size() && lines[j] != "# - " && lines[j].rfind("#", 0) == 0) ++j;
      i = j - 1;
      continue;
    }
    s.comments.push_back(l);
  }
  return s;
}

const std::regex plain_re(R"(-?(0|[1-9][0-9]*)\.([0-9]*[1-9]|0))");
const std::regex sci_re(R"(-?[1-9]\.([0-9]*[1-9]|0)E-?[1-9][0-9]*)");
const std::regex int_re(R"(-?(0|[1-9][0-9]*))");

/// A Java-form double: plain inside [1e-3, 1e7), scientific outside.
bool is_java_double(const std::string& t) {
  if (t == "NaN") return true;
  const double v = std::fabs(std::strtod(t.c_str(), nullptr));
  if (std::regex_match(t, plain_re)) return v == 0 || (v >= 1e-3 && v < 1e7);
  if (std::regex_match(t, sci_re)) return v < 1e-3 || v >= 1e7;
  return false;
}

enum class kind { integer, number, boolean };

/// Kind of each of the 48 columns' elements, by column name.
kind kind_of(const std::string& name) {
  if (name == "transit_id" || name == "g_transit_n_obs" || name == "solution_id" ||
      name == "source_id" || name == "n_transits")
    return kind::integer;
  if (name.find("flag") != std::string::npos) return kind::boolean;
  return kind::number;
}

/// Checks one data row of a 48-column file; returns the first problem.
std::string check_row(const std::string& line, const std::vector<std::string>& columns) {
  auto f = csv_fields(line);
  if (f.size() != columns.size()) return "field count " + std::to_string(f.size());
  for (size_t c = 0; c < 3; ++c)
    if (!std::regex_match(f[c], int_re)) return columns[c] + ": " + f[c];
  const size_t n = std::stoul(f[2]);
  for (size_t c = 3; c < f.size(); ++c) {
    const auto& raw = f[c];
    if (raw.size() < 4 || raw.compare(0, 2, "\"[") != 0 ||
        raw.compare(raw.size() - 2, 2, "]\"") != 0)
      return columns[c] + " not a quoted array";
    if (raw.find(' ') != std::string::npos) return columns[c] + " has a space";
    const std::string inner = raw.substr(2, raw.size() - 4);
    std::vector<std::string> tokens;
    std::stringstream ss(inner);
    for (std::string t; std::getline(ss, t, ',');) tokens.push_back(t);
    if (tokens.size() != n) return columns[c] + " has " + std::to_string(tokens.size()) + " values";
    for (const auto& t : tokens) {
      bool ok = false;
      switch (kind_of(columns[c])) {
      case kind::integer: ok = std::regex_match(t, int_re); break;
      case kind::number: ok = is_java_double(t); break;
      case kind::boolean: ok = t == "\"\"True\"\"" || t == "\"\"False\"\""; break;
      }
      if (!ok) return columns[c] + " token '" + t + "'";
    }
  }
  return "";
}

} // namespace

TEST_CASE("synth: java_double forms") {
  CHECK(java_double(50.0) == "50.0");
  CHECK(java_double(1820.8582445068785) == "1820.8582445068785");
  CHECK(java_double(157841.99293824387) == "157841.99293824387");
  CHECK(java_double(1e7) == "1.0E7");
  CHECK(java_double(1.01e-13) == "1.01E-13");
  CHECK(java_double(1.2345e10) == "1.2345E10");
  CHECK(java_double(12345678.9) == "1.23456789E7");
  CHECK(java_double(9999999.0) == "9999999.0");
  CHECK(java_double(1234567.0) == "1234567.0");
  CHECK(java_double(100.0) == "100.0");
  CHECK(java_double(0.001) == "0.001");
  CHECK(java_double(0.00123) == "0.00123");
  CHECK(java_double(0.0001) == "1.0E-4");
  CHECK(java_double(0.1) == "0.1");
  CHECK(java_double(1.0 / 3) == "0.3333333333333333");
  CHECK(java_double(0.0) == "0.0");
  CHECK(java_double(-0.0) == "-0.0");
  CHECK(java_double(-1.5) == "-1.5");
  CHECK(java_double(-2.5e-7) == "-2.5E-7");
  CHECK(java_double(1e23) == "1.0E23");
  CHECK(java_double(std::numeric_limits<double>::max()) == "1.7976931348623157E308");
  CHECK(java_double(std::numeric_limits<double>::denorm_min()) == "4.9E-324");
  CHECK(java_double(std::numeric_limits<double>::quiet_NaN()) == "NaN");
  CHECK(java_double(std::numeric_limits<double>::infinity()) == "Infinity");
  CHECK(java_double(-std::numeric_limits<double>::infinity()) == "-Infinity");
  // Float32 columns: shortest float digits, Java's Float.toString.
  auto jf = [](float v) {
    std::string s;
    synth::append_java_float(s, v);
    return s;
  };
  CHECK(jf(18.953098f) == "18.953098");
  CHECK(jf(828.7085f) == "828.7085");
  CHECK(jf(1e7f) == "1.0E7");
  CHECK(jf(std::numeric_limits<float>::denorm_min()) == "1.4E-45");
  CHECK(jf(std::numeric_limits<float>::quiet_NaN()) == "NaN");
  // Just below 1e-3 and 1e7: scientific and plain respectively.
  CHECK(java_double(std::nextafter(0.001, 0.0)) == "9.999999999999998E-4");
  CHECK(java_double(std::nextafter(1e7, 0.0)) == "9999999.999999998");
}

TEST_CASE("synth: java_double round-trips and keeps the Java form") {
  synth::rng r(42);
  int checked = 0;
  for (int i = 0; i < 200000; ++i) {
    double v;
    if (i % 2 == 0) { // any bit pattern
      uint64_t bits = r.next();
      std::memcpy(&v, &bits, sizeof v);
      if (!std::isfinite(v)) continue;
    } else { // the magnitudes of the data, around both form boundaries
      v = std::pow(10.0, r.uniform(-16, 12)) * (r.chance(0.1) ? -1 : 1);
    }
    const std::string s = java_double(v);
    const double back = std::strtod(s.c_str(), nullptr);
    REQUIRE_MESSAGE(std::memcmp(&back, &v, sizeof v) == 0, s);
    REQUIRE_MESSAGE(is_java_double(s), s);
    ++checked;
  }
  CHECK(checked > 150000);
}

TEST_CASE("synth: generate_rows is deterministic and inside the range") {
  const file_range range{3112, 5263};
  const auto a = synth::generate_rows(range, 0.05, 7);
  const auto b = synth::generate_rows(range, 0.05, 7);
  const auto c = synth::generate_rows(range, 0.05, 8);
  REQUIRE(a.size() > 100);
  REQUIRE(a.size() == b.size());
  bool same = true;
  for (size_t i = 0; i < a.size() && same; ++i)
    same = a[i].source_id == b[i].source_id && a[i].g_flux.size() == b[i].g_flux.size() &&
           std::memcmp(a[i].bp_flux.data(), b[i].bp_flux.data(), a[i].bp_flux.size() * 8) == 0 &&
           std::memcmp(a[i].rp_flux.data(), b[i].rp_flux.data(), a[i].rp_flux.size() * 8) == 0;
  CHECK(same);
  CHECK((c.size() != a.size() || c[0].source_id != a[0].source_id));

  int64_t prev = -1;
  for (const auto& row : a) {
    CHECK(healpix8_of(row.source_id) >= range.first);
    CHECK(healpix8_of(row.source_id) <= range.last);
    CHECK(row.source_id > prev);
    prev = row.source_id;
    CHECK(!row.g_flux.empty());
    CHECK(row.bp_flux.size() == row.g_flux.size());
    CHECK(row.rp_flux.size() == row.g_flux.size());
  }
  CHECK(synth::generate_rows(range, 0.5, 7).size() > 5 * a.size());
}

TEST_CASE("synth: rows have the benchmark's mix of NaN and variable sources") {
  const auto rows = synth::generate_rows({0, 3111}, 0.5, 3);
  REQUIRE(rows.size() > 2000);
  size_t values = 0, nans = 0, qualifying = 0, transits = 0;
  for (const auto& row : rows) {
    bool q = false;
    transits += row.g_flux.size();
    for (const auto* band : {&row.bp_flux, &row.rp_flux}) {
      double lo = INFINITY, hi = -INFINITY;
      for (double v : *band) {
        ++values;
        if (std::isnan(v)) {
          ++nans;
          continue;
        }
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
      if (lo > 0 && lo != INFINITY && ((hi - lo) / lo) * 100 > 100) q = true;
    }
    qualifying += q;
  }
  const double nan_share = static_cast<double>(nans) / static_cast<double>(values);
  const double q_share = static_cast<double>(qualifying) / static_cast<double>(rows.size());
  const double mean_transits = static_cast<double>(transits) / static_cast<double>(rows.size());
  CHECK(nan_share > 0.04);
  CHECK(nan_share < 0.08);
  CHECK(q_share > 0.6);
  CHECK(q_share < 0.8);
  CHECK(mean_transits > 30);
  CHECK(mean_transits < 45);
}

TEST_CASE("synth: a generated file has the real sample's shape") {
  test::temp_dir dir("gaia-synth");
  const auto rows = synth::generate_rows({0, 99}, 0.05, 1);
  REQUIRE(rows.size() > 20);
  const auto path = (dir / "EpochPhotometry_000000-000099.csv.gz").string();
  const uint64_t size = synth::write_archive_file(path, rows);
  CHECK(size == std::filesystem::file_size(path));
  CHECK(!std::filesystem::exists(path + ".tmp"));

  int members = 0;
  const std::string text = gunzip(test::read_file(path), &members);
  CHECK(members == 1);
  CHECK(text.find('\r') == std::string::npos);
  const auto lines = split_lines(text);
  const auto real = load_real_shape();
  REQUIRE(real.comments.size() == 365);
  REQUIRE(real.columns.size() == 48);

  size_t hashes = 0;
  while (hashes < lines.size() && lines[hashes].rfind("#", 0) == 0) ++hashes;
  CHECK(hashes == 365);
  const std::vector<std::string> comments(lines.begin(), lines.begin() + hashes);
  CHECK(comments == real.comments); // the real header text, line by line
  CHECK(lines[0] == "# %ECSV 1.0");
  CHECK(lines[1] == "# ---");
  CHECK(lines[2] == "# delimiter: ','");
  CHECK(lines[3] == "# meta: !!omap");
  REQUIRE(lines.size() == hashes + 1 + rows.size());
  CHECK(csv_fields(lines[hashes]) == real.columns);

  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& line = lines[hashes + 1 + i];
    REQUIRE_MESSAGE(check_row(line, real.columns) == "", "row ", i);
    // The benchmark's columns read back to the row's exact doubles.
    const auto f = csv_fields(line);
    CHECK(f[1] == std::to_string(rows[i].source_id));
    for (auto [col, values] : {std::pair{5, &rows[i].g_flux}, std::pair{11, &rows[i].bp_flux},
                               std::pair{16, &rows[i].rp_flux}}) {
      const auto& field = f[static_cast<size_t>(col)];
      std::stringstream ss(field.substr(2, field.size() - 4));
      size_t k = 0;
      for (std::string t; std::getline(ss, t, ','); ++k) {
        const double v = (*values)[k], back = std::strtod(t.c_str(), nullptr);
        CHECK((std::isnan(v) ? std::isnan(back) : std::memcmp(&v, &back, 8) == 0));
      }
    }
  }
}

TEST_CASE("synth: the shape checks accept the real sample") {
  // Keeps the checker honest: the real rows (minus ra/dec) pass it too.
  const auto real = load_real_shape();
  REQUIRE(real.rows.size() == 3);
  for (const auto& line : real.rows) {
    auto f = csv_fields(line);
    f.erase(f.begin() + 2, f.begin() + 4);
    std::string joined;
    for (const auto& x : f) joined += (joined.empty() ? "" : ",") + x;
    CHECK(check_row(joined, real.columns) == "");
  }
}

TEST_CASE("synth: CRLF and multi-member files") {
  test::temp_dir dir("gaia-synth");
  const auto rows = synth::generate_rows({0, 99}, 0.02, 5);
  REQUIRE(rows.size() >= 5);
  const auto plain_path = (dir / "plain.csv.gz").string();
  synth::write_archive_file(plain_path, rows);
  const std::string plain = gunzip(test::read_file(plain_path));

  synth::file_format crlf;
  crlf.crlf = true;
  const auto crlf_path = (dir / "crlf.csv.gz").string();
  synth::write_archive_file(crlf_path, rows, crlf);
  const std::string crlf_text = gunzip(test::read_file(crlf_path));
  std::string expected;
  for (char ch : plain) {
    if (ch == '\n') expected += '\r';
    expected += ch;
  }
  CHECK(crlf_text == expected);

  for (int m : {2, 3, 7, 100}) {
    synth::file_format multi;
    multi.gzip_members = m;
    const auto path = (dir / ("multi" + std::to_string(m) + ".csv.gz")).string();
    synth::write_archive_file(path, rows, multi);
    int members = 0;
    CHECK(gunzip(test::read_file(path), &members) == plain);
    CHECK(members == m);
  }
}

TEST_CASE("synth: write_archive names files by range and each file stands alone") {
  test::temp_dir dir("gaia-synth");
  synth::archive_options opts;
  opts.out_dir = (dir / "a").string();
  opts.files = 3;
  opts.scale = 0.01;
  opts.seed = 9;
  opts.threads = 2;
  int calls = 0;
  opts.on_file = [&](const synth::file_summary&) { ++calls; };
  const auto files = synth::write_archive(opts);
  REQUIRE(files.size() == 3);
  CHECK(calls == 3);
  CHECK(files[0].path == (dir / "a" / "EpochPhotometry_000000-003111.csv.gz").string());
  CHECK(files[2].path == (dir / "a" / "EpochPhotometry_005264-006601.csv.gz").string());
  for (const auto& f : files) {
    CHECK(f.rows > 0);
    CHECK(f.compressed_bytes == std::filesystem::file_size(f.path));
    CHECK(f.text_bytes > 3 * f.compressed_bytes);
  }

  // Generated alone, the second file is byte-identical.
  synth::archive_options one = opts;
  one.out_dir = (dir / "b").string();
  one.boundaries = {3112, 5264};
  one.files = 1;
  one.on_file = nullptr;
  const auto alone = synth::write_archive(one);
  REQUIRE(alone.size() == 1);
  CHECK(test::read_file(alone[0].path) == test::read_file(files[1].path));

  opts.files = 21;
  CHECK_THROWS(synth::write_archive(opts));
}

TEST_CASE("synth: the command checks its arguments and writes files") {
  test::temp_dir dir("gaia-synth");
  auto run = [](const std::string& args) {
    const int rc = std::system((std::string(GAIA_DR3_BINARY) + " synth " + args).c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  };
  CHECK(run("--help >/dev/null") == 0);
  CHECK(run("2>/dev/null") == 2);                                  // no --out
  CHECK(run("--out " + dir.path().string() + " --files 0 2>/dev/null") == 2);
  CHECK(run("--out " + dir.path().string() + " --files 21 2>/dev/null") == 2);
  CHECK(run("--out " + dir.path().string() + " --scale -1 2>/dev/null") == 2);
  CHECK(run("--out " + dir.path().string() + " --seed x 2>/dev/null") == 2);
  CHECK(run("--out " + dir.path().string() + " --bogus 2>/dev/null") == 2);

  const auto out = dir / "archive";
  const auto stdout_file = dir / "stdout.txt";
  CHECK(run("--out " + out.string() + " --files 2 --scale 0.01 --seed 3 >" +
            stdout_file.string() + " 2>/dev/null") == 0);
  CHECK(test::read_file(stdout_file).empty());
  CHECK(std::filesystem::exists(out / "EpochPhotometry_000000-003111.csv.gz"));
  CHECK(std::filesystem::exists(out / "EpochPhotometry_003112-005263.csv.gz"));
}

TEST_CASE("synth: a generated archive's files inflate to real-shaped rows with synth's ids") {
  // The files the mirror makes as they are read (mirror --generated): one
  // gzip member each (zlib checks its CRC and length), synth's header, and
  // every row well formed, with the ids generate_ids gives.
  const double scale = 0.3;
  synth::generated_archive_options o;
  o.scale = scale;
  o.files = 3;
  o.bodies = 8;
  const synth::generated_archive archive(o);
  REQUIRE(archive.ranges().size() == 3);
  const auto real = load_real_shape();
  for (const auto& range : archive.ranges()) {
    const auto f = archive.open(range.archive_file_name());
    REQUIRE(f);
    std::string bytes(f->size(), '\0');
    f->read(0, &bytes[0], bytes.size());
    int members = 0;
    const std::string text = gunzip(bytes, &members);
    CHECK(members == 1);
    CHECK(text.size() == f->text_bytes());
    const auto lines = split_lines(text);
    const auto ids = synth::generate_ids(range, scale, 1);
    REQUIRE(ids.size() > 100);
    CHECK(f->rows() == ids.size());
    REQUIRE(lines.size() == 365 + 1 + ids.size());
    const std::vector<std::string> comments(lines.begin(), lines.begin() + 365);
    CHECK(comments == real.comments);
    CHECK(csv_fields(lines[365]) == real.columns);
    for (size_t i = 0; i < ids.size(); ++i) {
      const auto& line = lines[366 + i];
      REQUIRE_MESSAGE(check_row(line, real.columns) == "", range.label(), " row ", i);
      CHECK(csv_fields(line)[1] == std::to_string(ids[i]));
    }
  }
  CHECK(archive.open("EpochPhotometry_999990-999999.csv.gz") == nullptr);

  // A range too small for a source at this scale: the header alone.
  synth::generated_archive_options tiny = o;
  tiny.scale = 1e-6;
  tiny.files = 1;
  const synth::generated_archive empty(tiny);
  const auto f = empty.open(empty.ranges()[0].archive_file_name());
  REQUIRE(f);
  CHECK(f->rows() == 0);
  std::string bytes(f->size(), '\0');
  f->read(0, &bytes[0], bytes.size());
  CHECK(split_lines(gunzip(bytes)).size() == 366);
}

TEST_CASE("synth: any byte range of a generated file is the same bytes, and md5_list hashes "
          "them") {
  synth::generated_archive_options o;
  o.scale = 0.2;
  o.files = 2;
  o.bodies = 4;
  const synth::generated_archive archive(o);
  std::string list;
  synth::rng r(5);
  for (const auto& range : archive.ranges()) {
    const auto f = archive.open(range.archive_file_name());
    std::string whole(f->size(), '\0');
    f->read(0, &whole[0], whole.size());
    for (int k = 0; k < 300; ++k) {
      const uint64_t at = r.below(f->size() + 1);
      const uint64_t n = k % 3 == 0 ? r.below(f->size() - at + 1)
                                     : std::min<uint64_t>(r.below(40), f->size() - at);
      std::string part(n, '\0');
      f->read(at, &part[0], n);
      REQUIRE_MESSAGE(part == whole.substr(at, n), "at ", at, " n ", n);
    }
    std::string past(1, '\0');
    CHECK_THROWS(f->read(f->size(), &past[0], 1));
    md5 h;
    h.update(whole);
    list += h.hex() + "  " + range.archive_file_name() + "\n";
  }
  CHECK(archive.md5_list(2) == list);
}
