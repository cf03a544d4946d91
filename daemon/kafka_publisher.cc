#include "daemon/kafka_publisher.h"

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/outbox.h"

namespace raqib::daemon {

rd_kafka_error_t* ProduceMessage(rd_kafka_t* rk, const OutgoingMessage& m, void* opaque) {
  // Headers as our own list (VTYPE_HEADERS), not one VTYPE_HEADER per header: librdkafka
  // 2.0.2 frees the latter twice when produceva() fails after creating the message (its issue
  // #4627; seen here when a topic went into an error state). Our list stays ours on failure.
  rd_kafka_headers_t* headers = rd_kafka_headers_new(m.headers.size());
  for (const auto& [name, value] : m.headers) {
    rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()), value.data(),
                        static_cast<ssize_t>(value.size()));
  }
  rd_kafka_vu_t vus[6];
  vus[0].vtype = RD_KAFKA_VTYPE_TOPIC;
  vus[0].u.cstr = m.topic.c_str();
  vus[1].vtype = RD_KAFKA_VTYPE_KEY;
  vus[1].u.mem = {const_cast<char*>(m.key.data()), m.key.size()};
  vus[2].vtype = RD_KAFKA_VTYPE_VALUE;
  vus[2].u.mem = {const_cast<char*>(m.value.data()), m.value.size()};
  vus[3].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  vus[3].u.i = RD_KAFKA_MSG_F_COPY;
  vus[4].vtype = RD_KAFKA_VTYPE_OPAQUE;
  vus[4].u.ptr = opaque;
  vus[5].vtype = RD_KAFKA_VTYPE_HEADERS;
  vus[5].u.headers = headers;
  rd_kafka_error_t* error = rd_kafka_produceva(rk, vus, std::size(vus));
  if (error != nullptr) rd_kafka_headers_destroy(headers);  // else the message owns them
  return error;
}

namespace {

using Clock = std::chrono::steady_clock;

// What the sinks report for one message: delivered, or failed with a reason.
using DeliveryFn = std::function<void(std::int64_t seq, std::optional<std::string> error)>;

// Where outbox messages go. Send() hands a message over; its outcome comes back through the
// DeliveryFn, called from inside Poll() on the polling thread.
class Sink {
 public:
  virtual ~Sink() = default;
  // False when the sink cannot take the message now (queue full, write error): the caller
  // tries again later. True means exactly one outcome will be reported from a later Poll().
  virtual bool Send(const OutboxEntry& entry) = 0;
  // Serves outcomes, waiting up to `timeout` for the first one.
  virtual void Poll(std::chrono::milliseconds timeout) = 0;
};

// ---------------------------------------------------------------------------------------------
// JSON lines on an ostream: {"topic":..,"key":..,"headers":{..},"value":{..}} per message.

class StreamSink : public Sink {
 public:
  StreamSink(std::ostream& out, DeliveryFn delivered)
      : out_(out), delivered_(std::move(delivered)) {}

  bool Send(const OutboxEntry& entry) override {
    nlohmann::json headers = nlohmann::json::object();
    for (const auto& [name, value] : entry.message.headers) headers[name] = value;
    const auto dump = [](const nlohmann::json& json) {
      return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    };
    // The value is already JSON; splice it in rather than parse and dump it again.
    const std::string line =
        "{\"topic\":" + dump(entry.message.topic) + ",\"key\":" + dump(entry.message.key) +
        ",\"headers\":" + dump(headers) + ",\"value\":" + entry.message.value + "}\n";
    std::lock_guard lock(mutex_);
    out_.write(line.data(), static_cast<std::streamsize>(line.size()));
    out_.flush();
    if (!out_) {
      out_.clear();
      return false;
    }
    written_.push_back(entry.seq);
    return true;
  }

  void Poll(std::chrono::milliseconds) override {
    std::vector<std::int64_t> written;
    {
      std::lock_guard lock(mutex_);
      written.swap(written_);
    }
    for (std::int64_t seq : written) delivered_(seq, std::nullopt);
  }

