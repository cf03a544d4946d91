// Tokens, the light clitic stemmer and the lexicon matcher. Lexicon files (classifiers/data/
// *.tsv, format in docs/CLASSIFIER.md) are compiled into one trie over normalised code bytes;
// a token matches a lexicon word when, after stripping one of a fixed set of proclitic chains
// (و ف ب ل ك ال لل س ...), a trie path spells the word and what is left is an allowed suffix
// (pronouns, plural, dual and feminine endings). Multi-word phrases are runs of such words.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "classifiers/normalize.h"

namespace raqib::classifiers {

// Word classes the rules reason about. The data files name them (the strings in
// CategoryName); an unknown name in a file is an error.
enum class Category : std::uint8_t {
  kAttackStrong,  // unambiguous violent event: غارة، قصف، تفجير، اغتيال، كمين
  kAttackWeak,  // needs support: هجوم، هاجم، استهدف، ضربة، اعتداء، اقتحام
  kExplosion,  // انفجار: an attack only with attack context, never with accident context
  kLaunch,     // أطلق: an attack when a weapon follows
  kIntercept,  // أسقط، اعترض، أحبط: a foiled attack
  kKill,       // قتل، مقتل، استشهد، قتلى
  kInjure,     // أصيب، جرحى
  kWeapon,  // صاروخ، مسيرة، هاون، عبوة ناسفة (canonical name = weapon kind)
  kMilitaryTarget,  // قاعدة عسكرية، جنود، دورية، موكب: what attacks hit
  kSport,           // مباراة، لاعب، مهاجم، هجمة
  kAccident,     // حادث سير، تسرب غاز، حريق، زلزال، أزمة قلبية
  kVerbal,       // انتقد، لاذع، حملة إعلامية: the verbal sense of هاجم
  kNegation,     // لم، لا، لن، ليس، عدم، دون
  kFuture,       // سوف، سـ (also any token with the future prefix)
  kThreat,       // هدد، توعد، يعتزم، خطة
  kConditional,  // إذا، لو، في حال، هل
  kClaimVerb,    // تبنى، تبنت
  kResponsibility,  // مسؤولية
  kAnnounce,        // أعلن، نعلن، بث مشاهد
  kDeny,            // نفى
  kAccuse,          // اتهم، نسب، حمل
  kGroup,           // a named armed group (canonical name)
  kGroupHead,       // جماعة، فصيل، كتائب، سرايا: starts an actor name
  kStateForce,  // a state's armed force: الجيش الإسرائيلي، التحالف، سلاح الجو
  kState,  // a state or capital standing for its government: واشنطن، طهران
  kOfficial,  // وزير، وزارة، حكومة، متحدث، سفارة، الأمم المتحدة
  kSpeech,   // قال، أكد، صرح، بيان
  kCondemn,  // دان، ندد، استنكر
  kWarn,     // حذر، طالب، دعا
  kNonOfficial,  // خبير، محلل، شاهد، مصادر: words of people who are not official actors
  kSecurity,  // security topic: حرب، قوات، هدنة، إرهاب، أسلحة، رهائن
  kEconomy,   // economy, markets, health and culture topics
  kPlace,     // gazetteer place (canonical name)
  kPlaceHead,    // قاعدة، مدينة، مطار، مخيم: starts a place name
  kNumber,       // number word (canonical = its value)
  kPerson,       // جندي، شخص، مدني: counted nouns, dual form -> 2
  kPassive,      // تم، جرى: the next event noun has no stated agent
  kClaimObject,  // الهجوم، التفجير، قتل: what a group adopts (تبنى) in a claim
  kJudicial,     // حكم، إعدام، قصاص، محكمة: trials and sentences, not attacks
  kContinuation,  // لا يزال، ما زال: "still", cancels the negation inside it
  kDirection,  // شمال، قرب: ends a place name ("بلدة الزهراء شمال حلب")
  kOccurred,   // وقع، نفذ، منفذي، أسفر: an event that took place
  kJustify,    // ردا على، انتقاما، تضامنا: a group justifying its attack
  kSpeechHeadline,  // يصف، يكشف، يعتبر: the present tense of speech, a speech act in a title
  kCount
};
inline constexpr int kCategoryCount = static_cast<int>(Category::kCount);
const char* CategoryName(Category category);

// A word token: a maximal run of letter codes or of digit codes, [begin, end) in codes.
struct Token {
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
  bool digits = false;
  std::uint32_t sentence = 0;
};

// Splits normalised codes into tokens and numbers their sentences. Sentences end at . ! ? ;
// a line break or '|' (not at a '.' between digits).
// Lexicon word syntax: "word" takes clitics and suffixes; "=word" matches the bare token;
// "word*" any continuation; "~word" is a verb: only و ف سـ before it, so "بالإضافة" is not
// "أضاف" and "الذكرى" is not "ذكر". Words of names and offices (place, state, official) take
// no suffix starting with ي: that is the nisba adjective ("العراقي" is not "العراق",
// "الرئيسية" is not "الرئيس", "المسؤولية" is not "المسؤول").
void Tokenize(std::string_view codes, std::vector<Token>& tokens);

// One lexicon phrase found in the text.
struct Hit {
  Category category = Category::kCount;
  std::uint32_t entry = 0;        // index into Lexicon::entries()
  std::uint32_t first_token = 0;  // tokens [first_token, last_token]
  std::uint32_t last_token = 0;
  bool future = false;       // first word carried the future prefix سـ
  bool preposition = false;  // first word carried ب ل ك (so it is not a subject)
  bool article = false;      // first word carried the article ال
  bool verb = false;         // first word is a verb ("~word"): no noun in ة reads as it
  // Codes of the first token before the name proper: the conjunction and preposition it
  // carries, not the article ("والعراق" -> 1, "بالعراق" -> 1, "للعراق" -> 0, where ل + ال
  // cannot be cut to a substring that reads "العراق").
  std::uint8_t clitic = 0;
};

struct LexiconEntry {
  Category category = Category::kCount;
  std::string canonical;  // UTF-8; the first form when the file gave "-"
  std::string source;     // "file:line", for evidence rule names and errors
};

class Lexicon {
 public:
  // Loads every *.tsv file in `dir` (sorted by name). An error names the file and line.
  static std::expected<Lexicon, std::string> Load(const std::filesystem::path& dir);
  // Adds one line's worth: `forms` separated by '|', words by spaces (for tests and Load).
  std::expected<void, std::string> Add(Category category, std::string_view canonical,
                                       std::string_view forms, std::string_view source);
  // Finds every phrase in `tokens`, in token order. Thread-safe (const; its scratch buffers
  // are local to the call).
  void Match(std::string_view codes, const std::vector<Token>& tokens,
             std::vector<Hit>& hits) const;

