#include <unistd.h>
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "classifiers/lexicon.h"

using namespace raqib::classifiers;

namespace {
struct Matched {
  std::vector<Hit> hits;
  bool Has(Category c) const {
    for (const Hit& h : hits) {
      if (h.category == c) return true;
    }
    return false;
  }
};
Matched MatchText(const Lexicon& lexicon, const std::string& text) {
  const std::string codes = NormalizeToCodes(text);
  std::vector<Token> tokens;
  Tokenize(codes, tokens);
  Matched m;
  lexicon.Match(codes, tokens, m.hits);
  return m;
}
}  // namespace

TEST_CASE("classifiers::Lexicon finds stems behind clitics and suffixes") {
  Lexicon lexicon;
  REQUIRE(lexicon.Add(Category::kAttackWeak, "-", "استهدف|استهداف", "test:1"));
  for (const char* form : {"استهدف", "واستهدفت", "باستهداف", "لاستهدافها", "فاستهدفوا",
                           "والاستهداف", "للاستهداف", "استهدافه"}) {
    INFO(form);
    CHECK(MatchText(lexicon, form).Has(Category::kAttackWeak));
  }
  for (const char* form : {"مستهدف", "استهدافاتهمكذا", "استهد"}) {
    INFO(form);
    CHECK_FALSE(MatchText(lexicon, form).Has(Category::kAttackWeak));
  }
}

TEST_CASE("classifiers::Lexicon writes ta marbuta as ta before a pronoun") {
  Lexicon lexicon;
  REQUIRE(lexicon.Add(Category::kResponsibility, "-", "مسؤولية", "test:1"));
  CHECK(MatchText(lexicon, "مسؤوليتها").Has(Category::kResponsibility));
  CHECK(MatchText(lexicon, "المسؤولية").Has(Category::kResponsibility));
  CHECK(MatchText(lexicon, "مسؤوليتهم").Has(Category::kResponsibility));
}

TEST_CASE("classifiers::Lexicon verb, exact and prefix word modes") {
  Lexicon lexicon;
  REQUIRE(lexicon.Add(Category::kSpeech, "-", "~أضاف|~ذكر", "test:1"));
  REQUIRE(lexicon.Add(Category::kNegation, "-", "=لا", "test:2"));
  REQUIRE(lexicon.Add(Category::kSport, "-", "كرو*", "test:3"));
  CHECK(MatchText(lexicon, "وأضاف").Has(Category::kSpeech));
  CHECK(MatchText(lexicon, "وأضافت").Has(Category::kSpeech));
  CHECK_FALSE(MatchText(lexicon, "بالإضافة").Has(Category::kSpeech));  // a noun, not the verb
  CHECK_FALSE(MatchText(lexicon, "الذكرى").Has(Category::kSpeech));
  CHECK(MatchText(lexicon, "لا").Has(Category::kNegation));
  CHECK_FALSE(MatchText(lexicon, "ولاية").Has(Category::kNegation));
  CHECK(MatchText(lexicon, "الكرويات").Has(Category::kSport));
}

TEST_CASE("classifiers::Lexicon marks the future prefix and prepositions") {
  Lexicon lexicon;
  REQUIRE(lexicon.Add(Category::kAttackWeak, "-", "تستهدف", "test:1"));
  REQUIRE(lexicon.Add(Category::kGroup, "حماس", "حماس", "test:2"));
  auto future = MatchText(lexicon, "ستستهدف");
  REQUIRE(future.hits.size() == 1);
  CHECK(future.hits[0].future);
  auto present = MatchText(lexicon, "وتستهدف");
  REQUIRE(present.hits.size() == 1);
  CHECK_FALSE(present.hits[0].future);
  auto prep = MatchText(lexicon, "لحماس");
  REQUIRE(prep.hits.size() == 1);
  CHECK(prep.hits[0].preposition);
  auto article = MatchText(lexicon, "وحماس");
  REQUIRE(article.hits.size() == 1);
  CHECK_FALSE(article.hits[0].preposition);
}

