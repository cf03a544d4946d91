#include "daemon/alert_message.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "classifiers/classification_json.h"

namespace raqib::daemon {
namespace {

// The CloudEvents `type` and ce_id suffix of a message: its label, or "article".
std::string_view KindName(std::optional<classifiers::EventType> label) {
  return label ? classifiers::EventTypeName(*label) : "article";
}

const std::string& TopicFor(classifiers::EventType label, const TopicNames& topics) {
  switch (label) {
    case classifiers::EventType::kAttack: return topics.attack;
    case classifiers::EventType::kClaim: return topics.claim;
    case classifiers::EventType::kStatement: return topics.statement;
  }
  return topics.articles;  // unreachable: every EventType is listed above
}

OutgoingMessage MakeMessage(const ArticleRecord& article, const MessageOptions& options,
                            std::optional<classifiers::EventType> label, const std::string& value,
                            const std::string& ce_time) {
  OutgoingMessage message;
  message.alert = label.has_value();
  message.topic = label ? TopicFor(*label, options.topics) : options.topics.articles;
  message.key = article.id;
  message.value = value;
  const std::string_view kind = KindName(label);
  message.headers = {
      {"ce_specversion", "1.0"},
      {"ce_id", fmt::format("{}/{}", article.id, kind)},
      {"ce_source", options.ce_source},
      {"ce_type", label ? fmt::format("org.raqib.alert.{}", kind) : "org.raqib.article"},
      {"ce_time", ce_time},
      {"content-type", "application/json"},
  };
  return message;
}

}  // namespace

std::string FormatRfc3339(std::chrono::system_clock::time_point time) {
  const auto micros = std::chrono::floor<std::chrono::microseconds>(time);
  const auto seconds = std::chrono::floor<std::chrono::seconds>(micros);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:06d}Z",
                     fmt::gmtime(std::chrono::system_clock::to_time_t(seconds)),
                     (micros - seconds).count());
}

std::string_view TruncateUtf8(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes;
  // Step back over continuation bytes (10xxxxxx) to the start of the sequence that would be
  // cut, and cut before it. At most 3 steps for valid UTF-8; more means invalid input, which
  // the JSON writer replaces anyway.
  std::size_t steps = 0;
  while (end > 0 && steps < 4 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
    ++steps;
  }
  if (steps == 4) end = max_bytes;
  return text.substr(0, end);
}

std::string BuildValue(const ArticleRecord& article, const MessageOptions& options) {
  // Evidence and entity spans index into the FULL text the classifier saw and carry their
  // quoted text, so they stay meaningful when the excerpt below is shorter.
  nlohmann::json value = classifiers::ToJson(
      article.classification, classifiers::Article{.title = article.title, .text = article.text});
  const std::string_view excerpt = TruncateUtf8(article.text, options.excerpt_bytes);
  value["schema_version"] = kAlertSchemaVersion;
  value["id"] = article.id;
  value["title"] = article.title;
  value["text"] = excerpt;
  value["text_truncated"] = excerpt.size() < article.text.size();
  value["text_bytes"] = article.text.size();
  value["link"] = article.link;
  value["source"] = {{"url", article.feed_url}, {"title", article.feed_title}};
  value["published"] = article.published ? nlohmann::json(FormatRfc3339(*article.published))
                                         : nlohmann::json(nullptr);
  value["first_seen"] = FormatRfc3339(article.first_seen);
  value["fetched_at"] = FormatRfc3339(article.fetched_at);
  value["classified_at"] = FormatRfc3339(article.classified_at);
  value["classifier_version"] = article.classifier_version;
  // Arabic stays as is (ensure_ascii=false); bytes that are not UTF-8 become U+FFFD rather
  // than an exception.
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<OutgoingMessage> BuildMessages(const ArticleRecord& article,
                                           const MessageOptions& options) {
  const std::string value = BuildValue(article, options);
  const std::string ce_time = FormatRfc3339(article.classified_at);
  std::vector<OutgoingMessage> messages;
  messages.reserve(article.classification.labels.size() + 1);
  for (classifiers::EventType label : article.classification.labels) {
    messages.push_back(MakeMessage(article, options, label, value, ce_time));
  }
  messages.push_back(MakeMessage(article, options, std::nullopt, value, ce_time));
  return messages;
}

}  // namespace raqib::daemon
