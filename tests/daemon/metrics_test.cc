#include "daemon/metrics.h"

#include <catch2/catch.hpp>
#include <sstream>
#include <thread>

#include "daemon/logging.h"

using raqib::daemon::MetricsRegistry;

TEST_CASE("daemon::MetricsRegistry renders counters and gauges in Prometheus text format") {
  MetricsRegistry registry;
  auto& fetches = registry.Counter("raqib_fetches_total", "Fetches by HTTP status.", {"status"});
  auto& depth = registry.Gauge("raqib_outbox_depth", "Messages waiting in the outbox.");
  fetches.Inc({"200"});
  fetches.Inc({"200"});
  fetches.Add(3, {"304"});
  depth.Set(7);
  CHECK(fetches.Value({"200"}) == 2);
  const std::string text = registry.Render();
  CHECK_THAT(text, Catch::Contains("# HELP raqib_fetches_total Fetches by HTTP status.\n"
                                   "# TYPE raqib_fetches_total counter\n"
                                   "raqib_fetches_total{status=\"200\"} 2\n"
                                   "raqib_fetches_total{status=\"304\"} 3\n"));
  CHECK_THAT(text, Catch::Contains("# TYPE raqib_outbox_depth gauge\nraqib_outbox_depth 7\n"));
}

TEST_CASE("daemon::MetricsRegistry shows an untouched unlabelled counter as 0") {
  MetricsRegistry registry;
  registry.Counter("raqib_alerts_published_total", "Alerts acknowledged by Kafka.");
  CHECK_THAT(registry.Render(), Catch::EndsWith("raqib_alerts_published_total 0\n"));
}

TEST_CASE("daemon::MetricsRegistry renders histograms with cumulative buckets") {
  MetricsRegistry registry;
  auto& h = registry.Histogram("raqib_fetch_duration_seconds", "Fetch wall time.", {0.1, 1, 10});
  h.Observe(0.0625);
  h.Observe(0.5);
  h.Observe(0.5);
  h.Observe(100);
  const std::string text = registry.Render();
  CHECK_THAT(text, Catch::Contains("# TYPE raqib_fetch_duration_seconds histogram\n"
                                   "raqib_fetch_duration_seconds_bucket{le=\"0.1\"} 1\n"
                                   "raqib_fetch_duration_seconds_bucket{le=\"1\"} 3\n"
                                   "raqib_fetch_duration_seconds_bucket{le=\"10\"} 3\n"
                                   "raqib_fetch_duration_seconds_bucket{le=\"+Inf\"} 4\n"
                                   "raqib_fetch_duration_seconds_sum 101.0625\n"
                                   "raqib_fetch_duration_seconds_count 4\n"));
}

TEST_CASE("daemon::MetricsRegistry escapes label values") {
  MetricsRegistry registry;
  auto& c = registry.Counter("raqib_x_total", "x", {"feed"});
  c.Inc({"a\"b\\c\nd"});
  CHECK_THAT(registry.Render(), Catch::Contains("raqib_x_total{feed=\"a\\\"b\\\\c\\nd\"} 1\n"));
}

TEST_CASE("daemon::MetricsRegistry is safe to update from several threads") {
  MetricsRegistry registry;
  auto& c = registry.Counter("raqib_items_total", "items", {"kind"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&c, &registry] {
      for (int i = 0; i < 1000; ++i) {
        c.Inc({"new"});
        if (i % 100 == 0) (void)registry.Render();
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(c.Value({"new"}) == 4000);
}

TEST_CASE("daemon::MetricsRegistry rejects duplicate names and wrong label counts") {
  MetricsRegistry registry;
  auto& c = registry.Counter("raqib_a_total", "a", {"x"});
  CHECK_THROWS(registry.Gauge("raqib_a_total", "again"));
  CHECK_THROWS(c.Inc({}));
}

TEST_CASE("daemon::FormatLogLine carries the feed url and article id") {
  using raqib::daemon::FormatLogLine;
  const raqib::daemon::LogFields fields{.feed = "http://a.example/rss", .article = "urn:x 1"};
  CHECK(FormatLogLine(false, spdlog::level::info, "new article", fields) ==
        "new article feed=http://a.example/rss article=\"urn:x 1\"");
  const auto json = FormatLogLine(true, spdlog::level::warn, "خبر \"مهم\"", fields);
  CHECK(json ==
        "{\"level\":\"warning\",\"msg\":\"خبر \\\"مهم\\\"\",\"feed\":\"http://a.example/rss\","
        "\"article\":\"urn:x 1\"}");
}
