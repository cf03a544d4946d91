#include "classifiers/classification.h"

#include <algorithm>

namespace raqib::classifiers {

const char* EventTypeName(EventType type) {
  switch (type) {
    case EventType::kAttack: return "attack";
    case EventType::kClaim: return "claim";
    case EventType::kStatement: return "statement";
  }
  return "unknown";
}

const char* FieldName(Field field) { return field == Field::kTitle ? "title" : "text"; }

const char* EntityKindName(EntityKind kind) {
  switch (kind) {
    case EntityKind::kPlace: return "place";
    case EntityKind::kActor: return "actor";
    case EntityKind::kTarget: return "target";
    case EntityKind::kWeapon: return "weapon";
  }
  return "unknown";
}

bool Classification::Has(EventType type) const {
  return std::find(labels.begin(), labels.end(), type) != labels.end();
}

}  // namespace raqib::classifiers
