// Charset decoding: declarations, byte order marks, detection, replacement of bad bytes.
#include <iconv.h>
#include <unicode/ucnv.h>
#include <unicode/ucnv_cb.h>
#include <unicode/ustring.h>

#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "feeds/charset.h"
#include "feeds/charset_detect.h"

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

namespace {

// `utf8` in `charset`, converted by the C library's iconv (independent of ICU, which the
// detector's tables come from). Every character must exist in the charset.
std::string Iconv(const std::string& utf8, const char* charset) {
  const iconv_t cd = iconv_open(charset, "UTF-8");
  REQUIRE(cd != reinterpret_cast<iconv_t>(-1));
  std::string out(utf8.size() * 4 + 16, '\0');
  char* in_ptr = const_cast<char*>(utf8.data());
  std::size_t in_left = utf8.size();
  char* out_ptr = out.data();
  std::size_t out_left = out.size();
  const std::size_t result = iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left);
  iconv_close(cd);
  REQUIRE(result != static_cast<std::size_t>(-1));
  out.resize(out.size() - out_left);
  return out;
}

// A one-item RSS feed around `text`, without any charset declaration.
std::string Feed(const std::string& text) {
  return "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>News</title><item><title>" +
         text + "</title><description>" + text + "</description></item></channel></rss>\n";
}

struct Sentence {
  const char* language;
  const char* utf8;
};

// Sentences we wrote, one per script or language family the single-byte code pages serve.
constexpr Sentence kRussian = {
    "Russian",
    "Москва - столица России. Сегодня в городе прошёл сильный дождь, и жители остались дома. "
    "Власти просят водителей быть осторожными на дорогах."};
constexpr Sentence kUkrainian = {
    "Ukrainian",
    "Київ є столицею України. Сьогодні в місті пройшов сильний дощ, і мешканці залишилися "
    "вдома. Ґрунт на полях дуже вологий."};
constexpr Sentence kGreek = {
    "Greek",
    "Η Αθήνα είναι η πρωτεύουσα της Ελλάδας. Σήμερα έβρεξε πολύ στην πόλη και οι κάτοικοι "
    "έμειναν στο σπίτι. Άνοιξαν ξανά τα σχολεία."};
constexpr Sentence kHebrew = {
    "Hebrew",
    "ירושלים היא בירת ישראל. היום ירד גשם חזק בעיר והתושבים נשארו בבתיהם. הרשויות מבקשות "
    "מהנהגים להיזהר בכבישים."};
constexpr Sentence kTurkish = {
    "Turkish",
    "Türkiye'nin başkenti Ankara'dır. Bugün İstanbul'da çok güzel bir gün geçirdik, ağaçlar "
    "yeşil ve hava ılık."};
constexpr Sentence kPolish = {
    "Polish",
    "Wczoraj w Warszawie padał śnieg, a dzieci bawiły się na ulicach. Żółty żółw łaził po "
    "łące i jadł świeżą trawę."};
constexpr Sentence kCzech = {"Czech",
                             "Příliš žluťoučký kůň úpěl ďábelské ódy. Dnes v Praze celý den "
                             "pršelo a řeka se rozvodnila."};
constexpr Sentence kFrench = {
    "French",
    "Le président a déclaré que la réunion à Genève était très importante pour l'avenir de la "
    "région. Les élèves sont restés à la maison."};
constexpr Sentence kGerman = {
    "German",
    "Die Bürger der Stadt müssen für die Größe des Schadens aufkommen, sagte der Bürgermeister "
    "am Dienstag. Über die Höhe wird später entschieden."};
// Two "ال" only: LooksArabic (three) leaves it to the detector.
constexpr Sentence kArabic = {"Arabic", "أعلنت وزارة الزراعة عن خطة جديدة لدعم المزارعين"};
constexpr Sentence kThai = {"Thai", "กรุงเทพมหานครเป็นเมืองหลวงของประเทศไทย วันนี้ฝนตกหนักทั้งวัน"};

}  // namespace