 private:
  // Guards the stream (Send may run on several threads) and written_.
  std::mutex mutex_;
  std::ostream& out_;
  std::vector<std::int64_t> written_;  // written and flushed, not yet reported
  const DeliveryFn delivered_;
};

// ---------------------------------------------------------------------------------------------
// librdkafka.

// raqib's producer defaults; KafkaOptions::properties override them.
const std::map<std::string, std::string>& DefaultProperties() {
  static const std::map<std::string, std::string> defaults = {
      {"client.id", "raqib"},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"compression.type", "lz4"},
      {"linger.ms", "5"},
      // Same key -> same partition as the Java client, so mixed producers agree.
      {"partitioner", "murmur2_random"},
  };
  return defaults;
}

class KafkaSink : public Sink {
 public:
  static std::expected<std::unique_ptr<KafkaSink>, std::string> Create(
      std::map<std::string, std::string> properties, DeliveryFn delivered) {
    std::unique_ptr<KafkaSink> sink(new KafkaSink(std::move(properties), std::move(delivered)));
    auto handle = sink->NewHandle();
    if (!handle) return std::unexpected(handle.error());
    sink->rk_ = *handle;
    return sink;
  }

  ~KafkaSink() override {
    if (rk_ == nullptr) return;  // Create() failed
    // Whatever is still queued stays in the outbox and is sent by the next run.
    rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_destroy(rk_);
  }

  bool Send(const OutboxEntry& entry) override {
    const OutgoingMessage& m = entry.message;
    std::shared_lock lock(handle_mutex_);
    // The seq travels as the message opaque and comes back in the delivery report.
    rd_kafka_error_t* error =
        ProduceMessage(rk_, m, reinterpret_cast<void*>(static_cast<std::intptr_t>(entry.seq)));
    if (error == nullptr) return true;
    if (rd_kafka_error_code(error) != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      spdlog::warn("kafka: cannot produce to {}: {}", m.topic, rd_kafka_error_string(error));
    }
    rd_kafka_error_destroy(error);
    return false;
  }

  void Poll(std::chrono::milliseconds timeout) override {
    {
      std::shared_lock lock(handle_mutex_);
      rd_kafka_poll(rk_, static_cast<int>(timeout.count()));
    }
    if (fatal_.load()) Recreate();
  }

 private:
  KafkaSink(std::map<std::string, std::string> properties, DeliveryFn delivered)
      : properties_(std::move(properties)), delivered_(std::move(delivered)) {}

