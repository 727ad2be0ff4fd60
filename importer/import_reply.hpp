// What a file's import comes to, however the file came (downloaded, read
// in place, shipped by a remote worker, or its checkpoint reused): the
// file_importer's one result, which the download and import operations
// reply with (messages/messages.hpp registers it).
#pragma once

#include "core/source_version.hpp"

#include <cstdint>
#include <string>

namespace gaia {

struct import_reply {
  std::string label;
  std::string checkpoint_path;
  uint64_t rows = 0;
  uint64_t skipped_rows = 0;
  uint64_t skipped_values = 0;
  uint64_t sources = 0;
  uint64_t bytes = 0;              ///< compressed bytes read
  uint64_t uncompressed_bytes = 0;
  bool reused = false; ///< an existing checkpoint matched the input file
  double seconds = 0;
  source_version source; ///< what was imported
};

} // namespace gaia
