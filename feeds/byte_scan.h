// Word-at-a-time byte tests for the text passes of the parser: most of a feed is bytes no pass
// cares about, and testing eight at once is what makes those passes cheap.
#ifndef RAQIB_FEEDS_BYTE_SCAN_H_
#define RAQIB_FEEDS_BYTE_SCAN_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace raqib::feeds::byte_scan {

inline constexpr std::uint64_t kOnes = 0x0101010101010101ull;
inline constexpr std::uint64_t kHighBits = 0x8080808080808080ull;

// The eight bytes at `p` as one word (byte order does not matter to the tests below).
inline std::uint64_t Load(const char* p) {
  std::uint64_t word;
  std::memcpy(&word, p, sizeof word);
  return word;
}

#if defined(__SSE2__)
// SSE2 (part of every x86-64): the same tests sixteen bytes at a time, exactly. Mask() has bit
// k set when byte k (in memory order) passed the test.
inline __m128i Load16(const char* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
inline unsigned Mask(__m128i tested) { return static_cast<unsigned>(_mm_movemask_epi8(tested)); }
// Bytes below `n` (unsigned, n >= 1): those the unsigned minimum with n - 1 leaves as they are.
inline __m128i Less(__m128i bytes, unsigned char n) {
  return _mm_cmpeq_epi8(_mm_min_epu8(bytes, _mm_set1_epi8(static_cast<char>(n - 1))), bytes);
}
inline __m128i Equal(__m128i bytes, unsigned char byte) {
  return _mm_cmpeq_epi8(bytes, _mm_set1_epi8(static_cast<char>(byte)));
}
#endif

// Non-zero when some byte of `word` is below `n` (n <= 128). Never zero when one is: the lowest
// such byte borrows from nothing below it. May be non-zero when none is (a borrow), so callers
// look at the bytes one by one after a hit.
constexpr std::uint64_t HasLess(std::uint64_t word, unsigned n) {
  return (word - kOnes * n) & ~word & kHighBits;
}

// Non-zero when some byte of `word` is `byte` (same guarantee as HasLess).
constexpr std::uint64_t HasByte(std::uint64_t word, unsigned char byte) {
  return HasLess(word ^ (kOnes * byte), 1);
}

// Skips, eight bytes at a time, bytes that are neither `a` nor `b`: returns a position p >= from
// with neither in text[from, p). From p on (a hit, or fewer than eight bytes left) callers test
// byte by byte.
inline std::size_t SkipWithout(std::string_view text, std::size_t from, unsigned char a,
                               unsigned char b) {
#if defined(__SSE2__)
  // Sixteen bytes at a time, and straight to the first hit: an exact answer.
  const __m128i want_a = _mm_set1_epi8(static_cast<char>(a));
  const __m128i want_b = _mm_set1_epi8(static_cast<char>(b));
  while (from + 16 <= text.size()) {
    const __m128i bytes = Load16(text.data() + from);
    const unsigned hits =
        Mask(_mm_or_si128(_mm_cmpeq_epi8(bytes, want_a), _mm_cmpeq_epi8(bytes, want_b)));
    if (hits != 0) return from + static_cast<std::size_t>(std::countr_zero(hits));
    from += 16;
  }
#endif
  while (from + 8 <= text.size()) {
    const std::uint64_t word = Load(text.data() + from);
    if (HasByte(word, a) | HasByte(word, b)) return from;
    from += 8;
  }
  return from;
}

}  // namespace raqib::feeds::byte_scan

#endif  // RAQIB_FEEDS_BYTE_SCAN_H_