  std::expected<rd_kafka_t*, std::string> NewHandle() {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char errstr[512];
    for (const auto& [name, value] : properties_) {
      if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof errstr) !=
          RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        // librdkafka's message may quote the value: never show it for a secret.
        if (IsSecretProperty(name)) {
          return std::unexpected("kafka property " + name + ": invalid value ([redacted])");
        }
        return std::unexpected("kafka property " + name + ": " + errstr);
      }
    }
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_dr_msg_cb(conf, &KafkaSink::OnDeliveryReport);
    rd_kafka_conf_set_error_cb(conf, &KafkaSink::OnError);
    rd_kafka_conf_set_log_cb(conf, &KafkaSink::OnLog);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (rk == nullptr) {
      rd_kafka_conf_destroy(conf);
      return std::unexpected(std::string("kafka producer: ") + errstr);
    }
    return rk;
  }

  // An idempotent producer that hit a fatal error (e.g. the broker lost its sequence state)
  // produces nothing more: fail what it holds back to the outbox and start a new one.
  void Recreate() {
    std::unique_lock lock(handle_mutex_);
    if (!fatal_.load()) return;
    char reason[512];
    const rd_kafka_resp_err_t code = rd_kafka_fatal_error(rk_, reason, sizeof reason);
    spdlog::error(
        "kafka: fatal producer error {}: {}; starting a new producer, {} messages go "
        "back to the outbox",
        rd_kafka_err2name(code), reason, rd_kafka_outq_len(rk_));
    rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(rk_, 1000);  // serves the purged messages' reports: they are retried
    auto handle = NewHandle();
    if (!handle) {
      spdlog::error("kafka: cannot start a new producer: {}", handle.error());
      return;  // fatal_ stays set: try again on the next Poll
    }
    rd_kafka_destroy(rk_);
    rk_ = *handle;
    fatal_.store(false);
  }

  static void OnDeliveryReport(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
    auto* sink = static_cast<KafkaSink*>(opaque);
    const auto seq = static_cast<std::int64_t>(reinterpret_cast<std::intptr_t>(message->_private));
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      // Where each message landed, at debug level: what a loss investigation needs.
      spdlog::debug("kafka: delivered {} [{}] @{} key {}", rd_kafka_topic_name(message->rkt),
                    message->partition, message->offset,
                    std::string_view(static_cast<const char*>(message->key), message->key_len));
      sink->delivered_(seq, std::nullopt);
    } else {
      // Not rd_kafka_message_errstr(): on a delivery report it returns the payload.
      sink->delivered_(seq, std::string(rd_kafka_err2name(message->err)) + ": " +
                                rd_kafka_err2str(message->err));
    }
  }

  static void OnError(rd_kafka_t*, int code, const char* reason, void* opaque) {
    auto* sink = static_cast<KafkaSink*>(opaque);
    const auto err = static_cast<rd_kafka_resp_err_t>(code);
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      sink->fatal_.store(true);
      spdlog::error("kafka: fatal error: {}", reason);
      return;
    }
    spdlog::warn("kafka: {}: {}", rd_kafka_err2name(err), reason);
  }

  static void OnLog(const rd_kafka_t*, int level, const char* facility, const char* message) {
    // syslog levels: 0-3 error, 4 warning, 5-6 info, 7 debug.
    const auto spd = level <= 3   ? spdlog::level::err
                     : level == 4 ? spdlog::level::warn
                     : level <= 6 ? spdlog::level::info
                                  : spdlog::level::debug;
    spdlog::log(spd, "librdkafka {}: {}", facility, message);
  }

  const std::map<std::string, std::string> properties_;
  const DeliveryFn delivered_;
  // Guards rk_ against being replaced by Recreate() while Send or Poll use it; librdkafka
  // itself is thread-safe, so both of those only need a shared lock.
  std::shared_mutex handle_mutex_;
  rd_kafka_t* rk_ = nullptr;
  std::atomic<bool> fatal_{false};  // set from librdkafka's error callback
};

// ---------------------------------------------------------------------------------------------
// The outbox in front of a sink.

class OutboxPublisher : public Publisher {
 public:
  OutboxPublisher(const KafkaOptions& options, std::unique_ptr<Outbox> outbox)
      : options_(options), outbox_(std::move(outbox)) {
    stats_.outbox_capacity = outbox_->Capacity();
  }

  ~OutboxPublisher() override {
    // The sink first: it holds a callback into this object. Unacknowledged messages stay in
    // the outbox for the next run.
    sink_.reset();
  }

  // The outcome callback handed to the sink.
  DeliveryFn Callback() {
    return [this](std::int64_t seq, std::optional<std::string> error) {
      OnDelivery(seq, std::move(error));
    };
  }

  void SetSink(std::unique_ptr<Sink> sink) { sink_ = std::move(sink); }

  // Queues everything a previous run left in the outbox, to be sent by the next Poll().
  std::expected<std::size_t, std::string> Recover() {
    auto seqs = outbox_->Sequences();
    if (!seqs) return std::unexpected(seqs.error());
    std::lock_guard lock(mutex_);
    const Clock::time_point now = Clock::now();
    for (std::int64_t seq : *seqs) {
      pending_.emplace(seq, Pending{});
      retry_.emplace(now, seq);
    }
    return seqs->size();
  }

