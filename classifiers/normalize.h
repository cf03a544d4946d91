// Arabic normalisation for matching. The classifier never matches on raw UTF-8: it folds the
// text into a string of one-byte character codes and keeps, for every code, the byte range of
// the original character(s), so every match can be reported as a span of the ORIGINAL text.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace raqib::classifiers {

// Code bytes (see docs/CLASSIFIER.md):
//   0xA1..0xCA  Arabic letters U+0621..U+064A as 0x80 + (cp - 0x600), after folding
//               آ أ إ ٱ -> ا, ى -> ي, ة -> ه (and Persian ک ی ھ ۀ -> ك ي ه ه);
//   0xD0..0xD3  پ چ ژ گ;
//   '0'..'9'    ASCII, Arabic-Indic and Persian digits;
//   'a'..'z'    ASCII letters, lower-cased;
//   ' ', '\n'   white space (every Unicode space; line and paragraph separators are '\n');
//   ASCII punctuation as is; ، -> ','  ؛ -> ';'  ؟ -> '?'  « » “ ” -> '"'  … -> '.';
//   kOtherLetter for any other letter, kOtherSymbol for any other symbol or an invalid byte.
// Dropped entirely: tashkeel U+064B..U+065F, U+0670, tatweel U+0640, zero-width and bidi
// controls (U+200B..U+200F, U+202A..U+202E, U+2060..U+2069, U+FEFF, U+061C, U+00AD).
inline constexpr unsigned char kOtherLetter = 0x02;
inline constexpr unsigned char kOtherSymbol = 0x03;

// An allocator that leaves elements it default-constructs uninitialised, so Normalize can
// size its offset buffers for the worst case without zeroing them first (it writes every
// element it keeps). Otherwise std::allocator.
template <typename T>
struct UninitializedAllocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };
  UninitializedAllocator() = default;
  template <typename U>
  UninitializedAllocator(const UninitializedAllocator<U>&) noexcept {}
  template <typename U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
using OffsetVector = std::vector<std::uint32_t, UninitializedAllocator<std::uint32_t>>;

struct NormalizedText {
  std::string codes;   // one byte per kept character
  OffsetVector begin;  // original byte offset where code i's character starts
  OffsetVector end;    // original byte offset after it (marks dropped after it are
                       // included, so a highlighted word keeps its tashkeel)
};

// Normalises `input` into `out`, reusing its buffers. Never fails: invalid UTF-8 bytes become
// kOtherSymbol, one per byte.
void Normalize(std::string_view input, NormalizedText& out);
NormalizedText Normalize(std::string_view input);

// True for codes that belong inside a word (letters of any script, not digits).
inline bool IsLetterCode(unsigned char c) {
  return (c >= 0xA1 && c <= 0xCA) || (c >= 0xD0 && c <= 0xD3) || (c >= 'a' && c <= 'z') ||
         c == kOtherLetter;
}
inline bool IsDigitCode(unsigned char c) { return c >= '0' && c <= '9'; }

// The code of an Arabic letter given as UTF-8 (one character), for tables in code; 0 if it
// is not one. Example: ArabicCode("ه").
unsigned char ArabicCode(std::string_view letter);

// UTF-8 text of a code string (the normalised form, for canonical names and debugging).
std::string CodesToUtf8(std::string_view codes);

// Normalised code string of a short text, e.g. a lexicon form.
std::string NormalizeToCodes(std::string_view text);

}  // namespace raqib::classifiers
