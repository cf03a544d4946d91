// `raqib demo`: the README's first command. Serves three demo feeds (daemon/demo_feeds.cc)
// from 127.0.0.1 with a new story every few seconds, runs the real daemon on them (fetch,
// parse, dedup, classify, outbox, stdout sink or the in-process mock Kafka), and prints each
// article on the terminal as it is published. Ctrl-C stops it cleanly.
#include <httplib.h>
#include <unistd.h>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <streambuf>
#include <thread>

#include "daemon/commands.h"
#include "daemon/demo_feeds.h"
#include "daemon/runner.h"

namespace raqib::daemon {
namespace {

using std::chrono::system_clock;

// Serves the demo feeds; story i appears `interval` after story i-1 (the first few at once),
// with ETags so the daemon's conditional GETs get 304s between stories.
class DemoServer {
 public:
  DemoServer(std::size_t initial, std::chrono::seconds interval)
      : start_(system_clock::now()), initial_(initial), interval_(interval) {
    for (std::size_t i = 0; i < demo::Stories().size(); ++i) {
      released_at_.push_back(
          i < initial_ ? start_ : start_ + interval_ * static_cast<int>(i - initial_ + 1));
    }
    for (std::size_t f = 0; f < demo::Feeds().size(); ++f) {
      server_.Get(demo::Feeds()[f].path,
                  [this, f](const httplib::Request& req, httplib::Response& res) {
                    const std::size_t released = Released();
                    const std::string etag = fmt::format("\"{}-{}\"", f, released);
                    res.set_header("ETag", etag);
                    if (req.get_header_value("If-None-Match") == etag) {
                      res.status = 304;
                      return;
                    }
                    res.set_content(demo::RenderFeed(f, released, released_at_, base_url_),
                                    demo::Feeds()[f].atom ? "application/atom+xml; charset=utf-8"
                                                          : "application/rss+xml; charset=utf-8");
                  });
    }
    port_ = server_.bind_to_any_port("127.0.0.1");
    base_url_ = fmt::format("http://127.0.0.1:{}", port_);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~DemoServer() {
    server_.stop();
    thread_.join();
  }

  std::size_t Released() const {
    const auto elapsed = system_clock::now() - start_;
    return std::min(demo::Stories().size(),
                    initial_ + static_cast<std::size_t>(elapsed / interval_));
  }
  bool AllReleased() const { return Released() == demo::Stories().size(); }
  bool ok() const { return port_ > 0; }
  const std::string& base_url() const { return base_url_; }

 private:
  httplib::Server server_;
  const system_clock::time_point start_;
  const std::size_t initial_;
  const std::chrono::seconds interval_;
  std::vector<system_clock::time_point> released_at_;
  int port_ = 0;
  std::string base_url_;
  std::thread thread_;
};

// Swallows what the stdout sink writes when the demo shows its own readable lines instead.
class NullBuffer : public std::streambuf {
 protected:
  int overflow(int c) override { return traits_type::not_eof(c); }
  std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
};

// Prints each article as the daemon publishes it: alerts once their first message is
// acknowledged by the sink (stdout or Kafka), others when they enter the outbox.
class PrintingPublisher : public Publisher {
 public:
  PrintingPublisher(std::unique_ptr<Publisher> inner, std::ostream& out, bool color)
      : inner_(std::move(inner)), out_(out), color_(color) {}

  std::expected<void, std::string> Publish(const ArticleRecord& article) override {
    auto published = inner_->Publish(article);
    if (!published) return published;
    std::lock_guard lock(mu_);
    if (article.classification.labels.empty()) {
      Print(article, false);
    } else {
      waiting_.emplace(article.id, article);
    }
    return published;
  }
  void Poll(std::chrono::milliseconds timeout) override { inner_->Poll(timeout); }
  bool Saturated() const override { return inner_->Saturated(); }
  bool Flush(std::chrono::milliseconds timeout) override { return inner_->Flush(timeout); }
  PublisherStats Stats() const override { return inner_->Stats(); }
  void OnAlertAcknowledged(
      std::function<void(const std::string&, std::chrono::microseconds)> callback) override {
    inner_->OnAlertAcknowledged(
        [this, callback](const std::string& id, std::chrono::microseconds latency) {
          {
            std::lock_guard lock(mu_);
            if (auto it = waiting_.find(id); it != waiting_.end()) {
              Print(it->second, true);
              waiting_.erase(it);
            }
          }
          callback(id, latency);
        });
  }

