// The daemon's configuration: one struct, every field with its default and the reason for it
// (like leveldb's Options). Loaded from YAML; unknown keys and bad values are errors that name
// the file, the line and the key. docs/CONFIG.md and deploy/raqib.example.yaml mirror this file.
#pragma once

#include <chrono>
#include <cstddef>
#include <expected>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace raqib::daemon {

// One feed to watch.
struct FeedConfig {
  std::string url;   // http://, https:// or file:// (required)
  std::string name;  // shown in logs and alerts; defaults to the URL
  // Fixed polling interval. 0 = adaptive: start at defaults.interval and follow the feed's
  // observed publishing rate within [defaults.min_interval, defaults.max_interval].
  std::chrono::seconds interval{0};
  std::vector<std::string> tags;  // free-form labels, carried in logs
  bool enabled = true;            // false keeps the feed in the file but never polls it
};

// Applies to every feed unless the feed says otherwise.
struct FeedDefaults {
  std::chrono::seconds interval{std::chrono::minutes(5)};       // first interval of adaptive feeds
  std::chrono::seconds min_interval{std::chrono::minutes(1)};   // never poll a feed faster
  std::chrono::seconds max_interval{std::chrono::minutes(60)};  // never poll a feed slower
  // Each interval is multiplied by a random factor in [1 - jitter, 1 + jitter] so feeds added
  // together do not stay synchronised.
  double jitter = 0.1;
  // Backoff after consecutive errors: interval * 2^(failures-1), capped here. Failing feeds are
  // never dropped, only slowed down.
  std::chrono::seconds max_backoff{std::chrono::hours(1)};
  std::size_t max_connections = 64;          // global cap on concurrent fetches
  std::size_t max_connections_per_host = 2;  // politeness towards one server
  // Minimum time between the starts of two fetches to one host (politeness).
  std::chrono::milliseconds per_host_delay{std::chrono::milliseconds(500)};
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds total_timeout{60};
  std::size_t max_body_bytes = 16 << 20;  // after decompression
  std::string user_agent = "raqib (+https://github.com/raqib)";
  bool verify_tls = true;  // never turn off in production
};

struct ClassifierConfig {
  std::filesystem::path data_dir;  // empty = the data shipped with raqib (DefaultDataDir())
  double attack_threshold = 0.5;   // score at or above which the label is given
  double claim_threshold = 0.5;
  double statement_threshold = 0.5;
  std::size_t workers = 2;  // classification threads
};

struct KafkaConfig {
  // "host:port,host:port". Empty = no Kafka: alerts are written as JSON lines to stdout.
  std::string brokers;
  std::string attack_topic = "raqib.alerts.attack";
  std::string claim_topic = "raqib.alerts.claim";
  std::string statement_topic = "raqib.alerts.statement";
  std::string articles_topic = "raqib.articles";  // every processed article, for archives
  // Passed to librdkafka as is (security.protocol, sasl.*, ssl.*, linger.ms ...). Values of
  // keys that look secret are never logged.
  std::map<std::string, std::string> properties;
  // Messages the durable outbox may hold; near it, the daemon stops taking new items.
  std::size_t outbox_max_messages = 100000;
  // Run librdkafka's in-process mock cluster instead of brokers (demo and tests only).
  bool mock_cluster = false;
};

struct PipelineConfig {
  std::size_t queue_capacity = 1024;  // articles waiting for classification or publishing
  // How long dedup entries are kept after an item was last seen in any feed.
  std::chrono::seconds dedup_retention{std::chrono::hours(24 * 30)};
  // On SIGTERM: how long to wait for in-flight fetches and Kafka acknowledgements.
  std::chrono::seconds shutdown_timeout{std::chrono::seconds(20)};
};

struct HttpConfig {
  // host:port for /metrics, /healthz, /readyz, /status. Port 0 picks a free port. Empty = off.
  std::string listen = "127.0.0.1:9464";
};

struct LogConfig {
  std::string level = "info";   // trace, debug, info, warn, error
  std::string format = "text";  // text (for people) or json (one object per line)
};

struct Config {
  std::filesystem::path source;  // the file this was loaded from (not a YAML key)
  std::vector<FeedConfig> feeds;
  std::vector<std::filesystem::path>
      opml;  // OPML files whose feeds are added (relative to this file)
  FeedDefaults defaults;
  ClassifierConfig classifier;
  KafkaConfig kafka;
  PipelineConfig pipeline;
  // SQLite files (dedup, per-feed HTTP state, Kafka outbox) live here.
  std::filesystem::path state_dir = "/var/lib/raqib";
  HttpConfig http;
  LogConfig log;
};

// A config error: "FILE:LINE: KEY: what is wrong".
struct ConfigError {
  std::string file;
  int line = 0;  // 1-based; 0 when not about a line
  std::string key;
  std::string message;
  std::string ToString() const;
};

// Reads and validates `path`, then imports the OPML files it names (their feeds are appended
// to `feeds`, duplicates by URL dropped). Relative paths are resolved against the file's folder.
std::expected<Config, ConfigError> LoadConfig(const std::filesystem::path& path);

// The same from a string (tests); `name` is used in messages and `base_dir` for relative paths.
std::expected<Config, ConfigError> ParseConfig(const std::string& yaml, const std::string& name,
                                               const std::filesystem::path& base_dir);

// Reads the feeds of an OPML file: every <outline> with an xmlUrl, its title (or text) as the
// name, and the titles of its enclosing outlines plus its `category` as tags.
std::expected<std::vector<FeedConfig>, ConfigError> LoadOpml(const std::filesystem::path& path);

// "2m30s" style rendering of a duration, used in messages and docs.
std::string FormatDuration(std::chrono::seconds duration);

}  // namespace raqib::daemon
