// The rule classifier: lexicon hits per sentence -> attack / claim / statement scores with
// evidence, plus entities and casualty numbers. The rules and why each exists are described
// in docs/CLASSIFIER.md; the words are in data/*.tsv and the weights in data/weights.tsv.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "classifiers/classifier.h"
#include "classifiers/lexicon.h"
#include "classifiers/normalize.h"

#ifndef RAQIB_CLASSIFIER_DATA_DIR
#define RAQIB_CLASSIFIER_DATA_DIR ""
#endif

namespace raqib::classifiers {
namespace {

// Hand-set rule weights (data/weights.tsv overrides them; unknown names are an error).
struct Weights {
  double attack_strong = 0.8;
  double attack_weak_supported = 0.7;
  double attack_weak = 0.35;
  double explosion_supported = 0.7;
  double explosion_alone = 0.45;
  double launch_weapon = 0.75;
  double intercept = 0.7;
  double kill_context = 0.65;
  double kill_alone = 0.4;
  double extra_sentence = 0.05;
  double claim_adopt = 0.9;
  double claim_responsibility = 0.9;
  double claim_announce = 0.8;
  double claim_speech = 0.6;
  double claim_subject_title = 0.75;
  double claim_subject_text = 0.55;
  double statement_condemn = 0.8;
  double statement_speech = 0.7;
  double statement_context = 0.55;
  double statement_title_colon = 0.7;
  double statement_carried = 0.65;
  double statement_claim_message = 0.6;
  double statement_first_person = 0.6;
  double sport_article_hits = 3;
};

std::expected<Weights, std::string> LoadWeights(const std::filesystem::path& file) {
  Weights w;
  const std::map<std::string, double Weights::*, std::less<>> fields = {
      {"attack_strong", &Weights::attack_strong},
      {"attack_weak_supported", &Weights::attack_weak_supported},
      {"attack_weak", &Weights::attack_weak},
      {"explosion_supported", &Weights::explosion_supported},
      {"explosion_alone", &Weights::explosion_alone},
      {"launch_weapon", &Weights::launch_weapon},
      {"intercept", &Weights::intercept},
      {"kill_context", &Weights::kill_context},
      {"kill_alone", &Weights::kill_alone},
      {"extra_sentence", &Weights::extra_sentence},
      {"claim_adopt", &Weights::claim_adopt},
      {"claim_responsibility", &Weights::claim_responsibility},
      {"claim_announce", &Weights::claim_announce},
      {"claim_speech", &Weights::claim_speech},
      {"claim_subject_title", &Weights::claim_subject_title},
      {"claim_subject_text", &Weights::claim_subject_text},
      {"statement_condemn", &Weights::statement_condemn},
      {"statement_speech", &Weights::statement_speech},
      {"statement_context", &Weights::statement_context},
      {"statement_title_colon", &Weights::statement_title_colon},
      {"statement_carried", &Weights::statement_carried},
      {"statement_claim_message", &Weights::statement_claim_message},
      {"statement_first_person", &Weights::statement_first_person},
      {"sport_article_hits", &Weights::sport_article_hits},
  };
  std::ifstream in(file);
  if (!in) return w;  // optional file: the defaults above
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.front() == '#') continue;
    std::istringstream fields_in(line);
    std::string name;
    double value = 0;
    const auto it = (fields_in >> name >> value) ? fields.find(name) : fields.end();
    if (it == fields.end() || value < 0) {
      return std::unexpected(file.string() + ":" + std::to_string(line_no) +
                             ": expected a known weight name and a value >= 0");
    }
    w.*(it->second) = value;
  }
  return w;
}

using Mask = std::uint64_t;

// Two words of codes are the same, compared code by code after the size (std::string_view's
// operator== calls memcmp for every word of the same size; the rules ask this of tens of
// thousands of tokens per MB).
bool SameCodes(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}
constexpr Mask Bit(Category c) { return Mask{1} << static_cast<int>(c); }
// Set by Prepare beside kMilitaryTarget for military targets proper (bases, troops, military
// vehicles: every canonical but "site" and "civilians"). Markets, buses and homes are where
// attacks happen, but also where football transfers and crashes happen, so only these count
// as hard evidence against sport, verbal and economy context.
constexpr Mask kHardTarget = Mask{1} << 63;
static_assert(kCategoryCount < 63);
constexpr Mask kAttackTriggers = Bit(Category::kAttackStrong) | Bit(Category::kAttackWeak);
// Words that cannot continue an actor or place name after its head (Entities).
constexpr Mask kEndsName =
    kAttackTriggers | Bit(Category::kExplosion) | Bit(Category::kLaunch) |
    Bit(Category::kIntercept) | Bit(Category::kKill) | Bit(Category::kInjure) |
    Bit(Category::kNegation) | Bit(Category::kFuture) | Bit(Category::kThreat) |
    Bit(Category::kConditional) | Bit(Category::kClaimVerb) | Bit(Category::kResponsibility) |
    Bit(Category::kAnnounce) | Bit(Category::kDeny) | Bit(Category::kAccuse) |
    Bit(Category::kSpeech) | Bit(Category::kCondemn) | Bit(Category::kWarn) |
    Bit(Category::kPassive) | Bit(Category::kOccurred) | Bit(Category::kJustify) |
    Bit(Category::kDirection) | Bit(Category::kPlaceHead) | Bit(Category::kGroupHead);
constexpr Mask kActors =
    Bit(Category::kGroup) | Bit(Category::kGroupHead) | Bit(Category::kStateForce);
constexpr Mask kModal =
    Bit(Category::kFuture) | Bit(Category::kThreat) | Bit(Category::kConditional);
// A place supports an attack word only nearby (kPlaceReach words): long sentences name
// places for other reasons ("الحملة التي تستهدف اللاجئات ... في لبنان").
constexpr Mask kAttackSupport = Bit(Category::kWeapon) | Bit(Category::kKill) |
                                Bit(Category::kInjure) | Bit(Category::kMilitaryTarget) | kActors |
                                Bit(Category::kAttackStrong) | Bit(Category::kOccurred);
constexpr int kPlaceReach = 8;
// What makes a statement about security: security words, attack words, weapons, armed
// groups. Not the speaker itself (police and army speak about traffic and floods too) and
// not deaths alone (accidents).
// Not interception words alone: "التصدي للمتحايلين" confronts tax dodgers; an interception
// of a weapon has the weapon.
constexpr Mask kSecurityTopic = Bit(Category::kSecurity) | kAttackTriggers |
                                Bit(Category::kWeapon) | Bit(Category::kGroup) |
                                Bit(Category::kExplosion);
constexpr Mask kSpeakers = Bit(Category::kOfficial) | Bit(Category::kStateForce) |
                           Bit(Category::kGroup) | Bit(Category::kGroupHead) |
                           Bit(Category::kState);
constexpr Mask kSpeechActs = Bit(Category::kSpeech) | Bit(Category::kCondemn) |
                             Bit(Category::kWarn) | Bit(Category::kAnnounce) | Bit(Category::kDeny);

// One field (title or text) after normalisation, tokenisation and matching.
struct FieldData {
  Field field = Field::kText;
  std::string_view original;
  NormalizedText norm;
  std::vector<Token> tokens;
  std::vector<Hit> hits;
  std::vector<Mask> mask;                     // categories of hits starting at each token
  std::vector<Mask> cover;                    // categories of hits covering each token
  std::vector<std::uint8_t> fut;              // a hit starting here carried the future prefix
  std::vector<std::uint8_t> prep;             // a hit starting here carried a preposition
  std::vector<std::uint8_t> art;              // a hit starting here carried the article
  std::vector<std::uint32_t> hits_at;         // hits_at[t]: first hit starting at or after token t
  std::vector<Mask> pre;                      // OR of cover from the sentence start to token t
  std::vector<Mask> suf;                      // OR of cover from token t to the sentence end
  std::vector<int> number;                    // value of a number word or digits at t, -1 if none
  std::vector<std::uint32_t> sentence_first;  // first token of each sentence (+ end marker)
  // Tokens whose hits (after Prepare's overrides) include a sport word, an economy word, a
  // security word (kSecurityTopic but kKill): what tells an article's subject.
  int sport_tokens = 0;
  int economy_tokens = 0;
  int security_tokens = 0;
};

struct Sentence {
  const FieldData* f = nullptr;
  std::uint32_t first = 0;  // token range [first, last)
  std::uint32_t last = 0;
};

// A scored finding in one sentence.
struct Finding {
  double weight = 0;
  const char* rule = "";
  std::vector<std::pair<std::uint32_t, std::uint32_t>> triggers;  // token ranges, inclusive
};

