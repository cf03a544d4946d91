#include "feeds/charset_detect.h"

#include <unicode/uchar.h>
#include <unicode/ucnv.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace raqib::feeds {
namespace {

// Detection reads the start of the document only, and of that at most this much of the words
// that have bytes above 0x7F (the only bytes on which the candidates differ).
constexpr std::size_t kScanBytes = 64 * 1024;
constexpr std::size_t kSampleBytes = 16 * 1024;

// What a byte decodes to, as far as the mess score cares.
enum class Kind : std::uint8_t {
  kBad,       // unassigned (U+FFFD), or a control character (C1 in ISO-8859-x)
  kLower,     // lower-case letter
  kUpper,     // upper-case or title-case letter
  kCaseless,  // letter of a script without case (Hebrew, Arabic, Thai...), or ª º
  kMark,      // combining mark (Hebrew points, Arabic harakat, Thai vowels)
  kDigit,
  kSymbol,  // punctuation, symbols, spaces
};

// The scripts the candidates decode to; letters of others count as kOtherScript.
enum Script : std::uint8_t {
  kNoScript = 0,  // not a letter, or a letter of no particular script (µ)
  kLatin,
  kCyrillic,
  kGreek,
  kHebrew,
  kArabic,
  kThai,
  kOtherScript,
  kScriptCount,
};

struct ByteClass {
  Kind kind = Kind::kSymbol;
  Script script = kNoScript;
  // Bit l set: the letter (lower-cased) belongs to the alphabet of the candidate's language l.
  // Only for non-ASCII Latin letters.
  std::uint16_t languages = 0;
  // A vowel written before the consonant it follows in speech (Thai เ แ โ ใ ไ; Unicode's
  // Logical_Order_Exception): a consonant must come next.
  bool leading_vowel = false;
};

// Non-ASCII lower-case letters of the languages each Latin code page was made for: facts of
// their alphabets, not statistics. A text whose accented letters no single language of a code
// page uses (Icelandic þ with French ç, Danish ø with Italian ì) is wrongly decoded: that is
// what tells Turkish in windows-1254 from the same bytes in windows-1252, where they would be
// Icelandic letters, and Russian from the accented Latin soup windows-1252 makes of it.
constexpr const char* kFrench = "àâæçéèêëîïôœùûüÿ";
constexpr const char* kGerman = "äöüß";
constexpr const char* kSpanish = "áéíóúñüªº";
constexpr const char* kPortuguese = "áâãàçéêíóôõúªº";
constexpr const char* kItalian = "àèéìíîòóùúªº";
constexpr const char* kDutch = "áéíóúàèëïöü";
constexpr const char* kDanishNorwegian = "æøåéó";
constexpr const char* kSwedishFinnish = "åäöéšž";
constexpr const char* kIcelandic = "áéíóúýþæöð";
constexpr const char* kCatalan = "àçèéíïòóú";
constexpr const char* kPolish = "ąćęłńóśźż";
constexpr const char* kCzech = "áčďéěíňóřšťúůýž";
constexpr const char* kSlovak = "áäčďéíĺľňóôŕšťúýž";
constexpr const char* kHungarian = "áéíóöőúüű";
constexpr const char* kCroatianSlovenian = "čćđšž";
constexpr const char* kRomanian = "ăâîşţ";
constexpr const char* kTurkish = "çğıİöşüâîû";  // İ: its simple lower case is ASCII i
constexpr const char* kLithuanian = "ąčęėįšųūž";
constexpr const char* kLatvian = "āčēģīķļņšūž";
constexpr const char* kEstonian = "äöõüšž";

struct CandidateSpec {
  const char* charset;
  // Languages written in the code page with non-ASCII Latin letters; empty for code pages of
  // other scripts, where every accented Latin letter counts as out of place.
  std::array<const char*, 12> languages;
};

// In order of preference: a tie goes to the earlier one. windows-1256 and ISO-8859-6 only
// say "Arabic" here; the caller tells them apart (PickArabic).
constexpr CandidateSpec kCandidates[] = {
    {"windows-1252",
     {kFrench, kGerman, kSpanish, kPortuguese, kItalian, kDutch, kDanishNorwegian, kSwedishFinnish,
      kIcelandic, kCatalan}},
    {"windows-1250",
     {kPolish, kCzech, kSlovak, kHungarian, kCroatianSlovenian, kRomanian, kGerman}},
    {"windows-1251", {}},
    {"KOI8-R", {}},
    {"windows-1253", {}},
    {"windows-1254", {kTurkish}},
    {"windows-1255", {}},
    {"windows-1256", {kFrench}},
    {"windows-1257", {kLithuanian, kLatvian, kEstonian}},
    {"ISO-8859-2", {kPolish, kCzech, kSlovak, kHungarian, kCroatianSlovenian, kRomanian, kGerman}},
    {"ISO-8859-5", {}},
    {"ISO-8859-6", {}},
    {"ISO-8859-7", {}},
    {"KOI8-U", {}},
    {"IBM866", {}},
    {"windows-874", {}},
};

struct CandidateTable {
  std::string_view charset;
  std::array<ByteClass, 256> classes;
  int language_count = 0;
};

struct ConverterCloser {
  void operator()(UConverter* conv) const { ucnv_close(conv); }
};

ByteClass Classify(UChar32 c) {
  ByteClass out;
  if (c == 0xFFFD || c == 0x1A) {  // ICU substitutes one or the other for unassigned bytes
    out.kind = Kind::kBad;
    return out;
  }
  switch (u_charType(c)) {
    case U_LOWERCASE_LETTER: out.kind = Kind::kLower; break;
    case U_UPPERCASE_LETTER:
    case U_TITLECASE_LETTER: out.kind = Kind::kUpper; break;
    case U_MODIFIER_LETTER:
    case U_OTHER_LETTER: out.kind = Kind::kCaseless; break;
    case U_NON_SPACING_MARK:
    case U_COMBINING_SPACING_MARK:
    case U_ENCLOSING_MARK: out.kind = Kind::kMark; break;
    case U_DECIMAL_DIGIT_NUMBER: out.kind = Kind::kDigit; break;
    case U_CONTROL_CHAR:
    case U_FORMAT_CHAR:
    case U_UNASSIGNED:
    case U_PRIVATE_USE_CHAR:
    case U_SURROGATE: out.kind = Kind::kBad; break;
    default: out.kind = Kind::kSymbol; break;
  }
  out.leading_vowel = u_hasBinaryProperty(c, UCHAR_LOGICAL_ORDER_EXCEPTION) != 0;
  if (out.kind == Kind::kLower || out.kind == Kind::kUpper || out.kind == Kind::kCaseless) {
    UErrorCode status = U_ZERO_ERROR;
    switch (uscript_getScript(c, &status)) {
      case USCRIPT_LATIN: out.script = kLatin; break;
      case USCRIPT_CYRILLIC: out.script = kCyrillic; break;
      case USCRIPT_GREEK: out.script = kGreek; break;
      case USCRIPT_HEBREW: out.script = kHebrew; break;
      case USCRIPT_ARABIC: out.script = kArabic; break;
      case USCRIPT_THAI: out.script = kThai; break;
      case USCRIPT_COMMON:
      case USCRIPT_INHERITED: out.script = kNoScript; break;
      default: out.script = kOtherScript; break;
    }
  }
  return out;
}

// True when the UTF-8 string `letters` holds the code point `c`.
bool Contains(const char* letters, UChar32 c) {
  const std::string_view s(letters);
  for (std::int32_t i = 0; i < static_cast<std::int32_t>(s.size());) {
    UChar32 d;
    U8_NEXT(s.data(), i, static_cast<std::int32_t>(s.size()), d);
    if (d == c) return true;
  }
  return false;
}

bool IsAsciiAlnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// ASCII letters and digits, as every candidate reads them (the only ASCII in the words).
ByteClass AsciiClass(unsigned char c) {
  ByteClass out;
  if (c >= 'a' && c <= 'z') {
    out.kind = Kind::kLower;
    out.script = kLatin;
  } else if (c >= 'A' && c <= 'Z') {
    out.kind = Kind::kUpper;
    out.script = kLatin;
  } else if (c >= '0' && c <= '9') {
    out.kind = Kind::kDigit;
  }
  return out;
}

// The class of every byte in every candidate, from ICU's own conversion of that byte. Built once
// per process (about 16 x 1 KB); a candidate ICU cannot open is left out.
std::vector<CandidateTable> BuildTables() {
  std::vector<CandidateTable> tables;
  for (const CandidateSpec& spec : kCandidates) {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<UConverter, ConverterCloser> conv(ucnv_open(spec.charset, &status));
    if (U_FAILURE(status) || !conv) continue;
    CandidateTable table;
    table.charset = spec.charset;
    while (table.language_count < static_cast<int>(spec.languages.size()) &&
           spec.languages[static_cast<std::size_t>(table.language_count)] != nullptr) {
      ++table.language_count;
    }
    bool ok = true;
    for (int b = 0; b < 256 && ok; ++b) {
      const char byte = static_cast<char>(b);
      std::array<UChar, 4> wide;
      status = U_ZERO_ERROR;
      ucnv_resetToUnicode(conv.get());
      const int32_t units = ucnv_toUChars(conv.get(), wide.data(),
                                          static_cast<int32_t>(wide.size()), &byte, 1, &status);
      if (U_FAILURE(status) || units != 1) {
        ok = false;
        break;
      }
      ByteClass cls = b < 0x80 ? AsciiClass(static_cast<unsigned char>(b)) : Classify(wide[0]);
      if (b >= 0x80 && cls.script == kLatin) {
        const UChar32 lower = u_tolower(wide[0]);
        for (int l = 0; l < table.language_count; ++l) {
          const char* letters = spec.languages[static_cast<std::size_t>(l)];
          if (Contains(letters, lower) || Contains(letters, wide[0])) {
            cls.languages = static_cast<std::uint16_t>(cls.languages | (1u << l));
          }
        }
      }
      table.classes[static_cast<std::size_t>(b)] = cls;
    }
    if (ok) tables.push_back(table);
  }
  return tables;
}

const std::vector<CandidateTable>& Tables() {
  static const std::vector<CandidateTable> tables = BuildTables();  // thread-safe, immutable
  return tables;
}

bool IsBicameralNonLatin(Script script) { return script == kCyrillic || script == kGreek; }

bool IsLetter(Kind kind) {
  return kind == Kind::kLower || kind == Kind::kUpper || kind == Kind::kCaseless;
}

// The text to judge: words (runs of bytes above 0x7F and ASCII letters and digits) outside
// markup that hold at least one byte above 0x7F, each followed by one space.
struct Sample {
  std::string words;
  std::size_t ascii_letters = 0;  // in all the text outside markup, for the dominant script
  std::array<std::uint32_t, 128> high_counts{};     // how often each byte 0x80-0xFF is in `words`
  std::array<std::uint32_t, 128> initial_counts{};  // how many words start with it
  std::array<std::uint32_t, 128> mixed_counts{};    // how many words with ASCII letters hold it
  std::vector<unsigned char> present;  // the bytes above 0x7F found in `words`, each once
};

Sample ExtractSample(std::string_view bytes) {
  Sample sample;
  std::array<bool, 128> seen{};  // high bytes already counted in the current word
  const std::string_view scan = bytes.substr(0, kScanBytes);
  std::size_t i = 0;
  while (i < scan.size() && sample.words.size() < kSampleBytes) {
    const auto c = static_cast<unsigned char>(scan[i]);
    if (c == '<') {
      // CDATA holds text; any other markup (tags, comments, declarations) is skipped whole.
      if (scan.substr(i, 9) == "<![CDATA[") {
        i += 9;
        continue;
      }
      const std::size_t close = scan.find('>', i);
      if (close == std::string_view::npos) break;
      i = close + 1;
      continue;
    }
    if (c < 0x80 && !IsAsciiAlnum(c)) {
      ++i;
      continue;
    }
    std::size_t end = i;
    bool high = false;
    while (end < scan.size()) {
      const auto d = static_cast<unsigned char>(scan[end]);
      if (d >= 0x80) {
        high = true;
      } else if (!IsAsciiAlnum(d)) {
        break;
      } else if (d > '9') {
        ++sample.ascii_letters;
      }
      ++end;
    }
    if (high) {
      const std::string_view word = scan.substr(i, end - i);
      if (c >= 0x80) ++sample.initial_counts[c - 0x80];
      bool ascii_letter = false;
      for (const char w : word) {
        const auto b = static_cast<unsigned char>(w);
        if (b >= 0x80) {
          ++sample.high_counts[b - 0x80];
        } else if (b > '9') {
          ascii_letter = true;
        }
      }
      if (ascii_letter) {  // count each byte once per word: mark, count, unmark
        for (const char w : word) {
          const auto b = static_cast<unsigned char>(w);
          if (b >= 0x80 && !seen[b - 0x80]) {
            seen[b - 0x80] = true;
            ++sample.mixed_counts[b - 0x80];
          }
        }
        for (const char w : word) {
          const auto b = static_cast<unsigned char>(w);
          if (b >= 0x80) seen[b - 0x80] = false;
        }
      }
      sample.words.append(scan.substr(i, end - i));
      sample.words.push_back(' ');
    }
    i = end;
  }
  for (int b = 0x80; b < 0x100; ++b) {
    if (sample.high_counts[static_cast<std::size_t>(b - 0x80)] > 0) {
      sample.present.push_back(static_cast<unsigned char>(b));
    }
  }
  return sample;
}

struct Score {
  long penalty = 0;
  long reward = 0;  // letters above 0x7F in words that drew no penalty
  std::size_t high_bytes = 0;
};

// The mess score of the sample decoded with `table` (after charset_normalizer's "mess
// detector", from Unicode properties only). Penalties, per occurrence:
//   10  undefined byte or control character;
//    4  a symbol or non-ASCII digit between two letters of a word (³ in "Ø³Ù"), a word
//       mixing scripts;
//    3  a lower-case letter followed by an upper-case one inside a word ("aBc");
//    2  a word of four or more letters, over 80% of them accented Latin ones; a mark that follows
//       no letter, or two marks already; a leading vowel (Thai) not followed by a consonant;
//       a non-ASCII Latin letter no language of the code page writes (counted for
//       the language that leaves out the fewest); a letter of a second non-Latin script; a
//       one-letter word in a script other than the text's main one;
//    1  each upper-case word beyond the number of lower-case ones (KOI8-R read as windows-1251
//       swaps the cases); each Cyrillic or Greek word when four or more of them and none
//       starts with a capital (Hebrew read as windows-1251 or -1253 is all lower-case letters).
//
// The counts of letters come from the sample's byte counts, before the words are read, and the
// reading stops as soon as the penalty (or a lower bound of it, returned then) passes `limit`,
// the best candidate's so far: a wrong decoding is usually given up before or after a few words.
// A negative `limit` gives the lower bound, from the sample's byte counts alone.
Score ScoreCandidate(const CandidateTable& table, const Sample& sample, long limit) {
  Score score;
  std::array<long, 16> out_of_alphabet{};
  std::array<long, kScriptCount> script_letters{};
  std::array<long, kScriptCount> lone_letters{};
  long latin_high_letters = 0;
  long upper_words = 0;
  long lower_words = 0;
  long bicameral_words = 0;    // words starting with a Cyrillic or Greek letter
  long capitalised_words = 0;  // of those, starting with an upper-case one
  // Lower bounds of what the words will add, from the counts alone: a word with ASCII letters
  // and a letter of another script mixes scripts; Cyrillic or Greek without one capital in the
  // sample draws a point for each word starting with such a letter.
  long mixed_words = 0;
  bool any_capital = false;
  long bicameral_initials = 0;
  for (const unsigned char b : sample.present) {
    const auto k = static_cast<std::size_t>(b - 0x80);
    const long count = sample.high_counts[k];
    score.high_bytes += static_cast<std::size_t>(count);
    const ByteClass& cls = table.classes[b];
    if (IsBicameralNonLatin(cls.script)) {
      any_capital |= cls.kind == Kind::kUpper;
      bicameral_initials += sample.initial_counts[k];
    }
    if (!IsLetter(cls.kind)) continue;
    if (cls.script != kLatin && cls.script != kNoScript) {
      mixed_words = std::max<long>(mixed_words, sample.mixed_counts[k]);
    }
    script_letters[cls.script] += count;
    if (cls.script != kLatin) continue;
    latin_high_letters += count;
    for (int l = 0; l < table.language_count; ++l) {
      if ((cls.languages & (1u << l)) == 0) out_of_alphabet[static_cast<std::size_t>(l)] += count;
    }
  }
  if (table.language_count > 0) {
    score.penalty += 2 * *std::min_element(out_of_alphabet.begin(),
                                           out_of_alphabet.begin() + table.language_count);
  } else {
    score.penalty += 2 * latin_high_letters;
  }
  // The main script: Latin (ASCII letters included) or the non-Latin one with most letters.
  Script main_other = kNoScript;
  long other_letters = 0;
  for (int s = kCyrillic; s < kScriptCount; ++s) {
    other_letters += script_letters[static_cast<std::size_t>(s)];
    if (main_other == kNoScript ||
        script_letters[static_cast<std::size_t>(s)] > script_letters[main_other]) {
      main_other = static_cast<Script>(s);
    }
  }
  score.penalty += 2 * (other_letters - script_letters[main_other]);
  const long latin = static_cast<long>(sample.ascii_letters) + latin_high_letters;
  const Script main = script_letters[main_other] > latin ? main_other : kLatin;

  const long bound =
      4 * mixed_words + (any_capital || bicameral_initials < 4 ? 0 : bicameral_initials);
  if (score.penalty + bound > limit) {
    score.penalty += bound;  // still a lower bound of the whole score, and over the limit
    return score;
  }

  const auto class_of = [&](unsigned char b) -> const ByteClass& { return table.classes[b]; };
  const std::string_view words = sample.words;

  std::size_t start = 0;
  while (start < words.size()) {
    const std::size_t end = words.find(' ', start);
    const std::string_view word = words.substr(start, end - start);
    start = end + 1;
    const auto between_letters = [&](std::size_t i) {
      return i > 0 && i + 1 < word.size() &&
             IsLetter(class_of(static_cast<unsigned char>(word[i - 1])).kind) &&
             IsLetter(class_of(static_cast<unsigned char>(word[i + 1])).kind);
    };
    long word_penalty = 0;
    unsigned scripts = 0;
    int letters = 0;
    int accented = 0;
    int high_letters = 0;
    int uppers_after_first = 0;
    int lowers_after_first = 0;
    int flips = 0;
    Script last_script = kNoScript;
    Script first_script = kNoScript;
    bool first_upper = false;
    for (std::size_t i = 0; i < word.size(); ++i) {
      const auto b = static_cast<unsigned char>(word[i]);
      const ByteClass& cls = class_of(b);
      switch (cls.kind) {
        case Kind::kBad: word_penalty += 10; break;
        case Kind::kSymbol:
          if (b >= 0x80 && between_letters(i)) word_penalty += 4;
          break;
        case Kind::kMark:
          if (i == 0) {
            word_penalty += 2;
          } else if (const Kind before = class_of(static_cast<unsigned char>(word[i - 1])).kind;
                     !IsLetter(before) && before != Kind::kMark) {
            word_penalty += 2;
          } else if (i >= 2 && before == Kind::kMark &&
                     class_of(static_cast<unsigned char>(word[i - 2])).kind == Kind::kMark) {
            word_penalty += 2;  // a third mark on one letter (a vowel and a tone mark at most)
          }
          break;
        case Kind::kDigit:
          if (b >= 0x80 && between_letters(i)) word_penalty += 4;
          break;
        case Kind::kLower:
        case Kind::kUpper:
        case Kind::kCaseless: {
          if (cls.script != kNoScript) scripts |= 1u << cls.script;
          if (cls.leading_vowel &&
              (i + 1 == word.size() ||
               !IsLetter(class_of(static_cast<unsigned char>(word[i + 1])).kind) ||
               class_of(static_cast<unsigned char>(word[i + 1])).leading_vowel)) {
            word_penalty += 2;
          }
          last_script = cls.script;
          if (letters == 0) {
            first_script = cls.script;
            first_upper = cls.kind == Kind::kUpper;
          } else {
            if (cls.kind == Kind::kUpper) ++uppers_after_first;
            if (cls.kind == Kind::kLower) ++lowers_after_first;
            if (i > 0 && cls.kind == Kind::kUpper &&
                class_of(static_cast<unsigned char>(word[i - 1])).kind == Kind::kLower &&
                (b >= 0x80 || static_cast<unsigned char>(word[i - 1]) >= 0x80)) {
              ++flips;
            }
          }
          ++letters;
          if (b >= 0x80) {
            ++high_letters;
            if (cls.script == kLatin) ++accented;
          }
          break;
        }
      }
    }
    if ((scripts & (scripts - 1)) != 0) word_penalty += 4;  // two scripts or more
    word_penalty += 3 * flips;
    if (IsBicameralNonLatin(first_script)) {
      ++bicameral_words;
      if (first_upper) ++capitalised_words;
    }
    if (letters >= 4 && accented * 5 > letters * 4) word_penalty += 2;
    if (letters == 1 && high_letters == 1) ++lone_letters[last_script];
    if (high_letters > 0 && letters >= 2) {
      if (uppers_after_first > 0 && lowers_after_first == 0) ++upper_words;
      if (lowers_after_first > 0 && uppers_after_first == 0) ++lower_words;
    }
    score.penalty += word_penalty;
    if (word_penalty == 0 && letters >= 2) score.reward += high_letters;
    if (score.penalty > limit) return score;  // cannot win any more
  }

  for (int s = kLatin; s < kScriptCount; ++s) {
    if (s != main) score.penalty += 2 * lone_letters[static_cast<std::size_t>(s)];
  }
  score.penalty += std::max(0L, upper_words - lower_words);
  if (bicameral_words >= 4 && capitalised_words == 0) score.penalty += bicameral_words;
  return score;
}

// Multi-byte structure: how many multi-byte characters, and how many bytes fit no character.
struct Structure {
  std::size_t multibyte = 0;
  std::size_t invalid = 0;
};

bool In(unsigned char c, unsigned char lo, unsigned char hi) { return c >= lo && c <= hi; }

Structure ShiftJis(std::string_view s) {
  Structure out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80 || In(c, 0xA1, 0xDF)) continue;  // ASCII, half-width katakana
    if ((In(c, 0x81, 0x9F) || In(c, 0xE0, 0xFC)) && i + 1 < s.size()) {
      const auto t = static_cast<unsigned char>(s[i + 1]);
      if (In(t, 0x40, 0x7E) || In(t, 0x80, 0xFC)) {
        ++out.multibyte;
        ++i;
        continue;
      }
    }
    ++out.invalid;
  }
  return out;
}

