// The lines of a trace file and the fields of one, for the reader
// (engine/observe/trace_reader.hpp): lines come from a bounded buffer,
// whatever their length; a field of the wrong type reads as absent, never
// throws.
#pragma once

#include "engine/observe/trace_reader.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace engine {

/// The lines of `bytes` from `from` up to `limit`, one after the other,
/// through a buffer of at most trace_reader::max_line_bytes and a bit.
class line_scanner {
public:
  enum class kind {
    line,     ///< a whole line (without its newline)
    too_long, ///< a line longer than max_line_bytes: skipped, not kept
    torn,     ///< the last bytes, without a newline
    done,
  };
  struct item {
    kind what = kind::done;
    uint64_t at = 0;       ///< the line's offset
    std::string_view text; ///< valid until the next call
  };

  line_scanner(const trace_source& bytes, uint64_t from, uint64_t limit);
  item next();
  /// Where the next line starts.
  uint64_t offset() const { return base_ + begin_; }
  /// How far the bytes went (the file's size, at the end).
  uint64_t bytes_seen() const { return base_ + end_; }

private:
  /// Reads more after what the buffer holds; false at the end.
  bool fill();

  const trace_source& bytes_;
  uint64_t limit_;
  std::vector<char> buf_;
  uint64_t base_; ///< the offset of buf_[0]
  size_t begin_ = 0, end_ = 0;
  size_t searched_ = 0; ///< no newline in [begin_, searched_)
  bool at_end_ = false;
};

/// Fields of a parsed line; absent or of another type: empty, 0, nothing.
namespace line_fields {

std::string text_of(const nlohmann::json& j, const char* key);
/// A number that fits an unsigned 64-bit integer, or nothing.
std::optional<uint64_t> id_of(const nlohmann::json& j, const char* key);
/// Milliseconds (any number that fits 64 bits), else 0.
int64_t time_of(const nlohmann::json& j, const char* key);
double real_of(const nlohmann::json& j, const char* key);
bool flag_of(const nlohmann::json& j, const char* key);

} // namespace line_fields

} // namespace engine
