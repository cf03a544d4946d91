#include "feeds/charset.h"

#include <unicode/ucnv.h>
#include <unicode/ucnv_cb.h>
#include <unicode/ucsdet.h>
#include <unicode/ustring.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "feeds/byte_scan.h"
#include "feeds/charset_detect.h"

namespace raqib::feeds {
namespace {

// Detection looks at the start of the document only: enough text to be sure, bounded cost.
constexpr std::size_t kDetectBytes = 64 * 1024;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool StartsWith(std::string_view s, std::initializer_list<unsigned char> prefix) {
  if (s.size() < prefix.size()) return false;
  std::size_t i = 0;
  for (unsigned char c : prefix) {
    if (static_cast<unsigned char>(s[i++]) != c) return false;
  }
  return true;
}

// A charset name ICU cannot open, or one that cannot be right for a document that starts with
// ASCII "<" (EBCDIC), is ignored.
// Names that are never used whatever ICU says: empty, absurdly long, or EBCDIC (cannot be right
// for a document that starts with ASCII "<").
bool RejectedName(std::string_view charset) {
  if (charset.empty() || charset.size() > 64) return true;
  const std::string lower = Lower(charset);
  return lower.starts_with("ibm42") || lower.starts_with("ebcdic") || lower.starts_with("cp037");
}

bool Usable(std::string_view charset) {
  if (RejectedName(charset)) return false;
  const std::string name(charset);
  UErrorCode status = U_ZERO_ERROR;
  const char* canonical = ucnv_getCanonicalName(name.c_str(), "", &status);
  if (U_FAILURE(status) || canonical == nullptr) {
    status = U_ZERO_ERROR;
    UConverter* conv = ucnv_open(name.c_str(), &status);
    if (U_FAILURE(status) || conv == nullptr) return false;
    ucnv_close(conv);
  }
  return true;
}

bool IsUtf8Name(std::string_view charset) {
  const std::string lower = Lower(charset);
  return lower == "utf-8" || lower == "utf8";
}

bool IsUtf16Or32Name(std::string_view charset) {
  const std::string lower = Lower(charset);
  return lower.starts_with("utf-16") || lower.starts_with("utf-32") || lower.starts_with("ucs-") ||
         lower == "utf16" || lower == "utf32";
}

// Names whose bytes cannot be told from others by a declaration alone: WHATWG decodes them as
// their superset, and so do we (0x80-0x9F are printable in the windows-125x code pages).
std::string Superset(std::string_view charset) {
  const std::string lower = Lower(charset);
  if (lower == "iso-8859-1" || lower == "latin1" || lower == "iso8859-1" || lower == "us-ascii" ||
      lower == "ascii" || lower == "iso_8859-1") {
    return "windows-1252";
  }
  if (lower == "iso-8859-8" || lower == "iso-8859-8-i" || lower == "iso-8859-8-e") {
    return "windows-1255";
  }
  if (lower == "iso-8859-9") return "windows-1254";
  return std::string(charset);
}

// Counts replaced bytes while substituting U+FFFD, so callers learn that something was lost.
struct SubstituteContext {
  bool replaced = false;
};

void CountingSubstitute(const void* context, UConverterToUnicodeArgs* args, const char*, int32_t,
                        UConverterCallbackReason reason, UErrorCode* status) {
  if (reason != UCNV_UNASSIGNED && reason != UCNV_ILLEGAL && reason != UCNV_IRREGULAR) return;
  static const UChar kReplacement = 0xFFFD;
  const_cast<SubstituteContext*>(static_cast<const SubstituteContext*>(context))->replaced = true;
  *status = U_ZERO_ERROR;
  ucnv_cbToUWriteUChars(args, &kReplacement, 1, 0, status);
}

struct ConverterCloser {
  void operator()(UConverter* conv) const { ucnv_close(conv); }
};
struct DetectorCloser {
  void operator()(UCharsetDetector* det) const { ucsdet_close(det); }
};

// Counts of code points that tell a right decoding of Arabic from a wrong one: Arabic letters
// for, and U+FFFD, C1 controls and Latin-1 letters (what the other code page makes of them)
// against.
long ArabicScore(std::string_view utf8) {
  long score = 0;
  for (std::size_t i = 0; i < utf8.size();) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len = (c >= 0xF0) ? 4 : (c >= 0xE0) ? 3 : 2;
    char32_t cp = 0;
    if (len == 2 && i + 1 < utf8.size()) {
      cp = ((c & 0x1F) << 6) | (static_cast<unsigned char>(utf8[i + 1]) & 0x3F);
    } else if (len == 3 && i + 2 < utf8.size()) {
      cp = ((c & 0x0F) << 12) | ((static_cast<unsigned char>(utf8[i + 1]) & 0x3F) << 6) |
           (static_cast<unsigned char>(utf8[i + 2]) & 0x3F);
    }
    if (cp >= 0x0621 && cp <= 0x064A) {
      score += 1;
    } else if (cp == 0xFFFD || (cp >= 0x80 && cp <= 0x9F) || (cp >= 0xC0 && cp <= 0xFF)) {
      score -= 4;
    }
    i += len;
  }
  return score;
}

// Windows-1256 and ISO-8859-6 share the letters 0xC1-0xD6 and place the rest differently; the
// detector mixes them up on short texts. The one that decodes to more Arabic wins.
std::optional<std::string> PickArabic(std::string_view bytes) {
  std::string as_1256;
  std::string as_8859;
  bool replaced = false;
  ConvertToUtf8(bytes, "windows-1256", as_1256, replaced);
  ConvertToUtf8(bytes, "ISO-8859-6", as_8859, replaced);
  const long score_1256 = ArabicScore(as_1256);
  const long score_8859 = ArabicScore(as_8859);
  if (score_1256 <= 0 && score_8859 <= 0) return std::nullopt;
  return score_8859 > score_1256 ? "ISO-8859-6" : "windows-1256";
}

// "ال" (the article) is the commonest Arabic bigram: bytes C7 E1 in windows-1256, C7 E4 in
// ISO-8859-6. Either one, repeated, in text that is not UTF-8 says "Arabic" whatever the
// detector ranks first.
bool LooksArabic(std::string_view bytes) {
  int pairs = 0;
  for (std::size_t i = 0; i + 1 < bytes.size() && pairs < 3; ++i) {
    if (static_cast<unsigned char>(bytes[i]) == 0xC7) {
      const auto next = static_cast<unsigned char>(bytes[i + 1]);
      if (next == 0xE1 || next == 0xE4) ++pairs;
    }
  }
  return pairs >= 3;
}

// ICU's detector, which runs an n-gram recogniser per language and code page (about 2,000
// instructions per byte): only for text that may be in a multi-byte East Asian encoding.
std::string DetectWithIcu(std::string_view sample) {
  UErrorCode status = U_ZERO_ERROR;
  // Opening a detector builds all its recognisers: keep one per thread.
  thread_local std::unique_ptr<UCharsetDetector, DetectorCloser> det(ucsdet_open(&status));
  if (!det) return "windows-1252";
  ucsdet_enableInputFilter(det.get(), true);  // skip <markup>: judge the text
  ucsdet_setText(det.get(), sample.data(), static_cast<int32_t>(sample.size()), &status);
  int32_t count = 0;
  const UCharsetMatch** matches = ucsdet_detectAll(det.get(), &count, &status);
  if (U_FAILURE(status)) return "windows-1252";
  for (int32_t i = 0; i < count; ++i) {
    status = U_ZERO_ERROR;
    const char* name = ucsdet_getName(matches[i], &status);
    if (U_FAILURE(status) || name == nullptr || !Usable(name)) continue;
    const char* lang = ucsdet_getLanguage(matches[i], &status);
    const std::string lower = Lower(name);
    if ((lang != nullptr && std::string_view(lang) == "ar") || lower == "windows-1256" ||
        lower == "iso-8859-6") {
      if (auto arabic = PickArabic(sample)) return *arabic;
    }
    if (IsUtf8Name(name)) continue;  // not valid UTF-8, or we would not be here
    return Superset(name);
  }
  return "windows-1252";
}

// Best guess for bytes that are not UTF-8 and declare nothing believable. Our own detector
// (charset_detect.h) picks among the single-byte code pages; when none reads the text cleanly
// and a multi-byte encoding fits its structure, our rules for those, and ICU's detector when
// they are unsure.
std::string Detect(std::string_view bytes) {
  const std::string_view sample = bytes.substr(0, kDetectBytes);
  if (LooksArabic(sample)) {
    if (auto arabic = PickArabic(sample)) return *arabic;
  }
  const SingleByteGuess guess = GuessSingleByteCharset(sample);
  if (!guess.clean && MultiByteStructurePlausible(sample)) {
    if (const std::string_view multibyte = GuessMultiByteCharset(sample); !multibyte.empty()) {
      return std::string(multibyte);
    }
    return DetectWithIcu(sample);
  }
  if (guess.charset == "windows-1256" || guess.charset == "ISO-8859-6") {
    if (auto arabic = PickArabic(sample)) return *arabic;
  }
  return std::string(guess.charset);
}

// Counts well-formed multi-byte sequences and invalid bytes, to tell "UTF-8 with a few bad
// bytes" (keep UTF-8, replace them) from "not UTF-8 at all" (detect). This reads every byte of
// every UTF-8 document, so the common shapes go first: ASCII sixteen and eight bytes at a time,
// then, through a run of text with non-ASCII characters, byte by byte until eight ASCII bytes
// come again: two-byte sequences (Arabic, Hebrew, Cyrillic, accented Latin) first, three-byte
// ones without a loop.
// A document in another charset stops being read once kPlainlyNotUtf8 bytes were invalid and
// they outnumber the good sequences: only a document that changed charset halfway could still
// come out "mostly UTF-8" (invalid * 2 <= multibyte), and reading on cost as much as the rest
// of its parsing. The counts are then those of the part read (invalid > multibyte).
void CountUtf8(std::string_view bytes, std::size_t& multibyte, std::size_t& invalid) {
  constexpr std::size_t kPlainlyNotUtf8 = 64;
  constexpr std::uint64_t kHigh = 0x8080808080808080ull;
  multibyte = 0;
  invalid = 0;
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t size = bytes.size();
  const auto continuation = [b](std::size_t k) { return (b[k] & 0xC0) == 0x80; };
  const auto ascii8 = [b](std::size_t k) {  // the eight bytes at k are ASCII
    std::uint64_t word;
    std::memcpy(&word, b + k, 8);
    return (word & kHigh) == 0;
  };
  std::size_t i = 0;
  while (i < size) {
    // Markup is mostly ASCII: skip it sixteen, then eight bytes at a time, and to the first
    // non-ASCII byte of the word that has one (the lowest set high bit is the first such byte
    // in memory order). With SSE2, 32 bytes at a time and then straight to that byte.
#if defined(__SSE2__)
    while (i + 32 <= size) {
      const __m128i low = byte_scan::Load16(bytes.data() + i);
      const __m128i high = byte_scan::Load16(bytes.data() + i + 16);
      if (byte_scan::Mask(_mm_or_si128(low, high)) != 0) break;
      i += 32;
    }
    if (i + 16 <= size) {
      if (const unsigned high = byte_scan::Mask(byte_scan::Load16(bytes.data() + i)); high != 0) {
        i += static_cast<std::size_t>(std::countr_zero(high));
      } else {
        i += 16;
      }
    }
#endif
    while (i + 16 <= size) {
      std::uint64_t words[2];
      std::memcpy(words, b + i, 16);
      if (((words[0] | words[1]) & kHigh) != 0) break;
      i += 16;
    }
    while (i + 8 <= size) {
      std::uint64_t word;
      std::memcpy(&word, b + i, 8);
      const std::uint64_t high = word & kHigh;
      if (high != 0) {
        if constexpr (std::endian::native == std::endian::little) {
          i += static_cast<std::size_t>(std::countr_zero(high)) / 8;
        }
        break;
      }
      i += 8;
    }
    // A run of text with non-ASCII characters in it.
    while (i < size) {
      const unsigned char c = b[i];
      if (c < 0x80) {
        ++i;
        if (i + 8 <= size && ascii8(i)) break;  // back to the fast loops
        continue;
      }
      if (c >= 0xC2 && c <= 0xDF) {
        if (i + 1 < size && continuation(i + 1)) {
          ++multibyte;
          i += 2;
          continue;
        }
      } else if (c >= 0xE0 && c <= 0xEF) {
        if (i + 2 < size && continuation(i + 1) && continuation(i + 2) &&
            !(c == 0xE0 && b[i + 1] < 0xA0) && !(c == 0xED && b[i + 1] >= 0xA0)) {
          ++multibyte;
          i += 3;
          continue;
        }
      } else if (c >= 0xF0 && c <= 0xF4) {
        if (i + 3 < size && continuation(i + 1) && continuation(i + 2) && continuation(i + 3) &&
            !(c == 0xF0 && b[i + 1] < 0x90) && !(c == 0xF4 && b[i + 1] >= 0x90)) {
          ++multibyte;
          i += 4;
          continue;
        }
      }
      ++invalid;
      ++i;
      if (invalid >= kPlainlyNotUtf8 && invalid > multibyte) return;
    }
  }
}

// UTF-16/32 documents without a byte order mark still start with "<" (or whitespace) in
// their own shape.
std::string SniffWideEncoding(std::string_view bytes) {
  if (StartsWith(bytes, {0x3C, 0x00, 0x00, 0x00})) return "UTF-32LE";
  if (StartsWith(bytes, {0x00, 0x00, 0x00, 0x3C})) return "UTF-32BE";
  if (bytes.size() >= 4 && bytes[1] == 0 && bytes[3] == 0 && bytes[0] != 0 && bytes[2] != 0) {
    return "UTF-16LE";
  }
  if (bytes.size() >= 4 && bytes[0] == 0 && bytes[2] == 0 && bytes[1] != 0 && bytes[3] != 0) {
    return "UTF-16BE";
  }
  return {};
}

// Single-byte charsets (windows-125x, ISO-8859-x, KOI8-R ...: ICU's UCNV_SBCS) have no state:
// each byte converts to the same character wherever it stands. ICU's answer for each of the 256
// bytes, in UTF-8, is kept per charset name and documents in them are converted by table
// look-up, which is most of their decoding time (and the windows-1256 / ISO-8859-6 feeds this
// daemon is for are all single-byte).
struct ByteTable {
  std::array<std::array<char, 4>, 256> utf8;  // the character, then padding
  std::array<std::uint8_t, 256> length;       // of the character in utf8
  std::array<bool, 256> replaced;             // the byte is unassigned: U+FFFD
  bool ascii_identity = false;  // bytes 0x00-0x7F are themselves (not EBCDIC and the like)
};

// The table for `charset`, or null when it is not a single-byte charset (or ICU does not know
// it, or a byte does not come out as one character): ICU converts those itself.
const ByteTable* SingleByteTable(std::string_view charset) {
  struct Entry {
    std::string charset;
    std::unique_ptr<ByteTable> table;  // null: not single-byte
  };
  // A handful of charsets per thread in practice; the bound keeps hostile declarations from
  // growing it (about 2 KB a table).
  constexpr std::size_t kMaxEntries = 32;
  thread_local std::vector<Entry> cache;
  for (const Entry& entry : cache) {
    if (entry.charset == charset) return entry.table.get();
  }
  if (cache.size() >= kMaxEntries) cache.clear();
  Entry& entry = cache.emplace_back(Entry{std::string(charset), nullptr});

  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<UConverter, ConverterCloser> conv(ucnv_open(entry.charset.c_str(), &status));
  if (U_FAILURE(status) || !conv || ucnv_getType(conv.get()) != UCNV_SBCS) return nullptr;
  SubstituteContext context;
  ucnv_setToUCallBack(conv.get(), CountingSubstitute, &context, nullptr, nullptr, &status);
  if (U_FAILURE(status)) return nullptr;
  auto table = std::make_unique<ByteTable>();
  for (int b = 0; b < 256; ++b) {
    const char byte = static_cast<char>(b);
    context.replaced = false;
    status = U_ZERO_ERROR;
    std::array<UChar, 4> wide;
    const int32_t units = ucnv_toUChars(conv.get(), wide.data(), static_cast<int32_t>(wide.size()),
                                        &byte, 1, &status);
    if (U_FAILURE(status) || units != 1 || U16_IS_SURROGATE(wide[0])) return nullptr;
    const char32_t c = wide[0];
    auto& out = table->utf8[b];
    out = {};
    if (c < 0x80) {
      out[0] = static_cast<char>(c);
      table->length[b] = 1;
    } else if (c < 0x800) {
      out[0] = static_cast<char>(0xC0 | (c >> 6));
      out[1] = static_cast<char>(0x80 | (c & 0x3F));
      table->length[b] = 2;
    } else {
      out[0] = static_cast<char>(0xE0 | (c >> 12));
      out[1] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out[2] = static_cast<char>(0x80 | (c & 0x3F));
      table->length[b] = 3;
    }
    table->replaced[b] = context.replaced;
  }
  table->ascii_identity = true;
  for (int b = 0; b < 0x80; ++b) {
    if (table->length[b] != 1 || table->utf8[b][0] != static_cast<char>(b) || table->replaced[b]) {
      table->ascii_identity = false;
    }
  }
  entry.table = std::move(table);
  return entry.table.get();
}

}  // namespace