TEST_CASE("feeds::GuessSingleByteCharset finds the code page of undeclared text we wrote") {
  struct Case {
    Sentence sentence;
    const char* iconv_name;
    const char* expected;  // as DecodeToUtf8 names it
  };
  const Case cases[] = {
      {kRussian, "CP1251", "windows-1251"},   {kRussian, "KOI8-R", "KOI8-R"},
      {kRussian, "ISO-8859-5", "ISO-8859-5"}, {kRussian, "CP866", "IBM866"},
      {kUkrainian, "CP1251", "windows-1251"}, {kUkrainian, "KOI8-U", "KOI8-U"},
      {kGreek, "CP1253", "windows-1253"},     {kGreek, "ISO-8859-7", "ISO-8859-7"},
      {kHebrew, "CP1255", "windows-1255"},    {kTurkish, "CP1254", "windows-1254"},
      {kPolish, "CP1250", "windows-1250"},    {kPolish, "ISO-8859-2", "ISO-8859-2"},
      {kCzech, "CP1250", "windows-1250"},     {kCzech, "ISO-8859-2", "ISO-8859-2"},
      {kFrench, "CP1252", "windows-1252"},    {kFrench, "ISO-8859-1", "windows-1252"},
      {kGerman, "CP1252", "windows-1252"},    {kArabic, "CP1256", "windows-1256"},
      {kArabic, "ISO-8859-6", "ISO-8859-6"},  {kThai, "TIS-620", "windows-874"},
  };
  for (const Case& c : cases) {
    INFO(c.sentence.language << " in " << c.iconv_name);
    const std::string bytes = Feed(Iconv(c.sentence.utf8, c.iconv_name));
    const DecodedText decoded = DecodeToUtf8(bytes);
    CHECK(decoded.source == "detected");
    CHECK(decoded.encoding == c.expected);
    CHECK(decoded.utf8 == Feed(c.sentence.utf8));
    // None of these is a multi-byte encoding's well-formed text; if one were, ICU would be
    // asked only when no single-byte code page reads it cleanly.
    CHECK(raqib::feeds::GuessSingleByteCharset(bytes).clean);
  }
}

TEST_CASE("feeds::GuessSingleByteCharset does not confuse code pages of one script") {
  using raqib::feeds::GuessSingleByteCharset;
  // The classic confusions, each way round: Cyrillic code pages swap case and letters, Hebrew
  // read as windows-1251 or -1253 is all lower-case Cyrillic or Greek, Turkish read as
  // windows-1252 is Icelandic-looking, Polish and Czech read as windows-1252 are accented soup.
  CHECK(GuessSingleByteCharset(Feed(Iconv(kRussian.utf8, "CP1251"))).charset != "KOI8-R");
  CHECK(GuessSingleByteCharset(Feed(Iconv(kRussian.utf8, "KOI8-R"))).charset != "windows-1251");
  CHECK(GuessSingleByteCharset(Feed(Iconv(kHebrew.utf8, "CP1255"))).charset != "windows-1251");
  CHECK(GuessSingleByteCharset(Feed(Iconv(kHebrew.utf8, "CP1255"))).charset != "windows-1253");
  CHECK(GuessSingleByteCharset(Feed(Iconv(kTurkish.utf8, "CP1254"))).charset != "windows-1252");
  CHECK(GuessSingleByteCharset(Feed(Iconv(kPolish.utf8, "CP1250"))).charset != "windows-1252");
  CHECK(GuessSingleByteCharset(Feed(Iconv(kCzech.utf8, "CP1250"))).charset != "windows-1252");
  CHECK(GuessSingleByteCharset(Feed(Iconv(kFrench.utf8, "CP1252"))).charset != "windows-1250");
  CHECK(GuessSingleByteCharset(Feed(Iconv(kRussian.utf8, "CP1251"))).charset != "windows-1252");
  CHECK(GuessSingleByteCharset(Feed(Iconv(kGreek.utf8, "CP1253"))).charset != "windows-1252");
}