class RuleClassifier final : public Classifier {
 public:
  RuleClassifier(Lexicon lexicon, Weights weights, Thresholds thresholds, std::string version)
      : lexicon_(std::move(lexicon)),
        weights_(weights),
        thresholds_(thresholds),
        version_(std::move(version)) {}

  Classification Classify(const Article& article) const override {
    try {
      return ClassifyImpl(article);
    } catch (...) {
      // Only allocation failure can get here; an empty answer beats a dead daemon.
      return Classification{};
    }
  }

  std::string Version() const override { return version_; }

 private:
  void Prepare(std::string_view input, Field field, FieldData& f) const;
  Classification ClassifyImpl(const Article& article) const;
  Finding Attack(const Sentence& s, bool sport_article) const;
  Finding Claim(const Sentence& s, bool title) const;
  Finding Statement(const Sentence& s, bool security_context, bool sport_article) const;
  void Entities(const std::vector<FieldData>& fields, const std::vector<Sentence>& attack_sentences,
                Classification& out) const;
  std::optional<int> NumberAt(const FieldData& f, std::uint32_t t) const;
  std::optional<int> CountNear(const FieldData& f, const Sentence& s, std::uint32_t t) const;

  Lexicon lexicon_;
  Weights weights_;
  Thresholds thresholds_;
  std::string version_;
};

void RuleClassifier::Prepare(std::string_view input, Field field, FieldData& f) const {
  f.field = field;
  Normalize(input, f.norm);
  Tokenize(f.norm.codes, f.tokens);
  lexicon_.Match(f.norm.codes, f.tokens, f.hits);
  // A verb never ends in ta marbuta, which normalisation folds into ه: "إضافة" and "إشارة"
  // are nouns, not "أضافه" and "أشاره". The original text still tells them apart.
  std::erase_if(f.hits, [&](const Hit& h) {
    if (!h.verb) return false;
    const std::size_t at = f.norm.begin[f.tokens[h.first_token].end - 1];
    return input.substr(at, 2) == "\u0629";
  });
  const std::size_t n = f.tokens.size();
  f.mask.assign(n, 0);
  f.cover.assign(n, 0);
  f.fut.assign(n, 0);
  f.prep.assign(n, 0);
  f.art.assign(n, 0);
  for (const Hit& h : f.hits) {
    Mask bits = Bit(h.category);
    if (h.category == Category::kMilitaryTarget) {
      const std::string& kind = lexicon_.entries()[h.entry].canonical;
      if (kind != "site" && kind != "civilians") bits |= kHardTarget;
    }
    f.mask[h.first_token] |= bits;
    for (std::uint32_t t = h.first_token; t <= h.last_token; ++t) f.cover[t] |= bits;
    if (h.future) f.fut[h.first_token] = 1;
    if (h.preposition) f.prep[h.first_token] = 1;
    if (h.article) f.art[h.first_token] = 1;
  }
  // Headlines report speech in the present tense ("البنتاغون يصف الهجوم"); in the body the
  // same forms are mostly "is considered", "reveals" and the like ("تعتبر القاعدة من أكبر"),
  // unless an official follows as the verb's subject ("وتضيف الوزارة أن").
  constexpr Mask kSubject = Bit(Category::kOfficial) | Bit(Category::kStateForce);
  // "قد" before an imperfect verb means "may" (قد تشن هجمات); before a perfect verb it means
  // "has" (قد استهدفت), which is no hedge.
  static const std::string kQad = NormalizeToCodes("قد");
  static const std::string kImperfect = NormalizeToCodes("يتن");
  static const std::string kAn = NormalizeToCodes("أن");
  // After أن only ي counts: nouns often start with ت or ن ("أن ناقلة النفط تعرضت").
  static const std::string kYa = NormalizeToCodes("ي");
  const std::string_view qad = kQad;
  const std::string_view an = kAn;
  const std::string_view codes = f.norm.codes;
  f.sentence_first.clear();
  // One pass over the tokens for the headline speech above, قد and أن, and the sentence
  // starts. (The threat bit set here is not one the overrides below clear, so setting it
  // before them changes nothing.)
  for (std::uint32_t t = 0; t < n; ++t) {
    const Token& a = f.tokens[t];
    if (t == 0 || a.sentence != f.tokens[t - 1].sentence) f.sentence_first.push_back(t);
    if ((f.mask[t] & Bit(Category::kSpeechHeadline)) &&
        (field == Field::kTitle || (t + 1 < n && (f.mask[t + 1] & kSubject)))) {
      f.mask[t] |= Bit(Category::kSpeech);
      f.cover[t] |= Bit(Category::kSpeech);
    }
    if (t + 1 == n) continue;
    // Likewise "أن" before an imperfect verb is irrealis: "لا يرجح أن تقوم طهران باستهداف".
    const std::string_view word = codes.substr(a.begin, a.end - a.begin);
    const bool is_qad = SameCodes(word, qad);
    if (!is_qad && !SameCodes(word, an)) continue;
    const Token& b = f.tokens[t + 1];
    if (!b.digits && (is_qad ? kImperfect : kYa).find(codes[b.begin]) != std::string::npos) {
      f.mask[t] |= Bit(Category::kThreat);
      f.cover[t] |= Bit(Category::kThreat);
    }
  }
  f.sentence_first.push_back(static_cast<std::uint32_t>(n));
  // A speaker phrase overrides the other kind of speaker inside it, and sport words: "مصدر
  // أمني" is an official, though "مصدر" alone is not; "المستشار الإعلامي" is not, though
  // "المستشار" is; "الهلال الأحمر" is not the football club.
  // A speech phrase holds no speaker either: "مؤتمر صحفي" is no journalist; nor an economy
  // phrase a weapon or a war: "مسيرة التنمية"، "حرب الأسعار".
  constexpr Mask kSpeakerKinds = Bit(Category::kOfficial) | Bit(Category::kNonOfficial);
  for (const Hit& h : f.hits) {
    if (h.last_token == h.first_token) continue;
    Mask other = 0;
    if (Bit(h.category) & kSpeakerKinds) {
      other = (kSpeakerKinds & ~Bit(h.category)) | Bit(Category::kSport);
    } else if (h.category == Category::kSpeech) {
      other = kSpeakerKinds;
    } else if (h.category == Category::kEconomy) {
      // "مسيرة التنمية" is a march, not a drone; "حرب الأسعار" a price war.
      other = Bit(Category::kWeapon) | Bit(Category::kSecurity) | kAttackTriggers;
    } else {
      continue;
    }
    for (std::uint32_t t = h.first_token; t <= h.last_token; ++t) {
      f.mask[t] &= ~other;
      f.cover[t] &= ~other;
    }
  }
  // "لا يزال" (still) is not a negation.
  for (const Hit& h : f.hits) {
    if (h.category != Category::kContinuation) continue;
    for (std::uint32_t t = h.first_token; t <= h.last_token; ++t) {
      f.mask[t] &= ~Bit(Category::kNegation);
      f.cover[t] &= ~Bit(Category::kNegation);
    }
  }
  // Indexes so that the rules look at one sentence's hits and support in constant time.
  f.hits_at.assign(n + 1, static_cast<std::uint32_t>(f.hits.size()));
  for (std::size_t k = f.hits.size(); k-- > 0;) f.hits_at[f.hits[k].first_token] = k;
  for (std::size_t t = n; t-- > 0;) f.hits_at[t] = std::min(f.hits_at[t], f.hits_at[t + 1]);
  // pre and suf sentence by sentence, and the subject counts on the way.
  f.pre.resize(n);
  f.suf.resize(n);
  f.sport_tokens = f.economy_tokens = f.security_tokens = 0;
  for (std::size_t i = 0; i + 1 < f.sentence_first.size(); ++i) {
    const std::uint32_t first = f.sentence_first[i];
    const std::uint32_t last = f.sentence_first[i + 1];
    Mask acc = 0;
    for (std::uint32_t t = first; t < last; ++t) {
      acc |= f.cover[t];
      f.pre[t] = acc;
      const Mask m = f.mask[t];
      f.sport_tokens += (m & Bit(Category::kSport)) != 0;
      f.economy_tokens += (m & Bit(Category::kEconomy)) != 0;
      f.security_tokens += (m & (kSecurityTopic & ~Bit(Category::kKill))) != 0;
    }
    acc = 0;
    for (std::uint32_t t = last; t-- > first;) {
      acc |= f.cover[t];
      f.suf[t] = acc;
    }
  }
  // A token may match several number words (ثلاثون is also ثلاث + ون): the largest wins.
  f.number.assign(n, -1);
  for (const Hit& h : f.hits) {
    if (h.category == Category::kNumber) {
      f.number[h.first_token] = std::max(f.number[h.first_token],
                                         std::atoi(lexicon_.entries()[h.entry].canonical.c_str()));
    }
  }
}

