#include "classifiers/lexicon.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <map>
#include <span>
#include <stdexcept>

namespace raqib::classifiers {
namespace {

constexpr std::array<const char*, kCategoryCount> kCategoryNames = {
    "attack_strong", "attack_weak",    "explosion",
    "launch",        "intercept",      "kill",
    "injure",        "weapon",         "military_target",
    "sport",         "accident",       "verbal",
    "negation",      "future",         "threat",
    "conditional",   "claim_verb",     "responsibility",
    "announce",      "deny",           "accuse",
    "group",         "group_head",     "state_force",
    "state",         "official",       "speech",
    "condemn",       "warn",           "non_official",
    "security",      "economy",        "place",
    "place_head",    "number",         "person",
    "passive",       "claim_object",   "judicial",
    "continuation",  "direction",      "occurred",
    "justify",       "speech_headline"};
static_assert(kCategoryNames.back() != nullptr, "a category has no name");

// Proclitic chains stripped before a stem is looked up: conjunction (و ف), preposition
// (ب ل ك), article (ال, with ل + ال written لل), future سـ. Written in UTF-8 and turned into
// codes once.
constexpr std::array<const char*, 27> kPrefixesUtf8 = {
    "",     "و",   "ف",    "ب",    "ل",   "ك",    "ال",  "وب",  "ول",
    "وك",   "فب",  "فل",   "فك",   "وال", "فال",  "بال", "كال", "لل",
    "وبال", "ولل", "وكال", "فبال", "فلل", "فكال", "س",   "وس",  "فس"};

// Enclitics and inflectional endings allowed after a stem: object/possessive pronouns,
// plural, dual, feminine (ة folded to ه; ت before a pronoun is handled in Insert), nisba.
constexpr std::array<const char*, 61> kSuffixesUtf8 = {
    "ناها", "ناهم", "ناه",  "تموها", "وهما", "ه",   "ها",   "هم",  "هما", "هن",  "ك",
    "كم",   "كما",  "نا",   "ني",    "ي",    "ت",   "تا",   "تان", "تين", "ا",   "ان",
    "ين",   "ون",   "وا",   "ات",    "اتها", "اته", "اتهم", "ته",  "تها", "تهم", "تهما",
    "تنا",  "تي",   "تك",   "يه",    "يها",  "يهم", "يين",  "يون", "يات", "يا",  "وه",
    "وها",  "وهم",  "وني",  "ني",    "اه",   "اها", "اهم",  "تم",  "تما", "نه",  "نها",
    "نهم",  "هات",  "يتان", "يتين",  "ين",   "ه"};

// A proclitic chain with what it says about the word after it, worked out once.
struct Prefix {
  std::string codes;
  std::uint8_t skip = 0;     // codes.size()
  std::uint8_t clitic = 0;   // Hit::clitic of a word after this chain
  bool future = false;       // ends in سـ: only an imperfect verb may follow
  bool preposition = false;  // carries ب ل ك (after an optional و ف)
  bool article = false;      // carries ال (or لل)
  bool verb_ok = false;      // only و ف سـ: a verb may carry it
  bool lam = false;          // ل (after an optional و ف): a verb may carry it before ي ت ن
  bool lil = false;          // ends in لل, which is ل + ال with the alef dropped
};

// Proclitic chains are at most this many codes long.
constexpr std::size_t kMaxChain = 4;
// The chain trie's nodes are numbered in a byte.
static_assert(kPrefixesUtf8.size() * kMaxChain < 255);
// Suffixes are at most this many codes long, over at most 8 letters (ه ا ن ي ت و م ك).
constexpr std::size_t kMaxSuffix = 4;
constexpr std::uint8_t kNoChain = 0xFF;

// Bits of Affixes::first_class: what the first code of a stem allows before it.
constexpr std::uint8_t kAfterFuture = 1;  // ي ت ن ا: may follow the future prefix سـ
constexpr std::uint8_t kAfterLam = 2;     // ي ت ن: ل before it may be ل of purpose

struct Affixes {
  std::vector<Prefix> prefixes;  // longest first; the empty chain is the last
  // The chains as a trie over their codes, so one pass over a token's first codes finds
  // every chain that starts it (they nest: و, وب, وبال). chain_next[node][code] is the child
  // (0: none), one table read per code; chain_at[node] is the index in `prefixes` of the
  // chain spelled by node, or kNoChain.
  std::vector<std::array<std::uint8_t, 256>> chain_next;
  std::vector<std::uint8_t> chain_at;
  std::array<std::uint8_t, 256> first_class{};  // kAfterFuture | kAfterLam per code
  // Suffixes as bitmaps, one per length: a suffix letter maps to 0..7 (suffix_letter holds
  // 1 + that, 0 for any other code), and a suffix of length n sets bit sum(letter_i * 8^i) of
  // suffix_bits[n]. One table read per check (this runs for every trie node that ends a
  // word, in every token).
  std::array<std::uint8_t, 256> suffix_letter{};
  std::array<std::vector<std::uint64_t>, kMaxSuffix + 1> suffix_bits;
  unsigned char ya = 0;          // ي: a suffix starting with it on a name is the nisba
  std::string plural_in;         // ين, the sound plural, which is not
  std::uint8_t empty_chain = 0;  // index of the empty chain in `prefixes`
  std::size_t article_size = 0;  // codes in ال
};

const Affixes& GetAffixes() {
  static const Affixes affixes = [] {
    Affixes a;
    const std::string conjunctions = NormalizeToCodes("وف");
    const std::string prepositions = NormalizeToCodes("بلك");
    const std::string article = NormalizeToCodes("ال");
    a.ya = ArabicCode("ي");
    a.plural_in = NormalizeToCodes("ين");
    a.article_size = article.size();
    const std::string lil = NormalizeToCodes("لل");
    const std::string verb = NormalizeToCodes("وفس");
    const unsigned char sin = ArabicCode("س");
    for (const char* utf8 : kPrefixesUtf8) {
      Prefix p;
      p.codes = NormalizeToCodes(utf8);
      std::string_view rest = p.codes;
      if (!rest.empty() && conjunctions.find(rest[0]) != std::string::npos) rest.remove_prefix(1);
      p.future = !p.codes.empty() && static_cast<unsigned char>(p.codes.back()) == sin;
      p.article = rest.ends_with(article) || rest == lil;
      p.preposition = !rest.empty() && !rest.starts_with(article) &&
                      prepositions.find(rest[0]) != std::string::npos;
      p.verb_ok = p.codes.find_first_not_of(verb) == std::string::npos;
      p.lam = rest.size() == 1 && rest[0] == lil[0];
      p.lil = rest.ends_with(lil);
      p.skip = static_cast<std::uint8_t>(p.codes.size());
      // The article stays with the name it opens; after لل nothing can be cut (see Hit).
      p.clitic =
          p.lil ? 0 : static_cast<std::uint8_t>(p.article ? p.skip - article.size() : p.skip);
      a.prefixes.push_back(std::move(p));
    }
    std::stable_sort(a.prefixes.begin(), a.prefixes.end(), [](const Prefix& x, const Prefix& y) {
      return x.codes.size() > y.codes.size();
    });
    a.empty_chain = static_cast<std::uint8_t>(a.prefixes.size() - 1);
    a.chain_next.emplace_back();
    a.chain_next.back().fill(0);
    a.chain_at.push_back(kNoChain);
    for (std::size_t k = 0; k < a.prefixes.size(); ++k) {
      std::size_t node = 0;
      for (const char ch : a.prefixes[k].codes) {
        std::uint8_t& next = a.chain_next[node][static_cast<unsigned char>(ch)];
        if (next == 0) {
          next = static_cast<std::uint8_t>(a.chain_next.size());
          a.chain_next.emplace_back();
          a.chain_next.back().fill(0);
          a.chain_at.push_back(kNoChain);
        }
        node = a.chain_next[node][static_cast<unsigned char>(ch)];
      }
      if (!a.prefixes[k].codes.empty()) a.chain_at[node] = static_cast<std::uint8_t>(k);
    }
    std::uint8_t suffix_letters = 0;
    for (std::size_t n = 0; n <= kMaxSuffix; ++n)
      a.suffix_bits[n].assign((1u << (3 * n)) / 64 + 1, 0);
    for (const char* utf8 : kSuffixesUtf8) {
      const std::string codes = NormalizeToCodes(utf8);
      // A longer suffix (تموها) was never accepted (the check has always stopped at
      // kMaxSuffix codes); left out here so matching stays as it was.
      if (codes.size() > kMaxSuffix) continue;
      std::uint32_t bit = 0;
      for (std::size_t i = codes.size(); i-- > 0;) {
        std::uint8_t& letter = a.suffix_letter[static_cast<unsigned char>(codes[i])];
        if (letter == 0) letter = ++suffix_letters;
        if (letter > 8) throw std::logic_error("kSuffixesUtf8: more than 8 suffix letters");
        bit = bit * 8 + (letter - 1u);
      }
      a.suffix_bits[codes.size()][bit / 64] |= std::uint64_t{1} << (bit % 64);
    }
    for (const char* letter : {"ي", "ت", "ن"})
      a.first_class[ArabicCode(letter)] = kAfterFuture | kAfterLam;
    a.first_class[ArabicCode("ا")] = kAfterFuture;
    return a;
  }();
  return affixes;
}

bool IsSuffix(const Affixes& affixes, std::string_view rest) {
  if (rest.size() > kMaxSuffix) return false;
  std::uint32_t bit = 0;
  for (std::size_t i = rest.size(); i-- > 0;) {
    const std::uint8_t letter = affixes.suffix_letter[static_cast<unsigned char>(rest[i])];
    if (letter == 0) return false;
    bit = bit * 8 + (letter - 1u);
  }
  return (affixes.suffix_bits[rest.size()][bit / 64] >> (bit % 64)) & 1;
}

}  // namespace

const char* CategoryName(Category category) {
  const auto i = static_cast<std::size_t>(category);
  return i < kCategoryNames.size() ? kCategoryNames[i] : "unknown";
}

namespace {

// Class of every code byte for Tokenize (one load instead of the range tests of
// IsLetterCode and IsDigitCode and the comparisons with each sentence mark per byte).
constexpr std::uint8_t kSpace = 0;   // any other code: separates words
constexpr std::uint8_t kLetter = 1;  // IsLetterCode
constexpr std::uint8_t kDigit = 2;   // IsDigitCode
constexpr std::uint8_t kStop = 3;    // ! ? ; line break |: ends a sentence
constexpr std::uint8_t kDot = 4;     // .: ends a sentence unless between digits
constexpr std::uint8_t kComma = 5;   // ,: ends a run-on sentence
const std::array<std::uint8_t, 256>& CodeClasses() {
  static const std::array<std::uint8_t, 256> table = [] {
    std::array<std::uint8_t, 256> t{};
    for (int c = 0; c < 256; ++c) {
      const auto code = static_cast<unsigned char>(c);
      t[c] = IsLetterCode(code) ? kLetter : IsDigitCode(code) ? kDigit : kSpace;
    }
    for (const unsigned char c : {'!', '?', ';', '\n', '|'}) t[c] = kStop;
    t['.'] = kDot;
    t[','] = kComma;
    return t;
  }();
  return table;
}

}  // namespace

void Tokenize(std::string_view codes, std::vector<Token>& tokens) {
  const auto& classes = CodeClasses();
  tokens.clear();
  // Words are separated by spaces or punctuation, so half the codes is room for every token
  // of ordinary text (only letters and digits alternating code by code need more, and then
  // the vector grows): one allocation instead of the growth steps of a fresh vector.
  tokens.reserve(codes.size() / 2 + 1);
  // Text written without full stops runs on for hundreds of words; past this many tokens a
  // comma ends the sentence too, so that sentence rules still read one statement at a time.
  constexpr std::uint32_t kRunOn = 60;
  std::uint32_t sentence = 0;
  std::uint32_t sentence_tokens = 0;
  bool sentence_has_tokens = false;
  const std::size_t n = codes.size();
  std::size_t i = 0;
  while (i < n) {
    const std::uint8_t cls = classes[static_cast<unsigned char>(codes[i])];
    if (cls == kLetter || cls == kDigit) {
      const bool digit = cls == kDigit;
      std::size_t j = i + 1;
      while (j < n && classes[static_cast<unsigned char>(codes[j])] == cls) ++j;
      tokens.push_back(
          {static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j), digit, sentence});
      sentence_has_tokens = true;
      ++sentence_tokens;
      i = j;
      continue;
    }
    if (cls != kSpace) {
      bool boundary = true;  // kStop
      if (cls == kDot) {
        boundary = !(i > 0 && i + 1 < n && IsDigitCode(static_cast<unsigned char>(codes[i - 1])) &&
                     IsDigitCode(static_cast<unsigned char>(codes[i + 1])));
      } else if (cls == kComma) {
        boundary = sentence_tokens >= kRunOn;
      }
      if (boundary && sentence_has_tokens) {
        ++sentence;
        sentence_tokens = 0;
        sentence_has_tokens = false;
      }
    }
    ++i;
  }
}

