// The publisher around the outbox: the stdout sink, the cap, secrets kept out of logs, and a
// restart re-sending what the previous run left (through librdkafka's in-process mock cluster).
// What lands on Kafka is checked by independent clients in kafka_e2e.py.
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/kafka_publisher.h"
#include "daemon/outbox.h"

namespace {

using raqib::classifiers::EventType;
using raqib::daemon::ArticleRecord;
using raqib::daemon::KafkaOptions;
using raqib::daemon::MakePublisher;

struct TempDir {
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "raqib-pub-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::filesystem::path path;
};

// Sends spdlog's default logger into a string for the test's lifetime.
struct CapturedLog {
  CapturedLog() : previous(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>(
        "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(stream));
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous); }
  std::ostringstream stream;
  std::shared_ptr<spdlog::logger> previous;
};

ArticleRecord Article(const std::string& id, std::vector<EventType> labels) {
  ArticleRecord a;
  a.id = id;
  a.title = "عنوان";
  a.text = "قصف على المدينة.";
  a.first_seen = std::chrono::system_clock::now() - std::chrono::seconds(2);
  a.fetched_at = a.first_seen;
  a.classified_at = a.first_seen;
  a.classification.labels = std::move(labels);
  return a;
}

}  // namespace

TEST_CASE("daemon::IsSecretProperty and RedactProperties hide secret values") {
  using raqib::daemon::IsSecretProperty;
  for (const char* name : {"sasl.password", "ssl.key.password", "ssl.keystore.password",
                           "sasl.oauthbearer.client.secret", "SASL.JAAS.CONFIG", "ssl.key.pem",
                           "sasl.oauthbearer.token.endpoint.url", "my.api.Token"}) {
    CHECK(IsSecretProperty(name));
  }
  for (const char* name : {"bootstrap.servers", "sasl.username", "sasl.mechanism", "linger.ms",
                           "security.protocol", "compression.type"}) {
    CHECK_FALSE(IsSecretProperty(name));
  }
  const std::string line = raqib::daemon::RedactProperties(
      {{"sasl.username", "alice"}, {"sasl.password", "hunter2"}, {"ssl.key.pem", "-----BEGIN"}});
  CHECK(line == "sasl.password=[redacted], sasl.username=alice, ssl.key.pem=[redacted]");
}

TEST_CASE("daemon::MakePublisher never logs or returns a secret value") {
  TempDir dir;
  CapturedLog log;
  KafkaOptions options;
  options.outbox_path = dir.path / "outbox.sqlite3";
  options.brokers = "127.0.0.1:1";
  options.properties = {{"sasl.username", "alice"},
                        {"sasl.password", "hunter2-pw"},
                        {"ssl.key.password", "hunter2-key"}};
  SECTION("the effective configuration is logged redacted") {
    std::ostringstream out;
    auto publisher = MakePublisher(options, out);
    REQUIRE(publisher);
    const std::string logged = log.stream.str();
    CHECK(logged.find("sasl.username=alice") != std::string::npos);
    CHECK(logged.find("sasl.password=[redacted]") != std::string::npos);
    CHECK(logged.find("hunter2") == std::string::npos);
  }
  SECTION("a refused secret property's value is not in the error") {
    options.properties["sasl.secret.bogus"] = "hunter2-bogus";
    std::ostringstream out;
    auto publisher = MakePublisher(options, out);
    REQUIRE_FALSE(publisher);
    CHECK(publisher.error().find("sasl.secret.bogus") != std::string::npos);
    CHECK(publisher.error().find("hunter2") == std::string::npos);
    CHECK(log.stream.str().find("hunter2") == std::string::npos);
  }
}