// A few words the rules name (function words, verb forms), written in UTF-8 and kept
// normalised; everything else the rules read comes from the lexicon.
class WordSet {
 public:
  WordSet(std::initializer_list<const char*> words) {
    for (const char* w : words) codes_.push_back(NormalizeToCodes(w));
  }
  bool Contains(std::string_view codes) const {
    for (const std::string& word : codes_) {
      if (SameCodes(word, codes)) return true;
    }
    return false;
  }

 private:
  std::vector<std::string> codes_;
};

// Token t's normalised codes.
std::string_view TokenCodes(const FieldData& f, std::uint32_t t) {
  const Token& tok = f.tokens[t];
  return std::string_view(f.norm.codes).substr(tok.begin, tok.end - tok.begin);
}

// A colon follows token t, after spaces at most: a headline quote or a news flash
// ("وزير الدفاع: ..."، "وأضاف: ...").
bool ColonAfter(const FieldData& f, std::uint32_t t) {
  const std::string_view codes = f.norm.codes;
  std::size_t k = f.tokens[t].end;
  while (k < codes.size() && codes[k] == ' ') ++k;
  return k < codes.size() && codes[k] == ':';
}

// Helpers over a sentence's tokens.
bool AnyIn(const Sentence& s, Mask m, std::int64_t from, std::int64_t to) {
  from = std::max<std::int64_t>(from, s.first);
  to = std::min<std::int64_t>(to, static_cast<std::int64_t>(s.last) - 1);
  for (std::int64_t t = from; t <= to; ++t) {
    if (s.f->cover[t] & m) return true;
  }
  return false;
}
// The whole sentence: its prefix union at the last token holds every token's kinds.
bool Any(const Sentence& s, Mask m) { return s.last > s.first && (s.f->pre[s.last - 1] & m); }
// Nearest token within [from, to] starting a hit of `m`, searching outwards from `t`.
std::int64_t Nearest(const Sentence& s, Mask m, std::int64_t t, int before, int after) {
  for (int d = 1; d <= std::max(before, after); ++d) {
    if (d <= before && t - d >= s.first && (s.f->cover[t - d] & m)) return t - d;
    if (d <= after && t + d < s.last && (s.f->cover[t + d] & m)) return t + d;
  }
  return -1;
}

// A trigger that is hedged: future prefix, or future/threat/condition words just before it,
// or a negation right before it ("لم يقع هجوم").
bool Hedged(const Sentence& s, std::uint32_t t) {
  if (s.f->fut[t]) return true;
  // The event as subject of a future verb: "الهجمات ستستمر", "عملياتها ستكون ...".
  for (std::uint32_t u = t + 1; u < s.last && u <= t + 3; ++u) {
    if (s.f->fut[u] || (s.f->mask[u] & Bit(Category::kFuture))) return true;
  }
  if (AnyIn(s, kModal, static_cast<std::int64_t>(t) - 4, static_cast<std::int64_t>(t) - 1)) {
    return true;
  }
  // Negation right before ("لم تقصف", "لم يقع هجوم" as one phrase), not two words back
  // ("لم يسفر الهجوم عن ضحايا" reports an attack).
  return AnyIn(s, Bit(Category::kNegation), static_cast<std::int64_t>(t) - 1,
               static_cast<std::int64_t>(t) - 1);
}

// Token t opens its clause: first in the sentence, or right after a speech verb, a colon,
// a quote mark or a dash ("عاجل | القسام تستهدف", "وقالت: القسام ...").
bool SubjectPosition(const Sentence& s, std::uint32_t t) {
  if (t == s.first) return true;
  if (s.f->mask[t - 1] & (Bit(Category::kSpeech) | Bit(Category::kAnnounce))) return true;
  const std::string_view codes = s.f->norm.codes;
  for (std::uint32_t i = s.f->tokens[t - 1].end; i < s.f->tokens[t].begin; ++i) {
    if (codes[i] == ':' || codes[i] == '-' || codes[i] == ',') return true;
  }
  return false;
}

// The token is the preposition على or ضد.
bool IsOnOrAgainst(const FieldData& f, std::uint32_t t) {
  static const WordSet kOnOrAgainst({"على", "ضد"});
  return kOnOrAgainst.Contains(TokenCodes(f, t));
}

// Token t is a clause connector (فيما، بينما، حين، كما، ثم، وقد): a new clause follows.
bool IsConnector(const FieldData& f, std::uint32_t t) {
  static const WordSet kConnectors({"فيما", "بينما", "حين", "كما", "ثم", "وقد"});
  const std::string_view word = TokenCodes(f, t);
  return kConnectors.Contains(word);
}

// Token t opens a clause: first in the sentence, after a comma, or after a clause connector.
bool ClauseStart(const Sentence& s, std::uint32_t t) {
  if (t == s.first) return true;
  const std::string_view codes = s.f->norm.codes;
  const Token& prev = s.f->tokens[t - 1];
  for (std::uint32_t i = prev.end; i < s.f->tokens[t].begin; ++i) {
    if (codes[i] == ',') return true;
  }
  return IsConnector(*s.f, t - 1);
}

// Token u follows a word for footage ("بثت القسام مشاهد لاستهداف دبابة"): the preposition
// then introduces the group's own act.
bool AfterFootage(const FieldData& f, std::uint32_t u) {
  static const WordSet kFootage({"مشاهد", "صور", "فيديو", "لقطات", "تسجيلا", "مقطعا"});
  if (u == 0) return false;
  const std::string_view word = TokenCodes(f, u - 1);
  return kFootage.Contains(word);
}

// The token is the complementizer إن / أن (both normalise to ان), also with the preposition
// that reporting verbs take before it ("أفاد بأن").
bool IsThat(const FieldData& f, std::uint32_t t) {
  static const WordSet kThat({"أن", "بأن"});
  return kThat.Contains(TokenCodes(f, t));
}

// Token t is the word `codes` (normalised codes: callers keep them in static constants, so
// the hot path does not normalise).
bool IsWord(const FieldData& f, std::uint32_t t, std::string_view codes) {
  return TokenCodes(f, t) == codes;
}

// The words the rules compare tokens with, normalised once.
struct RuleWords {
  std::string ahad = NormalizeToCodes("أحد");
  std::string bism = NormalizeToCodes("باسم");
};
const RuleWords& Words() {
  static const RuleWords words;
  return words;
}

// Between the speech verb and the attack word u, a bare إن/أن introduces a new subject that
// is not the speaker ("وقال الجيش إن مسلحين هاجموا"): what the actor reports, not what it
// did. The speaker's own forces carry a pronoun ("إنه"، "إن قواته"، "أن مقاتليها").
// The subject after the complementizer at x is the speaker's own (a pronoun suffix: "إنه"،
// "إن قواته"، "أن مقاتليها"; "أن أحد عناصره" is one of its own men too). Returns the subject's
// token, or -1 when it is someone else. `limit` bounds the look past أحد.
std::int64_t OwnSubjectAfterThat(const FieldData& f, std::uint32_t x, std::uint32_t limit) {
  static const std::array<unsigned char, 2> kPronounEnd = {ArabicCode("ه"), ArabicCode("ا")};
  const std::uint32_t y = x + 2 < limit && IsWord(f, x + 1, Words().ahad) ? x + 2 : x + 1;
  const Token& next = f.tokens[y];
  const auto last = static_cast<unsigned char>(f.norm.codes[next.end - 1]);
  const bool pronoun =
      std::find(kPronounEnd.begin(), kPronounEnd.end(), last) != kPronounEnd.end() ||
      (next.end - next.begin >= 2 &&
       static_cast<unsigned char>(f.norm.codes[next.end - 2]) == ArabicCode("ه"));
  return pronoun ? static_cast<std::int64_t>(y) : -1;
}

bool OtherSubjectAfterThat(const FieldData& f, std::uint32_t from, std::uint32_t u) {
  for (std::uint32_t x = from; x + 1 < u; ++x) {
    if (IsThat(f, x) && OwnSubjectAfterThat(f, x, u) < 0) return true;
  }
  return false;
}

// Token t's codes without a leading conjunction و or ف (kept when the word is short).
std::string_view WithoutConjunction(const FieldData& f, std::uint32_t t) {
  static const std::string kWa = NormalizeToCodes("و");
  static const std::string kFa = NormalizeToCodes("ف");
  std::string_view word = TokenCodes(f, t);
  if (word.size() > 3 && (word.substr(0, 1) == kWa || word.substr(0, 1) == kFa)) {
    word.remove_prefix(1);
  }
  return word;
}

// Token t is an active participle of a speech verb: starts with م, ends with the accusative
// alef or the feminine ة (مشيرا، مؤكدة). Speech nouns such as مؤتمر end otherwise.
bool Participle(const FieldData& f, std::uint32_t t) {
  static const std::string kMim = NormalizeToCodes("م");
  static const std::string kEnds = NormalizeToCodes("اه");
  const std::string_view word = WithoutConjunction(f, t);
  return word.size() >= 4 && word.substr(0, 1) == kMim &&
         kEnds.find(word.back()) != std::string::npos;
}

