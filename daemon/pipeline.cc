#include "daemon/pipeline.h"

#include <fmt/format.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "daemon/logging.h"

namespace raqib::daemon {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

constexpr auto kHealthyWithin = std::chrono::seconds(30);  // a Step() must have run this recently
constexpr auto kPruneEvery = std::chrono::hours(1);

// The moment an item appeared, for the appearance-to-Kafka latency: its published time when
// that is credible (not in the future, not older than the polling ceiling), else when we
// fetched it. Feeds with wrong clocks or time zones fall back to the fetch time.
system_clock::time_point FirstSeen(const feeds::FeedItem& item, system_clock::time_point fetched,
                                   std::chrono::seconds ceiling) {
  const auto published = item.published ? item.published : item.updated;
  if (published && *published <= fetched && fetched - *published <= ceiling) return *published;
  return fetched;
}

std::string LabelsOf(const classifiers::Classification& c) {
  std::string out;
  for (auto type : c.labels)
    out += std::string(out.empty() ? "" : ",") + classifiers::EventTypeName(type);
  return out;
}

}  // namespace

SchedulerOptions SchedulerOptionsFrom(const Config& config) {
  const FeedDefaults& d = config.defaults;
  SchedulerOptions o;
  o.base_interval = d.interval;
  o.min_interval = d.min_interval;
  o.max_interval = d.max_interval;
  o.jitter = d.jitter;
  o.max_backoff = d.max_backoff;
  o.max_in_flight = d.max_connections;
  o.max_per_host = d.max_connections_per_host;
  o.per_host_delay = d.per_host_delay;
  o.seed = static_cast<std::uint64_t>(system_clock::now().time_since_epoch().count());
  return o;
}

feeds::FetcherOptions FetcherOptionsFrom(const Config& config) {
  const FeedDefaults& d = config.defaults;
  feeds::FetcherOptions o;
  o.max_connections = d.max_connections;
  o.max_connections_per_host = d.max_connections_per_host;
  o.max_body_bytes = d.max_body_bytes;
  o.connect_timeout = d.connect_timeout;
  o.total_timeout = d.total_timeout;
  o.verify_tls = d.verify_tls;
  o.user_agent = d.user_agent;
  return o;
}

Pipeline::Pipeline(const Config& config, PipelineParts parts)
    : clock_(*parts.clock),
      fetcher_(std::move(parts.fetcher)),
      parse_(std::move(parts.parse)),
      publisher_(*parts.publisher),
      store_(*parts.store),
      scheduler_(SchedulerOptionsFrom(config), *parts.clock),
      options_(config.pipeline),
      last_prune_(parts.clock->Now() - kPruneEvery),
      m_{
          parts.metrics->Gauge("raqib_feeds", "Feeds by state (pending, ok, failing, disabled).",
                               {"state"}),
          parts.metrics->Histogram("raqib_fetch_duration_seconds", "Wall time of one feed fetch.",
                                   {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}),
          parts.metrics->Counter("raqib_http_responses_total", "Feed fetches by HTTP status.",
                                 {"code"}),
          parts.metrics->Counter("raqib_fetch_errors_total", "Failed feed fetches by kind.",
                                 {"kind"}),
          parts.metrics->Counter("raqib_items_parsed_total", "Items read from feed documents."),
          parts.metrics->Counter("raqib_items_new_total", "Items never seen before."),
          parts.metrics->Counter("raqib_items_duplicate_total",
                                 "Items already handled (same id or same text)."),
          parts.metrics->Counter("raqib_parse_errors_total",
                                 "Feed documents that were malformed or not a feed."),
          parts.metrics->Counter("raqib_articles_total", "Articles classified, by label.",
                                 {"label"}),
          parts.metrics->Counter("raqib_alerts_published_total",
                                 "Alert messages acknowledged by Kafka (or the stdout sink)."),
          parts.metrics->Counter("raqib_messages_delivered_total",
                                 "All messages acknowledged, archive topic included."),
          parts.metrics->Gauge("raqib_outbox_depth", "Messages in the outbox awaiting delivery."),
          parts.metrics->Counter("raqib_kafka_delivery_errors_total",
                                 "Failed delivery reports (each is retried)."),
          parts.metrics->Histogram(
              "raqib_item_to_kafka_latency_seconds",
              "From an item's appearance in its feed to the Kafka acknowledgement of its alert.",
              {0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}),
          parts.metrics->Gauge("raqib_queue_depth", "Articles waiting in the pipeline.", {"stage"}),
          parts.metrics->Gauge("raqib_backpressure",
                               "1 while fetching is paused because downstream is full."),
      } {
  publisher_.OnAlertAcknowledged([this](const std::string&, std::chrono::microseconds latency) {
    m_.latency.Observe(std::chrono::duration<double>(latency).count());
  });
  Reload(config, std::move(parts.classifier));
  for (std::size_t i = 0; i < std::max<std::size_t>(1, config.classifier.workers); ++i)
    workers_.emplace_back([this] { ClassifyLoop(); });
}

