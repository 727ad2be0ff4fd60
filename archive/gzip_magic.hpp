// The two bytes every gzip member starts with: the decoder checks every
// member by them, and importer/'s archive_body gives them to the transport,
// which refuses a body that cannot be an archive file (a proxy's HTML
// page) at its second byte, before the import sees it.
#pragma once

namespace gaia {

/// True for gzip's two magic bytes 1f 8b at `b`.
inline bool gzip_magic(const unsigned char* b) {
  return b[0] == 0x1f && b[1] == 0x8b;
}

} // namespace gaia
