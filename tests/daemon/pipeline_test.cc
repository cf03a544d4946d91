// The pipeline with the real parser and a real SQLite state store, and fakes for what is
// tested elsewhere against real peers (the fetcher: tests/feeds; the publisher: kafka_* tests;
// the whole process: daemon_e2e.py): dedup, ordering of publish and mark-seen, backpressure,
// failing feeds, reloads.
#include "daemon/pipeline.h"
#include "tests/daemon/fake_clock.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>

using namespace std::chrono_literals;
using namespace raqib::daemon;
namespace feeds = raqib::feeds;
namespace classifiers = raqib::classifiers;

namespace {

using raqib::daemon::testing::FakeClock;

// Answers every request at once from `responses` (by URL); remembers what was asked.
class FakeFetcher : public feeds::Fetcher {
 public:
  explicit FakeFetcher(std::map<std::string, feeds::FetchResult>& responses)
      : responses_(responses) {}
  void Submit(feeds::FetchRequest request) override {
    submitted.push_back(request);
    pending_.push_back(std::move(request));
  }
  std::vector<feeds::FetchResult> Poll(std::chrono::milliseconds) override {
    std::vector<feeds::FetchResult> out;
    for (const auto& r : pending_) {
      feeds::FetchResult result = responses_.at(r.url);
      result.token = r.token;
      result.url = r.url;
      result.effective_url = r.url;
      if (!result.etag.empty() && result.etag == r.etag) {
        result.not_modified = true;
        result.http_status = 304;
        result.body.clear();
      }
      out.push_back(std::move(result));
    }
    pending_.clear();
    return out;
  }
  std::size_t Pending() const override { return pending_.size(); }

  std::vector<feeds::FetchRequest> submitted;

 private:
  std::map<std::string, feeds::FetchResult>& responses_;
  std::vector<feeds::FetchRequest> pending_;
};

// Records what was published; can refuse (outbox full) or report saturation.
class FakePublisher : public Publisher {
 public:
  std::expected<void, std::string> Publish(const ArticleRecord& article) override {
    if (refuse > 0) {
      --refuse;
      return std::unexpected("outbox full");
    }
    published.push_back(article);
    return {};
  }
  void Poll(std::chrono::milliseconds) override {}
  bool Saturated() const override { return saturated; }
  bool Flush(std::chrono::milliseconds) override { return true; }
  PublisherStats Stats() const override { return {}; }
  void OnAlertAcknowledged(
      std::function<void(const std::string&, std::chrono::microseconds)>) override {}

  std::vector<ArticleRecord> published;
  int refuse = 0;
  bool saturated = false;
};

// "Attack" when the title has the word هجوم: enough to see labels flow through.
class FakeClassifier : public classifiers::Classifier {
 public:
  classifiers::Classification Classify(const classifiers::Article& article) const override {
    classifiers::Classification c;
    if (article.title.find("هجوم") != std::string_view::npos) {
      c.labels = {classifiers::EventType::kAttack};
      c.scores[0] = 0.9;
    }
    return c;
  }
  std::string Version() const override { return "fake-1"; }
};

feeds::FetchResult Ok(const std::string& body, const std::string& etag = "") {
  feeds::FetchResult r;
  r.http_status = 200;
  r.body = body;
  r.etag = etag;
  r.content_type = "application/rss+xml; charset=utf-8";
  return r;
}

std::string Rss(const std::vector<std::pair<std::string, std::string>>& items) {
  std::string body = "<rss version=\"2.0\"><channel><title>t</title>";
  for (const auto& [guid, title] : items)
    body += "<item><guid>" + guid + "</guid><title>" + title + "</title><description>نص " + title +
            "</description></item>";
  return body + "</channel></rss>";
}

struct Fixture {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("raqib-pipeline-" + std::to_string(::getpid()) + "-" +
                               std::to_string(reinterpret_cast<std::uintptr_t>(this)));
  std::map<std::string, feeds::FetchResult> responses;
  FakeClock clock;
  FakePublisher publisher;
  std::unique_ptr<MetricsRegistry> metrics;  // one per pipeline, as in a process
  std::unique_ptr<StateStore> store = *StateStore::Open(dir / "state.sqlite3");
  FakeFetcher* fetcher = nullptr;  // owned by the pipeline
  Config config;

