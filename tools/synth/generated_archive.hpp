// A full-shaped synthetic archive that is never written to disk: each file's
// gzip bytes are put together on request from deflate pieces compressed
// once. It lets the loopback mirror serve an archive of the real size (61
// GB, 11.75 million sources) on a machine that could not hold it, at the
// cost of a memcpy a byte.
//
// A file is one gzip member whose deflate stream is, in order: the ECSV
// header's piece, then per source a stored block with its source_id's
// digits and the compressed piece of one of a few dozen row bodies (the
// text after the id, and the next row's solution_id). Each piece comes from
// a fresh raw deflate stream ended by a sync flush, so it refers to nothing
// before it and ends on a byte boundary: pieces concatenate into one valid
// stream. The CRC-32 is combined from the pieces' own. The ids are synth's
// (generate_ids for the same range, scale and seed), so a row's id and
// file are what `synth --boundaries all` would write; the other values
// repeat from row to row.
#pragma once

#include "core/file_range.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace gaia::synth {

struct generated_archive_options {
  double scale = 1.0;   ///< as synth's --scale (ids per range)
  uint64_t seed = 1;    ///< as synth's --seed
  int files = 0;        ///< the first N DR3 ranges; 0 = all 3,386
  int bodies = 64;      ///< distinct row bodies
};

class generated_archive;

/// One file of a generated archive: its size, and any of its bytes.
class generated_file {
public:
  uint64_t size() const { return size_; }
  uint64_t rows() const { return ids_.size(); }
  uint64_t text_bytes() const { return text_bytes_; } ///< uncompressed
  /// Copies bytes [offset, offset + n) of the file into `out`; the range
  /// must lie inside the file.
  void read(uint64_t offset, char* out, size_t n) const;
  /// The MD5 of the whole file (32 lowercase hex digits), made and hashed
  /// in 1 MiB pieces.
  std::string md5_hex() const;

  struct pieces; ///< the compressed pieces, shared by an archive's files

private:
  friend class generated_archive;
  std::shared_ptr<const pieces> pieces_;
  std::string header_piece_;       ///< the gzip header and the ECSV header's deflate
  std::vector<int64_t> ids_;
  std::vector<uint64_t> row_at_;   ///< where row i's stored block starts
  std::vector<uint16_t> body_of_;  ///< row i's body
  std::string trailer_;            ///< final block, CRC-32, ISIZE
  uint64_t size_ = 0;
  uint64_t text_bytes_ = 0;
};

class generated_archive {
public:
  /// Compresses the header and the row bodies (a fraction of a second).
  explicit generated_archive(const generated_archive_options& opts);

  const std::vector<file_range>& ranges() const { return ranges_; }
  /// The file `name` ("EpochPhotometry_000000-000012.csv.gz"), its index
  /// built now (a few ms at the real scale), or nullptr when no range has
  /// that name.
  std::shared_ptr<const generated_file> open(const std::string& name) const;
  /// _MD5SUM.txt's text, "<md5>  <name>" a line for every file: each file
  /// made and hashed whole, on `threads` threads (about 1.5 s a GB a core).
  std::string md5_list(unsigned threads) const;

private:
  generated_archive_options opts_;
  std::vector<file_range> ranges_;
  std::unordered_map<std::string, size_t> index_; ///< file name -> range
  std::shared_ptr<const generated_file::pieces> pieces_;
};

/// The scale at which a generated archive of every DR3 range holds about
/// `sources` sources (synth's counts grow linearly with the scale).
double scale_for_sources(uint64_t sources, uint64_t seed);

} // namespace gaia::synth
