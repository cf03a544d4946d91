// The Kafka messages of an article: topics, key, CloudEvents headers and the JSON value.
#include <catch2/catch.hpp>
#include <cctype>
#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "classifiers/classification_json.h"
#include "daemon/alert_message.h"

namespace {

using raqib::classifiers::EventType;
using raqib::classifiers::Field;
using raqib::daemon::ArticleRecord;
using raqib::daemon::BuildMessages;
using raqib::daemon::MessageOptions;
using raqib::daemon::OutgoingMessage;

const std::string kSentence = "قصف مدفعي على مدينة حلب. ";

ArticleRecord Record(std::vector<EventType> labels) {
  using std::chrono::seconds;
  ArticleRecord a;
  a.id = "https://news.example/a/1";
  a.title = "عاجل: قصف على حلب";
  for (int i = 0; i < 10; ++i) a.text += kSentence;
  a.link = "https://news.example/a/1";
  a.feed_url = "https://news.example/rss";
  a.feed_title = "أخبار";
  const auto t = std::chrono::sys_seconds(seconds(1790000000));  // 2026-09-21T14:13:20Z
  a.published = t;
  a.first_seen = t + seconds(30);
  a.fetched_at = t + seconds(30);
  a.classified_at = t + seconds(30) + std::chrono::microseconds(1500);
  a.classifier_version = "rules-7";
  a.classification.labels = labels;
  for (EventType type : labels) {
    a.classification.scores[static_cast<std::size_t>(type)] = 0.8;
    // The evidence points into the LAST sentence, past any short excerpt.
    const std::size_t begin = a.text.size() - kSentence.size();
    a.classification.evidence.push_back({.type = type,
                                         .sentence = {Field::kText, begin, a.text.size() - 1},
                                         .triggers = {{Field::kText, begin, begin + 6}},
                                         .rule = "r1",
                                         .weight = 0.8});
  }
  return a;
}

std::map<std::string, std::string> HeaderMap(const OutgoingMessage& m) {
  std::map<std::string, std::string> h;
  for (const auto& [name, value] : m.headers) h[name] = value;
  return h;
}

}  // namespace

TEST_CASE("daemon::BuildMessages sends each label to its alert topic and all to the archive") {
  MessageOptions options;
  SECTION("no label: archive only") {
    auto messages = BuildMessages(Record({}), options);
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].topic == "raqib.articles");
    CHECK_FALSE(messages[0].alert);
    CHECK(HeaderMap(messages[0])["ce_type"] == "org.raqib.article");
  }
  SECTION("two labels: two alert topics, then the archive") {
    auto messages = BuildMessages(Record({EventType::kAttack, EventType::kStatement}), options);
    REQUIRE(messages.size() == 3);
    CHECK(messages[0].topic == "raqib.alerts.attack");
    CHECK(messages[1].topic == "raqib.alerts.statement");
    CHECK(messages[2].topic == "raqib.articles");
    CHECK(messages[0].alert);
    CHECK(messages[1].alert);
    CHECK_FALSE(messages[2].alert);
    CHECK(HeaderMap(messages[0])["ce_type"] == "org.raqib.alert.attack");
    CHECK(HeaderMap(messages[1])["ce_type"] == "org.raqib.alert.statement");
    for (const auto& m : messages) {
      CHECK(m.key == "https://news.example/a/1");
      CHECK(m.value == messages[0].value);
    }
  }
  SECTION("topic names come from the options") {
    options.topics.claim = "custom.claims";
    options.topics.articles = "custom.all";
    auto messages = BuildMessages(Record({EventType::kClaim}), options);
    REQUIRE(messages.size() == 2);
    CHECK(messages[0].topic == "custom.claims");
    CHECK(messages[1].topic == "custom.all");
  }
}

TEST_CASE("daemon::BuildMessages sets CloudEvents headers with a ce_id stable across re-sends") {
  MessageOptions options;
  options.ce_source = "urn:raqib:test";
  const ArticleRecord record = Record({EventType::kAttack, EventType::kClaim});
  auto first = BuildMessages(record, options);
  auto again = BuildMessages(record, options);
  REQUIRE(first.size() == 3);
  std::set<std::string> ids;
  for (std::size_t i = 0; i < first.size(); ++i) {
    auto h = HeaderMap(first[i]);
    CHECK(h.size() == 6);
    CHECK(h["ce_specversion"] == "1.0");
    CHECK(h["ce_source"] == "urn:raqib:test");
    CHECK(h["ce_time"] == "2026-09-21T14:13:50.001500Z");
    CHECK(h["content-type"] == "application/json");
    CHECK(h["ce_id"] == HeaderMap(again[i])["ce_id"]);
    ids.insert(h["ce_id"]);
  }
  CHECK(ids == std::set<std::string>{"https://news.example/a/1/attack",
                                     "https://news.example/a/1/claim",
                                     "https://news.example/a/1/article"});
}