TEST_CASE("classifiers::Lexicon matches phrases within one sentence only") {
  Lexicon lexicon;
  REQUIRE(lexicon.Add(Category::kWeapon, "car_bomb", "سيارة مفخخة", "test:1"));
  REQUIRE(lexicon.Add(Category::kPlace, "البرج 22", "البرج 22", "test:2"));
  auto m = MatchText(lexicon, "انفجرت سيارة مفخخة قرب البرج 22");
  REQUIRE(m.hits.size() == 2);
  CHECK(m.hits[0].first_token == 1);
  CHECK(m.hits[0].last_token == 2);
  CHECK(lexicon.entries()[m.hits[0].entry].canonical == "car_bomb");
  CHECK(lexicon.entries()[m.hits[1].entry].canonical == "البرج 22");
  CHECK(MatchText(lexicon, "سيارة. مفخخة").hits.empty());
}

TEST_CASE("classifiers::Lexicon::Load names the file and line of a bad entry") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("raqib-lexicon-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir / "a.tsv") << "# comment\nweapon\trocket\tصاروخ\n";
    std::ofstream(dir / "b.tsv") << "weapon\trocket\tصاروخ\nno_such_category\t-\tكلمة\n";
  }
  auto bad = Lexicon::Load(dir);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().find("b.tsv:2") != std::string::npos);
  CHECK(bad.error().find("no_such_category") != std::string::npos);
  { std::ofstream(dir / "b.tsv") << "weapon\tmissing a field\n"; }
  bad = Lexicon::Load(dir);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().find("b.tsv:1") != std::string::npos);
  { std::ofstream(dir / "b.tsv") << "weapon\trocket\tصاروخ|كاتيوشا\n"; }
  auto good = Lexicon::Load(dir);
  REQUIRE(good);
  CHECK(good->size() == 2);
  std::filesystem::remove_all(dir);
}

TEST_CASE("classifiers::Lexicon accepts the lam of purpose before an imperfect verb") {
  Lexicon lexicon;
  REQUIRE(lexicon.Add(Category::kAnnounce, "-", "~يعلن|~أعلن", "test:1"));
  REQUIRE(lexicon.Add(Category::kSpeech, "-", "~تؤكد|~استنكر", "test:2"));
  CHECK(MatchText(lexicon, "ليعلن").Has(Category::kAnnounce));
  CHECK(MatchText(lexicon, "وليعلن").Has(Category::kAnnounce));
  CHECK(MatchText(lexicon, "لتؤكد").Has(Category::kSpeech));
  // ل before a perfect verb or a noun is the preposition: not a verb.
  CHECK_FALSE(MatchText(lexicon, "لأعلن").Has(Category::kAnnounce));
  CHECK_FALSE(MatchText(lexicon, "لاستنكر").Has(Category::kSpeech));
  CHECK_FALSE(MatchText(lexicon, "بيعلن").Has(Category::kAnnounce));
}

TEST_CASE("classifiers::Lexicon finds a word entered with ال behind لل") {
  Lexicon lexicon;
  REQUIRE(lexicon.Add(Category::kGroup, "-", "الحوثيين|المقاومة الإسلامية", "test:1"));
  CHECK(MatchText(lexicon, "للحوثيين").Has(Category::kGroup));
  CHECK(MatchText(lexicon, "وللحوثيين").Has(Category::kGroup));
  CHECK(MatchText(lexicon, "للمقاومة الإسلامية").Has(Category::kGroup));
  CHECK(MatchText(lexicon, "الحوثيين").Has(Category::kGroup));
  CHECK_FALSE(MatchText(lexicon, "لحوثيين").Has(Category::kGroup));  // ل alone: no article
  CHECK_FALSE(MatchText(lexicon, "للحوث").Has(Category::kGroup));
}

TEST_CASE("classifiers::Lexicon finds every word of a densely branching lexicon") {
  // Several hundred three- and four-letter words over the same letters share their first
  // nodes, so the compiled trie has nodes with many children packed next to each other; each
  // word must still be found as itself (behind a clitic and before a suffix too), and tokens
  // starting with a letter no word starts with must find nothing.
  const std::vector<std::string> letters = {"ب", "ت", "ج", "ح", "د", "ر", "ز", "ش",
                                            "ص", "ع", "ق", "م", "ن", "ه", "ي", "ث"};
  std::vector<std::string> words;
  Lexicon lexicon;
  for (std::size_t i = 0; i < 300; ++i) {
    std::string word = letters[i % 16] + letters[(i / 16) % 16] + letters[(i * 7 + 3) % 16];
    if (i % 2 == 1) word += letters[(i * 5 + 1) % 16];
    if (std::find(words.begin(), words.end(), word) != words.end()) continue;
    words.push_back(word);
    REQUIRE(lexicon.Add(Category::kSecurity, word, word, "test:" + std::to_string(i)));
  }
  auto found = [&](const std::string& text, const std::string& word) {
    for (const Hit& h : MatchText(lexicon, text).hits) {
      if (lexicon.entries()[h.entry].canonical == word) return true;
    }
    return false;
  };
  for (const std::string& word : words) {
    INFO(word);
    CHECK(found(word, word));
    CHECK(found("و" + word + "ها", word));
    CHECK(found("بال" + word, word));
  }
  for (const char* other : {"ظبت", "ظجدرم", "غبب", "ضحوك"}) {
    INFO(other);
    CHECK(MatchText(lexicon, other).hits.empty());
  }
}