// Token t is the object of a preposition, glued ("لداعش") or a word before it ("على داعش").
bool BehindPreposition(const FieldData& f, std::uint32_t t) {
  static const WordSet kPrepositions({"على", "الى", "عن", "ضد", "مع", "من", "في"});
  return f.prep[t] || (t > 0 && kPrepositions.Contains(TokenCodes(f, t - 1)));
}

// Token t is كما (as), which puts the speaker after the speech verb: "كما يقول ناقدوها".
bool IsAs(const FieldData& f, std::uint32_t t) {
  static const WordSet kAs({"كما", "وكما"});
  return kAs.Contains(TokenCodes(f, t));
}

// Token t attributes what precedes to a source: بحسب، وفقا، نقلا (عن) (with their و).
bool AccordingTo(const FieldData& f, std::uint32_t t) {
  static const WordSet kAccordingTo({"بحسب", "وبحسب", "وفقا", "ووفقا", "نقلا", "ونقلا"});
  return kAccordingTo.Contains(TokenCodes(f, t));
}

// The sentence opens with a conjunction and a verb whose subject is only its pronoun: what
// follows it is what is said ("وأضاف أن ..."، "وأكدت: ..."، "وتابع قائلا ..."). The speaker
// was named before.
bool ImpliedSpeaker(const Sentence& s) {
  static const std::string kWa = NormalizeToCodes("و");
  static const WordSet kSaying({"قائلا", "قائلة"});
  const FieldData& f = *s.f;
  const std::uint32_t v = s.first;
  if (v + 1 >= s.last || TokenCodes(f, v).substr(0, 1) != kWa) return false;
  return ColonAfter(f, v) || IsThat(f, v + 1) || kSaying.Contains(TokenCodes(f, v + 1));
}

// Token t is a first-person plural speech act ("نرفض"، "وندين"، "نحذر"): the speaker's
// "we", which in news is the body a statement is quoted from.
bool FirstPersonPlural(const FieldData& f, std::uint32_t t) {
  static const WordSet kWe({"نرفض", "ندين", "نستنكر", "نحذر", "نطالب", "ندعو", "نؤكد", "نعلن",
                            "نتوعد", "نرحب", "نشجب", "نندد", "نعتبر"});
  const std::string_view word = WithoutConjunction(f, t);
  return kWe.Contains(word);
}

// Token t ends in the first person plural of the past, -نا (قصفنا، استهدفنا، نفذنا): the
// speaker's own act. Nouns take -نا too (قواتنا), so callers apply it to attack words only.
bool FirstPersonPluralPast(const FieldData& f, std::uint32_t t) {
  static const std::string kNa = NormalizeToCodes("نا");
  const std::string_view word = WithoutConjunction(f, t);
  return word.size() > 4 && word.substr(word.size() - 2) == kNa;
}

// Token t is a verb of carrying out (نفذ، شن) whose object is the act itself: "نفذت كتائب
// حزب الله هجوما", "أن مقاتليها نفذوا الهجوم".
bool CarriesOut(const FieldData& f, std::uint32_t t) {
  static const WordSet kVerbs({"نفذ", "نفذت", "نفذوا", "ينفذ", "تنفذ", "ينفذون", "نفذنا", "شن",
                               "شنت", "شنوا", "يشن", "تشن", "يشنون", "شننا"});
  const std::string_view word = WithoutConjunction(f, t);
  return kVerbs.Contains(word);
}

// A resolution, draft or statement: what a council or parliament adopts (تبنى قرارا).
bool IsResolution(const FieldData& f, std::uint32_t t) {
  static const WordSet kWords({"قرار", "قرارا", "القرار", "مشروع", "مشروعا", "بيانا"});
  const std::string_view word = TokenCodes(f, t);
  return kWords.Contains(word);
}

// The adopting verb at t takes a resolution as its object within `reach` words
// ("تبنى مجلس الأمن الدولي قرارا ...").
bool AdoptsResolution(const Sentence& s, std::uint32_t t, std::uint32_t reach) {
  for (std::uint32_t u = t + 1; u < s.last && u <= t + reach; ++u) {
    if (IsResolution(*s.f, u)) return true;
  }
  return false;
}

Finding RuleClassifier::Attack(const Sentence& s, bool sport_article) const {
  Finding best;
  const FieldData& f = *s.f;
  const bool verbal = Any(s, Bit(Category::kVerbal));
  const bool sport = Any(s, Bit(Category::kSport)) || sport_article;
  const bool accident = Any(s, Bit(Category::kAccident));
  // "الوزارة تستهدف نمو أعداد السياح", "حملات تثقيفية لاستهداف فئات المجتمع": economy,
  // health and culture sentences use the weak words for goals and audiences.
  const bool economy = Any(s, Bit(Category::kEconomy));
  const bool judicial = Any(s, Bit(Category::kJudicial));
  for (std::uint32_t k = f.hits_at[s.first]; k < f.hits_at[s.last]; ++k) {
    const Hit& h = f.hits[k];
    const std::uint32_t t = h.first_token;
    double w = 0;
    const char* rule = "";
    // Support: other evidence of violence in the sentence besides this trigger.
    const Mask others = (t > s.first ? f.pre[t - 1] : 0) |
                        (h.last_token + 1 < s.last ? f.suf[h.last_token + 1] : 0);
    // "الهجوم على أرامكو": an attack word with its target after على/ضد names one event.
    const bool on_target = h.last_token + 1 < s.last && IsOnOrAgainst(f, h.last_token + 1);
    const bool supported =
        (others & kAttackSupport) != 0 || on_target ||
        AnyIn(s, Bit(Category::kPlace), static_cast<std::int64_t>(t) - kPlaceReach, t - 1) ||
        AnyIn(s, Bit(Category::kPlace), h.last_token + 1, h.last_token + kPlaceReach);
    const bool hard_support = (others & (Bit(Category::kWeapon) | kHardTarget |
                                         Bit(Category::kGroup) | Bit(Category::kStateForce))) != 0;
    // Against accident context only an attacker or a weapon counts: buses and soldiers die in
    // crashes too ("ضحايا حادث حافلة العمرة").
    const bool attacker =
        (others & (Bit(Category::kWeapon) | Bit(Category::kGroup) | Bit(Category::kStateForce))) !=
        0;
    switch (h.category) {
      case Category::kAttackStrong:
        w = (sport && !hard_support) ? weights_.attack_weak : weights_.attack_strong;
        rule = "attack.event";
        break;
      case Category::kAttackWeak:
        // "قرش يهاجم متزلجا", "هاجم الوزير المعارضة", football: no attacker, no attack.
        if (((verbal || sport || economy) && !hard_support) || (accident && !attacker)) break;
        w = supported ? weights_.attack_weak_supported : weights_.attack_weak;
        rule = supported ? "attack.event_supported" : "attack.event_unsupported";
        break;
      case Category::kExplosion:
        // "انفجار فقاعة العقارات", "تفجرت ينابيع الرواية": figurative outside security news.
        if ((accident || ((sport || economy) && !hard_support)) && !attacker) break;
        w = supported ? weights_.explosion_supported : weights_.explosion_alone;
        rule = "attack.explosion";
        break;
      case Category::kLaunch:
        // "أطلقت صواريخ", "50 صاروخا أطلقت من غزة"
        if (AnyIn(s, Bit(Category::kWeapon), static_cast<std::int64_t>(t) - 2, t + 3)) {
          w = weights_.launch_weapon;
          rule = "attack.launch_weapon";
        }
        break;
      case Category::kIntercept: {
        // "للتصدي للهجمات" in a software or market sentence is no foiled attack: a weak
        // attack word counts only where it could itself.
        const bool weak_ok = !((verbal || sport || economy) && !hard_support) && !accident;
        const Mask near = Bit(Category::kWeapon) | Bit(Category::kAttackStrong) |
                          (weak_ok ? Bit(Category::kAttackWeak) : 0);
        if (AnyIn(s, near, static_cast<std::int64_t>(t) - 3, t + 4)) {
          w = weights_.intercept;
          rule = "attack.intercepted";
        }
        break;
      }
      case Category::kKill:
        if ((accident && !attacker) || (sport && !hard_support)) break;
        // "أبناء الشهداء", "الملك الشهيد": the dead named with the article are background
        // unless a strong attack word, an explosion or a weapon stands beside them.
        if (h.article && lexicon_.entries()[h.entry].canonical == "dead" &&
            !(others & (Bit(Category::kAttackStrong) | Bit(Category::kExplosion) |
                        Bit(Category::kWeapon)))) {
          break;
        }
        // A weak attack word does not make deaths an attack ("من تعدى على نفس"): it has
        // to stand on its own, and then it is the trigger.
        w = hard_support || (others & (Bit(Category::kAttackStrong) | Bit(Category::kExplosion) |
                                       Bit(Category::kMilitaryTarget)))
                ? weights_.kill_context
                : weights_.kill_alone;
        rule = "attack.casualties";
        break;
      default: break;
    }
    if (w <= 0) continue;
    // Trials and sentences are not attacks unless the sentence carries hard evidence of one.
    if (judicial && !(others & (Bit(Category::kAttackStrong) | Bit(Category::kWeapon) |
                                Bit(Category::kKill) | Bit(Category::kInjure)))) {
      continue;
    }
    if (Hedged(s, t)) continue;
    if (w > best.weight) {
      best.weight = w;
      best.rule = rule;
      best.triggers = {{t, h.last_token}};
    }
  }
  return best;
}

