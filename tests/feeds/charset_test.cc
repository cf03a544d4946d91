// Charset decoding: declarations, byte order marks, detection, replacement of bad bytes.
#include <unicode/ucnv.h>
#include <unicode/ucnv_cb.h>
#include <unicode/ustring.h>

#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "feeds/charset.h"

using raqib::feeds::CharsetFromContentType;
using raqib::feeds::CharsetFromXmlDeclaration;
using raqib::feeds::DecodedText;
using raqib::feeds::DecodeToUtf8;

TEST_CASE("feeds::CharsetFromContentType reads the charset parameter") {
  CHECK(CharsetFromContentType("text/xml; charset=windows-1256") == "windows-1256");
  CHECK(CharsetFromContentType("application/rss+xml;Charset=\"ISO-8859-6\"") == "ISO-8859-6");
  CHECK(CharsetFromContentType("text/xml; charset = 'utf-8' ; q=1") == "utf-8");
  CHECK(CharsetFromContentType("text/xml").empty());
  CHECK(CharsetFromContentType("").empty());
}

TEST_CASE("feeds::CharsetFromXmlDeclaration reads encoding=") {
  CHECK(CharsetFromXmlDeclaration("<?xml version=\"1.0\" encoding=\"windows-1256\"?><rss/>") ==
        "windows-1256");
  CHECK(CharsetFromXmlDeclaration("\n <?xml version='1.0' encoding='iso-8859-6' ?>") ==
        "iso-8859-6");
  CHECK(CharsetFromXmlDeclaration("<?xml version=\"1.0\"?><rss/>").empty());
  CHECK(CharsetFromXmlDeclaration("<rss encoding=\"x\"/>").empty());
}

TEST_CASE("feeds::DecodeToUtf8 follows BOM, then HTTP, then the XML declaration") {
  const std::string arabic_1256 =
      "<?xml version=\"1.0\" encoding=\"windows-1256\"?><t>\xC7\xE1</t>";
  DecodedText decoded = DecodeToUtf8(arabic_1256);
  CHECK(decoded.encoding == "windows-1256");
  CHECK(decoded.source == "xml");
  CHECK(decoded.utf8.find("<t>ال</t>") != std::string::npos);

  // HTTP wins over the declaration: the same bytes as ISO-8859-6 (0xE1 is FEH there).
  decoded = DecodeToUtf8(arabic_1256, "text/xml; charset=ISO-8859-6");
  CHECK(decoded.source == "http");
  CHECK(decoded.utf8.find("<t>اف</t>") != std::string::npos);

  // A byte order mark beats both.
  decoded = DecodeToUtf8("\xEF\xBB\xBF<t>\xD8\xA7</t>", "text/xml; charset=windows-1256");
  CHECK(decoded.source == "bom");
  CHECK(decoded.encoding == "UTF-8");
  CHECK(decoded.utf8 == "<t>ا</t>");
}

TEST_CASE("feeds::DecodeToUtf8 reads UTF-8 mislabelled as ISO-8859-1 as UTF-8") {
  const DecodedText decoded =
      DecodeToUtf8("<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><t>caf\xC3\xA9</t>");
  CHECK(decoded.encoding == "UTF-8");
  CHECK(decoded.utf8.ends_with("<t>café</t>"));
  // Genuine Latin-1 bytes keep the declaration.
  CHECK(DecodeToUtf8("<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><t>caf\xE9</t>")
            .utf8.ends_with("<t>café</t>"));
}

TEST_CASE("feeds::DecodeToUtf8 replaces invalid bytes instead of failing") {
  // Mostly good UTF-8 with one stray byte stays UTF-8.
  DecodedText decoded = DecodeToUtf8("<t>\xD8\xA7\xD9\x84\xD8\xA7\xD9\x84 \xFF end</t>");
  CHECK(decoded.encoding == "UTF-8");
  CHECK(decoded.replaced);
  CHECK(decoded.utf8 == "<t>الال \xEF\xBF\xBD end</t>");

  // Bytes a charset has no character for become U+FFFD too (0xA1 is unassigned in ISO-8859-6).
  decoded = DecodeToUtf8("<t>\xA1</t>", "text/xml; charset=iso-8859-6");
  CHECK(decoded.replaced);
  CHECK(decoded.utf8 == "<t>\xEF\xBF\xBD</t>");

  // An unknown charset name is noted, and the bytes are still decoded.
  decoded = DecodeToUtf8("<t>plain</t>", "text/xml; charset=no-such-charset");
  CHECK_FALSE(decoded.warning.empty());
  CHECK(decoded.utf8 == "<t>plain</t>");
}

