#include <catch2/catch.hpp>
#include <string>

#include "classifiers/classification.h"
#include "classifiers/classification_json.h"

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

TEST_CASE("classifiers::ToJson quotes evidence spans from the original text") {
  const std::string title = "هجوم على قاعدة";
  const std::string text = "قتل ثلاثة في هجوم صاروخي.";
  Classification c;
  c.labels = {EventType::kAttack};
  c.scores = {0.8, 0.1, 0.0};
  const std::size_t begin = text.find("هجوم");
  c.evidence.push_back({EventType::kAttack,
                        {Field::kText, 0, text.size()},
                        {{Field::kText, begin, begin + std::string("هجوم").size()}},
                        "attack.noun",
                        0.8});
  c.entities.push_back({EntityKind::kWeapon, "صاروخي", "صاروخ", {Field::kText, 0, 0}});
  c.killed = 3;

  const auto json = ToJson(c, Article{title, text});
  CHECK(json["labels"] == nlohmann::json::array({"attack"}));
  CHECK(json["scores"]["attack"].get<double>() == Approx(0.8));
  CHECK(json["evidence"][0]["triggers"][0]["text"] == "هجوم");
  CHECK(json["evidence"][0]["sentence"]["text"] == text);
  CHECK(json["entities"][0]["kind"] == "weapon");
  CHECK(json["casualties"]["killed"] == 3);
  CHECK_FALSE(json["casualties"].contains("injured"));

  SECTION("a span outside its field quotes nothing instead of failing") {
    c.evidence[0].triggers[0] = {Field::kTitle, 5, 500};
    CHECK(ToJson(c, Article{title, text})["evidence"][0]["triggers"][0]["text"] == "");
  }
}