Finding RuleClassifier::Claim(const Sentence& s, bool title) const {
  Finding best;
  const FieldData& f = *s.f;
  auto consider = [&best](double w, const char* rule, std::uint32_t a, std::uint32_t b,
                          std::uint32_t c, std::uint32_t d) {
    if (w > best.weight) {
      best.weight = w;
      best.rule = rule;
      best.triggers = {{a, b}};
      if (c != a) best.triggers.emplace_back(c, d);
    }
  };
  auto negated = [&s](std::uint32_t t) {
    return s.f->fut[t] || AnyIn(s, Bit(Category::kNegation) | kModal,
                                static_cast<std::int64_t>(t) - 3, static_cast<std::int64_t>(t) - 1);
  };
  const bool denied = Any(s, Bit(Category::kDeny));
  for (std::uint32_t k = f.hits_at[s.first]; k < f.hits_at[s.last]; ++k) {
    const Hit& h = f.hits[k];
    const std::uint32_t t = h.first_token;
    if (h.category == Category::kClaimVerb) {
      // تبنت الجماعة الهجوم: the adopted thing must be an attack (not "تبنى قرارا").
      const bool object = AnyIn(s, Bit(Category::kClaimObject) | Bit(Category::kResponsibility),
                                h.last_token + 1, h.last_token + 8);
      // "تبنى مجلس الأمن قرارا بوقف إطلاق النار": adopting a resolution is not adopting an
      // attack, whatever the resolution is about.
      if (object && !AdoptsResolution(s, h.last_token, 5) && !negated(t) && !denied) {
        consider(weights_.claim_adopt, "claim.adopted", t, h.last_token, t, h.last_token);
      }
    } else if (h.category == Category::kResponsibility) {
      // أعلنت الجماعة مسؤوليتها: the announcing verb comes before, in the same sentence.
      const std::int64_t a =
          Nearest(s, Bit(Category::kAnnounce) | Bit(Category::kClaimVerb), t, 16, 0);
      // "شركاء في المسؤولية" is not a claim: the sentence must speak of an attack.
      const bool about_attack =
          Any(s, Bit(Category::kClaimObject) | kAttackTriggers | Bit(Category::kExplosion) |
                     Bit(Category::kWeapon) | Bit(Category::kKill));
      if (a >= 0 && about_attack && !negated(static_cast<std::uint32_t>(a)) && !negated(t) &&
          !denied && !AnyIn(s, Bit(Category::kAccuse), a, t)) {
        consider(weights_.claim_responsibility, "claim.responsibility",
                 static_cast<std::uint32_t>(a), static_cast<std::uint32_t>(a), t, h.last_token);
      }
    } else if (h.category == Category::kAnnounce || h.category == Category::kSpeech) {
      // X يعلن استهداف ... / أعلن الجيش أنه قصف ...: an actor announcing its own attack.
      const bool announce = h.category == Category::kAnnounce;
      if (negated(t) || denied || (f.mask[t] & Bit(Category::kAccuse))) continue;
      // A state announcing its own strike claims it too ("إسرائيل تعلن قصف غزة").
      // After a plain speech verb the actor must be right there ("قال الجيش إنه قصف").
      std::int64_t actor =
          announce ? Nearest(s, kActors | Bit(Category::kState), t, 6, 6)
                   : Nearest(s, Bit(Category::kGroup) | Bit(Category::kStateForce), t, 3, 3);
      // "قال المتحدث العسكري باسم الحوثيين ... إن قواتهم": the group a spokesman speaks for.
      // The act is then counted from the group, past the spokesman's name.
      std::int64_t reach = announce ? t + 10 : t + 6;
      if (actor < 0 && !announce) {
        const std::int64_t g =
            Nearest(s, Bit(Category::kGroup) | Bit(Category::kStateForce), t, 0, 6);
        if (g > 0 && IsWord(f, static_cast<std::uint32_t>(g) - 1, Words().bism)) {
          actor = g;
          reach = g + 6;
        }
      }
      if (actor < 0) continue;
      // The speaker's own forces after إن/أن carry the act a few words on ("قالت حركة حماس
      // إن جناحها العسكري نفذ عملية").
      for (std::int64_t x = t + 1; x < s.last && x <= reach; ++x) {
        if (!IsThat(f, static_cast<std::uint32_t>(x)) || x + 1 >= s.last) continue;
        const std::int64_t own = OwnSubjectAfterThat(f, static_cast<std::uint32_t>(x), s.last);
        if (own >= 0) reach = std::max(reach, own + 4);
        break;
      }
      for (std::uint32_t u = t + 1; u < s.last && u <= reach; ++u) {
        // The announced act is the verb's object ("أعلن استهداف"), not behind a preposition
        // ("تعرضت لهجوم").
        // A definite noun is a reported event ("أعلنت ... أن الاعتداء حصل"), not the act.
        // After نفذ/شن the act may be definite ("أن مقاتليها نفذوا الهجوم").
        const bool carried_out = CarriesOut(f, u - 1);
        // "تعلن تنفيذ عملية ضد هدف في إيلات": an operation against a target is the act too.
        const bool operation =
            (f.mask[u] & Bit(Category::kClaimObject)) && u + 1 < s.last && IsOnOrAgainst(f, u + 1);
        if (!((f.mask[u] & kAttackTriggers) || operation) || (f.art[u] && !carried_out)) continue;
        if (f.prep[u] && !AfterFootage(f, u)) continue;
        if (Hedged(s, u) ||
            AnyIn(s, Bit(Category::kIntercept) | Bit(Category::kPassive) | Bit(Category::kAccuse),
                  t + 1, static_cast<std::int64_t>(u) - 1) ||
            OtherSubjectAfterThat(f, t + 1, u)) {
          break;
        }
        // The actor named right after the event is its victim, not its author, unless the
        // author was already named ("أعلن الجيش أنه قصف مواقع لحزب الله").
        if (AnyIn(s, kActors, u + 1, u + 3) && !AnyIn(s, kActors, static_cast<std::int64_t>(t) - 6,
                                                      static_cast<std::int64_t>(u) - 1)) {
          break;
        }
        consider(announce ? weights_.claim_announce : weights_.claim_speech,
                 announce ? "claim.announced_attack" : "claim.said_it_attacked", t, t, u, u);
        break;
      }
    } else if (h.category == Category::kGroup || h.category == Category::kGroupHead) {
      // Headline form "القسام تستهدف ...": a named armed group as the subject of an attack
      // verb right after it, not behind a preposition ("غارة على حماس").
      if (h.category != Category::kGroup || f.prep[t] || negated(t)) continue;
      if (!SubjectPosition(s, t)) continue;
      if (AnyIn(s, Bit(Category::kAccuse) | Bit(Category::kDeny), s.first,
                static_cast<std::int64_t>(t) - 1)) {
        continue;
      }
      for (std::uint32_t u = h.last_token + 1; u < s.last && u <= h.last_token + 3; ++u) {
        if (f.mask[u] & (kActors | Bit(Category::kKill))) break;
        if (!(f.mask[u] & kAttackTriggers) || (f.mask[u] & Bit(Category::kWeapon)) || f.prep[u] ||
            Hedged(s, u)) {
          continue;
        }
        const double w = title ? weights_.claim_subject_title : weights_.claim_subject_text;
        consider(w, "claim.group_subject", t, h.last_token, u, u);
        break;
      }
    }
  }
  // Verb first: "قصفت المقاومة الفلسطينية تل أبيب", "في حين فجرت كتيبة جنين عبوة": an
  // attack verb opening its clause with a named group as its subject.
  // Likewise a verb of carrying out with the act as its object: "نفذت كتائب حزب الله هجوما".
  for (std::uint32_t t = s.first; t + 1 < s.last && !denied; ++t) {
    const std::uint32_t g = t + 1;
    // The group first: it is rare, and ClauseStart compares words.
    if (!(f.mask[g] & (Bit(Category::kGroup) | Bit(Category::kGroupHead))) || f.prep[g]) continue;
    if (f.art[t] || f.prep[t] || !ClauseStart(s, t)) continue;
    if ((f.mask[t] & kAttackTriggers) && !Hedged(s, t)) {
      consider(weights_.claim_subject_text, "claim.group_subject", g, g, t, t);
    } else if (CarriesOut(f, t) && !Hedged(s, t)) {
      for (std::uint32_t u = g + 1; u < s.last && u <= g + 5; ++u) {
        if ((f.mask[u] & kAttackTriggers) && !f.prep[u]) {
          consider(weights_.claim_subject_text, "claim.group_subject", g, g, u, u);
          break;
        }
      }
    }
  }
  // A group's spokesman quoted in a news flash: "متحدث باسم الحوثيين: الهجوم ... استهدف".
  for (std::uint32_t t = s.first; t < s.last && t < s.first + 8; ++t) {
    if (!ColonAfter(f, t)) continue;
    if (denied) break;
    const bool group = AnyIn(s, Bit(Category::kGroup), s.first, t);
    // An official or a state's force speaking in the first person plural claims its own
    // strike too ("نتنياهو: قصفنا أهدافا في إيران", "الجيش الإسرائيلي: استهدفنا ...").
    const bool official =
        AnyIn(s, Bit(Category::kOfficial) | Bit(Category::kStateForce), s.first, t);
    if (!group && !official) break;
    for (std::uint32_t u = t + 1; u < s.last && u <= t + 8; ++u) {
      if ((f.mask[u] & kAttackTriggers) && !Hedged(s, u) &&
          !AnyIn(s, Bit(Category::kAccuse) | Bit(Category::kPassive), t + 1, u) &&
          (group || FirstPersonPluralPast(f, u))) {
        consider(weights_.claim_speech, "claim.group_spokesman", t, t, u, u);
        break;
      }
    }
    break;
  }
  return best;
}

