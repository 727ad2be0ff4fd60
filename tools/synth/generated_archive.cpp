// generated_archive: archive files assembled from deflate pieces (see the
// header for the layout).
#include "tools/synth/generated_archive.hpp"

#include "download/md5.hpp"
#include "tools/synth/synth.hpp"
#include "tools/synth/synth_header.hpp"
#include "tools/synth/synth_rng.hpp"
#include "tools/synth/synth_writer.hpp"

#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace gaia::synth {

namespace {

/// What every row of the real files starts with.
const std::string row_prefix = "375316653866487564,";

/// A gzip member's header: deflate, no name, no time, Unix.
const std::string gzip_header("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);

/// Ranges whose rows lend their bodies: spread over the sky, so the bodies
/// have the spread of transits the whole archive has.
constexpr int body_ranges = 8;

} // namespace

struct generated_file::pieces {
  struct piece {
    std::string deflated;
    uint32_t crc = 0;
    uint64_t text = 0;
    uLong combine_op = 0; ///< crc32_combine_gen(text): appends this piece's CRC
  };
  piece header_then_row, header_only;
  std::vector<piece> body_then_row, body_last; ///< by body
};

namespace {

using piece = generated_file::pieces::piece;

/// `text` as a raw deflate stream of its own, ended by a sync flush (byte
/// aligned, not final).
piece deflate_piece(const std::string& text) {
  z_stream z{};
  if (deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("generated archive: deflateInit2 failed");
  piece p;
  p.deflated.resize(deflateBound(&z, text.size()) + 64);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(&p.deflated[0]);
  z.avail_out = static_cast<uInt>(p.deflated.size());
  const int rc = deflate(&z, Z_SYNC_FLUSH);
  const bool whole = rc == Z_OK && z.avail_in == 0 && z.avail_out > 0;
  p.deflated.resize(p.deflated.size() - z.avail_out);
  deflateEnd(&z);
  if (!whole) throw std::runtime_error("generated archive: a piece did not deflate whole");
  p.crc = static_cast<uint32_t>(
    crc32(0, reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(text.size())));
  p.text = text.size();
  p.combine_op = crc32_combine_gen(static_cast<z_off_t>(p.text));
  return p;
}

void put_le32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

/// Row bodies: the text of real-shaped rows after their source_id.
std::vector<std::string> row_bodies(int count, uint64_t seed) {
  const auto& bounds = dr3_partition();
  const auto ranges = ranges_from_boundaries(bounds);
  std::vector<std::string> out;
  for (int k = 0; k < body_ranges && static_cast<int>(out.size()) < count; ++k) {
    const auto& range = ranges[ranges.size() * static_cast<size_t>(k) / body_ranges];
    const auto rows = generate_rows(range, 1.0, seed);
    const int want = (count - static_cast<int>(out.size())) / (body_ranges - k);
    for (int i = 0; i < want && !rows.empty(); ++i) {
      const std::string text = row_text(rows[rows.size() * static_cast<size_t>(i) /
                                             static_cast<size_t>(want)]);
      // "solution_id,source_id,..." -> ",n_transits,...\n"
      const size_t second = text.find(',', text.find(',') + 1);
      out.push_back(text.substr(second));
    }
  }
  if (out.empty()) throw std::runtime_error("generated archive: no row to take bodies from");
  return out;
}

} // namespace

generated_archive::generated_archive(const generated_archive_options& opts) : opts_(opts) {
  ranges_ = ranges_from_boundaries(dr3_partition());
  if (opts.files > 0 && static_cast<size_t>(opts.files) < ranges_.size())
    ranges_.resize(static_cast<size_t>(opts.files));
  for (size_t i = 0; i < ranges_.size(); ++i) index_.emplace(ranges_[i].archive_file_name(), i);
  if (opts.bodies < 1 || opts.bodies > 65535)
    throw std::invalid_argument("generated archive: bodies must be 1..65535");
  auto p = std::make_shared<generated_file::pieces>();
  const std::string header = ecsv_header("\n");
  p->header_only = deflate_piece(header);
  p->header_then_row = deflate_piece(header + row_prefix);
  for (const auto& body : row_bodies(opts.bodies, opts.seed)) {
    p->body_then_row.push_back(deflate_piece(body + row_prefix));
    p->body_last.push_back(deflate_piece(body));
  }
  pieces_ = std::move(p);
}

std::shared_ptr<const generated_file> generated_archive::open(const std::string& name) const {
  const auto named = index_.find(name);
  if (named == index_.end()) return nullptr;
  const file_range* range = &ranges_[named->second];
  auto f = std::make_shared<generated_file>();
  f->pieces_ = pieces_;
  const auto& p = *pieces_;
  f->ids_ = generate_ids(*range, opts_.scale, opts_.seed);
  const auto& head = f->ids_.empty() ? p.header_only : p.header_then_row;
  f->header_piece_ = gzip_header + head.deflated;
  uLong crc = head.crc;
  uint64_t text = head.text;
  uint64_t at = f->header_piece_.size();
  const size_t n = f->ids_.size();
  f->row_at_.resize(n);
  f->body_of_.resize(n);
  const auto bodies = static_cast<uint64_t>(p.body_last.size());
  char digits[24];
  for (size_t i = 0; i < n; ++i) {
    const int64_t id = f->ids_[i];
    const auto body = static_cast<uint16_t>(mix64(static_cast<uint64_t>(id)) % bodies);
    const auto& piece = (i + 1 < n ? p.body_then_row : p.body_last)[body];
    const int len = std::snprintf(digits, sizeof digits, "%lld", static_cast<long long>(id));
    f->row_at_[i] = at;
    f->body_of_[i] = body;
    at += 5 + static_cast<uint64_t>(len) + piece.deflated.size();
    crc = crc32(crc, reinterpret_cast<const Bytef*>(digits), static_cast<uInt>(len));
    crc = crc32_combine_op(crc, piece.crc, piece.combine_op);
    text += static_cast<uint64_t>(len) + piece.text;
  }
  f->trailer_.assign("\x03\x00", 2); // a final, empty fixed-Huffman block
  put_le32(f->trailer_, static_cast<uint32_t>(crc));
  put_le32(f->trailer_, static_cast<uint32_t>(text)); // ISIZE: the length mod 2^32
  f->size_ = at + f->trailer_.size();
  f->text_bytes_ = text;
  return f;
}

void generated_file::read(uint64_t offset, char* out, size_t n) const {
  if (offset > size_ || n > size_ - offset)
    throw std::out_of_range("generated file: read past its end");
  const uint64_t end = offset + n;
  // Copies the part of [at, at + len) that falls in [offset, end).
  auto put = [&](uint64_t at, const char* src, size_t len) {
    const uint64_t lo = std::max(at, offset), hi = std::min(at + len, end);
    if (lo < hi) std::memcpy(out + (lo - offset), src + (lo - at), hi - lo);
  };
  put(0, header_piece_.data(), header_piece_.size());
  const auto& p = *pieces_;
  const size_t rows = ids_.size();
  size_t i = static_cast<size_t>(std::upper_bound(row_at_.begin(), row_at_.end(), offset) -
                                 row_at_.begin());
  if (i > 0) --i;
  char digits[24];
  for (; i < rows && row_at_[i] < end; ++i) {
    const int len =
      std::snprintf(digits, sizeof digits, "%lld", static_cast<long long>(ids_[i]));
    // A stored block: BFINAL 0, BTYPE 00 (the rest of the byte padding),
    // LEN and its complement, little-endian.
    const char stored[5] = {0, static_cast<char>(len), 0, static_cast<char>(~len),
                            static_cast<char>(0xff)};
    const auto& piece = (i + 1 < rows ? p.body_then_row : p.body_last)[body_of_[i]];
    uint64_t at = row_at_[i];
    put(at, stored, 5);
    put(at + 5, digits, static_cast<size_t>(len));
    put(at + 5 + static_cast<uint64_t>(len), piece.deflated.data(), piece.deflated.size());
  }
  put(size_ - trailer_.size(), trailer_.data(), trailer_.size());
}

std::string generated_file::md5_hex() const {
  md5 h;
  std::vector<char> buf(1 << 20);
  for (uint64_t at = 0; at < size_; at += buf.size()) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), size_ - at));
    read(at, buf.data(), n);
    h.update(buf.data(), n);
  }
  return h.hex();
}

std::string generated_archive::md5_list(unsigned threads) const {
  std::vector<std::string> sums(ranges_.size());
  std::atomic<size_t> next{0};
  std::mutex error_mu;
  std::string error;
  auto work = [&] {
    for (size_t i; (i = next++) < ranges_.size();) {
      try {
        sums[i] = open(ranges_[i].archive_file_name())->md5_hex();
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(error_mu);
        error = e.what();
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < std::max(1u, threads); ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (!error.empty()) throw std::runtime_error("generated archive: " + error);
  std::string out;
  for (size_t i = 0; i < ranges_.size(); ++i)
    out += sums[i] + "  " + ranges_[i].archive_file_name() + "\n";
  return out;
}

double scale_for_sources(uint64_t sources, uint64_t seed) {
  uint64_t at_one = 0;
  for (const auto& r : ranges_from_boundaries(dr3_partition()))
    at_one += generate_ids(r, 1.0, seed).size();
  return at_one == 0 ? 1.0 : static_cast<double>(sources) / static_cast<double>(at_one);
}

} // namespace gaia::synth
