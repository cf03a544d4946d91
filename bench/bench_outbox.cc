// How many alerts per second raqib gets acknowledged by Kafka through its durable outbox, and
// what the outbox costs compared with producing the same messages directly.
//
//   bench_outbox [--articles N] [--dir DIR]
//
// A librdkafka mock cluster (3 brokers, real Kafka protocol over TCP on 127.0.0.1) runs in this
// process. Each mode publishes the same N synthetic articles (2.5 messages each on average:
// 1.5 alerts + the archive message) and waits until every message is acknowledged:
//   direct         librdkafka producer, same properties, no outbox
//   outbox-normal  MakePublisher, outbox with synchronous=NORMAL (survives a crash)
//   outbox-full    MakePublisher, outbox with synchronous=FULL (survives a power loss)
// The outbox file goes in DIR (default: the system temp directory); put it on the disk the
// state directory will live on, since fsync speed is most of the difference.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/alert_message.h"
#include "daemon/kafka_publisher.h"

namespace {

using raqib::classifiers::EventType;
using Clock = std::chrono::steady_clock;

raqib::daemon::ArticleRecord Synthetic(int i) {
  raqib::daemon::ArticleRecord a;
  a.id = "bench-" + std::to_string(i);
  a.title = "عنوان الخبر رقم " + std::to_string(i);
  for (int k = 0; k < 8; ++k) a.text += "قصف مدفعي على مدينة حلب أسفر عن سقوط ضحايا. ";
  a.link = "https://news.example/" + a.id;
  a.feed_url = "https://news.example/rss.xml";
  a.feed_title = "أخبار";
  a.first_seen = a.fetched_at = a.classified_at = std::chrono::system_clock::now();
  a.classifier_version = "bench";
  static const std::vector<std::vector<EventType>> kLabels = {
      {},
      {EventType::kAttack},
      {EventType::kClaim, EventType::kStatement},
      {EventType::kAttack, EventType::kClaim, EventType::kStatement}};
  a.classification.labels = kLabels[static_cast<std::size_t>(i % 4)];
  for (EventType t : a.classification.labels)
    a.classification.scores[static_cast<std::size_t>(t)] = 0.9;
  return a;
}

raqib::daemon::TopicNames Topics(const std::string& mode) {
  return {.attack = mode + ".attack",
          .claim = mode + ".claim",
          .statement = mode + ".statement",
          .articles = mode + ".articles"};
}

struct Result {
  double seconds = 0;
  std::uint64_t messages = 0;
  std::uint64_t alerts = 0;
};

// The baseline: the same messages straight into librdkafka, counted by delivery reports.
Result Direct(const std::string& bootstrap, const std::vector<raqib::daemon::ArticleRecord>& in,
              const raqib::daemon::MessageOptions& options) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [name, value] :
       std::vector<std::pair<const char*, std::string>>{{"bootstrap.servers", bootstrap},
                                                        {"enable.idempotence", "true"},
                                                        {"acks", "all"},
                                                        {"compression.type", "lz4"},
                                                        {"linger.ms", "5"},
                                                        {"partitioner", "murmur2_random"}}) {
    rd_kafka_conf_set(conf, name, value.c_str(), errstr, sizeof errstr);
  }
  static std::uint64_t acked = 0;
  static std::uint64_t failed = 0;
  acked = failed = 0;
  rd_kafka_conf_set_dr_msg_cb(
      conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void*) { ++(m->err ? failed : acked); });
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  Result result;
  const Clock::time_point start = Clock::now();
  for (const auto& article : in) {
    for (const auto& m : raqib::daemon::BuildMessages(article, options)) {
      while (rd_kafka_error_t* error = raqib::daemon::ProduceMessage(rk, m, nullptr)) {
        rd_kafka_error_destroy(error);  // queue full: try again
        rd_kafka_poll(rk, 10);          // after deliveries drained the queue
      }
      ++result.messages;
      result.alerts += m.alert ? 1 : 0;
    }
    rd_kafka_poll(rk, 0);
  }
  rd_kafka_flush(rk, 60000);
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (acked != result.messages) {
    std::cerr << "direct: " << acked << " of " << result.messages << " acknowledged, " << failed
              << " failed\n";
  }
  rd_kafka_destroy(rk);
  return result;
}