std::uint32_t Lexicon::BuildChild(std::uint32_t node, unsigned char code) const {
  for (const auto& [c, child] : nodes_[node].children) {
    if (c == code) return child;
    if (c > code) break;
  }
  return 0;
}

void Lexicon::Insert(std::string_view codes, std::uint32_t word) {
  std::uint32_t node = 0;
  for (const char ch : codes) {
    const auto c = static_cast<unsigned char>(ch);
    std::uint32_t next = BuildChild(node, c);
    if (next == 0) {
      next = static_cast<std::uint32_t>(nodes_.size());
      nodes_.emplace_back();
      auto& children = nodes_[node].children;
      children.insert(std::upper_bound(children.begin(), children.end(), std::make_pair(c, 0u)),
                      {c, next});
    }
    node = next;
  }
  auto& words = nodes_[node].words;
  if (std::find(words.begin(), words.end(), word) == words.end()) words.push_back(word);
}

std::uint32_t Lexicon::AddWord(std::string_view codes, Mode mode) {
  const auto [it, inserted] =
      word_ids_.try_emplace({std::string(codes), mode}, static_cast<std::uint32_t>(words_.size()));
  if (!inserted) return it->second;
  const std::uint32_t id = it->second;
  words_.push_back({mode, {}});
  Insert(codes, id);
  // A feminine ending ة (folded to ه) is written ت before a pronoun: مسؤولية -> مسؤوليتها.
  static const unsigned char kHa = ArabicCode("ه");
  static const unsigned char kTa = ArabicCode("ت");
  if ((mode == Mode::kStem || mode == Mode::kName) && codes.size() >= 3 &&
      static_cast<unsigned char>(codes.back()) == kHa) {
    std::string alt(codes);
    alt.back() = static_cast<char>(kTa);
    Insert(alt, id);
  }
  return id;
}