 private:
  // Guarded by mu_ (called with it held).
  void Print(const ArticleRecord& a, bool alert) {
    const auto& c = a.classification;
    std::string labels;
    for (auto type : c.labels)
      labels += fmt::format("{}{} {:.2f}", labels.empty() ? "" : ", ",
                            classifiers::EventTypeName(type), c.Score(type));
    const auto now = std::chrono::time_point_cast<std::chrono::seconds>(system_clock::now());
    const char* on = !color_ ? "" : alert ? "\033[1;31m" : "\033[2m";
    const char* off = color_ ? "\033[0m" : "";
    out_ << fmt::format("{}{:%H:%M:%S}  {:<7} {}{}\n", on, now, alert ? "ALERT" : "-", a.title,
                        off);
    if (alert) {
      std::string details = labels;
      if (c.killed) details += fmt::format(" · killed {}", *c.killed);
      if (c.injured) details += fmt::format(" · injured {}", *c.injured);
      for (const auto& e : c.entities)
        details += fmt::format(" · {}: {}", classifiers::EntityKindName(e.kind), e.text);
      out_ << fmt::format("          {}\n          {} · {}\n", details, a.feed_title, a.link);
    }
    out_.flush();
  }

  std::unique_ptr<Publisher> inner_;
  std::ostream& out_;
  const bool color_;
  std::mutex mu_;
  std::map<std::string, ArticleRecord> waiting_;  // guarded by mu_: alerts not yet acknowledged
};

}  // namespace

void AddDemoCommand(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "demo", "Run the daemon on built-in demo feeds served from 127.0.0.1; alerts print here");
  struct Args {
    int interval = 8;
    int duration = 0;
    bool kafka_mock = false;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--interval", args->interval, "Seconds between two new stories")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--duration", args->duration,
                  "Stop after this many seconds (0: when every story is out, Ctrl-C any time)")
      ->capture_default_str();
  cmd->add_flag("--kafka-mock", args->kafka_mock,
                "Publish through librdkafka's in-process mock Kafka cluster instead of stdout");
  cmd->add_flag("--json", args->json,
                "Also print the raw messages (JSON lines) of the stdout sink");
  cmd->callback([args, &exit_code] {
    DemoServer server(/*initial=*/4, std::chrono::seconds(args->interval));
    if (!server.ok()) {
      std::cerr << "raqib demo: cannot listen on 127.0.0.1\n";
      exit_code = 1;
      return;
    }
    std::string dir_template =
        (std::filesystem::temp_directory_path() / "raqib-demo-XXXXXX").string();
    if (!::mkdtemp(dir_template.data())) {
      std::cerr << "raqib demo: cannot create a temporary state directory\n";
      exit_code = 1;
      return;
    }
    const std::filesystem::path state_dir = dir_template;

    Config config;
    for (const auto& f : demo::Feeds()) {
      FeedConfig feed;
      feed.url = server.base_url() + f.path;
      feed.name = f.title;
      feed.interval = std::chrono::seconds(2);  // a real deployment adapts between 1 and 60 min
      config.feeds.push_back(feed);
    }
    config.defaults.per_host_delay = std::chrono::milliseconds(0);
    config.defaults.max_connections_per_host = 4;
    config.state_dir = state_dir;
    config.http.listen = "";
    config.log.level = "warn";
    config.kafka.mock_cluster = args->kafka_mock;
    config.pipeline.shutdown_timeout = std::chrono::seconds(10);

    const bool color = ::isatty(STDOUT_FILENO) != 0;
    std::cout << fmt::format(
        "raqib demo: {} feeds on {} (fiction written for this demo), a new story every {} s.\n"
        "Publishing to {}; state in {}. Ctrl-C stops.\n\n",
        demo::Feeds().size(), server.base_url(), args->interval,
        args->kafka_mock ? "the in-process mock Kafka cluster" : "the stdout sink",
        state_dir.string());
    std::cout.flush();

    static NullBuffer null_buffer;
    static std::ostream null_stream(&null_buffer);
    const auto started = std::chrono::steady_clock::now();
    const auto grace = std::chrono::seconds(6);  // after the last story, time for its poll
    std::optional<std::chrono::steady_clock::time_point> all_out;
    RunOptions run;
    run.sink_out = args->json ? &std::cout : &null_stream;
    run.wrap_publisher = [color](std::unique_ptr<Publisher> inner) -> std::unique_ptr<Publisher> {
      return std::make_unique<PrintingPublisher>(std::move(inner), std::cout, color);
    };
    run.should_stop = [&] {
      const auto now = std::chrono::steady_clock::now();
      if (args->duration > 0) return now - started >= std::chrono::seconds(args->duration);
      if (!all_out && server.AllReleased()) all_out = now;
      return all_out && now - *all_out >= grace;
    };
    exit_code = RunDaemon(std::move(config), run);
    std::error_code ec;
    std::filesystem::remove_all(state_dir, ec);
    std::cout << "\nraqib demo: stopped. `raqib run --config FILE` watches your own feeds "
                 "(docs/CONFIG.md).\n";
  });
}

}  // namespace raqib::daemon
