// Number formatting of the synthetic archive: Java's Double/Float.toString
// forms (the real files were written by Java), appended to a text buffer.
#pragma once

#include <cstdint>
#include <string>

namespace gaia::synth {

/// Appends java_double(v) to out without a temporary string.
void append_java_double(std::string& out, double v);

/// Appends Java's Float.toString form of v (shortest float digits), as the
/// real files write the float32 `*_over_error` columns: "18.953098".
void append_java_float(std::string& out, float v);

/// Appends a decimal integer.
void append_int(std::string& out, int64_t v);

} // namespace gaia::synth
