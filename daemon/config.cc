#include "daemon/config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <optional>
#include <pugixml.hpp>
#include <set>
#include <sstream>

namespace raqib::daemon {
namespace {

// Thrown inside this file only, turned into a ConfigError value at the boundary: the walk over
// the YAML tree stops at the first error, and every reader would otherwise need to forward it.
struct ConfigException {
  ConfigError error;
};

// Walks the YAML tree of one file, knowing where it is (the dotted key) for messages.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void Fail(const YAML::Node& node, const std::string& key,
                         const std::string& message) const {
    const int line = node.IsDefined() && node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
    throw ConfigException{ConfigError{file_, line, key, message}};
  }

  // Every key of `map` must be in `allowed` (typos are errors, not silently ignored).
  void ExpectMap(const YAML::Node& map, const std::string& key,
                 std::initializer_list<const char*> allowed) const {
    if (!map.IsMap()) Fail(map, key, "expected a mapping of keys to values");
    for (const auto& entry : map) {
      const auto name = entry.first.as<std::string>();
      if (std::none_of(allowed.begin(), allowed.end(),
                       [&name](const char* a) { return name == a; })) {
        std::string known;
        for (const char* a : allowed) known += std::string(known.empty() ? "" : ", ") + a;
        Fail(entry.first, Join(key, name), "unknown key (known keys: " + known + ")");
      }
    }
  }

  static std::string Join(const std::string& parent, const std::string& name) {
    return parent.empty() ? name : parent + "." + name;
  }

  std::string String(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) Fail(node, key, "expected a string");
    return node.as<std::string>();
  }

  bool Bool(const YAML::Node& node, const std::string& key) const {
    bool value = false;
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value))
      Fail(node, key, "expected true or false, got '" + Scalar(node) + "'");
    return value;
  }

  std::size_t Count(const YAML::Node& node, const std::string& key, std::size_t min) const {
    const std::string text = Scalar(node);
    std::size_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (!node.IsScalar() || ec != std::errc() || end != text.data() + text.size())
      Fail(node, key, "expected a whole number, got '" + text + "'");
    if (value < min) Fail(node, key, "must be at least " + std::to_string(min));
    return value;
  }

  double Fraction(const YAML::Node& node, const std::string& key) const {
    double value = -1;
    if (!node.IsScalar() || !YAML::convert<double>::decode(node, value) || value < 0 || value > 1)
      Fail(node, key, "expected a number between 0 and 1, got '" + Scalar(node) + "'");
    return value;
  }

  // "90", "90s", "5m", "1h30m", "500ms", "2d".
  std::chrono::milliseconds Duration(const YAML::Node& node, const std::string& key) const {
    const std::string text = Scalar(node);
    auto parsed = ParseDuration(text);
    if (!node.IsScalar() || !parsed)
      Fail(node, key, "expected a duration such as 30s, 5m, 1h30m or 500ms, got '" + text + "'");
    return *parsed;
  }

  std::chrono::seconds Seconds(const YAML::Node& node, const std::string& key,
                               std::chrono::seconds min) const {
    const auto value = std::chrono::duration_cast<std::chrono::seconds>(Duration(node, key));
    if (value < min) Fail(node, key, "must be at least " + FormatDuration(min));
    return value;
  }

  std::vector<std::string> Strings(const YAML::Node& node, const std::string& key) const {
    if (!node.IsSequence()) Fail(node, key, "expected a list of strings");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < node.size(); ++i)
      out.push_back(String(node[i], key + "[" + std::to_string(i) + "]"));
    return out;
  }

  const std::string& file() const { return file_; }

 private:
  static std::string Scalar(const YAML::Node& node) {
    return node.IsScalar() ? node.Scalar() : std::string("<not a single value>");
  }

  static std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text) {
    if (text.empty()) return std::nullopt;
    std::chrono::milliseconds total{0};
    while (!text.empty()) {
      std::int64_t number = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
      if (ec != std::errc() || number < 0) return std::nullopt;
      text.remove_prefix(end - text.data());
      std::int64_t unit_ms = 1000;  // bare number = seconds, only allowed alone
      if (text.starts_with("ms")) {
        unit_ms = 1, text.remove_prefix(2);
      } else if (text.starts_with("s")) {
        text.remove_prefix(1);
      } else if (text.starts_with("m")) {
        unit_ms = 60'000, text.remove_prefix(1);
      } else if (text.starts_with("h")) {
        unit_ms = 3'600'000, text.remove_prefix(1);
      } else if (text.starts_with("d")) {
        unit_ms = 86'400'000, text.remove_prefix(1);
      } else if (!text.empty()) {
        return std::nullopt;
      }
      total += std::chrono::milliseconds(number * unit_ms);
    }
    return total;
  }

  std::string file_;
};

