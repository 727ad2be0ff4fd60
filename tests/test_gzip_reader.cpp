// gzip_reader: both inflate backends on single- and multi-member files, and
// every way a file can be broken (truncated, corrupt, not gzip, trailing
// bytes, missing).
#include "core/errors.hpp"
#include "archive/gzip_reader.hpp"
#include "tests/test_util.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <zlib.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

using namespace gaia;
using gaia::test::temp_dir;
using gaia::test::write_file;

namespace {

using gaia::test::gzip_member;

const inflate_backend both_backends[] = {inflate_backend::isal,
                                         inflate_backend::zlib};

/// ECSV-like text: lines of quoted float arrays, a little compressible.
std::string sample_text(size_t bytes, uint32_t seed = 7) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(1.0, 200000.0);
  std::string s;
  s.reserve(bytes + 256);
  uint64_t id = 10655814178816;
  while (s.size() < bytes) {
    s += "375316653866487564," + std::to_string(id += 97) + ",\"[";
    for (int i = 0; i < 40; ++i) {
      if (i) s += ',';
      s += (i % 13 == 5) ? std::string("NaN") : std::to_string(dist(rng));
    }
    s += "]\"\n";
  }
  return s;
}

/// Everything `path` decompresses to, read in `chunk`-byte requests.
std::string inflate_all(const std::string& path, inflate_backend b,
                        size_t chunk = 64 * 1024) {
  gzip_reader r(path, b);
  std::string out;
  std::vector<char> buf(chunk);
  while (size_t n = r.read(buf.data(), buf.size())) out.append(buf.data(), n);
  CHECK(r.uncompressed_bytes() == out.size());
  return out;
}

/// The message of the corrupt_gzip_error that reading `path` throws.
std::string gzip_error(const std::string& path, inflate_backend b) {
  try {
    inflate_all(path, b);
  } catch (const corrupt_gzip_error& e) {
    return e.what();
  } catch (const std::exception& e) {
    FAIL("expected corrupt_gzip_error, got: " << e.what());
  }
  FAIL("no exception for " << path << " (" << to_string(b) << ")");
  return {};
}

} // namespace

TEST_CASE("gzip: single member round-trips with both backends") {
  temp_dir dir("gzip");
  std::string text = sample_text(3 * 1024 * 1024);  // > the input buffer
  std::string gz = gzip_member(text);
  auto path = (dir / "one.csv.gz").string();
  write_file(path, gz);
  for (auto b : both_backends) {
    CAPTURE(to_string(b));
    gzip_reader r(path, b);
    std::string out;
    std::vector<char> buf(1 << 20);
    while (size_t n = r.read(buf.data(), buf.size())) out.append(buf.data(), n);
    CHECK(out == text);
    CHECK(r.uncompressed_bytes() == text.size());
    CHECK(r.compressed_bytes() == gz.size());
    CHECK(r.read(buf.data(), buf.size()) == 0);  // stays at the end
  }
}

TEST_CASE("gzip: tiny read requests give the same bytes") {
  temp_dir dir("gzip");
  std::string text = sample_text(200 * 1024, 3);
  auto path = (dir / "small.gz").string();
  write_file(path, gzip_member(text, 9) + gzip_member(text.substr(0, 999), 1));
  for (auto b : both_backends) {
    CAPTURE(to_string(b));
    for (size_t chunk : {1, 7, 4093}) {
      CAPTURE(chunk);
      CHECK(inflate_all(path, b, chunk) == text + text.substr(0, 999));
    }
  }
}

TEST_CASE("gzip: multi-member file is one stream with both backends") {
  temp_dir dir("gzip");
  std::string a = sample_text(700 * 1024, 1);
  std::string c = sample_text(1500 * 1024, 2);
  // Members of different levels, one empty, as concatenating tools make.
  std::string gz = gzip_member(a, 1) + gzip_member("", 6) + gzip_member(c, 9);
  auto path = (dir / "multi.csv.gz").string();
  write_file(path, gz);
  for (auto b : both_backends) {
    CAPTURE(to_string(b));
    CHECK(inflate_all(path, b) == a + c);
    gzip_reader r(path, b);
    std::vector<char> buf(1 << 16);
    while (r.read(buf.data(), buf.size()) > 0) {
    }
    CHECK(r.compressed_bytes() == gz.size());
    CHECK(verify_gzip_file(path, b) == a.size() + c.size());
  }
}