std::string CharsetFromContentType(std::string_view content_type) {
  const std::string lower = Lower(content_type);
  std::size_t pos = lower.find("charset");
  while (pos != std::string::npos) {
    std::size_t i = pos + 7;
    while (i < lower.size() && (lower[i] == ' ' || lower[i] == '\t')) ++i;
    if (i < lower.size() && lower[i] == '=') {
      ++i;
      while (i < lower.size() && (lower[i] == ' ' || lower[i] == '\t')) ++i;
      const bool quoted = i < lower.size() && (lower[i] == '"' || lower[i] == '\'');
      if (quoted) ++i;
      std::size_t end = i;
      while (end < lower.size() && lower[end] != ';' && lower[end] != '"' && lower[end] != '\'' &&
             lower[end] != ' ' && lower[end] != '\t') {
        ++end;
      }
      return std::string(content_type.substr(i, end - i));
    }
    pos = lower.find("charset", pos + 7);
  }
  return {};
}

std::string CharsetFromXmlDeclaration(std::string_view bytes) {
  std::size_t start = 0;
  while (start < bytes.size() && start < 1024 &&
         std::isspace(static_cast<unsigned char>(bytes[start]))) {
    ++start;
  }
  if (bytes.substr(start, 5) != "<?xml") return {};
  const std::size_t end = bytes.find("?>", start);
  if (end == std::string_view::npos || end - start > 512) return {};
  const std::string_view decl = bytes.substr(start, end - start);
  const std::size_t enc = decl.find("encoding");
  if (enc == std::string_view::npos) return {};
  std::size_t i = enc + 8;
  while (i < decl.size() && (decl[i] == ' ' || decl[i] == '\t' || decl[i] == '=')) ++i;
  if (i >= decl.size() || (decl[i] != '"' && decl[i] != '\'')) return {};
  const char quote = decl[i++];
  const std::size_t close = decl.find(quote, i);
  if (close == std::string_view::npos) return {};
  return std::string(decl.substr(i, close - i));
}