Pipeline::~Pipeline() {
  shutdown_ = true;
  to_classify_.ready.notify_all();
  for (auto& worker : workers_) worker.join();
}

// One turn of the pipeline: what happens to a feed item, in order.
void Pipeline::Step(milliseconds wait) {
  heartbeat_ns_ = clock_.Now().time_since_epoch().count();
  // 1. Schedule: start the fetches that are due, unless downstream is full. Skipping them
  //    here is the backpressure: a slow Kafka slows fetching instead of growing memory.
  if (!stopping_ && !Backpressured()) SubmitDueFetches();

  // 2. Fetch: collect finished transfers (many run at once inside the fetcher).
  if (fetcher_->Pending() == 0) WaitIdle(wait);
  for (const feeds::FetchResult& result :
       fetcher_->Poll(fetcher_->Pending() ? wait : milliseconds(0))) {
    const auto it = feeds_.find(result.token);
    if (it == feeds_.end()) continue;  // removed by a reload while in flight
    RecordFetch(it->second, result);
    // 3. Parse (a 304 has nothing to parse) and 4. dedup against the state store: only
    //    articles never seen, by id or by content, go on.
    PollOutcome outcome;
    std::vector<ArticleRecord> fresh = ParseAndDedup(it->second, result, outcome);
    // 5. Classify: the worker threads take them from here (ClassifyLoop).
    Enqueue(std::move(fresh));
    // The feed's next poll follows from what this one taught us (rate, hints, errors).
    scheduler_.Complete(result.token, outcome);
    polled_once_.insert(result.token);
  }

  // 6. Outbox -> Kafka: publish what the workers classified. An article is marked seen only
  //    once its messages are durable in the outbox, so a crash re-sends rather than loses.
  PublishClassified();
  // 7. Delivery reports: acknowledged messages leave the outbox, failed ones are retried.
  publisher_.Poll(milliseconds(0));

  if (clock_.Now() - last_prune_ >= kPruneEvery) {
    last_prune_ = clock_.Now();
    const auto pruned = store_.Prune(system_clock::now() - options_.dedup_retention);
    if (pruned > 0) Log(spdlog::level::info, fmt::format("pruned {} old dedup entries", pruned));
  }
  UpdateGauges();
}

// Nothing on the wire: sleeps until a worker finishes, the next feed falls due, or `wait`.
void Pipeline::WaitIdle(milliseconds wait) {
  auto idle = wait;
  if (const auto wake = scheduler_.NextWakeup(); wake && !stopping_ && !Backpressured())
    idle = std::clamp(std::chrono::duration_cast<milliseconds>(*wake - clock_.Now()),
                      milliseconds(1), wait);
  std::unique_lock lock(classified_.mu);
  classified_.ready.wait_for(lock, idle, [this] { return !classified_.items.empty(); });
}

void Pipeline::SubmitDueFetches() {
  for (const std::uint64_t id : scheduler_.TakeDue(options_.queue_capacity)) {
    const FeedRuntime& feed = feeds_.at(id);
    feeds::FetchRequest request;
    request.token = id;
    request.url = feed.http.permanent_url.empty() ? feed.config.url : feed.http.permanent_url;
    request.etag = feed.http.etag;
    request.last_modified = feed.http.last_modified;
    Log(spdlog::level::debug, "fetch", {.feed = request.url, .article = {}});
    fetcher_->Submit(std::move(request));
  }
}

