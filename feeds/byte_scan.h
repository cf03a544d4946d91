// Word-at-a-time byte tests for the text passes of the parser: most of a feed is bytes no pass
// cares about, and testing eight at once is what makes those passes cheap.
#ifndef RAQIB_FEEDS_BYTE_SCAN_H_
#define RAQIB_FEEDS_BYTE_SCAN_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace raqib::feeds::byte_scan {

inline constexpr std::uint64_t kOnes = 0x0101010101010101ull;
inline constexpr std::uint64_t kHighBits = 0x8080808080808080ull;

// The eight bytes at `p` as one word (byte order does not matter to the tests below).
inline std::uint64_t Load(const char* p) {
  std::uint64_t word;
  std::memcpy(&word, p, sizeof word);
  return word;
}

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
  while (from + 8 <= text.size()) {
    const std::uint64_t word = Load(text.data() + from);
    if (HasByte(word, a) | HasByte(word, b)) return from;
    from += 8;
  }
  return from;
}

}  // namespace raqib::feeds::byte_scan

#endif  // RAQIB_FEEDS_BYTE_SCAN_H_