Finding RuleClassifier::Statement(const Sentence& s, bool security_context,
                                  bool sport_article) const {
  Finding best;
  const FieldData& f = *s.f;
  if (sport_article) return best;
  // Deaths and injuries are a security topic unless the sentence says accident or disease.
  // A weak attack word alone ("يستهدف المشروع", "ضرب موعدا") is no topic: economy and sport
  // use them too; with a weapon, a casualty, a target or an armed actor beside it, it is.
  // Deaths and injuries support it only where the sentence says no accident ("جسرا اجتاحته
  // فيضانات"); a crime ("العمل الإجرامي") still counts, though a death in court is not.
  const bool accident = Any(s, Bit(Category::kAccident));
  constexpr Mask kCasualties = Bit(Category::kKill) | Bit(Category::kInjure);
  const bool weak_attack_topic = Any(s, Bit(Category::kAttackWeak)) &&
                                 Any(s, accident ? kAttackSupport & ~kCasualties : kAttackSupport);
  const bool topic = Any(s, kSecurityTopic & ~Bit(Category::kAttackWeak)) || weak_attack_topic ||
                     (Any(s, kCasualties) && !accident && !Any(s, Bit(Category::kJudicial)));
  const bool off_topic = Any(s, Bit(Category::kEconomy) | Bit(Category::kSport)) && !topic;
  if (off_topic || (!topic && !security_context)) return best;
  auto consider = [&best](double w, const char* rule, std::uint32_t a, std::uint32_t b) {
    if (w > best.weight) {
      best.weight = w;
      best.rule = rule;
      best.triggers = {{a, a}, {b, b}};
    }
  };
  // The speech verb of a private person (expert, witness, newspaper) whose words run on from
  // there: officials inside them are quoted, not speaking ("قال الخبير إن الوزير رفض ..."),
  // until a connector opens a new clause ("... فيما اتهم قادة عسكريون نتنياهو").
  std::int64_t private_verb = -1;
  for (std::uint32_t v = s.first; v < s.last; ++v) {
    if (private_verb >= 0 && IsConnector(f, v)) private_verb = -1;
    // An official body adopting a resolution on security speaks too, and so does one laying
    // the blame ("حمّل رئيس الوزراء الميليشيات مسؤولية الهجمات").
    const bool adopts = (f.mask[v] & Bit(Category::kClaimVerb)) && AdoptsResolution(s, v, 5);
    const bool blames = (f.mask[v] & Bit(Category::kAccuse)) &&
                        AnyIn(s, Bit(Category::kResponsibility), v + 1, v + 6);
    // "طالبان" is the Taliban before it is "they both demand".
    if (private_verb >= 0 || (!(f.mask[v] & kSpeechActs) && !adopts && !blames) ||
        (f.mask[v] & Bit(Category::kGroup))) {
      continue;
    }
    // "بحسب الجيش": the source follows right after; the words before are the report.
    // "كما يقول الفلسطينيون" likewise: after كما the speaker follows the verb.
    const bool according_to = AccordingTo(f, v) || (v > s.first && IsAs(f, v - 1));
    // A participle (مشيرا، مؤكدا، مضيفة) goes on with the sentence's subject, named before it
    // however far back; an official after it is in what is said ("مشيرا إلى دور الأجهزة
    // الحكومية").
    const bool participle = Participle(f, v);
    const int before = according_to ? 0 : participle ? 40 : 5;
    const int after = according_to ? 3 : participle ? 0 : 7;
    // A state name speaks for its government only right next to the verb ("حذرت بغداد").
    std::int64_t speaker = Nearest(s, kSpeakers & ~Bit(Category::kState), v, before, after);
    std::int64_t state = Nearest(s, Bit(Category::kState), v, according_to ? 0 : 1, 2);
    // "وقالت إن تركيا شهدت ...": a state after إن/أن is what is said, not who says it.
    if (state == static_cast<std::int64_t>(v) + 2 && IsThat(f, v + 1)) state = -1;
    if (speaker < 0 || (state >= 0 && std::abs(state - static_cast<std::int64_t>(v)) <
                                          std::abs(speaker - static_cast<std::int64_t>(v)))) {
      speaker = state;
    }
    std::int64_t private_speaker = Nearest(s, Bit(Category::kNonOfficial), v, before, after);
    // "المتحدث باسم الهلال الأحمر", "المتحدث الرسمي للهلال الأحمر": a spokesman speaks for
    // whoever follows باسم or the preposition ل, one title word at most in between.
    if (speaker >= 0) {
      for (std::int64_t u = speaker + 1; u < s.last && u <= speaker + 3; ++u) {
        if (IsWord(f, static_cast<std::uint32_t>(u), Words().bism)) continue;
        if ((f.cover[u] & Bit(Category::kNonOfficial)) &&
            (f.prep[u] || IsWord(f, static_cast<std::uint32_t>(u) - 1, Words().bism))) {
          private_speaker = speaker;
          break;
        }
        if (u > speaker + 1 || f.prep[u]) break;
      }
    }
    if (private_speaker >= 0 && (speaker < 0 || private_speaker == speaker ||
                                 std::abs(private_speaker - static_cast<std::int64_t>(v)) <=
                                     std::abs(speaker - static_cast<std::int64_t>(v)))) {
      private_verb = v;
      continue;
    }
    // "وأضافت: نرفض كل الأعمال التي تستهدف القواعد": a first-person plural speech act is an
    // organisation speaking for itself; the speaker is the verb's own subject.
    if (speaker < 0 && FirstPersonPlural(f, v)) {
      consider(topic ? weights_.statement_first_person : weights_.statement_context,
               "statement.first_person", v, v);
    }
    if (speaker < 0) continue;
    const bool condemn = f.mask[v] & Bit(Category::kCondemn);
    double w = !topic    ? weights_.statement_context
               : condemn ? weights_.statement_condemn
                         : weights_.statement_speech;
    consider(w, condemn ? "statement.condemnation" : "statement.official_speech", v,
             static_cast<std::uint32_t>(speaker));
  }
  // Headline or news-flash form "وزير الخارجية: ...", "عاجل | الجيش الأمريكي: ...": an
  // official, then a colon, at the start of the sentence.
  if (topic) {
    for (std::uint32_t t = s.first; t < s.last && t < s.first + 8; ++t) {
      if (ColonAfter(f, t)) {
        // A state or city name before a colon is a dateline ("بغداد: قتل ...", "اليمن: 4
        // قتلى"، "بغداد: قال مراسلنا"), even in a headline, when an event or a speaker
        // follows; alone before the colon and followed by other words, it is the government
        // speaking ("قطر: المفاوضات متعثرة").
        constexpr Mask kEventStart = kAttackTriggers | Bit(Category::kKill) |
                                     Bit(Category::kInjure) | Bit(Category::kExplosion) |
                                     kSpeechActs | kSpeakers | Bit(Category::kNonOfficial);
        bool event_follows = false;
        for (std::uint32_t u = t + 1; u < s.last && u <= t + 3; ++u) {
          event_follows = event_follows || (f.cover[u] & kEventStart) || f.tokens[u].digits;
        }
        const bool state_speaks = t == s.first && !event_follows;
        const Mask who =
            kSpeakers & ~Bit(Category::kGroupHead) & ~(state_speaks ? 0 : Bit(Category::kState));
        // The nearest one not behind a preposition: "القصبي يرد على داعش:" answers the
        // group; "مسؤول في القسام:" is the official.
        std::int64_t speaker = -1;
        for (std::int64_t u = t; u >= s.first && u + 8 > t; --u) {
          if ((f.cover[u] & who) && !BehindPreposition(f, static_cast<std::uint32_t>(u))) {
            speaker = u;
            break;
          }
        }
        // A private speaker counts only between the official and the colon ("المتحدث باسم
        // الهلال الأحمر:"); earlier words are other news ("استشهاد صحفيين ... ووزير يقر:").
        if (speaker >= 0 && !AnyIn(s, Bit(Category::kNonOfficial), speaker, t)) {
          consider(weights_.statement_title_colon, "statement.headline_quote",
                   static_cast<std::uint32_t>(speaker), t);
        }
        break;
      }
    }
  }
  return best;
}

