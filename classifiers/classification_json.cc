#include "classifiers/classification_json.h"

#include <string_view>

namespace raqib::classifiers {
namespace {

// The quoted text of a span; empty if the span does not fit its field (never throws).
std::string_view SpanText(const Span& span, const Article& article) {
  const std::string_view field = span.field == Field::kTitle ? article.title : article.text;
  if (span.begin > span.end || span.end > field.size()) return {};
  return field.substr(span.begin, span.end - span.begin);
}

nlohmann::json SpanJson(const Span& span, const Article& article) {
  return {{"field", FieldName(span.field)},
          {"begin", span.begin},
          {"end", span.end},
          {"text", SpanText(span, article)}};
}

}  // namespace

nlohmann::json ToJson(const Classification& classification, const Article& article) {
  nlohmann::json labels = nlohmann::json::array();
  for (EventType type : classification.labels) labels.push_back(EventTypeName(type));

  nlohmann::json scores = nlohmann::json::object();
  for (EventType type : kEventTypes) scores[EventTypeName(type)] = classification.Score(type);

  nlohmann::json evidence = nlohmann::json::array();
  for (const Evidence& e : classification.evidence) {
    nlohmann::json triggers = nlohmann::json::array();
    for (const Span& t : e.triggers) triggers.push_back(SpanJson(t, article));
    evidence.push_back({{"type", EventTypeName(e.type)},
                        {"rule", e.rule},
                        {"weight", e.weight},
                        {"sentence", SpanJson(e.sentence, article)},
                        {"triggers", std::move(triggers)}});
  }

  nlohmann::json entities = nlohmann::json::array();
  for (const Entity& entity : classification.entities) {
    entities.push_back({{"kind", EntityKindName(entity.kind)},
                        {"text", entity.text},
                        {"canonical", entity.canonical},
                        {"span", SpanJson(entity.span, article)}});
  }

  nlohmann::json casualties = nlohmann::json::object();
  if (classification.killed) casualties["killed"] = *classification.killed;
  if (classification.injured) casualties["injured"] = *classification.injured;

  return {{"labels", std::move(labels)},
          {"scores", std::move(scores)},
          {"evidence", std::move(evidence)},
          {"entities", std::move(entities)},
          {"casualties", std::move(casualties)}};
}

}  // namespace raqib::classifiers
