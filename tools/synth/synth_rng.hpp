// The synthetic archive's random numbers: self-written so the same seed gives
// the same bytes with any standard library (std:: distributions differ).
#pragma once

#include <cmath>
#include <cstdint>

namespace gaia::synth {

/// splitmix64 step: a good 64-bit mixer for deriving seeds from seeds.
inline uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/// Combines two values into one seed (order matters).
inline uint64_t mix64(uint64_t a, uint64_t b) {
  return mix64(mix64(a) ^ (b + 0x632be59bd9b4e019ull));
}

/// xoshiro256** with a few helpers for the distributions the generator needs.
class rng {
public:
  explicit rng(uint64_t seed) {
    for (auto& s : s_) {
      seed = mix64(seed);
      s = seed;
    }
  }

  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Uniform integer in [0, n) (n > 0); the tiny modulo bias does not matter.
  uint64_t below(uint64_t n) { return next() % n; }
  /// True with probability p.
  bool chance(double p) { return uniform() < p; }
  /// Standard normal (Box-Muller, one value per call).
  double normal() {
    double u = uniform();
    if (u < 1e-300) u = 1e-300;
    return std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * uniform());
  }

private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

} // namespace gaia::synth