void Lexicon::Compile() {
  symbol_.fill(0);
  int next_symbol = 1;
  for (int c = 0xA1; c <= 0xCA; ++c) symbol_[c] = static_cast<std::uint8_t>(next_symbol++);
  for (int c = 0xD0; c <= 0xD3; ++c) symbol_[c] = static_cast<std::uint8_t>(next_symbol++);
  for (int c = '0'; c <= '9'; ++c) symbol_[c] = static_cast<std::uint8_t>(next_symbol++);
  // The first three letters of every trie path, and the two-letter words, as bitmaps (32 KiB
  // and 512 B) checked before walking the trie: most tokens start no lexicon word, and this
  // saves their walk's cache misses.
  trigram_.assign(kSymbols * kSymbols * kSymbols / 64, 0);
  two_letter_.assign(kSymbols * kSymbols / 64, 0);
  for (const auto& [c1, n1] : nodes_[0].children) {
    for (const auto& [c2, n2] : nodes_[n1].children) {
      const std::uint32_t bi = symbol_[c1] * kSymbols + symbol_[c2];
      if (!nodes_[n2].words.empty()) two_letter_[bi / 64] |= std::uint64_t{1} << (bi % 64);
      for (const auto& [c3, n3] : nodes_[n2].children) {
        const std::uint32_t tri = bi * kSymbols + symbol_[c3];
        trigram_[tri / 64] |= std::uint64_t{1} << (tri % 64);
      }
    }
  }
  // The double array's alphabet: every code byte on an edge.
  da_symbol_.fill(0);
  int symbols = 0;
  for (const Node& node : nodes_) {
    for (const auto& [c, child] : node.children) {
      if (da_symbol_[c] == 0) da_symbol_[c] = static_cast<std::uint8_t>(++symbols);
    }
  }
  // Nodes are placed in depth-first order, each node's children at the first base where all
  // their slots are free, so a walk down a path reads slots that mostly lie near each other.
  da_.assign(1, {});
  da_[0].check = kRoot;
  std::vector<std::uint32_t> slot(nodes_.size(), 0);  // node -> its slot in da_
  std::size_t first_free = 1;                         // every slot before this one is taken
  std::vector<std::uint32_t> stack{0};
  while (!stack.empty()) {
    const std::uint32_t n = stack.back();
    stack.pop_back();
    const auto& children = nodes_[n].children;
    if (children.empty()) continue;
    while (first_free < da_.size() && da_[first_free].check != kFree) ++first_free;
    const std::uint32_t lowest = da_symbol_[children.front().first];
    std::size_t base = first_free > lowest ? first_free - lowest : 0;
    for (;; ++base) {
      bool fits = true;
      for (const auto& [c, child] : children) {
        const std::size_t t = base + da_symbol_[c];
        if (t < da_.size() && da_[t].check != kFree) {
          fits = false;
          break;
        }
      }
      if (fits) break;
    }
    da_[slot[n]].base = static_cast<std::uint32_t>(base);
    for (const auto& [c, child] : children) {
      const std::size_t t = base + da_symbol_[c];
      if (t >= da_.size()) da_.resize(t + 1);
      da_[t].check = slot[n];
      slot[child] = static_cast<std::uint32_t>(t);
    }
    for (auto it = children.rbegin(); it != children.rend(); ++it) stack.push_back(it->second);
  }
  // Padding, so base + symbol is always a slot.
  std::uint32_t max_base = 0;
  for (const DaNode& d : da_) max_base = std::max(max_base, d.base);
  da_.resize(std::max<std::size_t>(da_.size(), max_base + static_cast<std::size_t>(symbols) + 1));
  flat_words_.clear();
  for (std::size_t n = 0; n < nodes_.size(); ++n) {
    DaNode& d = da_[slot[n]];
    d.first_word = static_cast<std::uint32_t>(flat_words_.size());
    d.word_count = static_cast<std::uint32_t>(nodes_[n].words.size());
    for (const std::uint32_t w : nodes_[n].words) {
      flat_words_.push_back((w << 3) | static_cast<std::uint32_t>(words_[w].mode));
    }
  }
  const std::uint32_t al = BuildChild(BuildChild(0, ArabicCode("ا")), ArabicCode("ل"));
  al_node_ = al == 0 ? 0 : slot[al];
  word_phrases_.clear();
  compiled_phrases_.clear();
  phrase_rest_.clear();
  for (const Word& word : words_) {
    word_phrases_.push_back(static_cast<std::uint32_t>(compiled_phrases_.size()));
    for (const std::uint32_t p : word.phrases) {
      const Phrase& phrase = phrases_[p];
      compiled_phrases_.push_back({phrase.entry, static_cast<std::uint32_t>(phrase_rest_.size()),
                                   static_cast<std::uint32_t>(phrase.words.size()),
                                   entries_[phrase.entry].category,
                                   words_[phrase.words.front()].mode == Mode::kVerb});
      phrase_rest_.insert(phrase_rest_.end(), phrase.words.begin() + 1, phrase.words.end());
    }
  }
  word_phrases_.push_back(static_cast<std::uint32_t>(compiled_phrases_.size()));
}

