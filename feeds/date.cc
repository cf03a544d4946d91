#include "feeds/date.h"

#include <array>
#include <cctype>
#include <chrono>
#include <string>

namespace raqib::feeds {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// ASCII only (the words it is given are ASCII letters): std::tolower's locale look-up per
// character cost more than the rest of reading a date.
std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
  }
  return out;
}

// Reads up to `max` digits at text[i]; returns how many were read.
int ReadNumber(std::string_view text, std::size_t& i, int max, int& value) {
  int n = 0;
  value = 0;
  while (i < text.size() && n < max && IsDigit(text[i])) {
    value = value * 10 + (text[i] - '0');
    ++i;
    ++n;
  }
  return n;
}

int MonthFromName(std::string_view word) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
  if (word.size() < 3) return 0;
  const std::string lower = Lower(word);
  for (std::size_t m = 0; m < kMonths.size(); ++m) {
    if (lower.starts_with(kMonths[m])) return static_cast<int>(m) + 1;
  }
  return 0;
}

bool IsDayName(std::string_view word) {
  static constexpr std::array<std::string_view, 7> kDays = {"mon", "tue", "wed", "thu",
                                                            "fri", "sat", "sun"};
  if (word.size() < 3) return false;
  const std::string lower = Lower(word);
  for (std::string_view day : kDays) {
    if (lower.starts_with(day)) return true;
  }
  return false;
}

// Offset in minutes of a named zone; nullopt when the word is not one.
std::optional<int> ZoneFromName(std::string_view word) {
  struct Zone {
    std::string_view name;
    int minutes;
  };
  static constexpr Zone kZones[] = {
      {"z", 0},      {"ut", 0},      {"utc", 0},     {"gmt", 0},    {"wet", 0},    {"est", -300},
      {"edt", -240}, {"cst", -360},  {"cdt", -300},  {"mst", -420}, {"mdt", -360}, {"pst", -480},
      {"pdt", -420}, {"akst", -540}, {"akdt", -480}, {"hst", -600}, {"ast", -240}, {"adt", -180},
      {"nst", -210}, {"ndt", -150},  {"bst", 60},    {"west", 60},  {"cet", 60},   {"met", 60},
      {"cest", 120}, {"mest", 120},  {"eet", 120},   {"eest", 180}, {"msk", 180},  {"msd", 240},
      {"ist", 330},  {"pkt", 300},   {"sgt", 480},   {"hkt", 480},  {"awst", 480}, {"jst", 540},
      {"kst", 540},  {"acst", 570},  {"aest", 600},  {"aedt", 660}, {"nzst", 720}, {"nzdt", 780},
      {"idt", 180},  {"irst", 210},  {"gst", 240},
  };
  const std::string lower = Lower(word);
  for (const Zone& zone : kZones) {
    if (lower == zone.name) return zone.minutes;
  }
  return std::nullopt;
}

// Reads a numeric offset at text[i] ("+0300", "+03:00", "+3", "-05"), sign included.
std::optional<int> ReadOffset(std::string_view text, std::size_t& i) {
  if (i >= text.size() || (text[i] != '+' && text[i] != '-')) return std::nullopt;
  const int sign = text[i] == '-' ? -1 : 1;
  std::size_t j = i + 1;
  int value = 0;
  const int digits = ReadNumber(text, j, 4, value);
  int hours = 0;
  int minutes = 0;
  if (digits == 4) {
    hours = value / 100;
    minutes = value % 100;
  } else if (digits == 1 || digits == 2) {
    hours = value;
    if (j < text.size() && text[j] == ':') {
      std::size_t k = j + 1;
      int m = 0;
      if (ReadNumber(text, k, 2, m) == 2) {
        minutes = m;
        j = k;
      }
    }
  } else {
    return std::nullopt;
  }
  if (hours > 14 || minutes > 59) return std::nullopt;
  i = j;
  return sign * (hours * 60 + minutes);
}

struct Fields {
  int year = -1;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int offset_minutes = 0;
};

