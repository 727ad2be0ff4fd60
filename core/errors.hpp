// The exceptions of the Gaia domain code: the engine's file errors, and a
// gzip stream that is damaged. Actors catch them at the handler boundary
// and turn them into caf::error / results.err lines; they never cross a
// message handler.
#pragma once

#include "engine/errors.hpp"

namespace gaia {

using engine::input_error;
using engine::output_error;

/// A gzip stream that is corrupt or truncated (a subclass, so callers can
/// tell "download it again" from other input errors).
class corrupt_gzip_error : public input_error {
public:
  using input_error::input_error;
};

} // namespace gaia