// EUC-KR and GB2312 (both bytes A1-FE); EUC-JP adds 8E (half-width katakana) and 8F (three
// bytes) when `japanese`.
Structure Euc(std::string_view s, bool japanese) {
  Structure out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) continue;
    const auto next = [&](std::size_t k) {
      return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0;
    };
    if (In(c, 0xA1, 0xFE) && In(next(1), 0xA1, 0xFE)) {
      ++out.multibyte;
      i += 1;
    } else if (japanese && c == 0x8E && In(next(1), 0xA1, 0xDF)) {
      ++out.multibyte;
      i += 1;
    } else if (japanese && c == 0x8F && In(next(1), 0xA1, 0xFE) && In(next(2), 0xA1, 0xFE)) {
      ++out.multibyte;
      i += 2;
    } else {
      ++out.invalid;
    }
  }
  return out;
}

Structure Gb18030(std::string_view s) {
  Structure out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) continue;
    const auto next = [&](std::size_t k) {
      return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0;
    };
    if (In(c, 0x81, 0xFE) && (In(next(1), 0x40, 0x7E) || In(next(1), 0x80, 0xFE))) {
      ++out.multibyte;
      i += 1;
    } else if (In(c, 0x81, 0xFE) && In(next(1), 0x30, 0x39) && In(next(2), 0x81, 0xFE) &&
               In(next(3), 0x30, 0x39)) {
      ++out.multibyte;
      i += 3;
    } else {
      ++out.invalid;
    }
  }
  return out;
}