std::vector<ArticleRecord> Pipeline::ParseAndDedup(FeedRuntime& feed,
                                                   const feeds::FetchResult& result,
                                                   PollOutcome& outcome) {
  const std::string& url = feed.config.url;
  outcome.retry_after = result.retry_after;
  outcome.max_age = result.max_age;
  if (!result.ok()) {
    outcome.ok = false;
    outcome.error =
        fmt::format("{}: {}", feeds::FetchErrorName(result.error), result.error_message);
    const auto failures = scheduler_.StatusOf(result.token).value_or(FeedStatus{}).failures + 1;
    Log(failures == 1 ? spdlog::level::warn : spdlog::level::info,
        fmt::format("fetch failed ({} in a row), will retry: {}", failures, outcome.error),
        {.feed = url, .article = {}});
    return {};
  }
  // Conditional GET state survives restarts; a permanent redirect replaces the URL we fetch.
  FeedHttpState http = feed.http;
  if (result.permanent_url && *result.permanent_url != http.permanent_url) {
    http.permanent_url = *result.permanent_url;
    scheduler_.Upsert(result.token, http.permanent_url, feed.config.interval);
    Log(spdlog::level::warn, "permanent redirect to " + http.permanent_url + "; update the config",
        {.feed = url, .article = {}});
  }
  if (!result.not_modified) {
    http.etag = result.etag;
    http.last_modified = result.last_modified;
  }
  if (http.etag != feed.http.etag || http.last_modified != feed.http.last_modified ||
      http.permanent_url != feed.http.permanent_url) {
    feed.http = http;
    if (auto saved = store_.SaveFeed(url, http); !saved)
      Log(spdlog::level::err, "cannot save feed state: " + saved.error(),
          {.feed = url, .article = {}});
  }
  if (result.not_modified) return {};

  const feeds::ParseResult parsed =
      parse_(result.body, {.content_type = result.content_type, .base_url = result.effective_url});
  if (parsed.issue) {
    m_.parse_errors.Inc();
    if (parsed.feed.items.empty() && parsed.feed.format == feeds::FeedFormat::kUnknown) {
      outcome.ok = false;
      outcome.error = "parse: " + parsed.issue->message;
      Log(spdlog::level::warn, outcome.error, {.feed = url, .article = {}});
      return {};
    }
    Log(spdlog::level::info,
        fmt::format("malformed feed, {} items recovered: {}", parsed.feed.items.size(),
                    parsed.issue->message),
        {.feed = url, .article = {}});
  }
  outcome.ttl = parsed.feed.ttl;
  if (!parsed.feed.title.empty()) feed.parsed_title = parsed.feed.title;

  std::vector<ArticleRecord> fresh;
  const auto now = system_clock::now();
  store_.Begin();  // one transaction for all the feed's last-seen refreshes
  for (const feeds::FeedItem& item : parsed.feed.items) {
    m_.items_parsed.Inc();
    if (item.published || item.updated)
      outcome.item_times.push_back(item.published ? *item.published : *item.updated);
    if (item.id.empty()) continue;
    const std::string& text = item.content.empty() ? item.summary : item.content;
    std::string hash = ContentHash(item.title, text);
    if (in_progress_.contains(item.id) || in_progress_hashes_.contains(hash) ||
        store_.Seen(item.id, hash, now)) {
      m_.items_duplicate.Inc();
      continue;
    }
    m_.items_new.Inc();
    in_progress_hashes_.insert(hash);
    in_progress_.emplace(item.id, std::move(hash));
    ArticleRecord a;
    a.id = item.id;
    a.title = item.title;
    a.text = text;
    a.link = item.link;
    a.feed_url = url;
    a.feed_title =
        feed.config.name != url || feed.parsed_title.empty() ? feed.config.name : feed.parsed_title;
    a.published = item.published;
    a.fetched_at = now;
    a.first_seen =
        FirstSeen(item, now, scheduler_.StatusOf(result.token)->interval + std::chrono::minutes(5));
    Log(spdlog::level::debug, "new article: " + a.title, {.feed = url, .article = a.id});
    fresh.push_back(std::move(a));
  }
  store_.Commit();
  outcome.new_items = fresh.size();
  return fresh;
}