  const std::vector<LexiconEntry>& entries() const { return entries_; }
  std::size_t size() const { return entries_.size(); }

 private:
  // kName is kStem for names and offices: no nisba suffix (see the syntax note above).
  enum class Mode : std::uint8_t { kStem, kPrefix, kExact, kVerb, kName };
  struct Node {
    std::vector<std::pair<unsigned char, std::uint32_t>> children;  // (code byte, node), sorted
    std::vector<std::uint32_t> words;                               // words ending here
  };
  struct Word {
    Mode mode = Mode::kStem;
    std::vector<std::uint32_t> phrases;  // phrases whose first word this is
  };
  struct Phrase {
    std::vector<std::uint32_t> words;
    std::uint32_t entry = 0;
  };

  std::uint32_t AddWord(std::string_view codes, Mode mode);
  // 16 bytes (alignas), so that counting them is a shift, not a division.
  struct alignas(16) WordMatch {
    std::uint32_t word = 0;
    std::uint32_t token = 0;  // index of the token in Match's token list
    bool future = false;
    bool preposition = false;
    bool article = false;
    std::uint8_t clitic = 0;  // see Hit::clitic
  };
  // A trie node where words end, met on a walk over a token's stem at its code `last`.
  struct FoundNode {
    std::uint32_t last;
    std::uint32_t node;
  };
  // Words matching the `size` codes of `token` (number `index` in the list), appended to
  // `out` (a word once per token, its plainest reading). `size` is at least 2; `found` is
  // scratch with room for 2 * size entries.
  void MatchToken(const unsigned char* token, std::size_t size, std::uint32_t index,
                  FoundNode* found, std::vector<WordMatch>& out) const;

