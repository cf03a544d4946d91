#include <catch2/catch.hpp>
#include <string>

#include "classifiers/classification.h"

using namespace raqib::classifiers;

TEST_CASE("classifiers::Classification reports labels and scores by type") {
  Classification c;
  c.labels = {EventType::kAttack, EventType::kClaim};
  c.scores = {0.9, 0.7, 0.1};
  CHECK(c.Has(EventType::kAttack));
  CHECK(c.Has(EventType::kClaim));
  CHECK_FALSE(c.Has(EventType::kStatement));
  CHECK(c.Score(EventType::kClaim) == Approx(0.7));
  CHECK(std::string(EventTypeName(EventType::kStatement)) == "statement");
  CHECK(std::string(EntityKindName(EntityKind::kWeapon)) == "weapon");
}
