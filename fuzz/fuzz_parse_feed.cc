// libFuzzer entry point: the feed parser and the charset decoder must accept any bytes without
// crashing, hanging or growing without bound. Seeds: ../shared/data/feeds (scripts/fuzz.sh).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "feeds/charset.h"
#include "feeds/date.h"
#include "feeds/html_text.h"
#include "feeds/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // The HTTP Content-Type varies with the input's length, so every seed stays byte-identical and
  // the declared-charset paths (right, wrong, unknown, wide) are all reached.
  static constexpr std::string_view kContentTypes[] = {
      "",
      "application/rss+xml; charset=utf-8",
      "text/xml; charset=windows-1256",
      "text/xml; charset=\"ISO-8859-6\"",
      "application/atom+xml; charset=utf-16",
      "text/html; charset=bogus-charset",
      "application/xml; charset=us-ascii",
  };
  const std::string_view content_type = kContentTypes[size % std::size(kContentTypes)];

  raqib::feeds::ParseOptions options;
  options.content_type = content_type;
  options.base_url = "http://example.com/feeds/main.xml";
  const raqib::feeds::ParseResult result = raqib::feeds::ParseFeed(bytes, options);
  // Every field must be valid UTF-8: the daemon serialises them as JSON.
  for (const auto& item : result.feed.items) {
    if (!raqib::feeds::IsValidUtf8(item.title) || !raqib::feeds::IsValidUtf8(item.summary) ||
        !raqib::feeds::IsValidUtf8(item.content) || !raqib::feeds::IsValidUtf8(item.link)) {
      __builtin_trap();
    }
  }

  // The pieces on their own, on the raw bytes.
  const raqib::feeds::DecodedText decoded = raqib::feeds::DecodeToUtf8(bytes, content_type);
  if (!raqib::feeds::IsValidUtf8(decoded.utf8)) __builtin_trap();
  const std::string text = raqib::feeds::HtmlToText(decoded.utf8);
  if (!raqib::feeds::IsValidUtf8(text)) __builtin_trap();
  // The direct HTML path must give gumbo's characters; only white space may differ.
  const auto visible = [](std::string_view s) {
    std::string out;
    for (char c : s) {
      if (c != ' ' && c != '\n') out.push_back(c);
    }
    return out;
  };
  if (visible(text) != visible(raqib::feeds::HtmlToTextWithGumbo(decoded.utf8))) __builtin_trap();
  (void)raqib::feeds::ParseDate(bytes.substr(0, 128));
  return 0;
}