  std::expected<void, std::string> AddUncompiled(Category category, std::string_view canonical,
                                                 std::string_view forms, std::string_view source);
  // Lays the built trie out as a double array (da_) for matching, with the filter bitmaps
  // and the flat phrase arrays.
  void Compile();
  std::uint32_t BuildChild(std::uint32_t node, unsigned char code) const;
  void Insert(std::string_view codes, std::uint32_t word);

  // The trie over code bytes; node 0 is the root. Children are few (Arabic has ~36 letter
  // codes), so a sorted vector with a linear scan beats a hash map here.
  std::vector<Node> nodes_{Node{}};
  // The compiled trie is a double array: node s's child on code c is t = da_[s].base +
  // da_symbol_[c] when da_[t].check == s, so a step is two loads instead of a search among
  // the children. The root is da_[0] with check kRoot; free slots have check kFree; da_ is
  // padded so t is always in range. Symbols start at 1, so slot base + 0 is never a child of
  // s, and a walk needs no test for codes on no edge (symbol 0): the check fails there.
  static constexpr std::uint32_t kFree = 0xFFFFFFFF;
  static constexpr std::uint32_t kRoot = 0xFFFFFFFE;  // no node's index: the root has no parent
  struct DaNode {
    std::uint32_t base = 0;
    std::uint32_t check = kFree;
    std::uint32_t first_word = 0;  // this node's words: flat_words_[first_word, + word_count)
    std::uint32_t word_count = 0;
  };
  std::vector<DaNode> da_;
  std::array<std::uint8_t, 256> da_symbol_{};  // code byte -> 1..255 if on an edge, else 0
  std::uint32_t al_node_ = 0;                  // the node of the path ال, 0 if there is none
  // The compact alphabet (Arabic letter and digit codes) of MayStartWord's bitmaps.
  static constexpr int kSymbols = 64;
  std::array<std::uint8_t, 256> symbol_{};  // code byte -> 1..63, 0 = not in the alphabet
  std::vector<std::uint64_t> trigram_;      // bit per (first, second, third) symbol of a path
  std::vector<std::uint64_t> two_letter_;   // bit per two-letter word
  // False when no lexicon word can start at the `size` codes of `stem` (a cheap filter
  // before the trie walk).
  bool MayStartWord(const unsigned char* stem, std::size_t size) const;
  // Words ending at each node as (word << 3) | mode, so the walk reads no Word to check them.
  std::vector<std::uint32_t> flat_words_;
  std::map<std::pair<std::string, Mode>, std::uint32_t> word_ids_;  // (codes, mode) -> word
  std::vector<Word> words_;
  std::vector<Phrase> phrases_;
  // Compiled copy of the phrases, grouped by first word in the order Add saw them: word w's
  // phrases are compiled_phrases_[word_phrases_[w], word_phrases_[w + 1]). Match reads these
  // flat arrays instead of following each Word's and Phrase's own vector.
  struct CompiledPhrase {
    std::uint32_t entry = 0;
    std::uint32_t rest = 0;    // the words after the first: phrase_rest_[rest, rest + length - 1)
    std::uint32_t length = 0;  // words in the phrase
    Category category = Category::kCount;
    bool verb = false;  // the first word is a verb
  };
  std::vector<std::uint32_t> word_phrases_;
  std::vector<CompiledPhrase> compiled_phrases_;
  std::vector<std::uint32_t> phrase_rest_;
  std::vector<LexiconEntry> entries_;
};

}  // namespace raqib::classifiers
