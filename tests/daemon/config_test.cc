#include "daemon/config.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

using raqib::daemon::Config;
using raqib::daemon::ConfigError;
using raqib::daemon::LoadConfig;
using raqib::daemon::LoadOpml;
using raqib::daemon::ParseConfig;

namespace {

ConfigError ErrorOf(const std::string& yaml) {
  auto config = ParseConfig(yaml, "test.yaml", "/etc/raqib");
  REQUIRE_FALSE(config.has_value());
  return config.error();
}

std::filesystem::path TempDir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("raqib-config-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("daemon::ParseConfig gives every field its default on an empty file") {
  auto config = ParseConfig("", "empty.yaml", "/etc/raqib");
  REQUIRE(config.has_value());
  const Config defaults;
  CHECK(config->feeds.empty());
  CHECK(config->defaults.interval == defaults.defaults.interval);
  CHECK(config->defaults.min_interval == std::chrono::minutes(1));
  CHECK(config->defaults.max_interval == std::chrono::minutes(60));
  CHECK(config->http.listen == "127.0.0.1:9464");
  CHECK(config->kafka.brokers.empty());
  CHECK(config->kafka.attack_topic == "raqib.alerts.attack");
  CHECK(config->log.format == "text");
  CHECK(config->state_dir == "/var/lib/raqib");
}

TEST_CASE("daemon::ParseConfig reads every section") {
  const std::string yaml = R"(
feeds:
  - url: https://news.example.org/rss.xml
    name: وكالة
    interval: 2m
    tags: [عاجل, wire]
  - url: file:///srv/feeds/local.xml
    enabled: false
defaults:
  interval: 1h30m
  min_interval: 30s
  max_interval: 2h
  jitter: 0.2
  max_backoff: 6h
  max_connections: 10
  max_connections_per_host: 1
  per_host_delay: 250ms
  connect_timeout: 5
  total_timeout: 30s
  max_body_bytes: 1048576
  user_agent: test-agent
  verify_tls: true
classifier:
  data_dir: data
  thresholds: {attack: 0.6, claim: 0.7, statement: 0.4}
  workers: 3
kafka:
  brokers: [k1:9092, k2:9092]
  topics: {attack: a, claim: c, statement: s, articles: all}
  properties: {security.protocol: SASL_SSL, sasl.password: hunter2}
  outbox_max_messages: 500
pipeline:
  queue_capacity: 64
  dedup_retention: 7d
  shutdown_timeout: 5s
state_dir: state
http: {listen: "127.0.0.1:0"}
log: {level: debug, format: json}
)";
  auto config = ParseConfig(yaml, "full.yaml", "/etc/raqib");
  INFO((config ? "" : config.error().ToString()));
  REQUIRE(config.has_value());
  REQUIRE(config->feeds.size() == 2);
  CHECK(config->feeds[0].name == "وكالة");
  CHECK(config->feeds[0].interval == std::chrono::minutes(2));
  CHECK(config->feeds[0].tags == std::vector<std::string>{"عاجل", "wire"});
  CHECK(config->feeds[1].name == "file:///srv/feeds/local.xml");
  CHECK_FALSE(config->feeds[1].enabled);
  CHECK(config->defaults.interval == std::chrono::minutes(90));
  CHECK(config->defaults.per_host_delay == std::chrono::milliseconds(250));
  CHECK(config->defaults.connect_timeout == std::chrono::seconds(5));
  CHECK(config->defaults.jitter == Approx(0.2));
  CHECK(config->classifier.data_dir == "/etc/raqib/data");
  CHECK(config->classifier.claim_threshold == Approx(0.7));
  CHECK(config->kafka.brokers == "k1:9092,k2:9092");
  CHECK(config->kafka.articles_topic == "all");
  CHECK(config->kafka.properties.at("security.protocol") == "SASL_SSL");
  CHECK(config->pipeline.dedup_retention == std::chrono::hours(24 * 7));
  CHECK(config->state_dir == "/etc/raqib/state");
  CHECK(config->log.format == "json");
}

TEST_CASE("daemon::ParseConfig keeps the built-in classifier data for an empty data_dir") {
  auto config = ParseConfig("classifier:\n  data_dir: \"\"\n", "test.yaml", "/etc/raqib");
  REQUIRE(config.has_value());
  CHECK(config->classifier.data_dir.empty());
}

TEST_CASE("daemon::ParseConfig names file, line and key of an unknown key") {
  const auto error = ErrorOf("feeds:\n  - url: http://a.example/rss\n    intervall: 5m\n");
  CHECK(error.file == "test.yaml");
  CHECK(error.line == 3);
  CHECK(error.key == "feeds[0].intervall");
  CHECK_THAT(error.ToString(), Catch::Contains("test.yaml:3: feeds[0].intervall: unknown key"));
}