  std::expected<void, std::string> Publish(const ArticleRecord& article) override {
    std::vector<OutboxEntry> entries;
    for (OutgoingMessage& message : BuildMessages(article, options_.messages)) {
      entries.push_back(OutboxEntry{.seq = 0,
                                    .article_id = article.id,
                                    .message = std::move(message),
                                    .first_seen = article.first_seen});
    }
    if (auto appended = outbox_->Append(entries); !appended) {
      {
        std::lock_guard lock(mutex_);
        ++stats_.publish_refusals;
      }
      spdlog::error("outbox: cannot take article {}: {}", article.id, appended.error());
      return std::unexpected(appended.error());
    }
    {
      std::lock_guard lock(mutex_);
      stats_.messages_enqueued += entries.size();
      for (const OutboxEntry& entry : entries) {
        pending_.emplace(entry.seq, Pending{.known = true,
                                            .article_id = entry.article_id,
                                            .alert = entry.message.alert,
                                            .first_seen = entry.first_seen,
                                            .failures = 0});
      }
    }
    for (const OutboxEntry& entry : entries) {
      if (!sink_->Send(entry)) ScheduleRetry(entry.seq);
    }
    CheckSaturation();
    return {};
  }

  void Poll(std::chrono::milliseconds timeout) override {
    sink_->Poll(timeout);
    LogFailures();
    RemoveDelivered();
    ResendDue();
    CheckSaturation();
  }

  bool Saturated() const override {
    return static_cast<double>(outbox_->Depth()) >=
           options_.saturation_ratio * static_cast<double>(outbox_->Capacity());
  }

  bool Flush(std::chrono::milliseconds timeout) override {
    const Clock::time_point deadline = Clock::now() + timeout;
    while (true) {
      {
        std::lock_guard lock(mutex_);
        if (pending_.empty()) return true;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left <= std::chrono::milliseconds::zero()) return false;
      Poll(std::min(left, std::chrono::milliseconds(50)));
    }
  }

  PublisherStats Stats() const override {
    std::lock_guard lock(mutex_);
    PublisherStats stats = stats_;
    stats.outbox_depth = outbox_->Depth();
    return stats;
  }

  void OnAlertAcknowledged(
      std::function<void(const std::string& id, std::chrono::microseconds latency)> callback)
      override {
    std::lock_guard lock(mutex_);
    on_alert_ = std::move(callback);
  }

 private:
  // A message in the outbox that this process knows of.
  struct Pending {
    bool known = false;  // fields below filled (false for recovered ones until loaded)
    std::string article_id;
    bool alert = false;
    std::chrono::system_clock::time_point first_seen;
    int failures = 0;  // failed deliveries so far: sets the backoff
  };
  // An acknowledged message, with what the latency callback needs.
  struct Delivered {
    std::int64_t seq;
    std::string article_id;
    bool alert;
    std::chrono::system_clock::time_point first_seen;
  };

  void OnDelivery(std::int64_t seq, std::optional<std::string> error) {
    std::lock_guard lock(mutex_);
    auto it = pending_.find(seq);
    if (it == pending_.end()) return;
    if (!error) {
      delivered_.push_back({seq, it->second.article_id, it->second.alert, it->second.first_seen});
      return;
    }
    ++stats_.delivery_errors;
    ++it->second.failures;
    const auto backoff = Backoff(it->second.failures);
    // Logged once per Poll, not per message: an outage fails thousands at once.
    ++failures_unlogged_;
    last_failure_ = fmt::format("{} (article {}, retry #{} in {} ms)", *error,
                                it->second.article_id, it->second.failures, backoff.count());
    retry_.emplace(Clock::now() + backoff, seq);
  }

  std::chrono::milliseconds Backoff(int failures) const {
    auto backoff = options_.retry_backoff_min;
    for (int i = 1; i < failures && backoff < options_.retry_backoff_max; ++i) backoff *= 2;
    return std::min(backoff, options_.retry_backoff_max);
  }