Result ThroughOutbox(const std::string& bootstrap,
                     const std::vector<raqib::daemon::ArticleRecord>& in,
                     const raqib::daemon::MessageOptions& options,
                     const std::filesystem::path& outbox, bool sync_full) {
  raqib::daemon::KafkaOptions kafka;
  kafka.brokers = bootstrap;
  kafka.messages = options;
  kafka.outbox_path = outbox;
  kafka.outbox_capacity = 1000000;
  kafka.outbox_sync_full = sync_full;
  std::ostringstream unused;
  auto publisher = raqib::daemon::MakePublisher(kafka, unused);
  if (!publisher) {
    std::cerr << publisher.error() << "\n";
    std::exit(1);
  }
  const Clock::time_point start = Clock::now();
  for (const auto& article : in) {
    while (!(*publisher)->Publish(article)) (*publisher)->Poll(std::chrono::milliseconds(10));
    (*publisher)->Poll(std::chrono::milliseconds(0));
  }
  if (!(*publisher)->Flush(std::chrono::seconds(120))) std::cerr << "outbox: flush timed out\n";
  Result result;
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const auto stats = (*publisher)->Stats();
  result.messages = stats.messages_delivered;
  result.alerts = stats.alerts_delivered;
  return result;
}

void Print(const char* mode, int articles, const Result& r, double direct_seconds) {
  std::printf(
      "%-14s %8d articles %8llu messages %8llu alerts  %7.2f s  %9.0f alerts/s  %9.0f "
      "msgs/s  %6.2fx direct time\n",
      mode, articles, static_cast<unsigned long long>(r.messages),
      static_cast<unsigned long long>(r.alerts), r.seconds, r.alerts / r.seconds,
      r.messages / r.seconds, r.seconds / direct_seconds);
}

}  // namespace

int main(int argc, char** argv) {
  int articles = 4000;
  std::filesystem::path dir = std::filesystem::temp_directory_path();
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--articles") {
      articles = std::stoi(argv[i + 1]);
    } else if (arg == "--dir") {
      dir = argv[i + 1];
    } else {
      std::cerr << "usage: bench_outbox [--articles N] [--dir DIR]\n";
      return 2;
    }
  }
  spdlog::set_level(spdlog::level::warn);

  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
  rd_kafka_t* host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(host, 3);
  const std::string bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);

  std::vector<raqib::daemon::ArticleRecord> in;
  for (int i = 0; i < articles; ++i) in.push_back(Synthetic(i));

  std::string pattern = (dir / "raqib-bench-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::filesystem::path work = pattern;

  std::printf("bench_outbox: mock cluster of 3 brokers on %s, outbox in %s\n", bootstrap.c_str(),
              work.c_str());
  struct Mode {
    const char* name;
    int kind;  // 0 direct, 1 outbox NORMAL, 2 outbox FULL
  };
  double direct_seconds = 0;
  for (const Mode& mode : {Mode{"direct", 0}, Mode{"outbox-normal", 1}, Mode{"outbox-full", 2}}) {
    raqib::daemon::MessageOptions options;
    options.topics = Topics(std::string("bench.") + mode.name);
    for (const std::string& topic : {options.topics.attack, options.topics.claim,
                                     options.topics.statement, options.topics.articles}) {
      rd_kafka_mock_topic_create(cluster, topic.c_str(), 3, 3);
    }
    Result r;
    if (mode.kind == 0) {
      r = Direct(bootstrap, in, options);
      direct_seconds = r.seconds;
    } else {
      r = ThroughOutbox(bootstrap, in, options, work / (std::string(mode.name) + ".sqlite3"),
                        mode.kind == 2);
    }
    Print(mode.name, articles, r, direct_seconds);
  }
  std::filesystem::remove_all(work);
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(host);
  return 0;
}
