// The software's version, as CMake's project() gives it: what a worker
// must share with its coordinator and what every exported answer names as
// the software that made it.
#pragma once

#include <string>

namespace gaia {

/// "gaia-dr3 0.1.0".
std::string software_version();

} // namespace gaia