  // Puts `seq` back in line when the sink could not take it or the outbox could not be read,
  // after the backoff its failed deliveries so far set (the minimum if none).
  void ScheduleRetry(std::int64_t seq) {
    std::lock_guard lock(mutex_);
    auto it = pending_.find(seq);
    const int failures = it == pending_.end() ? 0 : it->second.failures;
    retry_.emplace(Clock::now() + Backoff(std::max(failures, 1)), seq);
  }

  void LogFailures() {
    std::lock_guard lock(mutex_);
    if (failures_unlogged_ == 0) return;
    spdlog::warn("kafka: {} deliveries failed, kept in the outbox for a retry; last: {}",
                 failures_unlogged_, last_failure_);
    failures_unlogged_ = 0;
  }

  // Deletes acknowledged messages from the outbox in one transaction, then reports them.
  void RemoveDelivered() {
    std::vector<Delivered> delivered;
    {
      std::lock_guard lock(mutex_);
      delivered.swap(delivered_);
    }
    if (delivered.empty()) return;
    std::vector<std::int64_t> seqs;
    seqs.reserve(delivered.size());
    for (const Delivered& d : delivered) seqs.push_back(d.seq);
    if (auto removed = outbox_->Remove(seqs); !removed) {
      // Delivered but still on disk: keep trying; a restart meanwhile re-sends (at least once).
      spdlog::error("outbox: cannot remove {} delivered messages: {}", seqs.size(),
                    removed.error());
      std::lock_guard lock(mutex_);
      delivered_.insert(delivered_.end(), delivered.begin(), delivered.end());
      return;
    }
    std::function<void(const std::string&, std::chrono::microseconds)> on_alert;
    std::vector<std::pair<std::string, std::chrono::microseconds>> latencies;
    const auto now = std::chrono::system_clock::now();
    {
      std::lock_guard lock(mutex_);
      on_alert = on_alert_;
      for (const Delivered& d : delivered) {
        auto it = pending_.find(d.seq);
        if (it == pending_.end()) continue;
        pending_.erase(it);
        ++stats_.messages_delivered;
        if (d.alert) {
          ++stats_.alerts_delivered;
          if (on_alert_) {
            latencies.emplace_back(
                d.article_id,
                std::chrono::duration_cast<std::chrono::microseconds>(now - d.first_seen));
          }
        }
      }
    }
    // The callback runs without our lock: it may call Stats().
    if (on_alert) {
      for (const auto& [id, latency] : latencies) on_alert(id, latency);
    }
  }

  // Produces again the messages whose backoff has passed, a bounded batch per call so a large
  // recovered outbox does not overflow librdkafka's queue.
  void ResendDue() {
    constexpr std::size_t kBatch = 2000;
    std::vector<std::int64_t> due;
    {
      std::lock_guard lock(mutex_);
      const Clock::time_point now = Clock::now();
      while (!retry_.empty() && retry_.begin()->first <= now && due.size() < kBatch) {
        due.push_back(retry_.begin()->second);
        retry_.erase(retry_.begin());
      }
    }
    for (std::int64_t seq : due) {
      auto entry = outbox_->Get(seq);
      if (!entry) {
        spdlog::error("outbox: cannot read message {}: {}", seq, entry.error());
        ScheduleRetry(seq);
        continue;
      }
      if (!*entry) {  // removed meanwhile: delivered
        std::lock_guard lock(mutex_);
        pending_.erase(seq);
        continue;
      }
      {
        std::lock_guard lock(mutex_);
        auto it = pending_.find(seq);
        if (it == pending_.end()) continue;
        if (!it->second.known) {
          it->second = Pending{.known = true,
                               .article_id = (*entry)->article_id,
                               .alert = (*entry)->message.alert,
                               .first_seen = (*entry)->first_seen,
                               .failures = 0};
        }
        ++stats_.messages_retried;
      }
      if (!sink_->Send(**entry)) ScheduleRetry(seq);
    }
  }

