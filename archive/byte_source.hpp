// A pull interface for streamed bytes: the ECSV reader pulls from whatever
// decompresses or reads the file, so nothing holds a whole file in memory.
#pragma once

#include <cstddef>
#include <string>

namespace gaia {

/// A stream of bytes read in chunks.
class byte_source {
public:
  virtual ~byte_source() = default;
  /// Fills up to `n` bytes of `out`; returns 0 only at the end of the stream.
  /// Throws gaia::input_error (core/errors.hpp) on a read or format failure.
  virtual size_t read(char* out, size_t n) = 0;
  /// The name used in error messages (usually the file path).
  virtual const std::string& name() const = 0;
};

} // namespace gaia