// The original text of tokens [a, b], leaving out the first `clitic` codes of token a (the
// conjunction or preposition glued to a name: Hit::clitic).
Span TokenSpan(const FieldData& f, std::uint32_t a, std::uint32_t b, std::uint32_t clitic = 0) {
  if (f.tokens.empty()) return {f.field, 0, 0};
  a = std::min<std::uint32_t>(a, f.tokens.size() - 1);
  b = std::min<std::uint32_t>(b, f.tokens.size() - 1);
  const Token& first = f.tokens[a];
  const std::uint32_t from = first.begin + clitic < first.end ? first.begin + clitic : first.begin;
  return {f.field, f.norm.begin[from], f.norm.end[f.tokens[b].end - 1]};
}

std::optional<int> RuleClassifier::NumberAt(const FieldData& f, std::uint32_t t) const {
  const Token& tok = f.tokens[t];
  if (tok.digits) {
    const std::string_view codes = f.norm.codes;
    long long value = 0;
    for (std::uint32_t i = tok.begin; i < tok.end && value < 1000000; ++i) {
      value = value * 10 + (codes[i] - '0');
    }
    // "5,200": thousands written with a separator.
    if (t + 1 < f.tokens.size() && f.tokens[t + 1].digits && tok.end + 1 == f.tokens[t + 1].begin &&
        (codes[tok.end] == ',') && f.tokens[t + 1].end - f.tokens[t + 1].begin == 3) {
      for (std::uint32_t i = f.tokens[t + 1].begin; i < f.tokens[t + 1].end; ++i) {
        value = value * 10 + (codes[i] - '0');
      }
    }
    if (value > 1000000) return std::nullopt;
    return static_cast<int>(value);
  }
  if (f.number[t] < 0) return std::nullopt;
  return f.number[t];
}

// The count attached to a casualty word at token t: a number just after ("مقتل 3",
// "قتل ما لا يقل عن 6"), a number just before ("26 قتيلا"), a dual noun ("جنديان"), or the
// casualty word itself in the dual ("قتيلان").
std::optional<int> RuleClassifier::CountNear(const FieldData& f, const Sentence& s,
                                             std::uint32_t t) const {
  static const std::string kDual = NormalizeToCodes("ان");
  auto dual = [&f](std::uint32_t u) {
    const Token& tok = f.tokens[u];
    return tok.end - tok.begin > 3 && f.norm.codes.compare(tok.end - 2, 2, kDual) == 0;
  };
  for (std::uint32_t u = t + 1; u < s.last && u <= t + 6; ++u) {
    if (u > t + 1 && (f.mask[u] & (Bit(Category::kKill) | Bit(Category::kInjure)))) break;
    if (auto n = NumberAt(f, u)) return n;
    if ((f.mask[u] & Bit(Category::kPerson)) && dual(u)) return 2;
  }
  for (std::int64_t u = static_cast<std::int64_t>(t) - 1; u >= s.first && u >= t - 3; --u) {
    if (auto n = NumberAt(f, static_cast<std::uint32_t>(u))) return n;
  }
  if (dual(t) && (f.mask[t] & (Bit(Category::kKill) | Bit(Category::kInjure)))) return 2;
  return std::nullopt;
}

void RuleClassifier::Entities(const std::vector<FieldData>& fields,
                              const std::vector<Sentence>& attack_sentences,
                              Classification& out) const {
  auto add = [&out](EntityKind kind, const FieldData& f, std::uint32_t a, std::uint32_t b,
                    std::string canonical, std::uint32_t clitic = 0) {
    const Span span = TokenSpan(f, a, b, clitic);
    int count = 0;
    for (const Entity& e : out.entities) {
      if (e.kind != kind) continue;
      ++count;
      // Once per name, and not again inside a longer name ("حزب الله" in "كتائب حزب الله").
      if (e.canonical == canonical) return;
      if (e.span.field == span.field && e.span.begin <= span.begin && span.end <= e.span.end) {
        return;
      }
    }
    if (count >= 8) return;
    std::string text(f.original.substr(span.begin, span.end - span.begin));
    out.entities.push_back({kind, std::move(text), std::move(canonical), span});
  };
  // Token a+1 continues a name started at a: same sentence, only spaces between, a word that is
  // neither a function word nor a time word ("مدينة الرمال الأسبوع الماضي" names مدينة الرمال).
  // Function words, time words, and the adjectives and verbs that follow a head noun when it
  // names no place ("منطقة واسعة"، "فصيل جديد يدعى"، "قاعدة تتواجد فيها").
  static const WordSet kStop(
      {"إلى",     "في",       "من",       "على",    "عن",     "مع",    "أن",      "إن",
       "التي",    "الذي",     "بعد",      "قبل",    "اليوم",  "أمس",   "الأسبوع", "الشهر",
       "العام",   "الماضي",   "الماضية",  "الجاري", "صباح",   "مساء",  "ليلة",    "الأحد",
       "الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "فيما",    "بينما",
       "حيث",     "كما",      "الذين",    "جديد",   "جديدة",  "موال",  "موالية",  "يدعى",
       "تدعى",    "يسمى",     "تسمى",     "تتواجد", "يتواجد", "توجد",  "يوجد",    "واسعة",
       "واسع",    "كبيرة",    "كبير",     "صغيرة",  "صغير",   "أخرى",  "آخر"});
  auto continues = [](const FieldData& f, std::uint32_t a) {
    if (a + 1 >= f.tokens.size() || f.tokens[a + 1].sentence != f.tokens[a].sentence ||
        f.tokens[a + 1].digits) {
      return false;
    }
    const std::string_view word = TokenCodes(f, a + 1);
    if (kStop.Contains(word)) return false;
    for (std::uint32_t i = f.tokens[a].end; i < f.tokens[a + 1].begin; ++i) {
      if (f.norm.codes[i] != ' ') return false;
    }
    // A function word or another known class ends the name.
    // A function word, a verb or event word the lexicon knows ("جماعة تتبنى", "جماعة تطلق"),
    // or another name's head ends the name.
    return (f.mask[a + 1] & kEndsName) == 0 && f.tokens[a + 1].end - f.tokens[a + 1].begin > 2;
  };
  auto codes_text = [](const FieldData& f, std::uint32_t a, std::uint32_t b) {
    return CodesToUtf8(std::string_view(f.norm.codes)
                           .substr(f.tokens[a].begin, f.tokens[b].end - f.tokens[a].begin));
  };
  for (const FieldData& f : fields) {
    for (const Hit& h : f.hits) {
      const std::string& canonical = lexicon_.entries()[h.entry].canonical;
      switch (h.category) {
        case Category::kPlace:
          add(EntityKind::kPlace, f, h.first_token, h.last_token, canonical, h.clitic);
          break;
        case Category::kGroup:
        case Category::kStateForce:
          add(EntityKind::kActor, f, h.first_token, h.last_token, canonical, h.clitic);
          break;
        case Category::kWeapon:
          add(EntityKind::kWeapon, f, h.first_token, h.last_token, canonical, h.clitic);
          break;
        case Category::kPlaceHead:
        case Category::kGroupHead: {
          // "قاعدة عين الأسد", "كتائب حزب الله": the head and up to two name words after it.
          // A head naming something is the first term of a construct and has no article:
          // "القاعدة الجوية"، "الفصائل المسلحة" are a noun and its adjective.
          if (f.mask[h.last_token] & (Bit(Category::kPlace) | Bit(Category::kGroup))) break;
          if (h.article) break;
          std::uint32_t b = h.last_token;
          if (!continues(f, b)) break;
          ++b;
          if (continues(f, b) && !(f.mask[b] & (Bit(Category::kPlace) | Bit(Category::kGroup))))
            ++b;
          const EntityKind kind =
              h.category == Category::kPlaceHead ? EntityKind::kPlace : EntityKind::kActor;
          add(kind, f, h.first_token, b, codes_text(f, h.first_token, b), h.clitic);
          break;
        }
        default: break;
      }
    }
  }
  for (const Sentence& s : attack_sentences) {
    for (std::uint32_t t = s.first; t < s.last; ++t) {
      if (s.f->mask[t] & Bit(Category::kMilitaryTarget)) {
        std::uint32_t b = t;
        while (b + 1 < s.last && (s.f->cover[b + 1] & Bit(Category::kMilitaryTarget)) &&
               !(s.f->mask[b + 1] & Bit(Category::kMilitaryTarget))) {
          ++b;
        }
        add(EntityKind::kTarget, *s.f, t, b, codes_text(*s.f, t, b));
      }
      if (!out.killed && (s.f->mask[t] & Bit(Category::kKill))) out.killed = CountNear(*s.f, s, t);
      if (!out.injured && (s.f->mask[t] & Bit(Category::kInjure))) {
        out.injured = CountNear(*s.f, s, t);
      }
    }
  }
}