Structure Big5(std::string_view s) {
  Structure out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) continue;
    const auto t = i + 1 < s.size() ? static_cast<unsigned char>(s[i + 1]) : 0;
    if (In(c, 0x81, 0xFE) && (In(t, 0x40, 0x7E) || In(t, 0xA1, 0xFE))) {
      ++out.multibyte;
      ++i;
    } else {
      ++out.invalid;
    }
  }
  return out;
}

// What a multi-byte candidate makes of the sample: characters above U+007F by kind.
struct CjkCounts {
  long total = 0;
  long kana = 0;       // Hiragana and Katakana (full width)
  long half_kana = 0;  // half-width Katakana: what Shift_JIS makes of EUC bytes
  long han = 0;
  long hangul = 0;  // syllables (not the compatibility jamo EUC-KR puts where EUC-JP has kana)
  long bad = 0;     // unassigned, private use, U+FFFD
};

// Decodes `sample` with ICU's converter for `charset` and counts; nullopt when ICU cannot.
std::optional<CjkCounts> CountCjk(std::string_view sample, const char* charset) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<UConverter, ConverterCloser> conv(ucnv_open(charset, &status));
  if (U_FAILURE(status) || !conv) return std::nullopt;
  std::u16string wide(sample.size() + 1, u'\0');  // at most one unit per byte
  const int32_t units = ucnv_toUChars(conv.get(), wide.data(), static_cast<int32_t>(wide.size()),
                                      sample.data(), static_cast<int32_t>(sample.size()), &status);
  if (U_FAILURE(status)) return std::nullopt;
  CjkCounts counts;
  for (int32_t i = 0; i < units;) {
    UChar32 c;
    U16_NEXT(wide.data(), i, units, c);
    if (c < 0x80) continue;
    ++counts.total;
    const auto type = static_cast<UCharCategory>(u_charType(c));
    if (c == 0xFFFD || c == 0x1A || type == U_UNASSIGNED || type == U_PRIVATE_USE_CHAR ||
        type == U_SURROGATE) {
      ++counts.bad;
    } else if (c >= 0x3040 && c <= 0x30FF) {
      ++counts.kana;
    } else if (c >= 0xFF61 && c <= 0xFF9F) {
      ++counts.half_kana;
    } else if (c >= 0xAC00 && c <= 0xD7A3) {
      ++counts.hangul;
    } else if (UErrorCode e = U_ZERO_ERROR; uscript_getScript(c, &e) == USCRIPT_HAN) {
      ++counts.han;
    }
  }
  return counts;
}

}  // namespace