TEST_CASE("gzip: both backends give identical output on the same file") {
  temp_dir dir("gzip");
  std::string text = sample_text(5 * 1024 * 1024, 11);
  auto path = (dir / "same.gz").string();
  write_file(path, gzip_member(text.substr(0, 123457)) +
                     gzip_member(text.substr(123457)));
  std::string isal = inflate_all(path, inflate_backend::isal, 1 << 20);
  std::string zlib = inflate_all(path, inflate_backend::zlib, 1 << 20);
  CHECK(isal.size() == text.size());
  CHECK(isal == zlib);
  CHECK(isal == text);
}

TEST_CASE("gzip: a truncated file throws naming the file") {
  temp_dir dir("gzip");
  std::string text = sample_text(600 * 1024, 5);
  std::string gz = gzip_member(text);
  // Inside the header, inside the deflate data, inside the 8-byte trailer,
  // and a second member cut short.
  std::vector<size_t> cuts = {3, 10, gz.size() / 2, gz.size() - 5,
                              gz.size() - 1};
  for (size_t cut : cuts) {
    auto path = (dir / ("cut" + std::to_string(cut) + ".gz")).string();
    write_file(path, gz.substr(0, cut));
    for (auto b : both_backends) {
      CAPTURE(to_string(b));
      CAPTURE(cut);
      std::string msg = gzip_error(path, b);
      CHECK(msg.find(path) != std::string::npos);
      CHECK(msg.find("truncated gzip stream") != std::string::npos);
      CHECK(msg.find("(" + std::to_string(cut) + " bytes)") !=
            std::string::npos);
    }
  }
  auto two = (dir / "two.gz").string();
  write_file(two, gz + gz.substr(0, gz.size() / 3));
  for (auto b : both_backends)
    CHECK(gzip_error(two, b).find("truncated") != std::string::npos);
}

TEST_CASE("gzip: CRC, ISIZE and deflate corruption throw naming the file") {
  temp_dir dir("gzip");
  std::string text = sample_text(400 * 1024, 9);
  std::string gz = gzip_member(text);
  struct flip {
    const char* what;
    size_t at;
  };
  // The trailer is CRC32 (4 bytes) then ISIZE (4 bytes).
  const flip flips[] = {{"crc", gz.size() - 8},
                        {"isize", gz.size() - 3},
                        {"deflate", gz.size() / 2},
                        {"second member crc", 2 * gz.size() - 6}};
  for (const auto& f : flips) {
    std::string bad = gz + gz;
    bad[f.at] = static_cast<char>(bad[f.at] ^ 0x5a);
    auto path = (dir / (std::string(f.what) + ".gz")).string();
    write_file(path, bad);
    for (auto b : both_backends) {
      CAPTURE(f.what);
      CAPTURE(to_string(b));
      std::string msg = gzip_error(path, b);
      CHECK(msg.find(path) != std::string::npos);
      CHECK(msg.find("corrupt gzip data") != std::string::npos);
      CHECK_THROWS_AS(verify_gzip_file(path, b), corrupt_gzip_error);
    }
  }
}

TEST_CASE("gzip: a file without the gzip magic is rejected") {
  temp_dir dir("gzip");
  auto plain = (dir / "plain.csv").string();
  auto empty = (dir / "empty.gz").string();
  auto one = (dir / "one-byte.gz").string();
  write_file(plain, sample_text(1000));
  write_file(empty, "");
  write_file(one, "\x1f");
  for (const auto& p : {plain, empty, one}) {
    CHECK_FALSE(has_gzip_magic(p));
    for (auto b : both_backends) {
      std::string msg = gzip_error(p, b);
      CHECK(msg == p + ": not a gzip file");
    }
  }
  auto gz = (dir / "ok.gz").string();
  write_file(gz, gzip_member("x\n"));
  CHECK(has_gzip_magic(gz));
  CHECK_FALSE(has_gzip_magic((dir / "missing.gz").string()));
}

TEST_CASE("gzip: trailing bytes after the last member are rejected") {
  temp_dir dir("gzip");
  std::string text = sample_text(50 * 1024, 4);
  std::string gz = gzip_member(text);
  // Zeros followed by anything else are garbage too.
  const std::string tails[] = {"garbage\n", "\x1f", std::string("\x8b\x1f", 2),
                               std::string(4, '\0') + "x",
                               std::string(700 * 1024, '\0') + "\x01"};
  int i = 0;
  for (const auto& tail : tails) {
    auto path = (dir / ("tail" + std::to_string(i++) + ".gz")).string();
    write_file(path, gz + tail);
    for (auto b : both_backends) {
      CAPTURE(to_string(b));
      CAPTURE(i);
      std::string msg = gzip_error(path, b);
      CHECK(msg.find(path) != std::string::npos);
      CHECK(msg.find("trailing garbage") != std::string::npos);
    }
  }
}

