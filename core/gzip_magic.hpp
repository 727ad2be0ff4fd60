// The two bytes every gzip member starts with. Two domain folders need
// them: archive/ decompresses the files, and download/ refuses a body that
// cannot be an archive file (a proxy's HTML page) at its second byte,
// before the import sees it, so neither includes the other.
#pragma once

namespace gaia {

/// True for gzip's two magic bytes 1f 8b at `b`.
inline bool gzip_magic(const unsigned char* b) {
  return b[0] == 0x1f && b[1] == 0x8b;
}

} // namespace gaia