TEST_CASE("daemon::MakePublisher without brokers writes JSON lines and acknowledges them") {
  TempDir dir;
  KafkaOptions options;
  options.outbox_path = dir.path / "outbox.sqlite3";
  std::ostringstream out;
  auto publisher = MakePublisher(options, out);
  REQUIRE(publisher);
  std::vector<std::pair<std::string, std::chrono::microseconds>> acked;
  (*publisher)
      ->OnAlertAcknowledged([&acked](const std::string& id, std::chrono::microseconds latency) {
        acked.emplace_back(id, latency);
      });
  REQUIRE((*publisher)->Publish(Article("a-1", {EventType::kAttack, EventType::kClaim})));
  REQUIRE((*publisher)->Publish(Article("a-2", {})));
  CHECK((*publisher)->Stats().outbox_depth == 4);  // on disk until the next Poll
  REQUIRE((*publisher)->Flush(std::chrono::seconds(5)));

  std::istringstream lines(out.str());
  std::vector<nlohmann::json> messages;
  for (std::string line; std::getline(lines, line);)
    messages.push_back(nlohmann::json::parse(line));
  REQUIRE(messages.size() == 4);
  CHECK(messages[0]["topic"] == "raqib.alerts.attack");
  CHECK(messages[1]["topic"] == "raqib.alerts.claim");
  CHECK(messages[2]["topic"] == "raqib.articles");
  CHECK(messages[3]["topic"] == "raqib.articles");
  CHECK(messages[0]["key"] == "a-1");
  CHECK(messages[3]["key"] == "a-2");
  CHECK(messages[1]["headers"]["ce_id"] == "a-1/claim");
  CHECK(messages[1]["headers"]["ce_specversion"] == "1.0");
  CHECK(messages[0]["value"]["id"] == "a-1");
  CHECK(messages[0]["value"]["title"] == "عنوان");
  CHECK(out.str().find("\\u") == std::string::npos);

  const auto stats = (*publisher)->Stats();
  CHECK(stats.messages_enqueued == 4);
  CHECK(stats.messages_delivered == 4);
  CHECK(stats.alerts_delivered == 2);
  CHECK(stats.outbox_depth == 0);
  REQUIRE(acked.size() == 2);
  CHECK(acked[0].first == "a-1");
  CHECK(acked[0].second >= std::chrono::seconds(2));  // from first_seen, 2 s in the past
}

TEST_CASE("daemon::Publisher refuses articles when the outbox is full and says it is saturated") {
  TempDir dir;
  KafkaOptions options;
  options.outbox_path = dir.path / "outbox.sqlite3";
  options.outbox_capacity = 5;
  options.saturation_ratio = 0.8;
  std::ostringstream out;
  auto publisher = MakePublisher(options, out);
  REQUIRE(publisher);
  auto& p = **publisher;
  REQUIRE(
      p.Publish(Article("a-1", {EventType::kAttack, EventType::kClaim, EventType::kStatement})));
  CHECK(p.Saturated());  // 4 of 5
  auto refused = p.Publish(Article("a-2", {EventType::kAttack}));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().find("outbox full") != std::string::npos);
  CHECK(p.Stats().publish_refusals == 1);
  CHECK(p.Stats().outbox_depth == 4);
  p.Poll(std::chrono::milliseconds(0));  // the stdout sink acknowledges what it wrote
  CHECK_FALSE(p.Saturated());
  CHECK(p.Publish(Article("a-2", {EventType::kAttack})));
  REQUIRE(p.Flush(std::chrono::seconds(5)));
  CHECK(p.Stats().messages_delivered == 6);
}

TEST_CASE("daemon::Publisher sends again at start-up what a previous run left in the outbox") {
  TempDir dir;
  KafkaOptions options;
  options.outbox_path = dir.path / "outbox.sqlite3";
  {
    // Nothing listens on port 1: the messages stay in the outbox when this run ends.
    options.brokers = "127.0.0.1:1";
    std::ostringstream out;
    auto publisher = MakePublisher(options, out);
    REQUIRE(publisher);
    REQUIRE((*publisher)->Publish(Article("a-1", {EventType::kAttack})));
    REQUIRE((*publisher)->Publish(Article("a-2", {})));
    (*publisher)->Poll(std::chrono::milliseconds(100));
    CHECK((*publisher)->Stats().messages_delivered == 0);
  }
  {
    auto outbox = raqib::daemon::Outbox::Open({.path = options.outbox_path, .capacity = 10});
    REQUIRE(outbox);
    CHECK((*outbox)->Depth() == 3);
  }
  // The next run, on librdkafka's in-process mock cluster (test.mock.num.brokers).
  options.brokers.clear();
  options.mock_brokers = 1;
  std::ostringstream out;
  auto publisher = MakePublisher(options, out);
  REQUIRE(publisher);
  CHECK((*publisher)->Stats().outbox_depth == 3);
  REQUIRE((*publisher)->Flush(std::chrono::seconds(20)));
  const auto stats = (*publisher)->Stats();
  CHECK(stats.messages_retried == 3);
  CHECK(stats.messages_delivered == 3);
  CHECK(stats.alerts_delivered == 1);
  CHECK(stats.outbox_depth == 0);
  CHECK(out.str().empty());  // Kafka, not stdout
}