std::optional<Timestamp> Compose(const Fields& f) {
  if (f.year < 0 || f.month < 1 || f.month > 12 || f.day < 1 || f.day > 31) return std::nullopt;
  if (f.hour > 24 || f.minute > 59 || f.second > 60) return std::nullopt;
  if (f.hour == 24 && (f.minute != 0 || f.second != 0)) return std::nullopt;
  int year = f.year;
  if (year < 100) year += year < 50 ? 2000 : 1900;
  if (year < 1000 || year > 9999) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{year},
                                        std::chrono::month{static_cast<unsigned>(f.month)},
                                        std::chrono::day{static_cast<unsigned>(f.day)}};
  if (!ymd.ok()) return std::nullopt;
  const int second = f.second == 60 ? 59 : f.second;  // a leap second is the second before
  return std::chrono::sys_days{ymd} + std::chrono::hours{f.hour} + std::chrono::minutes{f.minute} +
         std::chrono::seconds{second} - std::chrono::minutes{f.offset_minutes};
}

// ISO 8601 / RFC 3339 / W3CDTF: "2014-07-06T12:56:00.123+03:00", "20140706T125600Z",
// "2014-07-06 12:56", "2014-07", "2014".
std::optional<Timestamp> ParseIso(std::string_view text) {
  Fields f;
  std::size_t i = 0;
  if (ReadNumber(text, i, 4, f.year) != 4) return std::nullopt;
  f.month = 1;
  f.day = 1;
  if (i < text.size() && (text[i] == '-' || IsDigit(text[i]))) {
    if (text[i] == '-') ++i;
    if (ReadNumber(text, i, 2, f.month) != 2) return std::nullopt;
    if (i < text.size() && (text[i] == '-' || IsDigit(text[i]))) {
      if (text[i] == '-') ++i;
      if (ReadNumber(text, i, 2, f.day) != 2) return std::nullopt;
    }
  }
  if (i < text.size() && (text[i] == 'T' || text[i] == 't' || text[i] == ' ')) {
    ++i;
    while (i < text.size() && text[i] == ' ') ++i;
    if (ReadNumber(text, i, 2, f.hour) != 2) return std::nullopt;
    if (i < text.size() && text[i] == ':') ++i;
    if (ReadNumber(text, i, 2, f.minute) != 2) return std::nullopt;
    if (i < text.size() && (text[i] == ':' || IsDigit(text[i]))) {
      if (text[i] == ':') ++i;
      if (ReadNumber(text, i, 2, f.second) != 2) return std::nullopt;
    }
    if (i < text.size() && (text[i] == '.' || text[i] == ',')) {
      ++i;
      while (i < text.size() && IsDigit(text[i])) ++i;
    }
    while (i < text.size() && text[i] == ' ') ++i;
    if (i < text.size()) {
      if (text[i] == 'Z' || text[i] == 'z') {
        ++i;
      } else if (auto offset = ReadOffset(text, i)) {
        f.offset_minutes = *offset;
      } else {
        std::size_t end = i;
        while (end < text.size() && IsAlpha(text[end])) ++end;
        const auto zone = ZoneFromName(text.substr(i, end - i));
        if (!zone) return std::nullopt;
        f.offset_minutes = *zone;
        i = end;
      }
    }
  }
  while (i < text.size() && text[i] == ' ') ++i;
  if (i != text.size()) return std::nullopt;
  return Compose(f);
}