TEST_CASE("feeds::DecodeToUtf8 reads UTF-16 and UTF-32 with and without a byte order mark") {
  const std::string le_bom("\xFF\xFE<\0t\0>\0'\x06<\0/\0t\0>\0", 18);
  const std::string be_no_bom("\0<\0t\0>\x06'\0<\0/\0t\0>", 16);
  const std::string utf32be_no_bom("\0\0\0<\0\0\0t\0\0\0>\0\0\x06'", 16);
  for (const auto& [bytes, encoding] :
       {std::pair{le_bom, "UTF-16LE"}, std::pair{be_no_bom, "UTF-16BE"},
        std::pair{utf32be_no_bom, "UTF-32BE"}}) {
    INFO(encoding);
    const DecodedText decoded = DecodeToUtf8(bytes);
    CHECK(decoded.encoding == encoding);
    CHECK(decoded.utf8.starts_with("<t>ا"));
  }
}

TEST_CASE("feeds::DecodeToUtf8 tells windows-1256 from ISO-8859-6 in short undeclared text") {
  // "قال الرئيس إن الهجوم استهدف الحي" in each code page (bytes from iconv).
  const std::string in_1256 =
      "<t>\xDE\xC7\xE1 \xC7\xE1\xD1\xC6\xED\xD3 \xC5\xE4 \xC7\xE1\xE5\xCC\xE6\xE3 "
      "\xC7\xD3\xCA\xE5\xCF\xDD \xC7\xE1\xCD\xED</t>";
  const DecodedText as_1256 = DecodeToUtf8(in_1256);
  CHECK(as_1256.encoding == "windows-1256");
  CHECK(as_1256.utf8 == "<t>قال الرئيس إن الهجوم استهدف الحي</t>");

  const std::string in_8859 =
      "<t>\xE2\xC7\xE4 \xC7\xE4\xD1\xC6\xEA\xD3 \xC5\xE6 \xC7\xE4\xE7\xCC\xE8\xE5 "
      "\xC7\xD3\xCA\xE7\xCF\xE1 \xC7\xE4\xCD\xEA</t>";
  const DecodedText as_8859 = DecodeToUtf8(in_8859);
  CHECK(as_8859.encoding == "ISO-8859-6");
  CHECK(as_8859.utf8 == "<t>قال الرئيس إن الهجوم استهدف الحي</t>");
}

namespace {

// What ConvertToUtf8 does with a byte ICU cannot map: U+FFFD (ICU's own default may be U+001A).
void SubstituteReplacementCharacter(const void*, UConverterToUnicodeArgs* args, const char*,
                                    int32_t, UConverterCallbackReason reason, UErrorCode* status) {
  if (reason != UCNV_UNASSIGNED && reason != UCNV_ILLEGAL && reason != UCNV_IRREGULAR) return;
  static const UChar kReplacement = 0xFFFD;
  *status = U_ZERO_ERROR;
  ucnv_cbToUWriteUChars(args, &kReplacement, 1, 0, status);
}

// `bytes` in `charset` to UTF-8 by ICU itself, in one call over the whole buffer.
std::string IcuToUtf8(const std::string& bytes, const char* charset) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<UConverter, void (*)(UConverter*)> conv(ucnv_open(charset, &status), ucnv_close);
  REQUIRE(U_SUCCESS(status));
  ucnv_setToUCallBack(conv.get(), SubstituteReplacementCharacter, nullptr, nullptr, nullptr,
                      &status);
  std::u16string wide(bytes.size() * 2 + 4, u'\0');
  const int32_t units = ucnv_toUChars(conv.get(), wide.data(), static_cast<int32_t>(wide.size()),
                                      bytes.data(), static_cast<int32_t>(bytes.size()), &status);
  REQUIRE(U_SUCCESS(status));
  std::string utf8(static_cast<std::size_t>(units) * 3 + 1, '\0');
  int32_t length = 0;
  u_strToUTF8WithSub(utf8.data(), static_cast<int32_t>(utf8.size()), &length, wide.data(), units,
                     0xFFFD, nullptr, &status);
  REQUIRE(U_SUCCESS(status));
  utf8.resize(static_cast<std::size_t>(length));
  return utf8;
}

}  // namespace

TEST_CASE("feeds::ConvertToUtf8 converts single-byte charsets by table exactly as ICU does") {
  std::string bytes;
  for (int b = 0; b < 256; ++b) bytes.push_back(static_cast<char>(b));
  bytes += "<t>\xC7\xE1\xD1\xC6\xED\xD3 \x80\x9F\xFF</t>";  // and again, in context
  for (const char* charset :
       {"windows-1256", "ISO-8859-6", "windows-1252", "windows-1255", "ISO-8859-8", "KOI8-R",
        "windows-1251", "ISO-8859-7", "windows-874", "ISO-8859-2"}) {
    INFO(charset);
    const std::string expected = IcuToUtf8(bytes, charset);
    for (int pass = 0; pass < 2; ++pass) {  // building the table, then using it
      std::string out;
      bool replaced = false;
      REQUIRE(raqib::feeds::ConvertToUtf8(bytes, charset, out, replaced));
      CHECK(out == expected);
      CHECK(replaced == (expected.find("\xEF\xBF\xBD") != std::string::npos));
    }
  }
}
