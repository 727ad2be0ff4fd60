// The one push interface for a file's bytes as they arrive: the transport
// (download/) feeds it, the streamed import (archive/stream_import) is one.
// In core/ so neither folder includes the other and no adapter sits between.
#pragma once

#include <cstddef>

namespace gaia {

/// Receives a file's bytes as they arrive (from a download or a read).
class stream_consumer {
public:
  virtual ~stream_consumer() = default;
  /// Everything fed so far is void: the file starts again from byte 0.
  virtual void restart() = 0;
  /// The next bytes. May throw damaged_bytes_error (core/errors.hpp: bytes
  /// damaged on the way, worth fetching again) or input_error (a file that
  /// cannot be imported).
  virtual void feed(const char* data, size_t n) = 0;
  /// Every byte has arrived: checks the end (for an archive, its CRCs).
  /// Throws like feed().
  virtual void finish() = 0;
};

} // namespace gaia