FeedConfig ReadFeed(const Reader& r, const YAML::Node& node, const std::string& key) {
  r.ExpectMap(node, key, {"url", "name", "interval", "tags", "enabled"});
  FeedConfig feed;
  if (!node["url"]) r.Fail(node, key + ".url", "every feed needs a url");
  feed.url = r.String(node["url"], key + ".url");
  if (!(feed.url.starts_with("http://") || feed.url.starts_with("https://") ||
        feed.url.starts_with("file://")))
    r.Fail(node["url"], key + ".url", "must start with http://, https:// or file://");
  feed.name = node["name"] ? r.String(node["name"], key + ".name") : feed.url;
  if (node["interval"])
    feed.interval = r.Seconds(node["interval"], key + ".interval", std::chrono::seconds(1));
  if (node["tags"]) feed.tags = r.Strings(node["tags"], key + ".tags");
  if (node["enabled"]) feed.enabled = r.Bool(node["enabled"], key + ".enabled");
  return feed;
}

void ReadDefaults(const Reader& r, const YAML::Node& node, FeedDefaults& d) {
  const std::string k = "defaults";
  r.ExpectMap(node, k,
              {"interval", "min_interval", "max_interval", "jitter", "max_backoff",
               "max_connections", "max_connections_per_host", "per_host_delay", "connect_timeout",
               "total_timeout", "max_body_bytes", "user_agent", "verify_tls"});
  const std::chrono::seconds one{1};
  if (node["interval"]) d.interval = r.Seconds(node["interval"], k + ".interval", one);
  if (node["min_interval"])
    d.min_interval = r.Seconds(node["min_interval"], k + ".min_interval", one);
  if (node["max_interval"])
    d.max_interval = r.Seconds(node["max_interval"], k + ".max_interval", one);
  if (d.max_interval < d.min_interval)
    r.Fail(node["max_interval"] ? node["max_interval"] : node, k + ".max_interval",
           "must not be below min_interval (" + FormatDuration(d.min_interval) + ")");
  if (node["jitter"]) d.jitter = r.Fraction(node["jitter"], k + ".jitter");
  if (node["max_backoff"]) d.max_backoff = r.Seconds(node["max_backoff"], k + ".max_backoff", one);
  if (node["max_connections"])
    d.max_connections = r.Count(node["max_connections"], k + ".max_connections", 1);
  if (node["max_connections_per_host"])
    d.max_connections_per_host =
        r.Count(node["max_connections_per_host"], k + ".max_connections_per_host", 1);
  if (node["per_host_delay"])
    d.per_host_delay = r.Duration(node["per_host_delay"], k + ".per_host_delay");
  if (node["connect_timeout"])
    d.connect_timeout = r.Seconds(node["connect_timeout"], k + ".connect_timeout", one);
  if (node["total_timeout"])
    d.total_timeout = r.Seconds(node["total_timeout"], k + ".total_timeout", one);
  if (node["max_body_bytes"])
    d.max_body_bytes = r.Count(node["max_body_bytes"], k + ".max_body_bytes", 1024);
  if (node["user_agent"]) d.user_agent = r.String(node["user_agent"], k + ".user_agent");
  if (node["verify_tls"]) d.verify_tls = r.Bool(node["verify_tls"], k + ".verify_tls");
}

void ReadClassifier(const Reader& r, const YAML::Node& node, const std::filesystem::path& base,
                    ClassifierConfig& c) {
  const std::string k = "classifier";
  r.ExpectMap(node, k, {"data_dir", "thresholds", "workers"});
  if (node["data_dir"]) {
    // Empty keeps the default (the data installed with raqib), not the config's folder.
    const std::string dir = r.String(node["data_dir"], k + ".data_dir");
    c.data_dir = dir.empty() ? std::filesystem::path() : base / dir;
  }
  if (node["workers"]) c.workers = r.Count(node["workers"], k + ".workers", 1);
  if (const auto t = node["thresholds"]) {
    r.ExpectMap(t, k + ".thresholds", {"attack", "claim", "statement"});
    if (t["attack"]) c.attack_threshold = r.Fraction(t["attack"], k + ".thresholds.attack");
    if (t["claim"]) c.claim_threshold = r.Fraction(t["claim"], k + ".thresholds.claim");
    if (t["statement"])
      c.statement_threshold = r.Fraction(t["statement"], k + ".thresholds.statement");
  }
}