  Fixture() {
    config.defaults.jitter = 0;
    config.defaults.per_host_delay = 0ms;
    config.classifier.workers = 2;
  }
  ~Fixture() { std::filesystem::remove_all(dir); }

  void AddFeed(const std::string& url) {
    FeedConfig f;
    f.url = url;
    f.name = url;
    f.interval = 60s;
    config.feeds.push_back(f);
  }

  std::unique_ptr<Pipeline> Make() {
    auto f = std::make_unique<FakeFetcher>(responses);
    fetcher = f.get();
    metrics = std::make_unique<MetricsRegistry>();
    return std::make_unique<Pipeline>(
        config, PipelineParts{.fetcher = std::move(f),
                              .parse = feeds::ParseFeed,
                              .classifier = std::make_shared<FakeClassifier>(),
                              .publisher = &publisher,
                              .store = store.get(),
                              .metrics = metrics.get(),
                              .clock = &clock});
  }
};

// Steps until `done` (the classifier threads work asynchronously); fails after many turns.
template <typename Pred>
void StepUntil(Pipeline& p, Pred done) {
  for (int i = 0; i < 500 && !done(); ++i) p.Step(5ms);
  REQUIRE(done());
}

}  // namespace

TEST_CASE("daemon::Pipeline publishes each new article once and remembers it") {
  Fixture fx;
  fx.AddFeed("http://a.example/rss");
  fx.responses["http://a.example/rss"] =
      Ok(Rss({{"g1", "هجوم على نقطة تفتيش"}, {"g2", "مباراة كرة القدم"}}), "\"v1\"");
  auto p = fx.Make();
  StepUntil(*p, [&] { return p->CycleDone(); });
  REQUIRE(fx.publisher.published.size() == 2);
  std::map<std::string, ArticleRecord> by_id;
  for (const auto& a : fx.publisher.published) by_id[a.id] = a;
  CHECK(by_id.at("g1").classification.labels == std::vector{classifiers::EventType::kAttack});
  CHECK(by_id.at("g1").classifier_version == "fake-1");
  CHECK(by_id.at("g2").classification.labels.empty());
  CHECK(fx.store->SeenCount() == 2);

  SECTION("a re-poll answered 304 carries the ETag and publishes nothing") {
    fx.clock.Advance(61s);
    StepUntil(*p, [&] { return fx.fetcher->submitted.size() == 2; });
    CHECK(fx.fetcher->submitted[1].etag == "\"v1\"");
    p->Step(5ms);
    CHECK(fx.publisher.published.size() == 2);
  }
  SECTION("the same articles, and the same text under a new GUID, are duplicates") {
    fx.responses["http://a.example/rss"] = Ok(Rss({{"g1-new-guid", "هجوم على نقطة تفتيش"},
                                                   {"g1", "هجوم على نقطة تفتيش"},
                                                   {"g3", "خبر جديد"}}));
    fx.clock.Advance(61s);
    StepUntil(*p, [&] { return fx.publisher.published.size() >= 3 && p->Idle(); });
    CHECK(fx.publisher.published.size() == 3);
    CHECK(fx.publisher.published.back().id == "g3");
  }
  SECTION("a restart (new pipeline, same store) publishes nothing again") {
    p.reset();
    auto again = fx.Make();
    StepUntil(*again, [&] { return again->CycleDone(); });
    CHECK(fx.fetcher->submitted[0].etag == "\"v1\"");  // conditional GET state persisted
    CHECK(fx.publisher.published.size() == 2);
  }
}

TEST_CASE("daemon::Pipeline does not start fetches while the publisher is saturated") {
  Fixture fx;
  fx.AddFeed("http://a.example/rss");
  fx.responses["http://a.example/rss"] = Ok(Rss({{"g1", "خبر"}}));
  fx.publisher.saturated = true;
  auto p = fx.Make();
  for (int i = 0; i < 5; ++i) p->Step(1ms);
  CHECK(fx.fetcher->submitted.empty());
  CHECK(p->StatusJson().find("\"backpressure\": true") != std::string::npos);
  fx.publisher.saturated = false;
  StepUntil(*p, [&] { return p->CycleDone(); });
  CHECK(fx.publisher.published.size() == 1);
}

