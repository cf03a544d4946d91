// What the classifier says about one article: labels, scores, evidence and entities.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace raqib::classifiers {

enum class EventType { kAttack = 0, kClaim = 1, kStatement = 2 };
inline constexpr std::array<EventType, 3> kEventTypes = {EventType::kAttack, EventType::kClaim,
                                                         EventType::kStatement};
const char* EventTypeName(EventType type);  // "attack", "claim", "statement"

// Which input field a span points into.
enum class Field { kTitle, kText };
const char* FieldName(Field field);  // "title", "text"

// A half-open byte range [begin, end) into the ORIGINAL (not normalised) UTF-8 field.
struct Span {
  Field field = Field::kText;
  std::size_t begin = 0;
  std::size_t end = 0;
};

// Why a label was given: the sentence, the spans that triggered it, and the rule's name.
struct Evidence {
  EventType type = EventType::kAttack;
  Span sentence;
  std::vector<Span> triggers;
  std::string rule;
  double weight = 0;  // this piece's contribution to the score
};

enum class EntityKind { kPlace, kActor, kTarget, kWeapon };
const char* EntityKindName(EntityKind kind);  // "place", "actor", "target", "weapon"

struct Entity {
  EntityKind kind = EntityKind::kPlace;
  std::string text;       // as written in the article
  std::string canonical;  // gazetteer name when known, else the normalised text
  Span span;
};

struct Classification {
  std::vector<EventType> labels;   // subset of kEventTypes, in that order; empty = none
  std::array<double, 3> scores{};  // indexed by EventType, each in [0, 1]
  std::vector<Evidence> evidence;
  std::vector<Entity> entities;
  std::optional<int> killed;
  std::optional<int> injured;

  bool Has(EventType type) const;
  double Score(EventType type) const { return scores[static_cast<std::size_t>(type)]; }
};

// The input: title optional, text may be a summary or the full article.
struct Article {
  std::string_view title;
  std::string_view text;
};

}  // namespace raqib::classifiers
