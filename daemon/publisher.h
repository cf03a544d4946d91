// The seam between the pipeline and the alert sinks (Kafka, or JSON lines on stdout).
// A Publisher owns the durable outbox: Publish() returns only after the article's messages are
// on disk, and they leave the outbox only after the sink acknowledged them.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <string>

#include "classifiers/classification.h"
#include "feeds/feed.h"

namespace raqib::daemon {

// One processed article: everything an alert or archive message is made of.
struct ArticleRecord {
  std::string id;  // stable article id (dedup key, Kafka key)
  std::string title;
  std::string text;  // plain text the classifier saw
  std::string link;
  std::string feed_url;
  std::string feed_title;
  std::optional<feeds::Timestamp> published;
  std::chrono::system_clock::time_point first_seen;  // when raqib first saw it in its feed
  std::chrono::system_clock::time_point fetched_at;
  std::chrono::system_clock::time_point classified_at;
  classifiers::Classification classification;
  std::string classifier_version;
};

// Counters for /metrics; monotonically increasing except outbox_depth.
struct PublisherStats {
  std::uint64_t messages_enqueued = 0;   // written to the outbox
  std::uint64_t messages_delivered = 0;  // acknowledged by the sink, removed from the outbox
  std::uint64_t alerts_delivered = 0;    // of those, on an alert topic
  std::uint64_t delivery_errors = 0;     // failed delivery reports (retried later)
  std::uint64_t outbox_depth = 0;        // messages waiting in the outbox now
  std::uint64_t outbox_capacity = 0;
  std::uint64_t messages_retried = 0;  // produced again: after a failure or left by a past run
  std::uint64_t publish_refusals = 0;  // Publish() calls refused (outbox full or disk error)
};

class Publisher {
 public:
  virtual ~Publisher() = default;
  // Writes the article's messages (archive + one per label) to the outbox, then hands them to
  // the sink. An error means nothing was written (outbox full, disk error): the caller keeps
  // the article and retries later; it never drops it.
  virtual std::expected<void, std::string> Publish(const ArticleRecord& article) = 0;
  // Serves delivery reports and re-sends what failed; call often from the pipeline thread.
  virtual void Poll(std::chrono::milliseconds timeout) = 0;
  // True while the outbox is near its cap: the pipeline stops taking new items.
  virtual bool Saturated() const = 0;
  // Waits up to `timeout` for every outstanding message to be acknowledged.
  virtual bool Flush(std::chrono::milliseconds timeout) = 0;
  virtual PublisherStats Stats() const = 0;
  // Called with (article id, microseconds from first_seen to acknowledgement) per delivered
  // alert, for the item-to-Kafka latency histogram. Set before the first Publish().
  virtual void OnAlertAcknowledged(
      std::function<void(const std::string& id, std::chrono::microseconds latency)> callback) = 0;
};

}  // namespace raqib::daemon
