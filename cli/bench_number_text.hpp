// `gaia-dr3 bench --number-text`: the number text of the writers and of the
// bulk row parser against the standard library's (bench_number_text.cpp).
#pragma once

namespace gaia::cli {

/// Prints the table (CPU ns a value, medians of `repeat` interleaved
/// rounds); 1 when the two sides' text or values differ.
int number_text_bench(int repeat);

} // namespace gaia::cli