TEST_CASE("classifiers::Lexicon takes suffixes of up to four letters") {
  Lexicon lexicon;
  REQUIRE(lexicon.Add(Category::kAttackWeak, "-", "استهداف", "test:1"));
  for (const char* form : {"استهدافه", "استهدافها", "استهدافاتها", "استهدافاتهم"}) {
    INFO(form);
    CHECK(MatchText(lexicon, form).Has(Category::kAttackWeak));
  }
  for (const char* form : {"استهدافكذا", "استهدافاتهمكم"}) {
    INFO(form);
    CHECK_FALSE(MatchText(lexicon, form).Has(Category::kAttackWeak));
  }
}

TEST_CASE("classifiers::Lexicon reads no nisba adjective as a name or an office") {
  Lexicon lexicon;
  REQUIRE(lexicon.Add(Category::kPlace, "العراق", "العراق", "test:1"));
  REQUIRE(lexicon.Add(Category::kOfficial, "-", "المسؤول|رئيس", "test:2"));
  REQUIRE(lexicon.Add(Category::kSecurity, "-", "عسكر", "test:3"));
  CHECK(MatchText(lexicon, "والعراق").Has(Category::kPlace));
  CHECK_FALSE(MatchText(lexicon, "العراقي").Has(Category::kPlace));
  CHECK_FALSE(MatchText(lexicon, "العراقية").Has(Category::kPlace));
  CHECK_FALSE(MatchText(lexicon, "المسؤولية").Has(Category::kOfficial));
  CHECK_FALSE(MatchText(lexicon, "الرئيسية").Has(Category::kOfficial));
  CHECK(MatchText(lexicon, "المسؤولين").Has(Category::kOfficial));
  CHECK(MatchText(lexicon, "رئيسها").Has(Category::kOfficial));
  // Other categories keep the nisba ending.
  CHECK(MatchText(lexicon, "العسكري").Has(Category::kSecurity));
}

TEST_CASE("classifiers::Lexicon tells verbs and the clitics before a name") {
  Lexicon lexicon;
  REQUIRE(lexicon.Add(Category::kSpeech, "-", "~أضاف|بيان", "test:1"));
  REQUIRE(lexicon.Add(Category::kPlace, "العراق", "العراق", "test:2"));
  const Matched verb = MatchText(lexicon, "وأضاف");
  REQUIRE(verb.hits.size() == 1);
  CHECK(verb.hits[0].verb);
  const Matched noun = MatchText(lexicon, "بيان");
  REQUIRE(noun.hits.size() == 1);
  CHECK_FALSE(noun.hits[0].verb);
  // The conjunction and preposition are cut from a name, the article is not, and after
  // لل nothing can be cut.
  for (const auto& [text, clitic] : std::vector<std::pair<std::string, int>>{
           {"العراق", 0}, {"والعراق", 1}, {"بالعراق", 1}, {"وبالعراق", 2}, {"للعراق", 0}}) {
    INFO(text);
    const Matched m = MatchText(lexicon, text);
    REQUIRE(m.hits.size() == 1);
    CHECK(m.hits[0].clitic == clitic);
  }
}

TEST_CASE("classifiers::Lexicon reads no memory as a verb") {
  Lexicon lexicon;
  REQUIRE(lexicon.Add(Category::kSpeech, "-", "~ذكر", "test:1"));
  CHECK(MatchText(lexicon, "وذكر").Has(Category::kSpeech));
  CHECK(MatchText(lexicon, "ذكرت").Has(Category::kSpeech));
  CHECK_FALSE(MatchText(lexicon, "ذكرى").Has(Category::kSpeech));
}
