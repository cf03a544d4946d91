// The daemon's pipeline: schedule -> fetch -> parse -> dedup -> classify -> outbox -> Kafka.
// Pipeline::Step() is the one place that shows what happens to a feed item; read it first.
//
// Threads: the caller's thread runs Step() (scheduler, fetcher, parser, state store and
// publisher all live on it); `classifier.workers` threads classify. Between them, two queues
// whose combined size is held near `pipeline.queue_capacity`: when they are full, or the
// publisher is saturated, no new fetch starts, so a slow Kafka slows fetching instead of
// growing memory.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "classifiers/classifier.h"
#include "daemon/config.h"
#include "daemon/metrics.h"
#include "daemon/publisher.h"
#include "daemon/scheduler.h"
#include "daemon/state_store.h"
#include "feeds/fetcher.h"
#include "feeds/parser.h"

namespace raqib::daemon {

using ParseFn = std::function<feeds::ParseResult(std::string_view, const feeds::ParseOptions&)>;

// What the pipeline is built from; the seams tests may swap (the fetcher, the clock).
struct PipelineParts {
  std::unique_ptr<feeds::Fetcher> fetcher;
  ParseFn parse;
  std::shared_ptr<const classifiers::Classifier> classifier;
  Publisher* publisher = nullptr;      // not owned
  StateStore* store = nullptr;         // not owned
  MetricsRegistry* metrics = nullptr;  // not owned
  const Clock* clock = nullptr;        // not owned
};

// Maps the config's feed defaults onto the scheduler's and the fetcher's options.
SchedulerOptions SchedulerOptionsFrom(const Config& config);
feeds::FetcherOptions FetcherOptionsFrom(const Config& config);

class Pipeline {
 public:
  Pipeline(const Config& config, PipelineParts parts);
  ~Pipeline();  // stops and joins the workers
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // One turn: start due fetches, wait up to `wait` for transfers, process what completed,
  // publish what the workers classified, serve delivery reports.
  void Step(std::chrono::milliseconds wait);

  // Applies a new config (feeds added, removed or changed; scheduling defaults; thresholds via
  // `classifier`). Feed state (dedup, conditional GET, failures) is kept.
  void Reload(const Config& config, std::shared_ptr<const classifiers::Classifier> classifier);

  // True once every enabled feed has been polled at least once and everything found has been
  // handed to the publisher (for --once).
  bool CycleDone() const;
  // Stop starting fetches; Step() keeps finishing what is in flight.
  void StopFetching() { stopping_ = true; }
  // Nothing in flight, queued or waiting to be published.
  bool Idle() const;

  // For /healthz, /readyz and /status.
  bool Healthy() const;
  bool Ready() const;
  std::string StatusJson() const;
  std::string StatusLine() const;  // one line for sd_notify STATUS

 private:
  struct FeedRuntime {
    FeedConfig config;
    FeedHttpState http;
    std::string parsed_title;  // from the last good parse, for alerts when no name is set
  };
  // A bounded hand-over between threads.
  struct Queue {
    std::mutex mu;
    std::condition_variable ready;
    std::deque<ArticleRecord> items;  // guarded by mu
  };

  void WaitIdle(std::chrono::milliseconds wait);
  void SubmitDueFetches();
  std::vector<ArticleRecord> ParseAndDedup(FeedRuntime& feed, const feeds::FetchResult& result,
                                           PollOutcome& outcome);
  void Enqueue(std::vector<ArticleRecord> articles);
  void PublishClassified();
  void ClassifyLoop();
  bool Backpressured() const;
  void RecordFetch(const FeedRuntime& feed, const feeds::FetchResult& result);
  void UpdateGauges();
  std::uint64_t IdFor(const std::string& url);

  const Clock& clock_;
  std::unique_ptr<feeds::Fetcher> fetcher_;
  ParseFn parse_;
  Publisher& publisher_;
  StateStore& store_;
  Scheduler scheduler_;
  PipelineConfig options_;

  // Pipeline-thread state.
  std::map<std::uint64_t, FeedRuntime> feeds_;  // enabled feeds by scheduler id
  std::map<std::string, std::uint64_t> ids_;    // configured URL -> id, stable across reloads
  std::uint64_t next_id_ = 1;
  std::size_t disabled_feeds_ = 0;
  std::set<std::uint64_t> polled_once_;
  // Articles between dedup and MarkSeen: the same article in two feeds is handled once.
  std::unordered_map<std::string, std::string> in_progress_;  // article id -> content hash
  std::unordered_set<std::string> in_progress_hashes_;
  std::deque<ArticleRecord> unpublished_;  // Publish() refused them: retried first
  std::atomic<std::size_t> queued_{0};     // articles in to_classify_ + classified_
  std::atomic<bool> stopping_{false};
  Clock::TimePoint last_prune_;
  Clock::TimePoint last_gauges_{};

  // Shared with the workers.
  Queue to_classify_;
  Queue classified_;
  std::mutex classifier_mu_;
  std::shared_ptr<const classifiers::Classifier> classifier_;  // guarded by classifier_mu_
  std::atomic<bool> shutdown_{false};
  std::vector<std::thread> workers_;

  // Read by the HTTP thread.
  std::atomic<std::int64_t> heartbeat_ns_{0};  // steady clock of the last Step()
  std::atomic<bool> ready_{false};             // the publisher takes messages
  mutable std::mutex status_mu_;
  std::string status_json_;  // guarded by status_mu_; rebuilt by UpdateGauges
  std::string status_line_;  // guarded by status_mu_

  struct Metrics {
    MetricFamily& feeds;
    MetricFamily& fetch_duration;
    MetricFamily& http_responses;
    MetricFamily& fetch_errors;
    MetricFamily& items_parsed;
    MetricFamily& items_new;
    MetricFamily& items_duplicate;
    MetricFamily& parse_errors;
    MetricFamily& articles;
    MetricFamily& alerts_published;
    MetricFamily& messages_delivered;
    MetricFamily& outbox_depth;
    MetricFamily& delivery_errors;
    MetricFamily& latency;
    MetricFamily& queue_depth;
    MetricFamily& backpressure;
  } m_;
};

}  // namespace raqib::daemon