SingleByteGuess GuessSingleByteCharset(std::string_view bytes) {
  const Sample sample = ExtractSample(bytes);
  const std::vector<CandidateTable>& tables = Tables();
  if (sample.words.empty() || tables.empty()) return {"windows-1252", true};
  // Candidates are read in order of their lower bounds, and reading stops when the next bound
  // is above the best score: this changes the cost only, not which candidate wins (the lowest
  // penalty, then the most letters in clean words, then the earliest in kCandidates).
  std::vector<std::pair<long, std::size_t>> order;  // (lower bound, index in kCandidates order)
  order.reserve(tables.size());
  for (std::size_t i = 0; i < tables.size(); ++i) {
    order.emplace_back(ScoreCandidate(tables[i], sample, -1).penalty, i);
  }
  std::sort(order.begin(), order.end());
  std::size_t best = 0;
  Score best_score;
  bool any = false;
  for (const auto& [bound, index] : order) {
    if (any && bound > best_score.penalty) break;
    const Score score = ScoreCandidate(tables[index], sample,
                                       any ? best_score.penalty : std::numeric_limits<long>::max());
    if (!any || score.penalty < best_score.penalty ||
        (score.penalty == best_score.penalty &&
         (score.reward > best_score.reward ||
          (score.reward == best_score.reward && index < best)))) {
      best = index;
      best_score = score;
      any = true;
    }
  }
  // "Clean": at most one point of penalty per 32 bytes above 0x7F (a stray symbol or name).
  // Right decodings of real text score 0 or nearly; a wrong one of a multi-byte text scores
  // about one point per byte or more.
  const bool clean = best_score.penalty * 32 <= static_cast<long>(best_score.high_bytes);
  return {tables[best].charset, clean};
}