TEST_CASE(
    "daemon::Pipeline keeps an article the outbox refused and marks it seen only once taken") {
  Fixture fx;
  fx.AddFeed("http://a.example/rss");
  fx.responses["http://a.example/rss"] = Ok(Rss({{"g1", "خبر"}}));
  fx.publisher.refuse = 3;
  auto p = fx.Make();
  StepUntil(*p, [&] { return fx.publisher.refuse == 0; });
  CHECK(fx.store->SeenCount() == 0);
  CHECK_FALSE(p->Idle());
  StepUntil(*p, [&] { return p->CycleDone(); });
  CHECK(fx.publisher.published.size() == 1);
  CHECK(fx.store->SeenCount() == 1);
}

TEST_CASE("daemon::Pipeline keeps retrying a failing feed and reports it") {
  Fixture fx;
  fx.AddFeed("http://down.example/rss");
  fx.AddFeed("http://up.example/rss");
  feeds::FetchResult refused;
  refused.error = feeds::FetchErrorKind::kConnect;
  refused.error_message = "connection refused";
  fx.responses["http://down.example/rss"] = refused;
  fx.responses["http://up.example/rss"] = Ok(Rss({{"u1", "خبر"}}));
  auto p = fx.Make();
  StepUntil(*p, [&] { return p->CycleDone(); });
  CHECK(fx.publisher.published.size() == 1);
  fx.clock.Advance(2s);  // the status is rebuilt at most once a second
  p->Step(1ms);
  const std::string status = p->StatusJson();
  CHECK(status.find("http://down.example/rss") != std::string::npos);
  CHECK(status.find("connection refused") != std::string::npos);
  CHECK(fx.metrics->Render().find("raqib_feeds{state=\"failing\"} 1") != std::string::npos);
  // Backoff, never dropped: it is asked for again later.
  const auto asked = [&] {
    return std::count_if(fx.fetcher->submitted.begin(), fx.fetcher->submitted.end(),
                         [](const auto& r) { return r.url == "http://down.example/rss"; });
  };
  CHECK(asked() == 1);
  fx.clock.Advance(std::chrono::hours(2));
  StepUntil(*p, [&] { return asked() == 2; });
}

TEST_CASE("daemon::Pipeline reload adds and removes feeds and keeps what it knows") {
  Fixture fx;
  fx.AddFeed("http://a.example/rss");
  fx.responses["http://a.example/rss"] = Ok(Rss({{"a1", "خبر أ"}}));
  fx.responses["http://b.example/rss"] = Ok(Rss({{"a1", "خبر أ"}, {"b1", "خبر ب"}}));
  auto p = fx.Make();
  StepUntil(*p, [&] { return p->CycleDone(); });
  Config next = fx.config;
  next.feeds.clear();
  FeedConfig b;
  b.url = "http://b.example/rss";
  b.name = b.url;
  next.feeds.push_back(b);
  p->Reload(next, std::make_shared<FakeClassifier>());
  StepUntil(*p, [&] { return p->CycleDone(); });
  REQUIRE(fx.publisher.published.size() == 2);
  CHECK(fx.publisher.published[1].id == "b1");  // a1 was already seen through feed a
  CHECK(fx.publisher.published[1].feed_url == "http://b.example/rss");
}

TEST_CASE("daemon::Pipeline follows and remembers a permanent redirect") {
  Fixture fx;
  fx.AddFeed("http://old.example/rss");
  feeds::FetchResult moved = Ok(Rss({{"m1", "خبر"}}));
  moved.permanent_url = "https://new.example/rss";
  fx.responses["http://old.example/rss"] = moved;
  fx.responses["https://new.example/rss"] = Ok(Rss({{"m1", "خبر"}}));
  auto p = fx.Make();
  StepUntil(*p, [&] { return p->CycleDone(); });
  fx.clock.Advance(61s);
  StepUntil(*p, [&] { return fx.fetcher->submitted.size() == 2; });
  CHECK(fx.fetcher->submitted[1].url == "https://new.example/rss");
  // Persisted under the configured URL: a restart fetches the new one at once.
  CHECK(fx.store->LoadFeed("http://old.example/rss").permanent_url == "https://new.example/rss");
  CHECK(fx.publisher.published.size() == 1);
}