void Pipeline::Enqueue(std::vector<ArticleRecord> articles) {
  if (articles.empty()) return;
  queued_ += articles.size();
  {
    std::lock_guard lock(to_classify_.mu);
    for (auto& a : articles) to_classify_.items.push_back(std::move(a));
  }
  to_classify_.ready.notify_all();
}

void Pipeline::ClassifyLoop() {
  while (true) {
    ArticleRecord a;
    {
      std::unique_lock lock(to_classify_.mu);
      to_classify_.ready.wait(lock, [this] { return shutdown_ || !to_classify_.items.empty(); });
      if (to_classify_.items.empty()) return;  // shutting down
      a = std::move(to_classify_.items.front());
      to_classify_.items.pop_front();
    }
    std::shared_ptr<const classifiers::Classifier> classifier;
    {
      std::lock_guard lock(classifier_mu_);
      classifier = classifier_;
    }
    a.classification = classifier->Classify({.title = a.title, .text = a.text});
    a.classifier_version = classifier->Version();
    a.classified_at = system_clock::now();
    {
      std::lock_guard lock(classified_.mu);
      classified_.items.push_back(std::move(a));
    }
    classified_.ready.notify_one();
  }
}

void Pipeline::PublishClassified() {
  {
    std::lock_guard lock(classified_.mu);
    queued_ -= classified_.items.size();
    for (auto& a : classified_.items) unpublished_.push_back(std::move(a));
    classified_.items.clear();
  }
  if (unpublished_.empty()) return;
  store_.Begin();
  while (!unpublished_.empty()) {
    ArticleRecord& a = unpublished_.front();
    if (auto published = publisher_.Publish(a); !published) {
      // Outbox full or disk error: keep the article and try again next turn; fetching is
      // paused meanwhile (Backpressured) so nothing piles up behind it.
      Log(spdlog::level::warn, "cannot publish yet: " + published.error(),
          {.feed = a.feed_url, .article = a.id});
      break;
    }
    const auto hash = in_progress_.extract(a.id);
    const std::string content_hash = hash.empty() ? ContentHash(a.title, a.text) : hash.mapped();
    if (auto marked = store_.MarkSeen(a.id, content_hash, a.feed_url, system_clock::now()); !marked)
      Log(spdlog::level::err, "cannot record article as seen: " + marked.error(),
          {.feed = a.feed_url, .article = a.id});
    in_progress_hashes_.erase(content_hash);
    const std::string labels = LabelsOf(a.classification);
    m_.articles.Inc({labels.empty() ? "none" : labels});
    if (!labels.empty())
      Log(spdlog::level::info, fmt::format("alert [{}] {}", labels, a.title),
          {.feed = a.feed_url, .article = a.id});
    unpublished_.pop_front();
  }
  store_.Commit();
}

bool Pipeline::Backpressured() const {
  return queued_ + unpublished_.size() >= options_.queue_capacity || publisher_.Saturated();
}

void Pipeline::RecordFetch(const FeedRuntime& feed, const feeds::FetchResult& result) {
  m_.fetch_duration.Observe(std::chrono::duration<double>(result.duration).count());
  if (result.http_status > 0) m_.http_responses.Inc({std::to_string(result.http_status)});
  if (!result.ok()) m_.fetch_errors.Inc({feeds::FetchErrorName(result.error)});
  Log(spdlog::level::debug,
      fmt::format("fetched: status {} in {} ms", result.http_status, result.duration.count()),
      {.feed = feed.config.url, .article = {}});
}

