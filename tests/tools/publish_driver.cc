// Publishes synthetic articles through the real outbox + publisher (daemon/kafka_publisher.h),
// for the Kafka fault tests (tests/daemon/kafka_e2e.py) and by hand. It can be killed at any
// moment and started again on the same outbox.
//
//   publish_driver --outbox PATH [--brokers B] [--start S] [--count N] [--delay-ms D]
//                  [--flush-ms T] [--backoff-ms B] [--capacity C] [--property NAME=VALUE]...
//
// Article i (S <= i < S+N) has id "art-<i>" and labels by i % 4: none; attack; claim +
// statement; all three. Everything about it is derived from i, so a re-publication is
// byte-identical. Stdout (one line each): "start depth=<messages left in the outbox>",
// "published <i>" once Publish() returned (the messages are on disk), and at the end
// "stats <json>". Logs go to stderr. Exit 0 when everything was acknowledged within
// --flush-ms, 3 otherwise.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "daemon/kafka_publisher.h"

namespace {

using raqib::classifiers::EventType;

raqib::daemon::ArticleRecord Synthetic(int i) {
  using std::chrono::seconds;
  raqib::daemon::ArticleRecord a;
  a.id = "art-" + std::to_string(i);
  a.title = "عنوان الخبر رقم " + std::to_string(i);
  const std::string sentence = "قصف مدفعي على مدينة حلب أسفر عن سقوط ضحايا. ";
  for (int k = 0; k < 1 + i % 5; ++k) a.text += sentence;
  a.link = "https://news.example/" + a.id;
  a.feed_url = "https://news.example/rss.xml";
  a.feed_title = "أخبار المثال";
  const auto base = std::chrono::sys_seconds(seconds(1790000000));
  a.published = base + seconds(i);
  a.first_seen = base + seconds(i + 60);
  a.fetched_at = a.first_seen;
  a.classified_at = a.first_seen + std::chrono::milliseconds(5);
  a.classifier_version = "synthetic-1";
  auto& c = a.classification;
  switch (i % 4) {
    case 1: c.labels = {EventType::kAttack}; break;
    case 2: c.labels = {EventType::kClaim, EventType::kStatement}; break;
    case 3: c.labels = {EventType::kAttack, EventType::kClaim, EventType::kStatement}; break;
    default: break;
  }
  for (EventType type : c.labels) {
    c.scores[static_cast<std::size_t>(type)] = 0.9;
    // "قصف" is the first 6 bytes of the text; the sentence ends before its trailing space.
    c.evidence.push_back({.type = type,
                          .sentence = {raqib::classifiers::Field::kText, 0, sentence.size() - 1},
                          .triggers = {{raqib::classifiers::Field::kText, 0, 6}},
                          .rule = "synthetic",
                          .weight = 0.9});
  }
  if (!c.labels.empty()) {
    const std::size_t at = sentence.find("حلب");
    c.entities.push_back({.kind = raqib::classifiers::EntityKind::kPlace,
                          .text = "حلب",
                          .canonical = "حلب",
                          .span = {raqib::classifiers::Field::kText, at, at + 6}});
    c.killed = i % 7;
  }
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("driver"));
  // Each delivery's topic, partition and offset go to the log (a file per run in the e2e
  // test), so a lost message can be traced to what the broker acknowledged.
  spdlog::set_level(spdlog::level::debug);
  raqib::daemon::KafkaOptions options;
  options.retry_backoff_min = std::chrono::milliseconds(200);
  options.retry_backoff_max = std::chrono::milliseconds(1000);
  int start = 0;
  int count = 0;
  int delay_ms = 0;
  int flush_ms = 20000;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) {
      std::cerr << "publish_driver: " << arg << " needs a value\n";
      return 2;
    }
    const std::string value = argv[++i];
    if (arg == "--outbox") {
      options.outbox_path = value;
    } else if (arg == "--brokers") {
      options.brokers = value;
    } else if (arg == "--start") {
      start = std::stoi(value);
    } else if (arg == "--count") {
      count = std::stoi(value);
    } else if (arg == "--delay-ms") {
      delay_ms = std::stoi(value);
    } else if (arg == "--flush-ms") {
      flush_ms = std::stoi(value);
    } else if (arg == "--backoff-ms") {
      options.retry_backoff_min = std::chrono::milliseconds(std::stoi(value));
    } else if (arg == "--capacity") {
      options.outbox_capacity = std::stoull(value);
    } else if (arg == "--property" && value.find('=') != std::string::npos) {
      const auto eq = value.find('=');
      options.properties[value.substr(0, eq)] = value.substr(eq + 1);
    } else {
      std::cerr << "publish_driver: unknown option " << arg << "\n";
      return 2;
    }
  }
  if (options.outbox_path.empty()) {
    std::cerr << "publish_driver: --outbox is required\n";
    return 2;
  }

  auto publisher = raqib::daemon::MakePublisher(options, std::cout);
  if (!publisher) {
    std::cerr << "publish_driver: " << publisher.error() << "\n";
    return 1;
  }
  raqib::daemon::Publisher& p = **publisher;
  std::cout << "start depth=" << p.Stats().outbox_depth << std::endl;

  for (int i = start; i < start + count; ++i) {
    // The pipeline's contract: when the outbox is full, keep the article and try again.
    while (!p.Publish(Synthetic(i))) p.Poll(std::chrono::milliseconds(50));
    std::cout << "published " << i << std::endl;
    p.Poll(std::chrono::milliseconds(0));
    if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  }
  const bool flushed = p.Flush(std::chrono::milliseconds(flush_ms));
  const raqib::daemon::PublisherStats s = p.Stats();
  std::cout << "stats "
            << nlohmann::json{{"enqueued", s.messages_enqueued},
                              {"delivered", s.messages_delivered},
                              {"alerts_delivered", s.alerts_delivered},
                              {"delivery_errors", s.delivery_errors},
                              {"retried", s.messages_retried},
                              {"refusals", s.publish_refusals},
                              {"depth", s.outbox_depth},
                              {"flushed", flushed}}
                   .dump()
            << std::endl;
  return flushed ? 0 : 3;
}
