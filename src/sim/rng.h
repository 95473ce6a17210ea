// sim/rng.h: a small random number generator (xoshiro256** seeded by splitmix64) with explicit
// uniform and normal conversions, so renders are identical on every platform and library.
// Not thread-safe: one Rng per thread of work. Header-only; not for cryptography.
#pragma once

#include <cmath>
#include <cstdint>

namespace linesight::sim {

// One step of splitmix64: advances `state` and returns a well-mixed 64-bit value.
inline uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class Rng {
 public:
  // Independent streams for the same `seed`: drawing more from one stream never changes another.
  Rng(uint64_t seed, uint64_t stream) {
    uint64_t s = seed ^ (stream * 0xD1B54A32D192ED03ull);
    for (uint64_t& word : state_) word = SplitMix64(s);
  }

  // Next raw 64-bit value (xoshiro256**).
  uint64_t Next() {
    const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1), 53 random bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform in [lo, hi).
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  // Uniform integer in [lo, hi], both inclusive. REQUIRES: lo <= hi.
  int UniformInt(int lo, int hi) {
    const uint64_t span = static_cast<uint64_t>(static_cast<int64_t>(hi) - lo) + 1;
    return static_cast<int>(lo + static_cast<int64_t>(Next() % span));
  }
  // Standard normal by Box-Muller (one value per call; the second is discarded).
  double Normal() {
    const double u1 = 1.0 - Uniform();  // (0, 1]: log is finite
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  // Approximately standard normal (sum of four 16-bit uniforms, |x| < 3.47): cheap enough for
  // per-pixel noise and computed with integer arithmetic up to one final multiply.
  float FastNormal() {
    const uint64_t r = Next();
    const int64_t sum = static_cast<int64_t>((r & 0xFFFF) + ((r >> 16) & 0xFFFF) +
                                             ((r >> 32) & 0xFFFF) + (r >> 48));
    constexpr float kScale = 1.0f / 37837.23f;  // 1 / (65536 * sqrt(4 / 12))
    return static_cast<float>(sum - 131070) * kScale;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
};

}  // namespace linesight::sim