void Pipeline::Reload(const Config& config,
                      std::shared_ptr<const classifiers::Classifier> classifier) {
  {
    std::lock_guard lock(classifier_mu_);
    classifier_ = std::move(classifier);
  }
  scheduler_.SetOptions(SchedulerOptionsFrom(config));
  options_ = config.pipeline;
  std::set<std::uint64_t> keep;
  disabled_feeds_ = 0;
  for (const FeedConfig& fc : config.feeds) {
    if (!fc.enabled) {
      ++disabled_feeds_;
      continue;
    }
    const std::uint64_t id = IdFor(fc.url);
    keep.insert(id);
    auto [it, inserted] = feeds_.try_emplace(id);
    if (inserted) it->second.http = store_.LoadFeed(fc.url);
    it->second.config = fc;
    const auto& http = it->second.http;
    scheduler_.Upsert(id, http.permanent_url.empty() ? fc.url : http.permanent_url, fc.interval);
  }
  for (auto it = feeds_.begin(); it != feeds_.end();) {
    if (keep.contains(it->first)) {
      ++it;
      continue;
    }
    scheduler_.Remove(it->first);
    polled_once_.erase(it->first);
    it = feeds_.erase(it);
  }
}

std::uint64_t Pipeline::IdFor(const std::string& url) {
  auto [it, inserted] = ids_.try_emplace(url, next_id_);
  if (inserted) ++next_id_;
  return it->second;
}

bool Pipeline::Idle() const {
  return fetcher_->Pending() == 0 && queued_ == 0 && unpublished_.empty();
}

bool Pipeline::CycleDone() const {
  for (const auto& [id, feed] : feeds_) {
    if (!polled_once_.contains(id)) return false;
  }
  return Idle();
}

bool Pipeline::Healthy() const {
  const auto beat = Clock::TimePoint(Clock::Duration(heartbeat_ns_.load()));
  return heartbeat_ns_ != 0 && clock_.Now() - beat < kHealthyWithin;
}

bool Pipeline::Ready() const { return Healthy() && ready_; }

std::string Pipeline::StatusJson() const {
  std::lock_guard lock(status_mu_);
  return status_json_;
}

std::string Pipeline::StatusLine() const {
  std::lock_guard lock(status_mu_);
  return status_line_;
}

void Pipeline::UpdateGauges() {
  const auto now = clock_.Now();
  if (now - last_gauges_ < std::chrono::seconds(1)) return;
  last_gauges_ = now;
  const auto counts = scheduler_.CountByState();
  for (const auto& [state, n] : counts)
    m_.feeds.Set(static_cast<double>(n), {FeedStateName(state)});
  m_.feeds.Set(static_cast<double>(disabled_feeds_), {"disabled"});
  const PublisherStats stats = publisher_.Stats();
  m_.alerts_published.Set(static_cast<double>(stats.alerts_delivered));
  m_.messages_delivered.Set(static_cast<double>(stats.messages_delivered));
  m_.delivery_errors.Set(static_cast<double>(stats.delivery_errors));
  m_.outbox_depth.Set(static_cast<double>(stats.outbox_depth));
  m_.queue_depth.Set(static_cast<double>(queued_.load()), {"classify"});
  m_.queue_depth.Set(static_cast<double>(unpublished_.size()), {"publish"});
  const bool backpressured = Backpressured();
  m_.backpressure.Set(backpressured ? 1 : 0);
  ready_ = !publisher_.Saturated();

  nlohmann::json status;
  status["feeds"] = {{"pending", counts.at(FeedState::kPending)},
                     {"ok", counts.at(FeedState::kOk)},
                     {"failing", counts.at(FeedState::kFailing)},
                     {"disabled", disabled_feeds_}};
  status["outbox_depth"] = stats.outbox_depth;
  status["backpressure"] = backpressured;
  status["failing"] = nlohmann::json::array();
  for (const FeedStatus& f : scheduler_.Status()) {
    if (f.state != FeedState::kFailing) continue;
    status["failing"].push_back({{"url", f.url},
                                 {"failures", f.failures},
                                 {"last_error", f.last_error},
                                 {"retry_in_seconds", f.due_in.count()}});
  }
  std::lock_guard lock(status_mu_);
  status_json_ = status.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  status_line_ =
      fmt::format("{} feeds ({} failing), outbox {}, {} alerts delivered", feeds_.size(),
                  counts.at(FeedState::kFailing), stats.outbox_depth, stats.alerts_delivered);
}

}  // namespace raqib::daemon