void ReadKafka(const Reader& r, const YAML::Node& node, KafkaConfig& c) {
  const std::string k = "kafka";
  r.ExpectMap(node, k, {"brokers", "topics", "properties", "outbox_max_messages", "mock_cluster"});
  if (node["brokers"]) {
    // A list or a comma-separated string.
    c.brokers.clear();
    if (node["brokers"].IsSequence()) {
      for (const auto& b : r.Strings(node["brokers"], k + ".brokers"))
        c.brokers += (c.brokers.empty() ? "" : ",") + b;
    } else {
      c.brokers = r.String(node["brokers"], k + ".brokers");
    }
  }
  if (const auto t = node["topics"]) {
    r.ExpectMap(t, k + ".topics", {"attack", "claim", "statement", "articles"});
    auto topic = [&](const char* name, std::string& out) {
      if (!t[name]) return;
      out = r.String(t[name], k + ".topics." + name);
      if (out.empty()) r.Fail(t[name], k + ".topics." + name, "must not be empty");
    };
    topic("attack", c.attack_topic);
    topic("claim", c.claim_topic);
    topic("statement", c.statement_topic);
    topic("articles", c.articles_topic);
  }
  if (const auto p = node["properties"]) {
    if (!p.IsMap()) r.Fail(p, k + ".properties", "expected a mapping of librdkafka properties");
    for (const auto& entry : p) {
      const auto name = entry.first.as<std::string>();
      c.properties[name] = r.String(entry.second, k + ".properties." + name);
    }
  }
  if (node["outbox_max_messages"])
    c.outbox_max_messages = r.Count(node["outbox_max_messages"], k + ".outbox_max_messages", 1);
  if (node["mock_cluster"]) c.mock_cluster = r.Bool(node["mock_cluster"], k + ".mock_cluster");
}

void ReadPipeline(const Reader& r, const YAML::Node& node, PipelineConfig& c) {
  const std::string k = "pipeline";
  r.ExpectMap(node, k, {"queue_capacity", "dedup_retention", "shutdown_timeout"});
  if (node["queue_capacity"])
    c.queue_capacity = r.Count(node["queue_capacity"], k + ".queue_capacity", 1);
  if (node["dedup_retention"])
    c.dedup_retention =
        r.Seconds(node["dedup_retention"], k + ".dedup_retention", std::chrono::hours(1));
  if (node["shutdown_timeout"])
    c.shutdown_timeout =
        r.Seconds(node["shutdown_timeout"], k + ".shutdown_timeout", std::chrono::seconds(1));
}

Config ReadConfig(const Reader& r, const YAML::Node& root, const std::filesystem::path& base) {
  Config config;
  if (!root.IsDefined() || root.IsNull()) return config;
  r.ExpectMap(
      root, "",
      {"feeds", "opml", "defaults", "classifier", "kafka", "pipeline", "state_dir", "http", "log"});
  if (const auto feeds = root["feeds"]) {
    if (!feeds.IsSequence()) r.Fail(feeds, "feeds", "expected a list of feeds");
    std::set<std::string> seen;
    for (std::size_t i = 0; i < feeds.size(); ++i) {
      const std::string key = "feeds[" + std::to_string(i) + "]";
      FeedConfig feed = ReadFeed(r, feeds[i], key);
      if (!seen.insert(feed.url).second)
        r.Fail(feeds[i]["url"], key + ".url", "duplicate feed " + feed.url);
      config.feeds.push_back(std::move(feed));
    }
  }
  if (root["opml"]) {
    for (const auto& p : r.Strings(root["opml"], "opml")) config.opml.push_back(base / p);
  }
  if (root["defaults"]) ReadDefaults(r, root["defaults"], config.defaults);
  if (root["classifier"]) ReadClassifier(r, root["classifier"], base, config.classifier);
  if (root["kafka"]) ReadKafka(r, root["kafka"], config.kafka);
  if (root["pipeline"]) ReadPipeline(r, root["pipeline"], config.pipeline);
  if (root["state_dir"]) {
    config.state_dir = base / r.String(root["state_dir"], "state_dir");
    if (r.String(root["state_dir"], "state_dir").empty())
      r.Fail(root["state_dir"], "state_dir", "must not be empty");
  }
  if (const auto http = root["http"]) {
    r.ExpectMap(http, "http", {"listen"});
    if (http["listen"]) {
      config.http.listen = r.String(http["listen"], "http.listen");
      const auto colon = config.http.listen.rfind(':');
      if (!config.http.listen.empty() &&
          (colon == std::string::npos || colon + 1 == config.http.listen.size()))
        r.Fail(http["listen"], "http.listen", "expected host:port, e.g. 127.0.0.1:9464");
    }
  }
  if (const auto log = root["log"]) {
    r.ExpectMap(log, "log", {"level", "format"});
    if (log["level"]) {
      config.log.level = r.String(log["level"], "log.level");
      static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error"};
      if (!kLevels.contains(config.log.level))
        r.Fail(log["level"], "log.level", "expected one of trace, debug, info, warn, error");
    }
    if (log["format"]) {
      config.log.format = r.String(log["format"], "log.format");
      if (config.log.format != "text" && config.log.format != "json")
        r.Fail(log["format"], "log.format", "expected text or json");
    }
  }
  return config;
}

}  // namespace

