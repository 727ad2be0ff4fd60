// The errors of the Gaia domain: the kinds of failure an operation answers
// with (gaia_errc), bytes damaged on the way (which the transport
// retries), and a gzip stream that is damaged. Code below the actors
// throws them with their code where one is known (engine/errors.hpp); an
// actor's handler answers with that code (error_from) and nothing tests
// the exception's type on the way.
#pragma once

#include "engine/errors.hpp"

namespace gaia {

using engine::input_error;
using engine::output_error;

/// Why an operation failed. The error's context carries the message for
/// results.err (it names the file or URL), and the failure's subject when
/// it names one (engine::failure::about).
enum class gaia_errc : uint8_t {
  download_failed = 1,
  corrupt_archive,   ///< the downloaded file is not a valid gzip: fetch again
  import_failed,
  compute_failed,
  export_failed,
  // 6 was output_failed: an unwritable file is the engine's output_failed now.
  prepare_failed = 7, ///< the run's checksum list could not be had
};

/// "gaia" errors' category atom.
using gaia_error_atom = caf::atom_constant<caf::atom("gaia")>;

/// Bytes that may have been damaged on the way: the transport (download/)
/// fetches them again, knowing nothing of the format that found them so.
class damaged_bytes_error : public input_error {
public:
  using input_error::input_error;
};

/// A gzip stream that is corrupt or truncated: answered as
/// corrupt_archive, and (a damaged_bytes_error) fetched again.
class corrupt_gzip_error : public damaged_bytes_error {
public:
  explicit corrupt_gzip_error(const std::string& what)
    : damaged_bytes_error(gaia_error_atom::value,
                          static_cast<uint8_t>(gaia_errc::corrupt_archive), what) {}
};

} // namespace gaia