std::expected<void, std::string> Lexicon::Add(Category category, std::string_view canonical,
                                              std::string_view forms, std::string_view source) {
  auto added = AddUncompiled(category, canonical, forms, source);
  Compile();
  return added;
}

std::expected<void, std::string> Lexicon::AddUncompiled(Category category,
                                                        std::string_view canonical,
                                                        std::string_view forms,
                                                        std::string_view source) {
  if (category == Category::kCount) return std::unexpected(std::string(source) + ": no category");
  const auto entry = static_cast<std::uint32_t>(entries_.size());
  std::string canon(canonical);
  std::size_t start = 0;
  bool any = false;
  while (start <= forms.size()) {
    std::size_t bar = forms.find('|', start);
    if (bar == std::string_view::npos) bar = forms.size();
    const std::string_view form = forms.substr(start, bar - start);
    start = bar + 1;
    Phrase phrase;
    phrase.entry = entry;
    std::size_t w = 0;
    while (w < form.size()) {
      while (w < form.size() && form[w] == ' ') ++w;
      std::size_t e = form.find(' ', w);
      if (e == std::string_view::npos) e = form.size();
      std::string_view word = form.substr(w, e - w);
      w = e;
      if (word.empty()) continue;
      Mode mode = Mode::kStem;
      if (word.front() == '=') {
        mode = Mode::kExact;
        word.remove_prefix(1);
      } else if (word.front() == '~') {
        mode = Mode::kVerb;
        word.remove_prefix(1);
      } else if (word.back() == '*') {
        mode = Mode::kPrefix;
        word.remove_suffix(1);
      } else if (category == Category::kPlace || category == Category::kState ||
                 category == Category::kOfficial) {
        mode = Mode::kName;
      }
      const std::string codes = NormalizeToCodes(word);
      std::vector<Token> parts;
      Tokenize(codes, parts);
      if (parts.size() != 1 || parts[0].begin != 0 || parts[0].end != codes.size()) {
        return std::unexpected(std::string(source) + ": '" + std::string(word) +
                               "' is not one word (letters or digits only)");
      }
      phrase.words.push_back(AddWord(codes, mode));
    }
    if (phrase.words.empty()) {
      if (bar == forms.size() && any) break;
      return std::unexpected(std::string(source) + ": empty form");
    }
    if (canon.empty() || canon == "-") canon = std::string(form);
    words_[phrase.words.front()].phrases.push_back(static_cast<std::uint32_t>(phrases_.size()));
    phrases_.push_back(std::move(phrase));
    any = true;
    if (bar == forms.size()) break;
  }
  entries_.push_back({category, std::move(canon), std::string(source)});
  return {};
}