TEST_CASE("feeds::DecodeToUtf8 and GuessMultiByteCharset read East Asian multi-byte text") {
  using raqib::feeds::GuessMultiByteCharset;
  using raqib::feeds::GuessSingleByteCharset;
  using raqib::feeds::MultiByteStructurePlausible;
  const std::string japanese =
      "東京は日本の首都です。今日は一日中雨が降りました。明日は晴れるでしょう。";
  const std::string korean = "서울은 대한민국의 수도입니다. 오늘은 하루 종일 비가 내렸습니다.";
  const std::string chinese = "北京是中国的首都。今天全天下雨，明天会是晴天。";
  const std::string traditional = "台北是台灣最大的城市。今天全天下雨，明天會是晴天。";
  struct Case {
    const std::string& text;
    const char* iconv_name;
    const char* expected;  // as ICU names it
  };
  for (const Case& c : {Case{japanese, "SHIFT_JIS", "Shift_JIS"},
                        Case{japanese, "EUC-JP", "EUC-JP"}, Case{korean, "EUC-KR", "EUC-KR"},
                        Case{chinese, "GB2312", "GB18030"}, Case{traditional, "BIG5", "Big5"}}) {
    INFO(c.iconv_name);
    const std::string bytes = Feed(Iconv(c.text, c.iconv_name));
    CHECK(MultiByteStructurePlausible(bytes));
    CHECK_FALSE(GuessSingleByteCharset(bytes).clean);
    CHECK(GuessMultiByteCharset(bytes) == c.expected);
    const DecodedText decoded = DecodeToUtf8(bytes);
    CHECK(decoded.source == "detected");
    CHECK(decoded.encoding == c.expected);
    CHECK(decoded.utf8 == Feed(c.text));
  }
  // No answer where the rules cannot be sure: kanji without kana could be Chinese or
  // Japanese, and bytes no candidate reads without a bad character are none of them (ICU
  // decides; the text still decodes).
  const std::string kanji_only = Feed(Iconv("東京都知事選挙", "EUC-JP"));
  CHECK(GuessMultiByteCharset(kanji_only) != "EUC-JP");
  CHECK(GuessMultiByteCharset(Feed(Iconv(kRussian.utf8, "CP1251"))).empty());
  CHECK(GuessMultiByteCharset(std::string(64, '\xFF')).empty());
  CHECK(raqib::feeds::IsValidUtf8(DecodeToUtf8(kanji_only).utf8));
  // Single-byte text with an odd-length word of high bytes is no multi-byte text.
  CHECK_FALSE(MultiByteStructurePlausible(Feed(Iconv(kRussian.utf8, "CP1251"))));
  CHECK_FALSE(MultiByteStructurePlausible(Feed(Iconv(kHebrew.utf8, "CP1255"))));
}

TEST_CASE("feeds::GuessSingleByteCharset takes any bytes") {
  using raqib::feeds::GuessSingleByteCharset;
  using raqib::feeds::MultiByteStructurePlausible;
  CHECK(GuessSingleByteCharset("").charset == "windows-1252");
  CHECK(GuessSingleByteCharset("<a><b>only markup</b></a>").charset == "windows-1252");
  CHECK(GuessSingleByteCharset("<unclosed \xE9\xE9\xE9").charset == "windows-1252");
  std::string all_bytes;
  for (int round = 0; round < 4; ++round) {
    for (int b = 0; b < 256; ++b) all_bytes.push_back(static_cast<char>(b));
  }
  CHECK_FALSE(GuessSingleByteCharset(all_bytes).charset.empty());
  // Random bytes (fixed seed) and a long run of one high byte: some answer, quickly, and the
  // whole document still decodes to valid UTF-8.
  std::string random(200 * 1024, '\0');
  std::uint32_t state = 12345;
  for (char& c : random) {
    state = state * 1664525u + 1013904223u;
    c = static_cast<char>(state >> 24);
  }
  for (const std::string& bytes : {all_bytes, random, std::string(100 * 1024, '\xE9')}) {
    CHECK_FALSE(GuessSingleByteCharset(bytes).charset.empty());
    MultiByteStructurePlausible(bytes);
    CHECK(raqib::feeds::IsValidUtf8(DecodeToUtf8(bytes).utf8));
  }
}
