// An archive file's import fed with its compressed bytes as they arrive
// (from a download, or read from disk): gzip_stream -> ecsv_stream -> the
// per-source aggregates. One pass over the bytes; nothing is kept but the
// aggregates of the distinct sources and one text buffer. A stream_consumer,
// so the transport feeds it directly.
#pragma once

#include "archive/ecsv_reader.hpp"
#include "archive/gzip_stream.hpp"
#include "archive/source_table.hpp"
#include "core/stream_consumer.hpp"

#include <memory>
#include <string>

namespace gaia {

class stream_import final : public stream_consumer {
public:
  /// `name` (the URL or the path) is named in every error.
  explicit stream_import(std::string name, const read_options& opts = {},
                         inflate_backend backend = inflate_backend::isal);
  ~stream_import() override;

  /// Forgets everything fed: the file starts again from its first byte.
  void restart() override;
  /// The next compressed bytes. Throws corrupt_gzip_error for damaged gzip
  /// data, input_error for text that cannot be imported (no header row, a
  /// row over the limit).
  void feed(const char* data, size_t n) override;
  /// Every byte was fed: checks the end (a member not finished, the CRCs)
  /// and keeps the aggregates sorted by source_id and the counts
  /// (result()). Throws like feed().
  void finish() override;
  /// What finish() found.
  file_aggregates& result() { return result_; }

  uint64_t compressed_bytes() const;
  const std::string& name() const { return name_; }

private:
  struct state;
  std::string name_;
  read_options opts_;
  inflate_backend backend_;
  std::unique_ptr<state> st_;
  file_aggregates result_;
};

} // namespace gaia
