// The software's version (actors/version.hpp), from the compile definition
// CMakeLists.txt gives the actors library.
#include "actors/version.hpp"

#ifndef GAIA_DR3_VERSION
#define GAIA_DR3_VERSION "0"
#endif

namespace gaia {

std::string software_version() { return std::string("gaia-dr3 ") + GAIA_DR3_VERSION; }

} // namespace gaia
