// The file errors of the engine and of what runs on it. Code below the
// actors throws them; an actor's handler catches them and answers with a
// caf::error instead (they never cross a message handler).
#pragma once

#include <stdexcept>
#include <string>

namespace engine {

/// A file that cannot be read as what it should be: I/O error, wrong or
/// damaged content. The message names the file.
class input_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// A file that cannot be written (disk full, permissions). The message
/// names the file.
class output_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

} // namespace engine
