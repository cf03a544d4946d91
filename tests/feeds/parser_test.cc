// ParseFeed on fixtures we wrote (tests/fixtures/feeds): formats, links, text, dates, ids,
// malformed documents and hostile input; and the parse-feed command on top of it.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "feeds/date.h"
#include "feeds/feed_json.h"
#include "feeds/html_entities.h"
#include "feeds/html_text.h"
#include "feeds/parser.h"
#include "tests/tools/http_test_server.h"

using raqib::feeds::Feed;
using raqib::feeds::FeedFormat;
using raqib::feeds::FeedItem;
using raqib::feeds::FormatRfc3339;
using raqib::feeds::ParseDate;
using raqib::feeds::ParseFeed;
using raqib::feeds::ParseOptions;
using raqib::feeds::ParseResult;

namespace {

// Concatenates without operator+ on temporaries (GCC 12 warns falsely on those: -Wrestrict).
std::string Join(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view part : parts) out.append(part);
  return out;
}

std::string ReadFixture(const std::string& name) {
  std::ifstream in(Join({RAQIB_FIXTURES_DIR, "/feeds/", name}), std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return std::move(bytes).str();
}

ParseResult ParseFixture(const std::string& name, const ParseOptions& options = {}) {
  return ParseFeed(ReadFixture(name), options);
}

std::string Date(const std::optional<raqib::feeds::Timestamp>& time) {
  return time ? FormatRfc3339(*time) : "none";
}

// Runs a shell command, returning its stdout and exit status.
std::pair<std::string, int> Run(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buffer[4096];
  while (std::size_t n = fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  const int status = pclose(pipe);
  return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

}  // namespace

TEST_CASE("feeds::ParseFeed reads RSS 2.0 in UTF-8") {
  const ParseResult result = ParseFixture("arabic-news.utf8.xml");
  CHECK(result.ok());
  CHECK(result.encoding == "UTF-8");
  const Feed& feed = result.feed;
  CHECK(feed.format == FeedFormat::kRss20);
  CHECK(feed.title == "أخبار المنطقة العاجلة");
  CHECK(feed.link == "http://news.example/ar/");
  CHECK(feed.language == "ar");
  REQUIRE(feed.ttl.has_value());
  CHECK(feed.ttl->count() == 15 * 60);
  REQUIRE(feed.items.size() == 3);
  const FeedItem& first = feed.items[0];
  CHECK(first.id == "ar-news-1001");
  CHECK(first.link == "http://news.example/ar/2024/05/shelling");
  CHECK(first.title == "قصف مدفعي يستهدف الأحياء الشرقية للمدينة");
  // Escaped HTML in the description: tags gone, the paragraph break kept.
  CHECK(first.summary ==
        "أفاد مراسلنا بأن القصف استمر طوال الليل على الأحياء السكنية.\n\n"
        "وقال الدفاع المدني إن الفرق تعمل على إخلاء المصابين.");
  CHECK(first.categories == std::vector<std::string>{"الأخبار المحلية"});
  CHECK(Date(first.published) == "2024-05-14T06:30:00Z");
}

TEST_CASE(
    "feeds::ParseFeed decodes Arabic windows-1256, declared or not, like the UTF-8 original") {
  const ParseResult original = ParseFixture("arabic-news.utf8.xml");
  REQUIRE(original.feed.items.size() == 3);
  struct Case {
    const char* fixture;
    const char* content_type;
    const char* encoding;
  };
  const Case cases[] = {
      {"arabic-1256-declared.xml", "", "windows-1256"},
      {"arabic-1256-undeclared.xml", "", "windows-1256"},
      {"arabic-1256-undeclared.xml", "application/rss+xml; charset=windows-1256", "windows-1256"},
      // Mislabelled: the declaration says ISO-8859-1, the bytes are Arabic windows-1256.
      {"arabic-1256-declared-latin1.xml", "", "windows-1256"},
      // The HTTP header claims UTF-8, which the bytes cannot be.
      {"arabic-1256-undeclared.xml", "text/xml; charset=utf-8", "windows-1256"},
      {"arabic-iso-8859-6-undeclared.xml", "", "ISO-8859-6"},
      {"arabic-iso-8859-6-undeclared.xml", "text/xml; charset=iso-8859-6", "iso-8859-6"},
      {"arabic-utf16le-bom.xml", "", "UTF-16LE"},
      {"arabic-utf16be-nobom.xml", "", "UTF-16BE"},
      {"arabic-utf32le-nobom.xml", "", "UTF-32LE"},
  };
  for (const Case& c : cases) {
    INFO(c.fixture << " served as '" << c.content_type << "'");
    ParseOptions options;
    options.content_type = c.content_type;
    const ParseResult result = ParseFixture(c.fixture, options);
    CHECK(result.encoding == c.encoding);
    CHECK(result.feed.title == original.feed.title);
    CHECK(result.feed.description == original.feed.description);
    REQUIRE(result.feed.items.size() == original.feed.items.size());
    for (std::size_t i = 0; i < original.feed.items.size(); ++i) {
      CHECK(result.feed.items[i].title == original.feed.items[i].title);
      CHECK(result.feed.items[i].summary == original.feed.items[i].summary);
      CHECK(result.feed.items[i].categories == original.feed.items[i].categories);
    }
  }
}

TEST_CASE("feeds::ParseFeed detects undeclared Hebrew windows-1255 and declared Latin-1") {
  const ParseResult hebrew = ParseFixture("hebrew-1255-undeclared.xml");
  CHECK(hebrew.encoding == "windows-1255");
  CHECK(hebrew.feed.title == "חדשות היום");
  REQUIRE(hebrew.feed.items.size() == 2);
  CHECK(hebrew.feed.items[1].title == "מזג האוויר: גשם צפוי בצפון הארץ");

  // ISO-8859-1 is read as its superset windows-1252, so 0x93/0x94/0x96 are quotes and a dash.
  const ParseResult latin = ParseFixture("latin1-declared.xml");
  CHECK(latin.encoding == "windows-1252");
  CHECK(latin.feed.title == "Café “quoted”");
  REQUIRE(latin.feed.items.size() == 1);
  CHECK(latin.feed.items[0].title == "Déjà vu – again");
}

TEST_CASE("feeds::ParseFeed reads Atom xml:base") {
  const ParseResult result = ParseFixture("atom-xml-base.xml");
  CHECK(result.ok());
  const Feed& feed = result.feed;
  CHECK(feed.format == FeedFormat::kAtom10);
  CHECK(feed.title == "Nested bases");
  CHECK(feed.description == "Links resolve against xml:base");
  CHECK(feed.link == "http://example.org/news/index.html");
  CHECK(feed.language == "en");
  CHECK(Date(feed.updated) == "2024-05-14T12:00:00Z");
  REQUIRE(feed.items.size() == 3);

  const FeedItem& first = feed.items[0];
  CHECK(first.id == "tag:example.org,2024:first");
  CHECK(first.title == "First & bold");  // type="html": entities decoded, tags dropped
  // Nested: feed base http://example.org/news/ + entry base 2024/05/.
  CHECK(first.link == "http://example.org/news/2024/05/first.html");
  REQUIRE(first.enclosures.size() == 1);
  CHECK(first.enclosures[0].url == "http://example.org/news/media/first.mp3");
  CHECK(first.enclosures[0].type == "audio/mpeg");
  CHECK(first.enclosures[0].length == 1234);
  CHECK(first.authors == std::vector<std::string>{"Sara Haddad"});
  CHECK(first.categories == std::vector<std::string>{"politics", "world"});
  CHECK(first.summary == "Plain <summary> text");  // type="text": markup-looking text stays
  CHECK(first.content == "One link.\n\nTwo.");
  CHECK(first.content_html == R"(<p>One <a href="x.html">link</a>.</p><p>Two.</p>)");
  CHECK(Date(first.published) == "2024-05-14T06:30:00Z");
  CHECK(Date(first.updated) == "2024-05-14T10:00:00Z");

  const FeedItem& second = feed.items[1];
  // The text/html alternate wins over the PDF one; a path-absolute href keeps the host.
  CHECK(second.link == "http://example.org/absolute/second");
  CHECK(second.content == "Para one\nline two\n\nPara two été");
  CHECK(second.content_html.find("<script>") != std::string::npos);  // original HTML kept
  CHECK_FALSE(second.published.has_value());

  // An absolute xml:base replaces the outer one; the id falls back to the link.
  CHECK(feed.items[2].link == "http://other.example/base/third");
  CHECK(feed.items[2].id == "http://other.example/base/third");
}

TEST_CASE("feeds::ParseFeed resolves relative links against the feed URL") {
  const std::string rss =
      R"(<rss version="2.0"><channel><link>/</link>)"
      R"(<item><title>a</title><link>../posts/1.html</link></item>)"
      R"(<item><title>b</title><link>https://cdn.example/x</link></item></channel></rss>)";
  ParseOptions options;
  options.base_url = "https://site.example/feeds/main.xml";
  const ParseResult result = ParseFeed(rss, options);
  CHECK(result.feed.link == "https://site.example/");
  REQUIRE(result.feed.items.size() == 2);
  CHECK(result.feed.items[0].link == "https://site.example/posts/1.html");
  CHECK(result.feed.items[1].link == "https://cdn.example/x");
}

TEST_CASE("feeds::ParseFeed reads RSS 1.0 with Dublin Core, content and syndication") {
  const ParseResult result = ParseFixture("rss10.rdf");
  CHECK(result.ok());
  const Feed& feed = result.feed;
  CHECK(feed.format == FeedFormat::kRss10);
  CHECK(feed.title == "RSS one dot oh");
  CHECK(feed.language == "fr");
  REQUIRE(feed.ttl.has_value());
  CHECK(feed.ttl->count() == 1800);  // hourly, twice
  REQUIRE(feed.items.size() == 2);
  const FeedItem& a = feed.items[0];
  CHECK(a.id == "http://example.com/a");
  CHECK(a.summary == "Summary of A");
  CHECK(a.content == "Full text of A & more");  // CDATA holding HTML
  CHECK(a.content_html == "<p>Full <i>text</i> of A &amp; more</p>");
  CHECK(a.authors == std::vector<std::string>{"Jean Dupont"});
  CHECK(a.categories == std::vector<std::string>{"culture"});
  CHECK(Date(a.published) == "2024-05-14T07:30:00Z");
  CHECK(feed.items[1].id == "urn:example:b");  // rdf:about when there is no link
  CHECK(Date(feed.items[1].published) == "2024-05-13T00:00:00Z");
}

TEST_CASE("feeds::ParseFeed reads Atom 0.3, escaped and base64 content") {
  const ParseResult result = ParseFixture("atom03.xml");
  CHECK(result.ok());
  const Feed& feed = result.feed;
  CHECK(feed.format == FeedFormat::kAtom03);
  CHECK(feed.description == "Eine alte Form");
  CHECK(feed.language == "de");
  REQUIRE(feed.items.size() == 2);
  CHECK(feed.items[0].content == "Hallo Welt");
  CHECK(feed.items[0].content_html == "<p>Hallo <b>Welt</b></p>");
  CHECK(Date(feed.items[0].published) == "2004-01-01T09:00:00Z");  // issued
  CHECK(Date(feed.items[0].updated) == "2004-01-01T11:00:00Z");    // modified
  CHECK(feed.items[1].content == "Grüße aus Base64");
}

TEST_CASE("feeds::ParseFeed recovers the items of a truncated document and says where") {
  const std::string bytes = ReadFixture("broken-truncated.xml");
  const ParseResult result = ParseFeed(bytes);
  REQUIRE(result.issue.has_value());
  CHECK_FALSE(result.issue->message.empty());
  CHECK(result.issue->offset > bytes.find("<item><title>Thr"));
  CHECK(result.feed.format == FeedFormat::kRss20);
  CHECK(result.feed.title == "Cut short");
  REQUIRE(result.feed.items.size() >= 2);
  CHECK(result.feed.items[0].title == "One");
  CHECK(result.feed.items[1].link == "http://example.com/2");
}

TEST_CASE("feeds::ParseFeed reports an undefined entity and still decodes the text") {
  const std::string bytes = ReadFixture("broken-entity.xml");
  const ParseResult result = ParseFeed(bytes);
  REQUIRE(result.issue.has_value());
  CHECK(result.issue->message.find("&eacute;") != std::string::npos);
  CHECK(result.issue->offset == bytes.find("&eacute;"));
  REQUIRE(result.feed.items.size() == 2);
  CHECK(result.feed.items[0].title == "Café & bar one");  // HTML entities, no-break space
  CHECK(result.feed.items[1].title == "Tom & Jerry");     // a bare '&'
}

TEST_CASE("feeds::ParseFeed repairs unclosed tags and keeps every item") {
  const std::string bytes = ReadFixture("broken-unclosed.xml");
  const ParseResult result = ParseFeed(bytes);
  REQUIRE(result.issue.has_value());
  CHECK(result.issue->offset == bytes.find("</description></item>") + 2);
  REQUIRE(result.feed.items.size() == 5);
  CHECK(result.feed.items[0].summary == "open bold");
  CHECK(result.feed.items[2].link == "http://example.com/3");
  CHECK(result.feed.items[3].title == "Four < five");
  CHECK(result.feed.items[3].summary == "a < b");
  CHECK(result.feed.items[4].title == "Five");
  CHECK(result.feed.items[4].link == "http://example.com/5");
}

TEST_CASE("feeds::ParseFeed says when the document is not a feed") {
  for (const std::string& bytes :
       {std::string(), std::string("just text"), std::string("<html><body>hi</body></html>"),
        std::string("\xff\xfe\x00", 3), std::string("<<<<>>>>")}) {
    const ParseResult result = ParseFeed(bytes);
    CHECK(result.feed.format == FeedFormat::kUnknown);
    CHECK(result.feed.items.empty());
    REQUIRE(result.issue.has_value());
    CHECK(result.issue->message.starts_with("not a feed"));
  }
}

TEST_CASE("feeds::ParseFeed converts every date form to UTC") {
  const ParseResult result = ParseFixture("dates.xml");
  REQUIRE(result.feed.items.size() == 10);
  for (std::size_t i = 0; i + 1 < result.feed.items.size(); ++i) {
    INFO(result.feed.items[i].title);
    CHECK(Date(result.feed.items[i].published) == "2014-07-06T12:56:00Z");
  }
  CHECK_FALSE(result.feed.items.back().published.has_value());
}

TEST_CASE("feeds::ParseDate reads RFC 822, RFC 3339 and malformed variants") {
  const std::pair<const char*, const char*> cases[] = {
      {"Mon, 06 Sep 2010 00:01:00 +0000", "2010-09-06T00:01:00Z"},
      {"Mon, 06 Sep 2010 00:01:00 UT", "2010-09-06T00:01:00Z"},
      {"Mon, 06 Sep 2010 03:01:00 MSK", "2010-09-06T00:01:00Z"},
      {"Mon, 06 Sep 2010 02:01:00 CEST", "2010-09-06T00:01:00Z"},
      {"Sun, 05 Sep 2010 16:01:00 PST", "2010-09-06T00:01:00Z"},
      {"Mon,06 Sep 2010 00:01:00 GMT+3", "2010-09-05T21:01:00Z"},
      {"Mon, 6 Sep 2010 0:01:00 GMT", "2010-09-06T00:01:00Z"},
      {"06 Sep 2010 00:01 +0300", "2010-09-05T21:01:00Z"},
      {"Mon, 06 Sept 2010 00:01:00 Z", "2010-09-06T00:01:00Z"},
      {"Monday, September 6, 2010 12:01 AM", "2010-09-06T00:01:00Z"},
      {"Sep 6, 2010 3:15 PM", "2010-09-06T15:15:00Z"},
      {"6-Sep-2010 00:01:00", "2010-09-06T00:01:00Z"},
      {"2010-09-06T00:01:00Z", "2010-09-06T00:01:00Z"},
      {"2010-09-06T03:31:00+03:30", "2010-09-06T00:01:00Z"},
      {"2010-09-06T00:01:00.123456-05:00", "2010-09-06T05:01:00Z"},
      {"2010-09-06 00:01:00", "2010-09-06T00:01:00Z"},
      {"20100906T000100Z", "2010-09-06T00:01:00Z"},
      {"2010-09-06", "2010-09-06T00:00:00Z"},
      {"2010-09", "2010-09-01T00:00:00Z"},
      {"2010/09/06 00:01:00", "2010-09-06T00:01:00Z"},
      {"Tue, 06 Sep 10 00:01:00 GMT", "2010-09-06T00:01:00Z"},
      {"Fri, 31 Dec 1999 23:59:60 GMT", "1999-12-31T23:59:59Z"},
  };
  for (const auto& [text, want] : cases) {
    INFO(text);
    CHECK(Date(ParseDate(text)) == want);
  }
  for (const char* bad : {"", "tomorrow", "32 Jan 2010", "2010-13-01", "Feb 30 2010 10:00", "99:99",
                          "Mon, 06 Sep 2010 25:01:00 GMT"}) {
    INFO(bad);
    CHECK_FALSE(ParseDate(bad).has_value());
  }
}

TEST_CASE("feeds::ParseFeed gives stable ids: guid, else link, else a hash of title and summary") {
  const std::string rss =
      R"(<rss version="2.0"><channel>)"
      R"(<item><guid>g-1</guid><link>http://e.com/1</link><title>t</title></item>)"
      R"(<item><link>http://e.com/2</link><title>t</title></item>)"
      R"(<item><title>same</title><description>words</description></item>)"
      R"(<item><title>same</title><description>other words</description></item>)"
      R"(</channel></rss>)";
  const ParseResult first = ParseFeed(rss);
  const ParseResult again = ParseFeed(rss);
  REQUIRE(first.feed.items.size() == 4);
  CHECK(first.feed.items[0].id == "g-1");
  CHECK(first.feed.items[1].id == "http://e.com/2");
  CHECK(first.feed.items[2].id.starts_with("hash:"));
  CHECK(first.feed.items[2].id != first.feed.items[3].id);
  CHECK(first.feed.items[2].id == again.feed.items[2].id);
}

TEST_CASE("feeds::HtmlToText strips markup and keeps paragraphs") {
  using raqib::feeds::HtmlToText;
  CHECK(HtmlToText("<p>One</p><p>Two<br>three</p>") == "One\n\nTwo\nthree");
  CHECK(HtmlToText("a &amp; b &eacute; &#x627;&#1604; &nbsp;c") == "a & b é ال c");
  CHECK(HtmlToText("<script>x()</script><style>p{}</style>visible") == "visible");
  CHECK(HtmlToText("<ul><li>a</li><li>b</li></ul>tail") == "a\nb\n\ntail");
  CHECK(HtmlToText("  spaced \n\t out  ") == "spaced out");
  CHECK(HtmlToText("first\n\nsecond") == "first\n\nsecond");
  CHECK(HtmlToText("<b>unclosed <i>tags") == "unclosed tags");
  CHECK(HtmlToText("don&#146;t") == "don’t");  // windows-1252 code point, as HTML5 reads it
  CHECK(HtmlToText("ctl\x01\x08 chars") == "ctl chars");
}

TEST_CASE("feeds::HtmlToText reads tables as gumbo does, directly where they are simple") {
  using raqib::feeds::HtmlToText;
  using raqib::feeds::HtmlToTextWithGumbo;
  CHECK(HtmlToText("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>after") ==
        "a b\nc\n\nafter");
  // Text outside the cells is moved before the table by the HTML5 tree builder.
  CHECK(HtmlToText("<table><tr>text<td>a</td></tr></table>") == "text\n\na");
  // The direct path reads the simple ones and leaves the rest to gumbo: both give gumbo's text.
  const char* const kFragments[] = {
      "<table><td>a</td><td>b</td></table>x",                        // rows the parser adds
      "<table><tr><td>a</td></tr><td>b</td></table>",                // a new row for b
      "<table><tr><td>a</td></tbody><td>b</td></table>",             // the section closed
      "<table><tr><td>a<td>b<tr><td>c</table>d",                     // end tags left out
      "<table> <tr> <td> a </td> <td>b</td> </tr> </table> c",       // white space between parts
      "<table><thead><tr><th>h</th></thead><tr><td>a</td></table>",  // head and body
      "<table><tr><td><div><table><tr><td>in</td></tr></table></div>out</td></tr></table>",
      "<p>x<table><tr><td>a</td></tr></table>y</p>",
      "<table><tr><td><p>a</td><td>b</td></tr></table>",  // a cell that closes a paragraph
      "<table><tr><td><b>x</td></tr></table>y",           // ... or a formatting element
      "<table><tr><th>h</th><td>a</th></tr></table>",     // a stray end tag of a cell
      "<table>&nbsp;<tr><td>a</td></tr></table>",         // text outside the cells
      "<table><b>x</b><tr><td>a</td></tr></table>",       // an element outside the cells
      "<table><table><tr><td>a</td></tr></table>",        // a table in a table
      "<td>a</td>b",                                      // cells outside any table
      "<table><caption>c</caption><tr><td>x</td></tr></table>",
      "<table><tr><td><foo>x</bar></td></tr></table>",
      "<table><tr><td>a<br>b</br>c</td></tr></table>",
      "<table><tr><td>a</td></tr></tr><tr><td>b</td></tr></table>",
      "<table><tr><td>a</thead><td>b</table>",
  };
  for (const char* fragment : kFragments) {
    INFO(fragment);
    CHECK(HtmlToText(fragment) == HtmlToTextWithGumbo(fragment));
  }
}

TEST_CASE("feeds::HtmlToText drops scripts and styles as gumbo does, directly where it can") {
  using raqib::feeds::HtmlToText;
  using raqib::feeds::HtmlToTextWithGumbo;
  CHECK(HtmlToText("a<script>var x = \"<b>\";</script>b") == "ab");
  CHECK(HtmlToText("<p>a</p><style type=\"text/css\">p { color: red }</style><p>b</p>") ==
        "a\n\nb");
  const char* const kFragments[] = {
      "x<script>if (a < b) document.write('</div>');</script>y",
      "x<SCRIPT src=\"s.js\"></SCRIPT >y",
      "x<script>a</scripts>b</script>y",                 // not the end tag
      "x<script>a</script/>y",                           // an end tag with '/'
      "x<script>a</script foo>y",                        // ... with an attribute
      "x<script><!-- <script>a</script> --></script>y",  // escaped script states
      "x<script>never closed",
      "x<style>a</style\tb>y",
      "<table><tr><td><script>a</script>b</td></tr></table>",  // in a table: gumbo's
      "<script>s</script>text after",
      "<p>a<script>s</script>b</p>c",
  };
  for (const char* fragment : kFragments) {
    INFO(fragment);
    CHECK(HtmlToText(fragment) == HtmlToTextWithGumbo(fragment));
  }
}

TEST_CASE("feeds::HtmlToText decodes HTML 4's named references as gumbo does") {
  using raqib::feeds::HtmlToText;
  using raqib::feeds::HtmlToTextWithGumbo;
  CHECK(HtmlToText("&auml;&szlig; &Omega;&lang;&rang;") == "äß Ω⟨⟩");
  for (const raqib::feeds::NamedReference& named : raqib::feeds::kNamedReferences) {
    const std::string fragment = "a&" + std::string(named.name) + ";b";
    INFO(fragment);
    CHECK(HtmlToText(fragment) == HtmlToTextWithGumbo(fragment));
  }
}

TEST_CASE("feeds::HtmlToText reads references without their ';' as gumbo does") {
  using raqib::feeds::HtmlToText;
  using raqib::feeds::HtmlToTextWithGumbo;
  CHECK(HtmlToText("AT&amp T &copy 2010, caf&eacute; &notit") == "AT& T © 2010, café ¬it");
  // Every name, then text that could extend it or end it, or the end of the fragment: the
  // legacy names (HTML 4's Latin-1 ones, amp, lt, gt, quot) decode, the others stay text.
  for (const raqib::feeds::NamedReference& named : raqib::feeds::kNamedReferences) {
    for (const char* after : {"", " x", "x", "1;", "in;", "&amp;"}) {
      const std::string fragment = "a&" + std::string(named.name) + after;
      INFO(fragment);
      CHECK(HtmlToText(fragment) == HtmlToTextWithGumbo(fragment));
    }
  }
  for (const char* fragment :
       {"&AMP x",        "&COPY2010",   "&LTb",     "&GT",    "&QUOT;",  "&REGx",
        "&ampx",         "&nbspx&nbsp", "&frac12x", "&fra",   "&#233",   "&Eacutex",
        "?a=1&b=2&id=3", "&xyz",        "&xyz;",    "&AMPLE", "&REGION", "&Q",
        "&1x",           "&9;"}) {
    INFO(fragment);
    CHECK(HtmlToText(fragment) == HtmlToTextWithGumbo(fragment));
  }
}

TEST_CASE("feeds::HtmlToText copies text verbatim where its spacing is already clean") {
  using raqib::feeds::HtmlToText;
  CHECK(HtmlToText("one two  three \n\n four") == "one two three\n\nfour");
  CHECK(HtmlToText("a b\xC2\xA0"
                   "c d\xC2\x92s") == "a b c d’s");  // no-break space, C1 quote mark
  CHECK(HtmlToText("<pre>a b</pre>") == "a b");
}

TEST_CASE("feeds::HtmlToText bounds hostile HTML: deep nesting, oversize fragments") {
  using raqib::feeds::HtmlToText;
  using raqib::feeds::HtmlToTextWithGumbo;
  // 300,000 unclosed <div>s behind a <script> (which sends the fragment to gumbo): cut at the
  // depth bound instead of gumbo's quadratic walk, and no recursive tree destruction.
  std::string deep = "<script>x()</script>start";
  for (int i = 0; i < 300000; ++i) deep += "<div>";
  deep += "end";
  CHECK(HtmlToText(deep) == "start");
  CHECK(HtmlToTextWithGumbo(deep) == "start");
  // Over 1 MiB: the rest is dropped, and the cut never leaves half a tag behind.
  std::string big;
  while (big.size() < (1u << 20) + 100) big += "<p>para</p>";
  const std::string text = HtmlToText(big);
  CHECK(text.starts_with("para\n\npara"));
  CHECK(text.ends_with("para"));
  CHECK(text.size() < (1u << 20));
}

TEST_CASE("feeds::ParseFeed survives hostile input with bounded output") {
  SECTION("deep nesting") {
    std::string deep = "<rss version=\"2.0\"><channel><item><title>";
    for (int i = 0; i < 100000; ++i) deep += "<b>";
    deep += "x</title></item></channel></rss>";
    const ParseResult result = ParseFeed(deep);
    CHECK(result.feed.format == FeedFormat::kRss20);
  }
  SECTION("more items than the cap") {
    std::string many = "<rss version=\"2.0\"><channel>";
    for (int i = 0; i < 10050; ++i) many += "<item><title>t</title></item>";
    many += "</channel></rss>";
    const ParseResult result = ParseFeed(many);
    CHECK(result.feed.items.size() == 10000);
    REQUIRE(result.issue.has_value());
    CHECK(result.issue->message.find("items") != std::string::npos);
  }
  SECTION("a document over 16 MiB") {
    std::string big = "<rss version=\"2.0\"><channel><item><title>first</title></item><item>";
    big.append(17u << 20, 'x');
    const ParseResult result = ParseFeed(big);
    REQUIRE(result.issue.has_value());
    CHECK(result.issue->message.find("16 MiB") != std::string::npos);
    REQUIRE_FALSE(result.feed.items.empty());
    CHECK(result.feed.items[0].title == "first");
  }
  SECTION("invalid UTF-8 becomes U+FFFD") {
    const ParseResult result = ParseFeed(
        "<rss version=\"2.0\"><channel><title>caf\xc3\xa9 and caf\xc3\xa9 and "
        "caf\xc3\xa9 and \xff</title></channel></rss>");
    CHECK(result.feed.title == "café and café and café and \xEF\xBF\xBD");
  }
}

TEST_CASE("feeds::ItemToJson writes RFC 3339 dates and raw UTF-8") {
  const ParseResult result = ParseFixture("arabic-1256-undeclared.xml");
  REQUIRE_FALSE(result.feed.items.empty());
  const nlohmann::json json = raqib::feeds::ItemToJson(result.feed.items[0]);
  CHECK(json["published"] == "2024-05-14T06:30:00Z");
  CHECK(json["id"] == "ar-news-1001");
  CHECK_FALSE(json.contains("updated"));
  const std::string line = raqib::feeds::DumpJson(json);
  CHECK(line.find("قصف مدفعي") != std::string::npos);  // not \u-escaped
  CHECK(raqib::feeds::DumpJson(nlohmann::json("bad \xff byte")) == "\"bad \xEF\xBF\xBD byte\"");
}

TEST_CASE("raqib parse-feed prints one JSON object per item and the metadata on stderr") {
  const std::string fixture = Join({RAQIB_FIXTURES_DIR, "/feeds/arabic-1256-undeclared.xml"});
  const auto [out, status] =
      Run(Join({"'", RAQIB_BINARY, "' parse-feed '", fixture, "' 2>/dev/null"}));
  CHECK(status == 0);
  std::istringstream lines(out);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    const nlohmann::json item = nlohmann::json::parse(line);
    CHECK(item["title"].get<std::string>().size() > 10);
    CHECK(item["link"].get<std::string>().starts_with("http://news.example/ar/2024/05/"));
    ++count;
  }
  CHECK(count == 3);

  const auto [meta, meta_status] =
      Run(Join({"'", RAQIB_BINARY, "' parse-feed 'file://", fixture, "' 2>&1 >/dev/null"}));
  CHECK(meta_status == 0);
  const nlohmann::json summary = nlohmann::json::parse(meta.substr(0, meta.find('\n')));
  CHECK(summary["encoding"] == "windows-1256");
  CHECK(summary["feed"]["item_count"] == 3);
  CHECK(summary["feed"]["format"] == "rss20");
}

TEST_CASE("raqib parse-feed fails clearly when there is nothing to parse") {
  const auto [missing, missing_status] =
      Run(Join({"'", RAQIB_BINARY, "' parse-feed /nonexistent/feed.xml 2>&1"}));
  CHECK(missing_status != 0);
  CHECK(missing.find("cannot read /nonexistent/feed.xml") != std::string::npos);

  const auto [not_feed, not_feed_status] = Run(Join(
      {"echo '<html><body>no</body></html>' | '", RAQIB_BINARY, "' parse-feed /dev/stdin 2>&1"}));
  CHECK(not_feed_status != 0);
  CHECK(not_feed.find("nothing could be parsed") != std::string::npos);
  CHECK(not_feed.find("<html>") != std::string::npos);
}

TEST_CASE("raqib parse-feed fetches http URLs, honours their charset and resolves against them") {
  raqib::testing::HttpTestServer server;
  const std::string arabic = ReadFixture("arabic-1256-undeclared.xml");
  server.Route("/feeds/ar.xml", [&arabic](const raqib::testing::HttpRequest&) {
    return raqib::testing::HttpResponse::Ok(arabic, "application/rss+xml; charset=windows-1256");
  });
  server.Route("/feeds/relative.xml", [](const raqib::testing::HttpRequest&) {
    return raqib::testing::HttpResponse::Ok(
        R"(<rss version="2.0"><channel><item><title>r</title><link>posts/1</link></item>)"
        R"(</channel></rss>)",
        "application/rss+xml");
  });
  server.Route("/old.xml", [](const raqib::testing::HttpRequest&) {
    return raqib::testing::HttpResponse::Redirect(301, "/feeds/relative.xml");
  });

  const auto [meta, status] = Run(
      Join({"'", RAQIB_BINARY, "' parse-feed ", server.Url("/feeds/ar.xml"), " 2>&1 >/dev/null"}));
  CHECK(status == 0);
  const nlohmann::json summary = nlohmann::json::parse(meta.substr(0, meta.find('\n')));
  CHECK(summary["encoding"] == "windows-1256");
  CHECK(summary["feed"]["title"] == "أخبار المنطقة العاجلة");

  // Relative links resolve against where the body came from, after the redirect.
  const auto [items, items_status] =
      Run(Join({"'", RAQIB_BINARY, "' parse-feed ", server.Url("/old.xml"), " 2>/dev/null"}));
  CHECK(items_status == 0);
  const nlohmann::json item = nlohmann::json::parse(items.substr(0, items.find('\n')));
  CHECK(item["link"] == server.Url("/feeds/posts/1"));

  const auto [missing, missing_status] =
      Run(Join({"'", RAQIB_BINARY, "' parse-feed ", server.Url("/nope.xml"), " 2>&1"}));
  CHECK(missing_status != 0);
  CHECK(missing.find("cannot fetch") != std::string::npos);
}