  // Logs once when the outbox crosses the saturation mark, and once when it is back under.
  void CheckSaturation() {
    const bool saturated = Saturated();
    if (saturated == saturated_logged_.exchange(saturated)) return;
    if (saturated) {
      spdlog::error(
          "outbox nearly full: {} of {} messages waiting; not taking new articles "
          "until Kafka acknowledges",
          outbox_->Depth(), outbox_->Capacity());
    } else {
      spdlog::warn("outbox below {:.0f}% again: {} of {} messages waiting",
                   options_.saturation_ratio * 100, outbox_->Depth(), outbox_->Capacity());
    }
  }

  const KafkaOptions options_;
  const std::unique_ptr<Outbox> outbox_;  // thread-safe on its own
  std::unique_ptr<Sink> sink_;            // set once before use; thread-safe on its own

  // Guards everything below: Publish runs on the pipeline thread, outcomes arrive on whichever
  // thread calls Poll/Flush.
  mutable std::mutex mutex_;
  std::unordered_map<std::int64_t, Pending> pending_;     // in the outbox, not yet acknowledged
  std::multimap<Clock::time_point, std::int64_t> retry_;  // seqs to produce again, by due time
  std::vector<Delivered> delivered_;  // acknowledged, not yet removed from the outbox
  PublisherStats stats_;
  std::function<void(const std::string&, std::chrono::microseconds)> on_alert_;
  std::uint64_t failures_unlogged_ = 0;  // failed deliveries since the last log line
  std::string last_failure_;             // the latest of them, for that line

  std::atomic<bool> saturated_logged_{false};
};

}  // namespace

bool IsSecretProperty(std::string_view name) {
  std::string lower(name);
  std::ranges::transform(lower, lower.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (std::string_view word : {"password", "secret", "key", "token", "sasl.jaas"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

std::string RedactProperties(const std::map<std::string, std::string>& properties) {
  std::string out;
  for (const auto& [name, value] : properties) {
    if (!out.empty()) out += ", ";
    out += name + "=" + (IsSecretProperty(name) ? std::string("[redacted]") : value);
  }
  return out;
}

std::expected<std::unique_ptr<Publisher>, std::string> MakePublisher(const KafkaOptions& options,
                                                                     std::ostream& out) {
  auto outbox = Outbox::Open(OutboxOptions{.path = options.outbox_path,
                                           .capacity = options.outbox_capacity,
                                           .sync_full = options.outbox_sync_full});
  if (!outbox) return std::unexpected(outbox.error());
  auto publisher = std::make_unique<OutboxPublisher>(options, std::move(*outbox));

  const bool kafka = !options.brokers.empty() || options.mock_brokers > 0 ||
                     options.properties.contains("bootstrap.servers") ||
                     options.properties.contains("test.mock.num.brokers");
  if (kafka) {
    std::map<std::string, std::string> properties = DefaultProperties();
    if (!options.brokers.empty()) properties["bootstrap.servers"] = options.brokers;
    if (options.mock_brokers > 0) {
      properties["test.mock.num.brokers"] = std::to_string(options.mock_brokers);
    }
    for (const auto& [name, value] : options.properties) properties[name] = value;
    auto sink = KafkaSink::Create(properties, publisher->Callback());
    if (!sink) return std::unexpected(sink.error());
    spdlog::info("kafka producer: {}", RedactProperties(properties));
    publisher->SetSink(std::move(*sink));
  } else {
    spdlog::info("no Kafka brokers configured: messages go to stdout as JSON lines");
    publisher->SetSink(std::make_unique<StreamSink>(out, publisher->Callback()));
  }

  auto recovered = publisher->Recover();
  if (!recovered) return std::unexpected("outbox: " + recovered.error());
  if (*recovered > 0) {
    spdlog::warn("outbox: {} messages left by the previous run will be sent again", *recovered);
  }
  return publisher;
}

}  // namespace raqib::daemon
