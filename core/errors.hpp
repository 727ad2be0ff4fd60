// Exceptions used inside core/ (plain C++). Actors catch them at the handler
// boundary and turn them into caf::error / results.err lines; they never
// cross a message handler.
#pragma once

#include <stdexcept>
#include <string>

namespace gaia {

/// A file that cannot be read as what it should be: I/O error, corrupt or
/// truncated gzip, CRC/length mismatch, ECSV without the needed columns.
/// The message names the file.
class input_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// A gzip stream that is corrupt or truncated (a subclass, so callers can
/// tell "download it again" from other input errors).
class corrupt_gzip_error : public input_error {
public:
  using input_error::input_error;
};

/// A file that cannot be written (disk full, permissions).
class output_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

} // namespace gaia