// Inline: called for every chain of every token, and small.
inline bool Lexicon::MayStartWord(const unsigned char* stem, std::size_t size) const {
  if (size < 2) return false;
  const std::uint32_t a = symbol_[stem[0]];
  const std::uint32_t b = symbol_[stem[1]];
  if (a == 0 || b == 0) return true;  // outside the compact alphabet: just walk
  const std::uint32_t bi = a * kSymbols + b;
  if (two_letter_[bi / 64] & (std::uint64_t{1} << (bi % 64))) return true;
  if (size < 3) return false;
  const std::uint32_t c = symbol_[stem[2]];
  if (c == 0) return true;
  const std::uint32_t tri = bi * kSymbols + c;
  return (trigram_[tri / 64] & (std::uint64_t{1} << (tri % 64))) != 0;
}

void Lexicon::MatchToken(const unsigned char* token, std::size_t size, std::uint32_t index,
                         FoundNode* found, std::vector<WordMatch>& out) const {
  const Affixes& affixes = GetAffixes();
  // Readings of a word by this token start here; earlier entries belong to earlier tokens, so
  // a word seen before in the article is recorded again at this token (its own hit).
  const std::size_t token_start = out.size();
  // The proclitic chains that start the token, found in one pass over its first codes after
  // the empty chain (chains[0]); tried from the longest down to the empty chain (the order
  // decides the order of `out`).
  std::array<std::uint8_t, kMaxChain + 1> chains;
  chains[0] = affixes.empty_chain;
  std::size_t chain_count = 1;
  std::size_t chain_node = 0;
  const std::size_t chain_depth = std::min(kMaxChain, size - 2);
  for (std::size_t d = 0; d < chain_depth; ++d) {
    chain_node = affixes.chain_next[chain_node][token[d]];
    if (chain_node == 0) break;
    if (affixes.chain_at[chain_node] != kNoChain)
      chains[chain_count++] = affixes.chain_at[chain_node];
  }
  const DaNode* da = da_.data();
  for (std::size_t k = chain_count; k-- > 0;) {
    const Prefix& p = affixes.prefixes[chains[k]];
    const std::size_t skip = p.skip;
    const std::uint8_t first_class = affixes.first_class[token[skip]];
    if (p.future && (first_class & kAfterFuture) == 0) continue;
    // The stem is walked from the root (unless MayStartWord rules that out), and after "لل"
    // (ل + ال with the alef dropped) also from the trie's ال node, so a word entered with its
    // article ("الحوثيين") is found in "للحوثيين". The walks only note the nodes where words
    // end (at most one per code, so `found` has room for 2 * size); their words are checked
    // after the walks, which keeps the walk's loop small.
    std::size_t found_count = 0;
    for (int from = 0; from < 2; ++from) {
      std::uint32_t node = 0;
      if (from == 0) {
        if (!MayStartWord(token + skip, size - skip)) continue;
      } else {
        if (!p.lil || al_node_ == 0) break;
        node = al_node_;
      }
      for (std::size_t i = skip; i < size; ++i) {
        // A code on no edge has symbol 0, whose slot holds no child of any node (see da_).
        const std::uint32_t t = da[node].base + da_symbol_[token[i]];
        if (da[t].check != node) break;
        node = t;
        if (da[t].word_count != 0) found[found_count++] = {static_cast<std::uint32_t>(i), t};
      }
    }
    // ل of purpose or consequence before an imperfect verb ("ليعلن", "لتؤكد"); not before
    // ا, where it is the preposition before a noun ("لاستهدافها").
    const bool verb_ok = p.verb_ok || (p.lam && (first_class & kAfterLam) != 0);
    for (std::size_t f = 0; f < found_count; ++f) {
      const std::size_t i = found[f].last;
      const DaNode& flat = da[found[f].node];
      const std::span<const std::uint32_t> words(flat_words_.data() + flat.first_word,
                                                 flat.word_count);
      const std::string_view rest(reinterpret_cast<const char*>(token) + i + 1, size - i - 1);
      for (const std::uint32_t packed : words) {
        const std::uint32_t w = packed >> 3;
        bool ok = false;
        switch (static_cast<Mode>(packed & 7)) {
          case Mode::kStem: ok = rest.empty() || IsSuffix(affixes, rest); break;
          case Mode::kName:
            // ي-initial endings are the nisba (ي، ية، يين، يون، يات), except the plural ين.
            ok =
                rest.empty() ||
                ((static_cast<unsigned char>(rest[0]) != affixes.ya || rest == affixes.plural_in) &&
                 IsSuffix(affixes, rest));
            break;
          case Mode::kPrefix: ok = true; break;
          case Mode::kExact: ok = rest.empty() && skip == 0; break;
          // A verb takes no bare ي: "الذكرى" (ى folded to ي) is not ذكر + ي.
          case Mode::kVerb:
            ok = verb_ok &&
                 (rest.empty() ||
                  (IsSuffix(affixes, rest) &&
                   !(rest.size() == 1 && static_cast<unsigned char>(rest[0]) == affixes.ya)));
            break;
        }
        if (!ok) continue;
        // A token has a handful of readings at most, so a scan of its own finds a word
        // read before.
        std::size_t seen = token_start;
        while (seen < out.size() && out[seen].word != w) ++seen;
        if (seen < out.size()) {
          // The plainest reading wins: without the future prefix, without a preposition.
          WordMatch& m = out[seen];
          m.future = m.future && p.future;
          m.preposition = m.preposition && p.preposition;
          m.article = m.article && p.article;
          m.clitic = std::min(m.clitic, p.clitic);
        } else {
          out.push_back({w, index, p.future, p.preposition, p.article, p.clitic});
        }
      }
    }
  }
}