bool IsValidUtf8(std::string_view bytes) {
  std::size_t multibyte = 0;
  std::size_t invalid = 0;
  CountUtf8(bytes, multibyte, invalid);
  return invalid == 0;
}

bool ConvertToUtf8(std::string_view bytes, std::string_view charset, std::string& out,
                   bool& replaced) {
  // Usable() without its name look-up: ucnv_open below fails for the names ICU does not know.
  if (RejectedName(charset)) return false;
  if (const ByteTable* table = SingleByteTable(charset)) {
    bool any_replaced = false;
    std::string utf8;
    // Each character is copied as four bytes and the end moved by its length: one spare byte.
    utf8.resize_and_overwrite(bytes.size() * 3 + 1, [&](char* o, std::size_t) {
      std::size_t n = 0;
      std::size_t i = 0;
      while (i < bytes.size()) {
        // Markup is ASCII: copied eight bytes at a time where the table leaves ASCII as it is
        // (tried from ASCII bytes only: inside a word of letters it would fail at every byte).
        if (table->ascii_identity && static_cast<unsigned char>(bytes[i]) < 0x80) {
          while (i + 8 <= bytes.size()) {
            std::uint64_t word;
            std::memcpy(&word, bytes.data() + i, 8);
            if ((word & 0x8080808080808080ull) != 0) break;
            std::memcpy(o + n, &word, 8);
            n += 8;
            i += 8;
          }
          if (i >= bytes.size()) break;
        }
        const auto b = static_cast<unsigned char>(bytes[i++]);
        std::memcpy(o + n, table->utf8[b].data(), 4);
        n += table->length[b];
        any_replaced |= table->replaced[b];
      }
      return n;
    });
    if (utf8.starts_with("\xEF\xBB\xBF")) utf8.erase(0, 3);  // as below
    out = std::move(utf8);
    replaced = replaced || any_replaced;
    return true;
  }
  UErrorCode status = U_ZERO_ERROR;
  const std::string name(charset);
  std::unique_ptr<UConverter, ConverterCloser> conv(ucnv_open(name.c_str(), &status));
  if (U_FAILURE(status) || !conv) return false;
  SubstituteContext context;
  ucnv_setToUCallBack(conv.get(), CountingSubstitute, &context, nullptr, nullptr, &status);
  if (U_FAILURE(status)) return false;

  // To UTF-16 in chunks, then to UTF-8 once (a chunk may end inside a surrogate pair).
  std::u16string wide;
  wide.reserve(bytes.size() + 16);
  std::array<UChar, 16 * 1024> buffer;
  const char* source = bytes.data();
  const char* source_end = bytes.data() + bytes.size();
  do {
    status = U_ZERO_ERROR;
    UChar* target = buffer.data();
    ucnv_toUnicode(conv.get(), &target, buffer.data() + buffer.size(), &source, source_end, nullptr,
                   true, &status);
    wide.append(buffer.data(), static_cast<std::size_t>(target - buffer.data()));
  } while (status == U_BUFFER_OVERFLOW_ERROR);
  if (U_FAILURE(status)) return false;

  // Then to UTF-8, into a string that is not zero-filled first (it is written over anyway).
  int32_t length = 0;
  int32_t substitutions = 0;
  status = U_ZERO_ERROR;
  std::string utf8;
  utf8.resize_and_overwrite(wide.size() * 3 + 1, [&](char* data, std::size_t capacity) {
    u_strToUTF8WithSub(data, static_cast<int32_t>(capacity), &length, wide.data(),
                       static_cast<int32_t>(wide.size()), 0xFFFD, &substitutions, &status);
    return U_FAILURE(status) ? 0 : static_cast<std::size_t>(length);
  });
  if (U_FAILURE(status)) return false;
  // A byte order mark that survived conversion (UTF-16 named explicitly) is not text.
  if (utf8.starts_with("\xEF\xBB\xBF")) utf8.erase(0, 3);
  out = std::move(utf8);
  replaced = replaced || context.replaced || substitutions > 0;
  return true;
}

