// One poll cycle of N feeds through the real pipeline (libcurl fetcher, parser, SQLite dedup,
// classifier workers, outbox, Kafka) against a local HTTP server in a child process, so the
// figures are the daemon's alone. Prints, per cycle: wall time, CPU time (user + system) of
// the daemon process, and its peak resident memory; and the item-to-Kafka latency.
//
//   bench_poll [--feeds N] [--items K] [--sink mock|stdout] [--workers W]
//
// Cycles: "cold" (every feed answers 200 with K articles never seen: parse, classify,
// publish), "warm" (a restart: every feed answers 304 to the stored ETag), "reread" (the
// server forgets ETags: every document is parsed again and every article is a duplicate), and
// "live" (40 s of polling every 30 s while each feed publishes one new article: the latency
// from its appearance to Kafka's acknowledgement).
#include <httplib.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "classifiers/classifier.h"
#include "daemon/demo_feeds.h"
#include "daemon/kafka_publisher.h"
#include "daemon/logging.h"
#include "daemon/pipeline.h"
#include "feeds/parser.h"

using namespace raqib::daemon;

namespace {

using WallClock = std::chrono::steady_clock;

struct Args {
  int feeds = 1000;
  int items = 5;
  std::string sink = "mock";
  int workers = 1;
};

// The feed server: /f/<n>.rss has K articles (demo stories with a per-feed marker, so every
// article's id and text are unique). ETags unless /etags/off was requested.
[[noreturn]] void Serve(int port_pipe, int items) {
  httplib::Server server;
  std::atomic<bool> etags{true};
  // More threads than the daemon has connections: keep-alive connections each hold one.
  server.new_task_queue = [] { return new httplib::ThreadPool(96); };
  server.set_keep_alive_max_count(100000);
  std::atomic<long long> fresh_at{0};  // unix seconds when every feed got one new article
  server.Get("/etags/off", [&etags](const httplib::Request&, httplib::Response& res) {
    etags = false;
    res.set_content("ok", "text/plain");
  });
  server.Get("/fresh", [&fresh_at](const httplib::Request&, httplib::Response& res) {
    fresh_at = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    res.set_content("ok", "text/plain");
  });
  server.Get(R"(/f/(\d+)\.rss)", [&](const httplib::Request& req, httplib::Response& res) {
    const std::string n = req.matches[1];
    const long long fresh = fresh_at;
    const std::string etag = fmt::format("\"{}-{}\"", n, fresh);
    if (etags && req.get_header_value("If-None-Match") == etag) {
      res.status = 304;
      return;
    }
    std::string body =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>feed " + n +
        "</title><link>http://127.0.0.1/</link>";
    const auto& stories = raqib::daemon::demo::Stories();
    if (fresh > 0) {  // the new article, dated when it appeared
      const auto& s = stories[std::stoul(n) % stories.size()];
      body += fmt::format(
          "<item><guid isPermaLink=\"false\">bench:{}:fresh</guid><title>{} ({}-fresh)</title>"
          "<pubDate>{:%a, %d %b %Y %H:%M:%S} GMT</pubDate><description>{} (المصدر {} عاجل)"
          "</description></item>",
          n, s.title, n, std::chrono::sys_seconds(std::chrono::seconds(fresh)), s.text, n);
    }
    for (int i = 0; i < items; ++i) {
      const auto& s = stories[(std::stoul(n) * 7 + static_cast<std::size_t>(i)) % stories.size()];
      body += fmt::format(
          "<item><guid isPermaLink=\"false\">bench:{}:{}</guid><title>{} ({}-{})</title>"
          "<link>http://127.0.0.1/a/{}/{}</link><description>{} (المصدر {} الخبر "
          "{})</description></item>",
          n, i, s.title, n, i, n, i, s.text, n, i);
    }
    body += "</channel></rss>";
    if (etags) res.set_header("ETag", etag);
    res.set_content(body, "application/rss+xml; charset=utf-8");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  if (write(port_pipe, &port, sizeof port) != sizeof port) _exit(1);
  close(port_pipe);
  server.listen_after_bind();
  _exit(0);
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double PeakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

// Records the latency of every acknowledged alert while forwarding to the real publisher.
class LatencyTap : public Publisher {
 public:
  explicit LatencyTap(std::unique_ptr<Publisher> inner) : inner_(std::move(inner)) {}
  std::expected<void, std::string> Publish(const ArticleRecord& a) override {
    return inner_->Publish(a);
  }
  void Poll(std::chrono::milliseconds t) override { inner_->Poll(t); }
  bool Saturated() const override { return inner_->Saturated(); }
  bool Flush(std::chrono::milliseconds t) override { return inner_->Flush(t); }
  PublisherStats Stats() const override { return inner_->Stats(); }
  void OnAlertAcknowledged(
      std::function<void(const std::string&, std::chrono::microseconds)> cb) override {
    inner_->OnAlertAcknowledged([this, cb](const std::string& id, std::chrono::microseconds l) {
      {
        std::lock_guard lock(mu_);
        latencies_.push_back(l);
      }
      cb(id, l);
    });
  }
  std::vector<std::chrono::microseconds> TakeLatencies() {
    std::lock_guard lock(mu_);
    return std::exchange(latencies_, {});
  }

 private:
  std::unique_ptr<Publisher> inner_;
  std::mutex mu_;
  std::vector<std::chrono::microseconds> latencies_;  // guarded by mu_
};

// The value of one sample line of the registry's text ("name{labels} value"), 0 if absent.
double metrics_value(const MetricsRegistry& metrics, const std::string& sample) {
  std::istringstream text(metrics.Render());
  for (std::string line; std::getline(text, line);) {
    if (line.starts_with(sample + " ")) return std::stod(line.substr(sample.size() + 1));
  }
  return 0;
}

class NullBuffer : public std::streambuf {
 protected:
  int overflow(int c) override { return traits_type::not_eof(c); }
  std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
};

// Runs one cycle (every feed polled once, everything published and acknowledged).
// `run` drives the pipeline; by default until every feed was polled once and all is published.
void Cycle(const char* name, const Config& config, const Args& args,
           std::shared_ptr<const raqib::classifiers::Classifier> classifier, StateStore& store,
           const std::function<void(Pipeline&)>& run = {}) {
  static NullBuffer null_buffer;
  static std::ostream null_stream(&null_buffer);
  KafkaOptions kafka;
  kafka.mock_brokers = args.sink == "mock" ? 1 : 0;
  kafka.outbox_path = config.state_dir / "outbox.sqlite3";
  kafka.outbox_capacity = 10'000'000;
  auto inner = MakePublisher(kafka, null_stream);
  if (!inner) {
    std::cerr << "publisher: " << inner.error() << "\n";
    std::exit(1);
  }
  LatencyTap publisher(std::move(*inner));
  MetricsRegistry metrics;
  SteadyClock clock;

  const double cpu0 = CpuSeconds();
  const auto t0 = WallClock::now();
  {
    Pipeline pipeline(
        config, PipelineParts{.fetcher = raqib::feeds::MakeCurlFetcher(FetcherOptionsFrom(config)),
                              .parse = raqib::feeds::ParseFeed,
                              .classifier = classifier,
                              .publisher = &publisher,
                              .store = &store,
                              .metrics = &metrics,
                              .clock = &clock});
    if (run) {
      run(pipeline);
    } else {
      while (!pipeline.CycleDone()) pipeline.Step(std::chrono::milliseconds(20));
    }
    publisher.Flush(std::chrono::minutes(5));
  }
  const double wall = std::chrono::duration<double>(WallClock::now() - t0).count();
  const double cpu = CpuSeconds() - cpu0;
  const auto stats = publisher.Stats();
  auto lat = publisher.TakeLatencies();
  std::sort(lat.begin(), lat.end());
  auto pct = [&lat](double p) {
    return lat.empty() ? 0.0
                       : std::chrono::duration<double, std::milli>(
                             lat[static_cast<std::size_t>(p * static_cast<double>(lat.size() - 1))])
                             .count();
  };
  std::cout << fmt::format(
      "{:<7} feeds={} wall={:.2f}s cpu={:.2f}s feeds/cpu-min={:.0f} peak_rss={:.0f}MB "
      "http200={} http304={} parsed={} new={} messages={} alerts_acked={} "
      "latency_ms p50={:.1f} p99={:.1f} max={:.1f}\n",
      name, args.feeds, wall, cpu, cpu > 0 ? args.feeds * 60.0 / cpu : 0.0, PeakRssMb(),
      metrics_value(metrics, "raqib_http_responses_total{code=\"200\"}"),
      metrics_value(metrics, "raqib_http_responses_total{code=\"304\"}"),
      metrics_value(metrics, "raqib_items_parsed_total"),
      metrics_value(metrics, "raqib_items_new_total"), stats.messages_delivered, lat.size(),
      pct(0.5), pct(0.99), pct(1.0));
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--feeds")
      args.feeds = std::stoi(argv[i + 1]);
    else if (flag == "--items")
      args.items = std::stoi(argv[i + 1]);
    else if (flag == "--sink")
      args.sink = argv[i + 1];
    else if (flag == "--workers")
      args.workers = std::stoi(argv[i + 1]);
    else {
      std::cerr << "usage: bench_poll [--feeds N] [--items K] [--sink mock|stdout] [--workers W]\n";
      return 2;
    }
  }
  // The server runs in a child process so its CPU time and memory are not counted.
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return 1;
  const pid_t child = fork();
  if (child == 0) {
    close(pipe_fds[0]);
    Serve(pipe_fds[1], args.items);
  }
  close(pipe_fds[1]);
  int port = 0;
  if (read(pipe_fds[0], &port, sizeof port) != sizeof port || port <= 0) return 1;
  close(pipe_fds[0]);

  char dir_template[] = "/tmp/raqib-bench-poll-XXXXXX";
  const std::filesystem::path dir = mkdtemp(dir_template);
  Config config;
  for (int i = 0; i < args.feeds; ++i) {
    FeedConfig feed;
    feed.url = fmt::format("http://127.0.0.1:{}/f/{}.rss", port, i);
    feed.name = feed.url;
    config.feeds.push_back(std::move(feed));
  }
  // One local host stands for many: politeness limits would measure the sleep, not the work.
  config.defaults.max_connections = 64;
  config.defaults.max_connections_per_host = 64;
  config.defaults.per_host_delay = std::chrono::milliseconds(0);
  config.classifier.workers = static_cast<std::size_t>(args.workers);
  config.pipeline.queue_capacity = 4096;
  config.state_dir = dir;
  config.log.level = "warn";
  SetupLogging(config.log.level, config.log.format);

  auto classifier = raqib::classifiers::LoadClassifier(raqib::classifiers::DefaultDataDir());
  if (!classifier) {
    std::cerr << "classifier: " << classifier.error() << "\n";
    return 1;
  }
  auto store = StateStore::Open(dir / "state.sqlite3");
  if (!store) return 1;
  std::cout << fmt::format(
      "bench_poll: {} feeds x {} items, sink {}, {} classifier worker(s), "
      "server in pid {}\n",
      args.feeds, args.items, args.sink, args.workers, child);
  Cycle("cold", config, args, *classifier, **store);
  Cycle("warm", config, args, *classifier, **store);
  httplib::Client("127.0.0.1", port).Get("/etags/off");
  Cycle("reread", config, args, *classifier, **store);

  // Live: feeds polled every 30 s; once all are polled, every feed publishes one new article
  // (dated then); latency = its publication time -> Kafka's acknowledgement of its alert, so it
  // includes the wait for the feed's next poll (the pubDate's 1 s resolution adds up to 1 s).
  Config live = config;
  for (auto& feed : live.feeds) feed.interval = std::chrono::seconds(30);
  Cycle("live", live, args, *classifier, **store, [port](Pipeline& pipeline) {
    while (!pipeline.CycleDone()) pipeline.Step(std::chrono::milliseconds(20));
    httplib::Client("127.0.0.1", port).Get("/fresh");
    const auto end = WallClock::now() + std::chrono::seconds(40);
    while (WallClock::now() < end) pipeline.Step(std::chrono::milliseconds(20));
  });

  kill(child, SIGTERM);
  waitpid(child, nullptr, 0);
  std::filesystem::remove_all(dir);
  return 0;
}
