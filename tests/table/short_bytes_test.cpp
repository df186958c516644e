// Short byte strings compared and loaded without a library call: equal()
// agrees with memcmp at every length and for a difference at every offset,
// and head()/tail() read exactly the bytes a memcpy of min(n, 8) would.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "core/util/short_bytes.h"

using namespace kinspect;

namespace {

uint64_t head_by_memcpy(const char* p, size_t n) {
  uint64_t v = 0;
  std::memcpy(&v, p, std::min<size_t>(n, 8));
  return v;
}

// n bytes of a pattern that does not repeat within a word, so a load of the
// wrong bytes would not happen to match.
std::string text(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = char(seed + 7 * i + (i * i) % 13);
  return s;
}

}  // namespace

TEST(ShortBytes, EqualAgreesWithMemcmpAtEveryLengthAndOffset) {
  for (size_t n = 0; n <= 40; ++n) {
    std::string a = text(n, 'a'), b = a;
    EXPECT_TRUE(short_bytes::equal(a, b)) << n;
    for (size_t i = 0; i < n; ++i) {
      std::string c = a;
      c[i] = char(c[i] ^ 0x20);
      EXPECT_FALSE(short_bytes::equal(a.data(), c.data(), n)) << "length " << n << ", differing at " << i;
      EXPECT_FALSE(short_bytes::equal(a, c)) << n << " " << i;
    }
  }
  EXPECT_FALSE(short_bytes::equal(std::string_view("spec"), std::string_view("spec ")));
  EXPECT_FALSE(short_bytes::equal(std::string_view("kind"), std::string_view("king")));
}

TEST(ShortBytes, HeadAndTailReadTheFirstAndLastEightBytes) {
  for (size_t n = 0; n <= 20; ++n) {
    std::string s = text(n, 'k');
    // Exactly n bytes on the heap: a read past them is a heap overflow that
    // an AddressSanitizer build reports.
    auto* owned = new char[n ? n : 1];
    std::memcpy(owned, s.data(), n);
    EXPECT_EQ(short_bytes::head(owned, n), head_by_memcpy(owned, n)) << n;
    size_t k = std::min<size_t>(n, 8);
    EXPECT_EQ(short_bytes::tail(owned, n), head_by_memcpy(owned + n - k, k)) << n;
    delete[] owned;
  }
  // Zeros above the key's own bytes: "ab" and "ab\0" differ by length only.
  EXPECT_EQ(short_bytes::head("ab", 2), uint64_t('a') | (uint64_t('b') << 8));
}