DecodedText DecodeToUtf8(std::string_view bytes, std::string_view content_type) {
  DecodedText result;
  std::optional<bool> whole_valid_utf8;  // known once counted, for `bytes` itself
  auto convert = [&](std::string_view body, const std::string& charset, const char* source) {
    if (IsUtf8Name(charset)) {
      result.encoding = "UTF-8";
      result.source = source;
      const bool valid =
          (body.data() == bytes.data() && body.size() == bytes.size() && whole_valid_utf8)
              ? *whole_valid_utf8
              : IsValidUtf8(body);
      if (valid) {
        result.utf8.assign(body);
        return true;
      }
    }
    if (ConvertToUtf8(body, charset, result.utf8, result.replaced)) {
      result.encoding = IsUtf8Name(charset) ? "UTF-8" : charset;
      result.source = source;
      return true;
    }
    return false;
  };

  // 1. A byte order mark is the strongest evidence there is.
  struct Bom {
    std::initializer_list<unsigned char> bytes;
    const char* charset;
  };
  static const Bom kBoms[] = {
      {{0x00, 0x00, 0xFE, 0xFF}, "UTF-32BE"},
      {{0xFF, 0xFE, 0x00, 0x00}, "UTF-32LE"},
      {{0xEF, 0xBB, 0xBF}, "UTF-8"},
      {{0xFE, 0xFF}, "UTF-16BE"},
      {{0xFF, 0xFE}, "UTF-16LE"},
  };
  for (const Bom& bom : kBoms) {
    if (StartsWith(bytes, bom.bytes) &&
        convert(bytes.substr(bom.bytes.size()), bom.charset, "bom")) {
      return result;
    }
  }
  // 2. UTF-16/32 without a mark: the shape of the first characters gives it away.
  if (const std::string wide = SniffWideEncoding(bytes); !wide.empty()) {
    if (convert(bytes, wide, "bom")) return result;
  }

  std::size_t multibyte = 0;
  std::size_t invalid = 0;
  CountUtf8(bytes, multibyte, invalid);
  const bool valid_utf8 = invalid == 0;
  whole_valid_utf8 = valid_utf8;
  // A few bad bytes among more good sequences is damaged UTF-8, not another charset: text in a
  // legacy code page almost never forms a valid multi-byte sequence by chance.
  const bool mostly_utf8 = multibyte >= 2 && invalid * 2 <= multibyte;

  // 3 and 4. The HTTP header, then the XML declaration, when they can be right.
  auto believable = [&](const std::string& declared) {
    if (!Usable(declared)) return false;
    if (IsUtf8Name(declared)) return valid_utf8 || mostly_utf8;
    if (IsUtf16Or32Name(declared)) return false;  // no BOM and not wide-shaped: cannot be
    const std::string lower = Lower(declared);
    if (lower == "us-ascii" || lower == "ascii") return valid_utf8 && multibyte == 0;
    return true;
  };
  for (const auto& [declared, source] : {std::pair{CharsetFromContentType(content_type), "http"},
                                         std::pair{CharsetFromXmlDeclaration(bytes), "xml"}}) {
    if (declared.empty()) continue;
    if (!believable(declared)) {
      if (result.warning.empty()) {
        result.warning = std::string(source == std::string_view("http") ? "HTTP" : "XML") +
                         " declares charset '" + declared.substr(0, 64) +
                         "', which is unknown or does not fit the bytes";
      }
      continue;
    }
    // A Latin declaration over text that is plainly Arabic, or plainly UTF-8 (multi-byte
    // sequences a Latin text would not form), is the classic mislabelled feed.
    const std::string superset = Superset(declared);
    if (superset == "windows-1252" && valid_utf8 && multibyte > 0) {
      convert(bytes, "UTF-8", "detected");
      return result;
    }
    if (superset == "windows-1252" && !valid_utf8 && LooksArabic(bytes)) {
      if (auto arabic = PickArabic(bytes.substr(0, kDetectBytes))) {
        if (convert(bytes, *arabic, "detected")) return result;
      }
    }
    if (convert(bytes, superset, source)) {
      result.encoding = IsUtf8Name(declared) ? "UTF-8" : superset;
      return result;
    }
  }

  // 5. Nothing declared, or nothing believable: UTF-8 if it is, else ask the detector.
  if (valid_utf8 || mostly_utf8) {
    convert(bytes, "UTF-8", multibyte > 0 ? "detected" : "default");
    return result;
  }
  if (convert(bytes, Detect(bytes), "detected")) return result;
  convert(bytes, "windows-1252", "default");
  return result;
}

}  // namespace raqib::feeds