void Lexicon::Match(std::string_view codes, const std::vector<Token>& tokens,
                    std::vector<Hit>& hits) const {
  hits.clear();
  const Affixes& affixes = GetAffixes();
  const auto* text = reinterpret_cast<const unsigned char*>(codes.data());
  // Words matched by each token: flat list plus offsets, so phrases can look ahead.
  std::vector<WordMatch> matched;
  const std::size_t n = tokens.size();
  std::vector<std::uint32_t> offsets(n + 1);
  matched.reserve(n);
  // MatchToken's scratch: room for two walks of the longest token so far.
  std::vector<FoundNode> found;
  for (std::size_t t = 0; t < n; ++t) {
    offsets[t] = static_cast<std::uint32_t>(matched.size());
    const Token& token = tokens[t];
    // Every proclitic chain, the empty one too, must leave at least two codes of stem.
    if (token.end > codes.size() || token.begin + 2 > token.end) continue;
    const std::size_t size = token.end - token.begin;
    // No proclitic chain starts the token and no word starts at its first code: nothing to
    // walk (most tokens that match nothing, without MatchToken's setup).
    if (affixes.chain_next[0][text[token.begin]] == 0 && !MayStartWord(text + token.begin, size)) {
      continue;
    }
    if (2 * size > found.size()) found.resize(2 * size);
    MatchToken(text + token.begin, size, static_cast<std::uint32_t>(t), found.data(), matched);
  }
  offsets[n] = static_cast<std::uint32_t>(matched.size());

  auto token_has = [&](std::size_t t, std::uint32_t word) {
    for (std::uint32_t k = offsets[t]; k < offsets[t + 1]; ++k) {
      if (matched[k].word == word) return true;
    }
    return false;
  };
  // Most matches start one hit; reserved so the list is not copied as it grows.
  hits.reserve(matched.size());
  // The matches are in token order, so going through them (not through every token, most
  // of which match nothing) yields the hits in token order.
  for (const WordMatch& m : matched) {
    const std::size_t t = m.token;
    const std::uint32_t end = word_phrases_[m.word + 1];
    for (std::uint32_t p = word_phrases_[m.word]; p < end; ++p) {
      const CompiledPhrase& phrase = compiled_phrases_[p];
      const std::size_t len = phrase.length;
      if (t + len > tokens.size()) continue;
      bool ok = true;
      for (std::size_t j = 1; j < len && ok; ++j) {
        ok = tokens[t + j].sentence == tokens[t].sentence &&
             token_has(t + j, phrase_rest_[phrase.rest + j - 1]);
      }
      if (!ok) continue;
      hits.push_back({phrase.category, phrase.entry, static_cast<std::uint32_t>(t),
                      static_cast<std::uint32_t>(t + len - 1), m.future, m.preposition, m.article,
                      phrase.verb, m.clitic});
    }
  }
}