TEST_CASE("gzip: zero padding after the last member is read, as gzip -d does") {
  // Tape and block devices pad files with zeros; `gzip -d` accepts them
  // ("trailing zero bytes ignored"). Short and longer than the 512 KiB
  // input buffer, after one member and after two.
  temp_dir dir("gzip");
  std::string text = sample_text(50 * 1024, 4);
  const std::string members[] = {gzip_member(text),
                                 gzip_member(text.substr(0, 1000)) +
                                   gzip_member(text.substr(1000))};
  int i = 0;
  for (const auto& gz : members)
    for (size_t zeros : {size_t{1}, size_t{512}, size_t{700 * 1024}}) {
      auto path = (dir / ("pad" + std::to_string(i++) + ".gz")).string();
      write_file(path, gz + std::string(zeros, '\0'));
      for (auto b : both_backends) {
        CAPTURE(to_string(b));
        CAPTURE(zeros);
        CHECK(inflate_all(path, b) == text);
      }
      // The real gzip agrees that this is a valid file.
      CHECK(std::system(("gzip -dc '" + path + "' > /dev/null 2>&1").c_str()) == 0);
    }
}

TEST_CASE("gzip: a missing file throws input_error with the reason") {
  temp_dir dir("gzip");
  auto path = (dir / "nope.csv.gz").string();
  for (auto b : both_backends) {
    try {
      gzip_reader r(path, b);
      FAIL("opened a missing file");
    } catch (const corrupt_gzip_error&) {
      FAIL("a missing file is not a corrupt one");
    } catch (const input_error& e) {
      std::string msg = e.what();
      CHECK(msg.find(path) != std::string::npos);
      CHECK(msg.find("No such file or directory") != std::string::npos);
    }
  }
}

TEST_CASE("gzip: backend names") {
  CHECK(std::string(to_string(inflate_backend::isal)) == "isal");
  CHECK(std::string(to_string(inflate_backend::zlib)) == "zlib");
}

namespace {

/// Collects everything a gzip_stream writes, in rooms of `room_size`.
struct string_sink final : text_sink {
  std::string text;
  std::vector<char> buf;
  explicit string_sink(size_t room_size) : buf(room_size) {}
  std::pair<char*, size_t> room() override { return {buf.data(), buf.size()}; }
  void wrote(size_t n) override { text.append(buf.data(), n); }
};

/// Feeds `bytes` in pieces of `piece` bytes; returns the text.
std::string push_all(const std::string& bytes, size_t piece, inflate_backend b,
                     size_t room = 4096) {
  gzip_stream s("pushed.gz", b);
  string_sink sink(room);
  for (size_t i = 0; i < bytes.size(); i += piece)
    s.feed(bytes.data() + i, std::min(piece, bytes.size() - i), sink);
  s.finish(sink);
  CHECK(s.compressed_bytes() == bytes.size());
  CHECK(s.uncompressed_bytes() == sink.text.size());
  return sink.text;
}

} // namespace

TEST_CASE("gzip stream: bytes pushed in any pieces give the same text and "
          "the same errors as the file reader") {
  std::string text = sample_text(300 * 1024, 9);
  const std::string members = gzip_member(text.substr(0, 7777)) +
                              gzip_member(text.substr(7777)) + std::string(3000, '\0');
  for (auto b : both_backends) {
    CAPTURE(to_string(b));
    for (size_t piece : {size_t{1}, size_t{2}, size_t{3}, size_t{1000}, size_t{1} << 20}) {
      CAPTURE(piece);
      CHECK(push_all(members, piece, b, piece == 1 ? 7 : 65536) == text);
    }
    auto fails = [&](const std::string& bytes) {
      try {
        push_all(bytes, 333, b);
      } catch (const corrupt_gzip_error& e) {
        return std::string(e.what());
      }
      return std::string("no error");
    };
    const std::string one = gzip_member(text);
    CHECK(fails(one.substr(0, one.size() - 9)).rfind("pushed.gz: truncated gzip stream", 0) == 0);
    CHECK(fails("not gzip at all") == "pushed.gz: not a gzip file");
    CHECK(fails("") == "pushed.gz: not a gzip file");
    CHECK(fails(one + "x").find("trailing garbage") != std::string::npos);
    CHECK(fails(one + std::string(10, '\0') + "\x1f\x8b").find("trailing garbage")
          != std::string::npos);
    std::string flipped = one;
    flipped[flipped.size() - 6] ^= 1; // the CRC32
    CHECK(fails(flipped).find("corrupt gzip data") != std::string::npos);
  }
}