TEST_CASE("daemon::ParseConfig names file, line and key of a bad value") {
  SECTION("a duration") {
    const auto error = ErrorOf("defaults:\n  jitter: 0.1\n  interval: soon\n");
    CHECK(error.line == 3);
    CHECK(error.key == "defaults.interval");
    CHECK_THAT(error.message, Catch::Contains("soon"));
  }
  SECTION("a number out of range") {
    const auto error = ErrorOf("classifier:\n  thresholds:\n    claim: 1.5\n");
    CHECK(error.line == 3);
    CHECK(error.key == "classifier.thresholds.claim");
  }
  SECTION("a boolean") {
    const auto error = ErrorOf("feeds:\n  - url: http://a.example/\n    enabled: maybe\n");
    CHECK(error.key == "feeds[0].enabled");
    CHECK(error.line == 3);
  }
  SECTION("a feed without url") { CHECK(ErrorOf("feeds:\n  - name: x\n").key == "feeds[0].url"); }
  SECTION("a url with an unsupported scheme") {
    CHECK(ErrorOf("feeds:\n  - url: ftp://a.example/\n").key == "feeds[0].url");
  }
  SECTION("a duplicate feed") {
    const auto error = ErrorOf("feeds:\n  - url: http://a.example/\n  - url: http://a.example/\n");
    CHECK(error.key == "feeds[1].url");
    CHECK(error.line == 3);
  }
  SECTION("a log format") { CHECK(ErrorOf("log:\n  format: xml\n").key == "log.format"); }
  SECTION("max_interval below min_interval") {
    CHECK(ErrorOf("defaults:\n  min_interval: 10m\n  max_interval: 5m\n").key ==
          "defaults.max_interval");
  }
  SECTION("an unknown top-level key") {
    const auto error = ErrorOf("feeds: []\nkafak:\n  brokers: x\n");
    CHECK(error.key == "kafak");
    CHECK(error.line == 2);
  }
}

TEST_CASE("daemon::ParseConfig reports YAML syntax errors with their line") {
  const auto error = ErrorOf("feeds:\n  - url: [unclosed\n");
  CHECK(error.file == "test.yaml");
  CHECK(error.line >= 2);
}

TEST_CASE("daemon::LoadOpml reads feeds, names and folder tags") {
  auto feeds = LoadOpml(std::filesystem::path(RAQIB_FIXTURES_DIR) / "daemon/feeds.opml");
  INFO((feeds ? "" : feeds.error().ToString()));
  REQUIRE(feeds.has_value());
  REQUIRE(feeds->size() == 3);
  CHECK((*feeds)[0].url == "https://news.example.org/rss.xml");
  CHECK((*feeds)[0].name == "وكالة الأنباء التجريبية");
  CHECK((*feeds)[0].tags == std::vector<std::string>{"وكالات", "عاجل", "سياسة"});
  CHECK((*feeds)[1].name == "Wire");
  CHECK((*feeds)[2].tags.empty());
}

TEST_CASE("daemon::LoadConfig imports OPML relative to the config and drops duplicate urls") {
  const auto dir = TempDir("opml");
  std::filesystem::copy_file(std::filesystem::path(RAQIB_FIXTURES_DIR) / "daemon/feeds.opml",
                             dir / "feeds.opml");
  std::ofstream(dir / "raqib.yaml") << "feeds:\n  - url: https://wire.example.com/atom\n"
                                       "    name: inline wins\nopml: [feeds.opml]\n";
  auto config = LoadConfig(dir / "raqib.yaml");
  INFO((config ? "" : config.error().ToString()));
  REQUIRE(config.has_value());
  REQUIRE(config->feeds.size() == 3);
  CHECK(config->feeds[0].name == "inline wins");
  CHECK(config->feeds[1].url == "https://news.example.org/rss.xml");

  SECTION("a broken OPML file is an error naming it") {
    std::ofstream(dir / "feeds.opml", std::ios::trunc) << "<opml>\n<body>\n<outline\n";
    auto broken = LoadConfig(dir / "raqib.yaml");
    REQUIRE_FALSE(broken.has_value());
    CHECK_THAT(broken.error().file, Catch::EndsWith("feeds.opml"));
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("daemon::LoadConfig reports a missing file") {
  auto config = LoadConfig("/nonexistent/raqib.yaml");
  REQUIRE_FALSE(config.has_value());
  CHECK_THAT(config.error().ToString(), Catch::Contains("/nonexistent/raqib.yaml"));
}