// Everything else, RFC 822 first among them: reads words and numbers in any order and assigns
// each to the field it can only be.
std::optional<Timestamp> ParseLoose(std::string_view text) {
  Fields f;
  bool have_time = false;
  bool have_zone = false;
  bool pm = false;
  bool am = false;
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (IsAlpha(c)) {
      std::size_t end = i;
      while (end < text.size() && IsAlpha(text[end])) ++end;
      const std::string_view word = text.substr(i, end - i);
      i = end;
      const std::string lower = Lower(word);
      if (lower == "am" || lower == "a") {
        am = true;
      } else if (lower == "pm" || lower == "p") {
        pm = true;
      } else if (const int month = MonthFromName(word);
                 month != 0 && f.month == 0 && !IsDayName(word)) {
        f.month = month;
      } else if (const auto zone = ZoneFromName(word); zone && !have_zone) {
        f.offset_minutes = *zone;
        have_zone = lower != "gmt" && lower != "utc" && lower != "ut";
        // "GMT+3", "UTC-05:00": the offset that follows is the zone.
        if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
          if (auto offset = ReadOffset(text, i)) {
            f.offset_minutes = *offset;
            have_zone = true;
          }
        }
      } else if (lower == "t" && f.day != 0) {
        // the ISO date/time separator
      } else if (!IsDayName(word) && lower != "at" && lower != "of" && lower != "the" &&
                 lower != "th" && lower != "st" && lower != "nd" && lower != "rd") {
        // An unknown word: not a date we can trust unless the fields are already complete.
        if (f.year < 0 || f.month == 0 || f.day == 0) return std::nullopt;
      }
      continue;
    }
    if ((c == '+' || c == '-') && have_time && !have_zone) {
      if (auto offset = ReadOffset(text, i)) {
        f.offset_minutes = *offset;
        have_zone = true;
        continue;
      }
    }
    if (IsDigit(c)) {
      int value = 0;
      const std::size_t start = i;
      const int digits = ReadNumber(text, i, 8, value);
      if (i < text.size() && text[i] == ':' && digits <= 2 && !have_time) {
        f.hour = value;
        ++i;
        if (ReadNumber(text, i, 2, f.minute) != 2) return std::nullopt;
        if (i < text.size() && text[i] == ':') {
          ++i;
          if (ReadNumber(text, i, 2, f.second) != 2) return std::nullopt;
        }
        if (i < text.size() && (text[i] == '.' || text[i] == ',') && i + 1 < text.size() &&
            IsDigit(text[i + 1])) {
          ++i;
          while (i < text.size() && IsDigit(text[i])) ++i;
        }
        have_time = true;
        continue;
      }
      // Numeric dates: 2014-07-06, 2014/07/06, 06/07/2014 (day first when it must be).
      if (i < text.size() && (text[i] == '-' || text[i] == '/' || text[i] == '.') && f.year < 0 &&
          f.month == 0 && f.day == 0) {
        const char sep = text[i];
        std::size_t j = i + 1;
        int second_value = 0;
        const int second_digits = ReadNumber(text, j, 4, second_value);
        if (second_digits > 0 && j < text.size() && text[j] == sep) {
          ++j;
          int third_value = 0;
          const int third_digits = ReadNumber(text, j, 4, third_value);
          if (third_digits > 0) {
            if (digits == 4) {
              f.year = value;
              f.month = second_value;
              f.day = third_value;
            } else if (third_digits == 4 || third_digits == 2) {
              f.year = third_value;
              if (value > 12) {
                f.day = value;
                f.month = second_value;
              } else {
                f.month = value;
                f.day = second_value;
              }
            } else {
              return std::nullopt;
            }
            i = j;
            continue;
          }
        }
      }
      if (digits == 4 && f.year < 0) {
        f.year = value;
      } else if (digits <= 2 && f.day == 0 && !(f.month != 0 && f.year >= 0 && have_time)) {
        f.day = value;
      } else if (digits <= 2 && f.year < 0 && f.day != 0) {
        f.year = value;
      } else if (digits == 8 && f.year < 0) {  // 20140706
        f.year = value / 10000;
        f.month = value / 100 % 100;
        f.day = value % 100;
      } else if (start > 0 && (text[start - 1] == '+' || text[start - 1] == '-')) {
        return std::nullopt;
      } else {
        return std::nullopt;
      }
      continue;
    }
    ++i;  // separators: space , . - / ( )
  }
  if (pm && f.hour < 12) f.hour += 12;
  if (am && f.hour == 12) f.hour = 0;
  return Compose(f);
}

}  // namespace

std::optional<Timestamp> ParseDate(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  if (text.empty() || text.size() > 128) return std::nullopt;
  if (text.size() >= 4 && IsDigit(text[0]) && IsDigit(text[1]) && IsDigit(text[2]) &&
      IsDigit(text[3])) {
    if (auto iso = ParseIso(text)) return iso;
  }
  return ParseLoose(text);
}

}  // namespace raqib::feeds
