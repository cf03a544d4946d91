// The Publisher implementations: librdkafka (real brokers, or librdkafka's in-process mock
// cluster) and JSON lines on stdout when no brokers are configured. All of them go through the
// durable outbox (daemon/outbox.h). Topics, message schema and guarantees: docs/KAFKA.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include <librdkafka/rdkafka.h>

#include "daemon/alert_message.h"
#include "daemon/publisher.h"

namespace raqib::daemon {

struct KafkaOptions {
  // bootstrap.servers, comma separated. Empty (and no mock): messages go to stdout as JSON
  // lines instead of Kafka.
  std::string brokers;
  // > 0: librdkafka runs a mock cluster of this many brokers in-process
  // (`test.mock.num.brokers`) and `brokers` is ignored; for demos without a broker.
  int mock_brokers = 0;
  // Any librdkafka property (SASL, SSL, linger.ms, ...); overrides raqib's defaults
  // (enable.idempotence=true, acks=all, compression.type=lz4, linger.ms=5,
  // partitioner=murmur2_random). Values of secret properties are never logged.
  std::map<std::string, std::string> properties;
  MessageOptions messages;  // topic names, CloudEvents source, excerpt length

  std::filesystem::path outbox_path;       // e.g. <state dir>/outbox.sqlite3
  std::uint64_t outbox_capacity = 100000;  // messages
  // Saturated() is true from this fraction of the capacity on.
  double saturation_ratio = 0.9;
  bool outbox_sync_full = true;  // see OutboxOptions::sync_full
  // A message whose delivery failed is produced again after a backoff doubling from `min` to
  // `max` with each failure; it is never dropped.
  std::chrono::milliseconds retry_backoff_min{500};
  std::chrono::milliseconds retry_backoff_max{30000};
};

// Builds the publisher `options` ask for and queues whatever the outbox still holds from a
// previous run, to be sent on the first Poll(). `out` receives the JSON lines of the stdout
// sink (std::cout in the daemon). Errors: bad librdkafka property (secret values redacted),
// outbox cannot be opened.
std::expected<std::unique_ptr<Publisher>, std::string> MakePublisher(const KafkaOptions& options,
                                                                     std::ostream& out);

// Produces one message with its headers (RD_KAFKA_MSG_F_COPY); `opaque` comes back in the
// delivery report. Returns nullptr once librdkafka owns the message, else the error, which the
// caller destroys (nothing else is left to free). Shared by the sink and bench/bench_outbox.
rd_kafka_error_t* ProduceMessage(rd_kafka_t* rk, const OutgoingMessage& message, void* opaque);

// True for librdkafka property names whose value must never be logged: any name containing
// password, secret, key, token or sasl.jaas (case-insensitive).
bool IsSecretProperty(std::string_view name);

// "name=value, ..." for a log line, with secret values replaced by "[redacted]".
std::string RedactProperties(const std::map<std::string, std::string>& properties);

}  // namespace raqib::daemon