std::string_view GuessMultiByteCharset(std::string_view bytes) {
  const std::string_view sample = bytes.substr(0, kScanBytes);
  // A candidate whose structure holds without one bad byte and whose characters all exist.
  const auto counts = [sample](const Structure& structure, const char* charset) {
    std::optional<CjkCounts> counted;
    if (structure.invalid == 0 && structure.multibyte > 0) counted = CountCjk(sample, charset);
    if (counted && counted->bad > 0) counted.reset();
    return counted;
  };
  // Japanese: kana (one character in ten or more), in full width.
  for (const auto& [structure, charset] :
       {std::pair{ShiftJis(sample), "Shift_JIS"}, std::pair{Euc(sample, true), "EUC-JP"}}) {
    const auto c = counts(structure, charset);
    if (c && c->kana * 10 >= c->total && c->half_kana == 0) return charset;
  }
  // Korean: Hangul syllables, nine in ten or more (Chinese read as EUC-KR has Hanja among
  // them, Japanese kanji too).
  const Structure euc = Euc(sample, false);
  if (const auto c = counts(euc, "EUC-KR"); c && c->hangul * 10 >= c->total * 9) return "EUC-KR";
  // Chinese: mostly Han. Big5 puts about half its characters on a second byte in the ASCII
  // range, GB2312 (the common part of GB18030) none.
  std::size_t pairs = 0;
  std::size_t ascii_trails = 0;
  for (std::size_t i = 0; i + 1 < sample.size(); ++i) {
    if (static_cast<unsigned char>(sample[i]) >= 0x81) {
      ++pairs;
      const auto t = static_cast<unsigned char>(sample[i + 1]);
      if (t >= 0x40 && t <= 0x7E) ++ascii_trails;
      ++i;
    }
  }
  const auto gb = counts(Gb18030(sample), "GB18030");
  const auto big5 = counts(Big5(sample), "Big5");
  const bool gb_han = gb && gb->han * 2 >= gb->total;
  const bool big5_han = big5 && big5->han * 2 >= big5->total;
  if (gb_han && (!big5 || ascii_trails == 0)) return "GB18030";
  if (big5_han && !gb && ascii_trails * 10 >= pairs) return "Big5";
  return {};
}

bool MultiByteStructurePlausible(std::string_view bytes) {
  const std::string_view sample = bytes.substr(0, kScanBytes);
  // A few characters, and at most one bad byte in 64 (a truncated character, a stray byte).
  const auto plausible = [](const Structure& s) {
    return s.multibyte >= 4 && s.invalid * 64 <= s.multibyte;
  };
  return plausible(ShiftJis(sample)) || plausible(Euc(sample, false)) ||
         plausible(Euc(sample, true)) || plausible(Gb18030(sample)) || plausible(Big5(sample));
}

}  // namespace raqib::feeds