std::string ConfigError::ToString() const {
  // fmt rather than operator+ chains: GCC 12 reports a false -Wrestrict on those at -O3.
  return fmt::format("{}{}: {}{}", file, line > 0 ? fmt::format(":{}", line) : "",
                     key.empty() ? "" : key + ": ", message);
}

std::string FormatDuration(std::chrono::seconds duration) {
  auto s = duration.count();
  std::string out;
  if (s >= 3600) out += std::to_string(s / 3600) + "h", s %= 3600;
  if (s >= 60) out += std::to_string(s / 60) + "m", s %= 60;
  if (s > 0 || out.empty()) out += std::to_string(s) + "s";
  return out;
}

std::expected<Config, ConfigError> ParseConfig(const std::string& yaml, const std::string& name,
                                               const std::filesystem::path& base_dir) {
  const Reader reader(name);
  try {
    YAML::Node root = YAML::Load(yaml);
    Config config = ReadConfig(reader, root, base_dir);
    config.source = name;
    return config;
  } catch (const ConfigException& e) {
    return std::unexpected(e.error);
  } catch (const YAML::Exception& e) {
    return std::unexpected(ConfigError{name, e.mark.line >= 0 ? e.mark.line + 1 : 0, "", e.msg});
  }
}

std::expected<Config, ConfigError> LoadConfig(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(ConfigError{path.string(), 0, "", "cannot read the file"});
  std::stringstream text;
  text << in.rdbuf();
  auto config = ParseConfig(text.str(), path.string(), path.parent_path());
  if (!config) return config;
  // Feeds from OPML files come after the inline ones; a URL listed twice is polled once.
  std::set<std::string> urls;
  for (const auto& feed : config->feeds) urls.insert(feed.url);
  for (const auto& opml : config->opml) {
    auto feeds = LoadOpml(opml);
    if (!feeds) return std::unexpected(feeds.error());
    for (auto& feed : *feeds) {
      if (urls.insert(feed.url).second) config->feeds.push_back(std::move(feed));
    }
  }
  return config;
}

std::expected<std::vector<FeedConfig>, ConfigError> LoadOpml(const std::filesystem::path& path) {
  pugi::xml_document doc;
  const auto parsed = doc.load_file(path.c_str());
  if (!parsed) {
    // pugixml reports a byte offset; count the lines up to it for the message.
    int line = 1;
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::unexpected(ConfigError{path.string(), 0, "", "cannot read the OPML file"});
    for (std::ptrdiff_t i = 0; i < parsed.offset && in; ++i) {
      if (in.get() == '\n') ++line;
    }
    return std::unexpected(ConfigError{path.string(), line, "",
                                       std::string("not valid XML: ") + parsed.description()});
  }
  const auto body = doc.child("opml").child("body");
  if (!body)
    return std::unexpected(ConfigError{path.string(), 0, "opml", "no <opml><body> element"});
  std::vector<FeedConfig> feeds;
  // Depth-first over outlines; enclosing folder titles become tags.
  auto walk = [&](auto&& self, pugi::xml_node parent, std::vector<std::string>& folders) -> void {
    for (auto outline : parent.children("outline")) {
      const std::string title =
          outline.attribute("title").as_string(outline.attribute("text").as_string());
      const std::string url = outline.attribute("xmlUrl").as_string();
      if (!url.empty()) {
        FeedConfig feed;
        feed.url = url;
        feed.name = title.empty() ? url : title;
        feed.tags = folders;
        std::stringstream categories(outline.attribute("category").as_string());
        for (std::string c; std::getline(categories, c, ',');) {
          if (!c.empty()) feed.tags.push_back(c);
        }
        feeds.push_back(std::move(feed));
      }
      if (outline.first_child()) {
        if (!title.empty()) folders.push_back(title);
        self(self, outline, folders);
        if (!title.empty()) folders.pop_back();
      }
    }
  };
  std::vector<std::string> folders;
  walk(walk, body, folders);
  return feeds;
}

}  // namespace raqib::daemon
