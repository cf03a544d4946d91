#include "classifiers/normalize.h"

#include <array>

namespace raqib::classifiers {
namespace {

// Decodes one UTF-8 character at `i`; returns its length, or 0 if the bytes are invalid
// (overlong forms, surrogates and truncated sequences included).
std::size_t DecodeUtf8(std::string_view s, std::size_t i, char32_t& cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  std::size_t len = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1F;
    min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
    min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

constexpr unsigned char kDrop = 0;

unsigned char ArabicLetter(char32_t cp) { return static_cast<unsigned char>(0x80 + (cp - 0x600)); }

// The code of one character, or kDrop.
unsigned char CodeOf(char32_t cp) {
  if (cp < 0x80) {
    if (cp >= 'A' && cp <= 'Z') return static_cast<unsigned char>(cp - 'A' + 'a');
    if (cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v') return '\n';
    if (cp == '\t') return ' ';
    if (cp < 0x20 || cp == 0x7F) return kDrop;
    return static_cast<unsigned char>(cp);
  }
  if (cp >= 0x600 && cp <= 0x6FF) {
    if ((cp >= 0x64B && cp <= 0x65F) || cp == 0x670 || cp == 0x640 || cp == 0x61C) return kDrop;
    switch (cp) {
      case 0x622:
      case 0x623:
      case 0x625:
      case 0x671: return ArabicLetter(0x627);
      case 0x649:
      case 0x6CC: return ArabicLetter(0x64A);
      case 0x629:
      case 0x6BE:
      case 0x6C0:
      case 0x6C1: return ArabicLetter(0x647);
      case 0x6A9: return ArabicLetter(0x643);
      case 0x67E: return 0xD0;
      case 0x686: return 0xD1;
      case 0x698: return 0xD2;
      case 0x6AF: return 0xD3;
      case 0x60C: return ',';
      case 0x61B: return ';';
      case 0x61F: return '?';
      case 0x66A: return '%';
      case 0x66B: return '.';
      case 0x66C: return ',';
      case 0x6D4: return '.';
      default: break;
    }
    if (cp >= 0x660 && cp <= 0x669) return static_cast<unsigned char>('0' + (cp - 0x660));
    if (cp >= 0x6F0 && cp <= 0x6F9) return static_cast<unsigned char>('0' + (cp - 0x6F0));
    if (cp >= 0x621 && cp <= 0x64A) return ArabicLetter(cp);
    return (cp >= 0x671 && cp <= 0x6D3) ? kOtherLetter : kOtherSymbol;
  }
  switch (cp) {
    case 0xAD:
    case 0x200B:
    case 0x200C:
    case 0x200D:
    case 0x200E:
    case 0x200F:
    case 0x202A:
    case 0x202B:
    case 0x202C:
    case 0x202D:
    case 0x202E:
    case 0xFEFF: return kDrop;
    case 0xA0:
    case 0x1680:
    case 0x202F:
    case 0x205F:
    case 0x3000: return ' ';
    case 0x2028:
    case 0x2029:
    case 0x85: return '\n';
    case 0xAB:
    case 0xBB:
    case 0x201C:
    case 0x201D:
    case 0x201E:
    case 0x2033: return '"';
    case 0x2018:
    case 0x2019:
    case 0x201A:
    case 0x2032: return '\'';
    case 0x2010:
    case 0x2011:
    case 0x2012:
    case 0x2013:
    case 0x2014:
    case 0x2015: return '-';
    case 0x2026: return '.';
    default: break;
  }
  if (cp >= 0x2060 && cp <= 0x2069) return kDrop;
  if (cp >= 0x2000 && cp <= 0x200A) return ' ';
  // Latin-1 and other alphabetic blocks count as letters; everything else as a symbol.
  if ((cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7) || (cp >= 0x370 && cp <= 0x58F) ||
      (cp >= 0x750 && cp <= 0x77F) || (cp >= 0xFB50 && cp <= 0xFDFF) ||
      (cp >= 0xFE70 && cp <= 0xFEFC) || (cp >= 0x4E00 && cp <= 0x9FFF)) {
    return kOtherLetter;
  }
  return kOtherSymbol;
}

// Codes of U+0600..U+06FF, the Arabic block most text is in, looked up instead of switched.
const std::array<unsigned char, 256>& ArabicBlock() {
  static const std::array<unsigned char, 256> table = [] {
    std::array<unsigned char, 256> t{};
    for (char32_t cp = 0x600; cp <= 0x6FF; ++cp) t[cp - 0x600] = CodeOf(cp);
    return t;
  }();
  return table;
}

// Codes of U+0000..U+007F, looked up instead of branched on (most non-Arabic text is ASCII).
const std::array<unsigned char, 128>& AsciiBlock() {
  static const std::array<unsigned char, 128> table = [] {
    std::array<unsigned char, 128> t{};
    for (char32_t cp = 0; cp < 0x80; ++cp) t[cp] = CodeOf(cp);
    return t;
  }();
  return table;
}

// Not a code: marks a byte pair that is not a two-byte U+0600..U+06FF character.
constexpr unsigned char kNotArabic = 0xFF;

// Codes of the byte pairs (b0, b1) with b0 in 0xD8..0xDB, indexed by ((b0 - 0xD8) << 8) | b1:
// the code of U+0600..U+06FF when b1 is a continuation byte, else kNotArabic. One lookup
// replaces the continuation test and the assembly of the code point.
const std::array<unsigned char, 4 * 256>& ArabicPairs() {
  static const std::array<unsigned char, 4 * 256> table = [] {
    std::array<unsigned char, 4 * 256> t{};
    t.fill(kNotArabic);
    const auto& arabic = ArabicBlock();
    for (unsigned lead = 0; lead < 4; ++lead) {
      for (unsigned b1 = 0x80; b1 < 0xC0; ++b1)
        t[(lead << 8) | b1] = arabic[(lead << 6) | (b1 & 0x3F)];
    }
    return t;
  }();
  return table;
}

}  // namespace

void Normalize(std::string_view input, NormalizedText& out) {
  const auto& ascii = AsciiBlock();
  const auto& pairs = ArabicPairs();
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  const std::size_t size = input.size();
  // Sized for the worst case (one code per byte) without zeroing (OffsetVector, and
  // resize_and_overwrite for the codes), written by index through local pointers (a store
  // through the std::string would make the compiler reload every buffer pointer after it),
  // then cut to size.
  out.begin.resize(size);
  out.end.resize(size);
  std::uint32_t* begin = out.begin.data();
  std::uint32_t* end = out.end.data();
  std::size_t n = 0;
  out.codes.resize_and_overwrite(size, [&](char* codes, std::size_t) noexcept {
    // The character at [at, next) becomes `code`, or is dropped: a dropped mark belongs to
    // the character before it, so spans keep the tashkeel.
    const auto emit = [&](unsigned char code, std::size_t at, std::size_t next) {
      if (code == kDrop) {
        if (n > 0) end[n - 1] = static_cast<std::uint32_t>(next);
        return;
      }
      codes[n] = static_cast<char>(code);
      begin[n] = static_cast<std::uint32_t>(at);
      end[n] = static_cast<std::uint32_t>(next);
      ++n;
    };
    std::size_t i = 0;
    // ASCII and two-byte U+0600..U+06FF, nearly all the text, without decoding; the loop
    // stops one byte short of the end so the second byte can always be read.
    while (i + 1 < size) {
      const unsigned b0 = in[i];
      if (b0 < 0x80) {
        emit(ascii[b0], i, i + 1);
        ++i;
        continue;
      }
      const unsigned lead = b0 - 0xD8;
      if (lead < 4) {
        const unsigned char code = pairs[(lead << 8) | in[i + 1]];
        if (code != kNotArabic) {
          emit(code, i, i + 2);
          i += 2;
          continue;
        }
      }
      char32_t cp = 0;
      const std::size_t len = DecodeUtf8(input, i, cp);
      if (len == 0) {
        emit(kOtherSymbol, i, i + 1);  // an invalid byte stands for itself
        ++i;
      } else {
        emit(CodeOf(cp), i, i + len);
        i += len;
      }
    }
    if (i < size) {
      const unsigned b0 = in[i];
      emit(b0 < 0x80 ? ascii[b0] : kOtherSymbol, i, size);  // a lone lead byte is invalid
    }
    return n;
  });
  out.begin.resize(n);
  out.end.resize(n);
}

NormalizedText Normalize(std::string_view input) {
  NormalizedText out;
  Normalize(input, out);
  return out;
}

unsigned char ArabicCode(std::string_view letter) {
  char32_t cp = 0;
  if (letter.empty() || DecodeUtf8(letter, 0, cp) != letter.size()) return 0;
  const unsigned char code = CodeOf(cp);
  return code >= 0xA1 && code <= 0xCA ? code : 0;
}

std::string CodesToUtf8(std::string_view codes) {
  std::string out;
  out.reserve(codes.size() * 2);
  auto put = [&out](char32_t cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  };
  for (const char ch : codes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0xA1 && c <= 0xCA) {
      put(0x600 + (c - 0x80));
    } else if (c >= 0xD0 && c <= 0xD3) {
      constexpr char32_t kPersian[] = {0x67E, 0x686, 0x698, 0x6AF};
      put(kPersian[c - 0xD0]);
    } else if (c == kOtherLetter || c == kOtherSymbol) {
      put(U'?');
    } else {
      put(c);
    }
  }
  return out;
}

std::string NormalizeToCodes(std::string_view text) { return Normalize(text).codes; }

}  // namespace raqib::classifiers
