// The archive file writer behind write_archive_file, with both sizes.
#pragma once

#include "tools/synth/synth.hpp"

namespace gaia::synth {

struct written_file {
  uint64_t compressed_bytes = 0;
  uint64_t text_bytes = 0; ///< the ECSV text before compression
};

/// write_archive_file, also reporting the uncompressed size.
written_file write_file(const std::string& path, const std::vector<row>& rows,
                        const file_format& format);

/// One row's text as write_file writes it (LF line end included).
std::string row_text(const row& r);

} // namespace gaia::synth
