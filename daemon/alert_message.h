// The Kafka messages raqib produces for one processed article: which topics, the key, the JSON
// value (docs/alert.schema.json) and the CloudEvents headers (Kafka protocol binding, binary
// mode). Pure functions: no I/O, so the same bytes go to Kafka, to stdout and into the outbox.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/publisher.h"

namespace raqib::daemon {

// Version of the JSON value's layout; bumped on any incompatible change (docs/KAFKA.md).
inline constexpr int kAlertSchemaVersion = 1;

// Topic names; an article with several labels goes to each of its labels' alert topics, and
// every article goes to `articles`.
struct TopicNames {
  std::string attack = "raqib.alerts.attack";
  std::string claim = "raqib.alerts.claim";
  std::string statement = "raqib.alerts.statement";
  std::string articles = "raqib.articles";
};

struct MessageOptions {
  TopicNames topics;
  // CloudEvents `source` (a URI reference) naming this producer.
  std::string ce_source = "urn:raqib";
  // The value carries at most this many bytes of the article text, cut on a UTF-8 boundary.
  std::size_t excerpt_bytes = 2000;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// One Kafka record, ready to produce.
struct OutgoingMessage {
  std::string topic;
  std::string key;     // the article id
  std::string value;   // UTF-8 JSON
  Headers headers;     // ce_specversion, ce_id, ce_source, ce_type, ce_time, content-type
  bool alert = false;  // true on an alert topic, false on the archive topic
};

// The messages for `article`: one per label on that label's alert topic, then one on the
// archive topic. Every message of one article has the same key and the same value; `ce_id` is
// "<article id>/<kind>" (kind: attack, claim, statement, article), so a re-send of a message
// carries the same ce_id and consumers can de-duplicate on it.
std::vector<OutgoingMessage> BuildMessages(const ArticleRecord& article,
                                           const MessageOptions& options);

// The JSON value alone (what BuildMessages puts in every message), as a string.
std::string BuildValue(const ArticleRecord& article, const MessageOptions& options);

// RFC 3339 UTC with microseconds, e.g. "2026-11-21T15:04:05.123456Z".
std::string FormatRfc3339(std::chrono::system_clock::time_point time);

// The longest prefix of `text` of at most `max_bytes` bytes that does not split a UTF-8
// sequence. Bytes that are not valid UTF-8 are left for the JSON writer to replace.
std::string_view TruncateUtf8(std::string_view text, std::size_t max_bytes);

}  // namespace raqib::daemon