TEST_CASE("daemon::BuildValue writes the documented fields, Arabic unescaped") {
  MessageOptions options;
  options.excerpt_bytes = 102;  // falls inside a two-byte Arabic letter: cut before it
  const ArticleRecord record = Record({EventType::kAttack});
  const std::string text = raqib::daemon::BuildValue(record, options);
  CHECK(text.find("\\u") == std::string::npos);
  CHECK(text.find("عاجل: قصف على حلب") != std::string::npos);
  const auto v = nlohmann::json::parse(text);
  CHECK(v["schema_version"] == raqib::daemon::kAlertSchemaVersion);
  CHECK(v["id"] == record.id);
  CHECK(v["title"] == record.title);
  CHECK(v["link"] == record.link);
  CHECK(v["source"] == nlohmann::json{{"url", record.feed_url}, {"title", record.feed_title}});
  CHECK(v["published"] == "2026-09-21T14:13:20.000000Z");
  CHECK(v["first_seen"] == "2026-09-21T14:13:50.000000Z");
  CHECK(v["fetched_at"] == "2026-09-21T14:13:50.000000Z");
  CHECK(v["classified_at"] == "2026-09-21T14:13:50.001500Z");
  CHECK(v["classifier_version"] == "rules-7");

  // The excerpt: a UTF-8 prefix of the text, at most excerpt_bytes long.
  const std::string excerpt = v["text"];
  CHECK(excerpt.size() == 101);
  CHECK(record.text.starts_with(excerpt));
  CHECK(v["text_truncated"] == true);
  CHECK(v["text_bytes"] == record.text.size());

  // Classification fields are exactly the shared JSON form, spans into the FULL text.
  const auto classification = raqib::classifiers::ToJson(
      record.classification, {.title = record.title, .text = record.text});
  for (const char* key : {"labels", "scores", "evidence", "entities", "casualties"}) {
    CHECK(v[key] == classification[key]);
  }
  CHECK(v["evidence"][0]["sentence"]["begin"] > excerpt.size());
  CHECK(v["evidence"][0]["triggers"][0]["text"] == "قصف");
}

TEST_CASE("daemon::BuildValue keeps the whole text when it fits and survives bad UTF-8") {
  MessageOptions options;
  ArticleRecord record = Record({});
  record.published.reset();
  record.title = "bad \xff byte";
  const auto v = nlohmann::json::parse(raqib::daemon::BuildValue(record, options));
  CHECK(v["text"] == record.text);
  CHECK(v["text_truncated"] == false);
  CHECK(v["published"].is_null());
  CHECK(v["title"] == "bad \xEF\xBF\xBD byte");  // U+FFFD
  CHECK(v["labels"].empty());
}

TEST_CASE("daemon::TruncateUtf8 never splits a sequence") {
  using raqib::daemon::TruncateUtf8;
  const std::string s = "aب€😀";  // 1 + 2 + 3 + 4 bytes
  CHECK(TruncateUtf8(s, 100) == s);
  CHECK(TruncateUtf8(s, 0) == "");
  CHECK(TruncateUtf8(s, 1) == "a");
  CHECK(TruncateUtf8(s, 2) == "a");
  CHECK(TruncateUtf8(s, 3) == "aب");
  CHECK(TruncateUtf8(s, 5) == "aب");
  CHECK(TruncateUtf8(s, 6) == "aب€");
  CHECK(TruncateUtf8(s, 9) == "aب€");
  CHECK(TruncateUtf8(s, 10) == s);
}

TEST_CASE("daemon::FormatRfc3339 writes UTC with microseconds") {
  const auto t = std::chrono::sys_seconds(std::chrono::seconds(0)) + std::chrono::microseconds(7);
  CHECK(raqib::daemon::FormatRfc3339(t) == "1970-01-01T00:00:00.000007Z");
  // Shape of any instant: digits everywhere but these positions. (Not std::regex: GCC 12
  // warns inside it under the sanitizers, and warnings are errors.)
  const std::string now = raqib::daemon::FormatRfc3339(std::chrono::system_clock::now());
  const std::string shape = "dddd-dd-ddTdd:dd:dd.ddddddZ";
  REQUIRE(now.size() == shape.size());
  for (std::size_t i = 0; i < shape.size(); ++i) {
    CHECK((shape[i] == 'd' ? std::isdigit(static_cast<unsigned char>(now[i])) != 0
                           : now[i] == shape[i]));
  }
}
