// Per-file aggregate checkpoints under output/aggregates/: an import's
// result, sorted by source_id, stamped with the input file it came from
// (its size and mtime, and its source: URL, server validators, MD5) so a
// later run reuses it only while that file, from that source, is unchanged.
//
// Layout (little-endian, as written on x86-64/aarch64):
//   header  96 bytes: magic "GAIAAGG1", version 3, CRC32 of the whole file
//           (taken with this field zero: the counts are checked too),
//           input size + mtime_ns, rows, skipped rows, record count,
//           skipped values, provenance length
//   provenance: the source_version as JSON text
//   records count x 40 bytes: source_id, bp min, bp max, rp min, rp max
#pragma once

#include "core/source_aggregate.hpp"
#include "core/source_version.hpp"

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace engine {
class atomic_file;
} // namespace engine

namespace gaia {

/// What a checkpoint's header says.
struct checkpoint_info {
  input_fingerprint input;
  source_version source;       ///< where the input came from ("" url: none)
  uint64_t rows = 0;           ///< data rows the import read
  uint64_t skipped_rows = 0;   ///< rows it skipped
  uint64_t skipped_values = 0; ///< flux values it skipped in kept rows
  uint64_t sources = 0;        ///< records in the file
};

/// Writes a checkpoint record by record (sorted by source_id, unique), for
/// merges whose output does not fit in memory; the header is completed at
/// commit(). `source` is recorded as the input's provenance.
class checkpoint_writer {
public:
  explicit checkpoint_writer(const std::string& path,
                             const source_version& source = {});
  ~checkpoint_writer();
  checkpoint_writer(const checkpoint_writer&) = delete;
  checkpoint_writer& operator=(const checkpoint_writer&) = delete;

  void add(const source_aggregate& s);
  /// Fills in the count and CRC, makes the file visible under its name.
  void commit(const checkpoint_info& info);

private:
  void flush();
  std::unique_ptr<engine::atomic_file> out_;
  std::string provenance_;
  std::vector<unsigned char> buf_;
  uint32_t crc_;           ///< of the provenance and records so far
  uint64_t body_bytes_ = 0; ///< their length, to put the header's CRC first
  uint64_t count_ = 0;
};

/// Writes `sources` (sorted by source_id, unique) atomically.
void write_checkpoint(const std::string& path, const checkpoint_info& info,
                      const std::vector<source_aggregate>& sources);

/// The header of a complete, intact checkpoint (size and CRC checked), or
/// nothing when the file is missing, partial, corrupt or of another version.
/// `why`, when given, says what is wrong with a file that is there.
std::optional<checkpoint_info> read_checkpoint_info(const std::string& path,
                                                    std::string* why = nullptr);

/// Streams a checkpoint's records in order with a small buffer, so a merge
/// over hundreds of files needs memory per file, not per source.
class checkpoint_reader {
public:
  /// Throws input_error when the file is not a valid checkpoint.
  explicit checkpoint_reader(const std::string& path);
  ~checkpoint_reader();
  checkpoint_reader(const checkpoint_reader&) = delete;
  checkpoint_reader& operator=(const checkpoint_reader&) = delete;

  /// The next record; false at the end (after the CRC was verified: a
  /// mismatch throws input_error).
  bool next(source_aggregate& out);
  const checkpoint_info& info() const { return info_; }

private:
  bool refill();
  std::string path_;
  std::FILE* file_ = nullptr;
  checkpoint_info info_;
  uint32_t expected_crc_ = 0;
  uint32_t crc_ = 0;
  uint64_t remaining_ = 0;
  std::vector<unsigned char> buf_;
  size_t pos_ = 0;
  size_t len_ = 0;
};

} // namespace gaia
