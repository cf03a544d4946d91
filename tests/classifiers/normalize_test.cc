#include <catch2/catch.hpp>
#include <string>

#include "classifiers/lexicon.h"
#include "classifiers/normalize.h"

using namespace raqib::classifiers;

namespace {
// The original bytes behind codes [a, b).
std::string Original(const std::string& text, const NormalizedText& n, std::size_t a,
                     std::size_t b) {
  return text.substr(n.begin[a], n.end[b - 1] - n.begin[a]);
}
}  // namespace

TEST_CASE("classifiers::Normalize folds Arabic letters, digits and punctuation") {
  CHECK(NormalizeToCodes("أحمد") == NormalizeToCodes("احمد"));
  CHECK(NormalizeToCodes("إسرائيل") == NormalizeToCodes("اسرائيل"));
  CHECK(NormalizeToCodes("آلاف") == NormalizeToCodes("الاف"));
  CHECK(NormalizeToCodes("ٱلله") == NormalizeToCodes("الله"));
  CHECK(NormalizeToCodes("مستشفى") == NormalizeToCodes("مستشفي"));
  CHECK(NormalizeToCodes("قاعدة") == NormalizeToCodes("قاعده"));
  CHECK(NormalizeToCodes("٣٤٥") == "345");  // Arabic-Indic digits
  CHECK(NormalizeToCodes("۱۲") == "12");    // Persian digits
  CHECK(NormalizeToCodes("ABC") == "abc");
  CHECK(NormalizeToCodes("،؛؟") == ",;?");
  CHECK(NormalizeToCodes("«نص»") == NormalizeToCodes("\"نص\""));
  CHECK(NormalizeToCodes("ی") == NormalizeToCodes("ي"));  // Persian yeh
  CHECK(NormalizeToCodes("ھ") == NormalizeToCodes("ه"));  // heh doachashmee (seed 004)
}

TEST_CASE("classifiers::Normalize drops tashkeel, tatweel and invisible controls") {
  CHECK(NormalizeToCodes("قُتِلَ") == NormalizeToCodes("قتل"));
  CHECK(NormalizeToCodes("محمـــد") == NormalizeToCodes("محمد"));
  CHECK(NormalizeToCodes("هٰذا") == NormalizeToCodes("هذا"));
  CHECK(NormalizeToCodes("هج\u200Cوم") == NormalizeToCodes("هجوم"));        // ZWNJ
  CHECK(NormalizeToCodes("\u202Bهجوم\u202C") == NormalizeToCodes("هجوم"));  // bidi embedding
  CHECK(NormalizeToCodes("\xEF\xBB\xBFهجوم") == NormalizeToCodes("هجوم"));  // BOM
}

TEST_CASE("classifiers::Normalize keeps offsets into the original text") {
  const std::string text = "وقُتِلَ جنديان، في هجومٍ";
  const NormalizedText n = Normalize(text);
  REQUIRE(n.begin.size() == n.codes.size());
  REQUIRE(n.end.size() == n.codes.size());
  std::vector<Token> tokens;
  Tokenize(n.codes, tokens);
  REQUIRE(tokens.size() == 4);
  // A token's span covers its tashkeel, so a dashboard highlights the whole written word.
  CHECK(Original(text, n, tokens[0].begin, tokens[0].end) == "وقُتِلَ");
  CHECK(Original(text, n, tokens[1].begin, tokens[1].end) == "جنديان");
  CHECK(Original(text, n, tokens[3].begin, tokens[3].end) == "هجومٍ");
  for (std::size_t i = 0; i < n.codes.size(); ++i) {
    CHECK(n.begin[i] < n.end[i]);
    CHECK(n.end[i] <= text.size());
  }
}

TEST_CASE("classifiers::Normalize survives invalid UTF-8") {
  const std::string bad = std::string("هجوم\xC3\x28 \xFF\xFE") + "\xE2\x82" + "قصف" +
                          "\xED\xA0\x80" + std::string(1, '\0') + "\xF0\x9F\x98";
  const NormalizedText n = Normalize(bad);
  REQUIRE(n.codes.size() == n.begin.size());
  for (std::size_t i = 0; i < n.codes.size(); ++i) CHECK(n.end[i] <= bad.size());
  std::vector<Token> tokens;
  Tokenize(n.codes, tokens);
  REQUIRE(tokens.size() >= 2);
  CHECK(n.codes.substr(tokens[0].begin, tokens[0].end - tokens[0].begin) ==
        NormalizeToCodes("هجوم"));
  CHECK(CodesToUtf8(NormalizeToCodes("هجوم 3")) == "هجوم 3");
}

TEST_CASE("classifiers::Tokenize splits words, numbers and sentences") {
  std::vector<Token> tokens;
  Tokenize(NormalizeToCodes("قتل 3.5 بـ18 صاروخا. وأصيب آخرون\nعاجل | خبر"), tokens);
  REQUIRE(tokens.size() == 10);
  CHECK(tokens[1].digits);  // "3" "." "5" stays one sentence
  CHECK(tokens[2].digits);
  CHECK_FALSE(tokens[3].digits);  // "بـ18": the clitic and the number are separate tokens
  CHECK(tokens[4].digits);
  CHECK(tokens[5].sentence == 0);
  CHECK(tokens[6].sentence == 1);  // after "."
  CHECK(tokens[8].sentence == 2);  // after the line break
  CHECK(tokens[9].sentence == 3);  // after "|"
}

TEST_CASE("classifiers::Tokenize ends a run-on sentence at a comma") {
  std::vector<Token> tokens;
  // A comma in an ordinary sentence keeps it whole.
  Tokenize(NormalizeToCodes("قال الوزير، في مؤتمر صحفي، إن القوات صدت الهجوم."), tokens);
  REQUIRE_FALSE(tokens.empty());
  CHECK(tokens.back().sentence == 0);
  // Sixty words without a full stop, then an Arabic comma: the next clause is a new sentence.
  std::string text;
  for (int i = 0; i < 60; ++i) text += "كلمة ";
  text += "أخرى، ثم كلمة، ثم";
  Tokenize(NormalizeToCodes(text), tokens);
  REQUIRE(tokens.size() == 64);
  CHECK(tokens[60].sentence == 0);  // "أخرى", before the comma
  CHECK(tokens[61].sentence == 1);
  CHECK(tokens[63].sentence == 1);  // a comma in the new, short sentence ends nothing
}