Classification RuleClassifier::ClassifyImpl(const Article& article) const {
  std::vector<FieldData> fields(2);
  Prepare(article.title, Field::kTitle, fields[0]);
  Prepare(article.text, Field::kText, fields[1]);
  fields[0].original = article.title;
  fields[1].original = article.text;

  std::vector<Sentence> sentences;
  int sport_hits = 0;
  int economy_hits = 0;
  int security_hits = 0;
  for (const FieldData& f : fields) {
    for (std::size_t i = 0; i + 1 < f.sentence_first.size(); ++i) {
      sentences.push_back({&f, f.sentence_first[i], f.sentence_first[i + 1]});
    }
    sport_hits += f.sport_tokens;
    economy_hits += f.economy_tokens;
    security_hits += f.security_tokens;
  }
  // An article about a match: attack words there are football unless hard evidence says not.
  const bool sport_article =
      sport_hits >= weights_.sport_article_hits && sport_hits > security_hits;
  // Likewise an article about markets, health or culture: attack words there are plot,
  // history or metaphor unless hard evidence says not, and officials quoted there speak on
  // their subject, not on security.
  const bool other_article =
      economy_hits >= weights_.sport_article_hits && economy_hits > security_hits;

  Classification out;
  std::array<double, 3> best{};
  std::array<int, 3> supported{};
  std::array<std::vector<std::pair<const Sentence*, Finding>>, 3> findings;
  bool title_security = false;
  for (const Sentence& s : sentences) {
    if (s.f->field == Field::kTitle && Any(s, kSecurityTopic)) title_security = true;
  }
  const bool security_context = title_security || security_hits >= 3;
  std::int64_t last_statement = -1;
  for (std::size_t i = 0; i < sentences.size(); ++i) {
    const Sentence& s = sentences[i];
    const bool title = s.f->field == Field::kTitle;
    Finding per_type[3] = {Attack(s, sport_article || other_article), Claim(s, title), {}};
    const std::uint32_t claim_token =
        per_type[1].weight > 0 ? per_type[1].triggers.front().first : UINT32_MAX;
    // A claim of responsibility alone is a claim; the statement must come from elsewhere in
    // the article, or from threats and justifications that follow the claim ("... ردا على",
    // "وستواصل عملياتها").
    if (claim_token == UINT32_MAX) {
      // The title and the lead say what an article reports, whatever it goes on to cover: a
      // cabinet session on a bombing, then on the budget.
      const bool lead = (title || (s.f->field == Field::kText && s.first == 0)) &&
                        Any(s, Bit(Category::kAttackStrong));
      per_type[2] = Statement(s, security_context, sport_article || (other_article && !lead));
    } else if (Any(s, kSpeechActs) &&
               AnyIn(s, Bit(Category::kThreat) | Bit(Category::kJustify) | Bit(Category::kFuture),
                     claim_token + 1, s.last)) {
      per_type[2].weight = weights_.statement_claim_message;
      per_type[2].rule = "statement.claim_with_message";
      per_type[2].triggers = per_type[1].triggers;
    }
    // "وأضاف: ..." right after an official's statement: the same speaker goes on. A text that
    // opens that way ("وأضاف أن القوات ...") is a paragraph of a statement whose speaker was
    // named before the excerpt.
    const bool after_statement =
        last_statement >= 0 && i - last_statement <= 2 && sentences[last_statement].f == s.f;
    const bool opens_text = s.f->field == Field::kText && s.first == 0;
    if (per_type[2].weight == 0 && (after_statement || (opens_text && ImpliedSpeaker(s))) &&
        !sport_article && !other_article) {
      const std::uint32_t v = s.first;
      if ((s.f->mask[v] &
           (Bit(Category::kSpeech) | Bit(Category::kWarn) | Bit(Category::kCondemn))) &&
          !AnyIn(s, Bit(Category::kNonOfficial), v, v + 4) && Any(s, kSecurityTopic)) {
        per_type[2].weight = weights_.statement_carried;
        per_type[2].rule = after_statement ? "statement.same_speaker" : "statement.implied_speaker";
        per_type[2].triggers = {{v, v}};
      }
    }
    if (per_type[2].weight >= thresholds_.statement) last_statement = static_cast<std::int64_t>(i);
    for (int k = 0; k < 3; ++k) {
      if (per_type[k].weight <= 0) continue;
      best[k] = std::max(best[k], per_type[k].weight);
      if (per_type[k].weight >= 0.5) ++supported[k];
      findings[k].emplace_back(&s, std::move(per_type[k]));
    }
  }
  const std::array<double, 3> thresholds = {thresholds_.attack, thresholds_.claim,
                                            thresholds_.statement};
  for (int k = 0; k < 3; ++k) {
    double score = best[k];
    if (supported[k] > 1) score += weights_.extra_sentence * (supported[k] - 1);
    out.scores[k] = std::clamp(score, 0.0, 1.0);
  }
  // A claim reports an attack.
  out.scores[0] = std::max(out.scores[0], out.scores[1]);
  std::vector<Sentence> attack_sentences;
  for (int k = 0; k < 3; ++k) {
    if (out.scores[k] < thresholds[k]) continue;
    const EventType type = kEventTypes[k];
    out.labels.push_back(type);
    // Evidence: the strongest findings first, at most three sentences per label.
    auto& list = findings[k];
    std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
      return a.second.weight > b.second.weight;
    });
    for (std::size_t i = 0; i < list.size() && i < 3; ++i) {
      const auto& [s, finding] = list[i];
      if (finding.weight < thresholds[k] && i > 0) break;
      Evidence e;
      e.type = type;
      e.sentence = TokenSpan(*s->f, s->first, s->last - 1);
      for (const auto& [a, b] : finding.triggers) e.triggers.push_back(TokenSpan(*s->f, a, b));
      e.rule = finding.rule;
      e.weight = finding.weight;
      out.evidence.push_back(std::move(e));
      if (k == 0) attack_sentences.push_back(*s);
    }
  }
  Entities(fields, attack_sentences, out);
  return out;
}

// FNV-1a over the data files, so every alert names the exact data it was classified with.
std::uint64_t HashFiles(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".tsv") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::uint64_t h = 1469598103934665603ull;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    char c = 0;
    while (in.get(c)) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  }
  return h;
}

}  // namespace

std::expected<std::shared_ptr<const Classifier>, std::string> LoadClassifier(
    const std::filesystem::path& data_dir, const Thresholds& thresholds) {
  auto lexicon = Lexicon::Load(data_dir);
  if (!lexicon) return std::unexpected(lexicon.error());
  auto weights = LoadWeights(data_dir / "weights.tsv");
  if (!weights) return std::unexpected(weights.error());
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(HashFiles(data_dir)));
  return std::make_shared<const RuleClassifier>(std::move(*lexicon), *weights, thresholds,
                                                std::string("rules-1 data-") + hash);
}

std::filesystem::path DefaultDataDir() {
  std::error_code ec;
  for (const char* dir : {RAQIB_CLASSIFIER_DATA_DIR, "/usr/share/raqib/classifiers",
                          "/usr/local/share/raqib/classifiers"}) {
    if (*dir != '\0' && std::filesystem::is_directory(dir, ec)) return dir;
  }
  return "/usr/share/raqib/classifiers";
}

}  // namespace raqib::classifiers
