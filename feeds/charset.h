// Decoding the bytes of a feed to UTF-8 (internal to feeds/). Every input decodes: invalid or
// unmappable bytes become U+FFFD, never an error.
#pragma once

#include <string>
#include <string_view>

namespace raqib::feeds {

struct DecodedText {
  std::string utf8;      // the document as UTF-8, without a byte order mark
  std::string encoding;  // the charset the bytes were decoded from, as ICU names it
  // How the charset was chosen: "bom", "http", "xml", "detected" or "default".
  std::string source;
  bool replaced = false;  // some bytes were invalid or unmappable and became U+FFFD
  // Set when a declared charset was unknown or could not be right for the bytes.
  std::string warning;
};

// The charset parameter of an HTTP Content-Type ("text/xml; charset=windows-1256" ->
// "windows-1256"), unquoted; empty when absent.
std::string CharsetFromContentType(std::string_view content_type);

// The encoding="..." of an XML declaration at the start of `bytes` (ASCII-compatible bytes
// only); empty when absent.
std::string CharsetFromXmlDeclaration(std::string_view bytes);

// True when `bytes` is well-formed UTF-8.
bool IsValidUtf8(std::string_view bytes);

// Decodes `bytes` to UTF-8. Order of trust: a byte order mark; the UTF-16/32 shape of "<?xml"
// without one; the HTTP charset; the XML declaration; detection when nothing is declared or the
// declaration cannot be right (e.g. "utf-8" over bytes that are not UTF-8): UTF-8 when the bytes
// are, else our own single-byte detector (charset_detect.h), else ICU's for possible East Asian
// multi-byte text. Arabic text is told apart between windows-1256 and ISO-8859-6 by which one
// decodes to more Arabic letters.
DecodedText DecodeToUtf8(std::string_view bytes, std::string_view content_type = {});

// Converts `bytes` in `charset` (any name ICU knows) to UTF-8 with U+FFFD for bad bytes.
// Returns false, leaving `out` untouched, when ICU does not know the charset.
bool ConvertToUtf8(std::string_view bytes, std::string_view charset, std::string& out,
                   bool& replaced);

}  // namespace raqib::feeds