std::expected<Lexicon, std::string> Lexicon::Load(const std::filesystem::path& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".tsv" && e.path().filename() != "weights.tsv") {
      files.push_back(e.path());
    }
  }
  if (ec) return std::unexpected(dir.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  if (files.empty()) return std::unexpected(dir.string() + ": no lexicon *.tsv files");
  std::map<std::string, Category, std::less<>> by_name;
  for (int c = 0; c < kCategoryCount; ++c) by_name[kCategoryNames[c]] = static_cast<Category>(c);

  Lexicon lexicon;
  for (const auto& file : files) {
    std::ifstream in(file);
    if (!in) return std::unexpected(file.string() + ": cannot open");
    std::string line;
    int line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const std::string source = file.filename().string() + ":" + std::to_string(line_no);
      if (line.empty() || line.front() == '#') continue;
      const std::size_t tab1 = line.find('\t');
      const std::size_t tab2 = tab1 == std::string::npos ? tab1 : line.find('\t', tab1 + 1);
      if (tab2 == std::string::npos) {
        return std::unexpected(file.string() + ":" + std::to_string(line_no) +
                               ": expected category<TAB>canonical<TAB>forms");
      }
      const std::string name = line.substr(0, tab1);
      const auto it = by_name.find(name);
      if (it == by_name.end()) {
        return std::unexpected(file.string() + ":" + std::to_string(line_no) +
                               ": unknown category '" + name + "'");
      }
      auto added = lexicon.AddUncompiled(it->second, line.substr(tab1 + 1, tab2 - tab1 - 1),
                                         std::string_view(line).substr(tab2 + 1), source);
      if (!added) return std::unexpected(file.parent_path().string() + "/" + added.error());
    }
  }
  lexicon.Compile();
  return lexicon;
}

}  // namespace raqib::classifiers
