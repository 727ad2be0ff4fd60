// The exceptions of the Gaia domain code: the engine's file errors, bytes
// damaged on the way (which the transport retries), and a gzip stream that
// is damaged. Actors catch them at the handler boundary
// and turn them into caf::error / results.err lines; they never cross a
// message handler.
#pragma once

#include "engine/errors.hpp"

namespace gaia {

using engine::input_error;
using engine::output_error;

/// Bytes that may have been damaged on the way: the transport (download/)
/// fetches them again, knowing nothing of the format that found them so.
class damaged_bytes_error : public input_error {
public:
  using input_error::input_error;
};

/// A gzip stream that is corrupt or truncated (a subclass, so callers can
/// tell "download it again" from other input errors).
class corrupt_gzip_error : public damaged_bytes_error {
public:
  using damaged_bytes_error::damaged_bytes_error;
};

} // namespace gaia
