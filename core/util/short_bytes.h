// Loads and comparisons of short byte strings (object keys, field names)
// without a library call. A memcpy or memcmp whose length is only known at
// run time is a call through the PLT to code built for long buffers; most
// keys of a Kubernetes object are 4 to 16 bytes, and the row parser and key
// dictionary compare one for every key of every row (4% of a 150,000-pod
// run's CPU was memcmp, and more was memcpy of at most 8 bytes). Every load
// here stays inside [p, p + n): overlapping fixed-size loads, never a read
// past the end.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace kinspect::short_bytes {

// head() joins two overlapping loads by shifting, which lines their shared
// bytes up only in little-endian order (x86-64 and arm64, what kinspect
// builds for).
static_assert(std::endian::native == std::endian::little, "short_bytes assumes a little-endian machine");

// The first min(n, 8) bytes of p as a little-endian word, zeros above.
inline uint64_t head(const char* p, size_t n) {
  if (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }
  if (n >= 4) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + n - 4, 4);
    return uint64_t(lo) | (uint64_t(hi) << (8 * (n - 4)));
  }
  uint64_t v = 0;
  if (n > 0) v = uint8_t(p[0]) | (uint64_t(uint8_t(p[n / 2])) << (8 * (n / 2))) | (uint64_t(uint8_t(p[n - 1])) << (8 * (n - 1)));
  return v;
}

// The last min(n, 8) bytes of p, as head() reads the first.
inline uint64_t tail(const char* p, size_t n) { return n >= 8 ? head(p + n - 8, 8) : head(p, n); }

// Whether the n bytes at a and b are equal.
inline bool equal(const char* a, const char* b, size_t n) {
  if (n <= 8) return head(a, n) == head(b, n);
  if (n <= 16) return head(a, 8) == head(b, 8) && head(a + n - 8, 8) == head(b + n - 8, 8);
  return head(a, 8) == head(b, 8) && std::memcmp(a + 8, b + 8, n - 8) == 0;
}

inline bool equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && equal(a.data(), b.data(), a.size());
}

}  // namespace kinspect::short_bytes
