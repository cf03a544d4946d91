#include "daemon/runner.h"

#include <systemd/sd-daemon.h>

#include <fmt/format.h>
#include <csignal>
#include <iostream>

#include "classifiers/classifier.h"
#include "daemon/http_server.h"
#include "daemon/kafka_publisher.h"
#include "daemon/logging.h"
#include "daemon/metrics.h"
#include "daemon/pipeline.h"
#include "daemon/state_store.h"
#include "feeds/fetcher.h"
#include "feeds/parser.h"

namespace raqib::daemon {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Set by the signal handlers, read by the main loop (which wakes at least every kTurn).
volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_reload = 0;
constexpr milliseconds kTurn{50};

extern "C" void OnStopSignal(int) { g_stop = 1; }
extern "C" void OnReloadSignal(int) { g_reload = 1; }

void InstallSignalHandlers() {
  struct sigaction action {};
  sigemptyset(&action.sa_mask);
  action.sa_handler = OnStopSignal;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  action.sa_handler = OnReloadSignal;
  sigaction(SIGHUP, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // a closed stdout or socket is an error value, not a death
}

KafkaOptions KafkaOptionsFrom(const Config& config) {
  KafkaOptions k;
  k.brokers = config.kafka.brokers;
  k.mock_brokers = config.kafka.mock_cluster ? 1 : 0;
  k.properties = config.kafka.properties;
  k.messages.topics.attack = config.kafka.attack_topic;
  k.messages.topics.claim = config.kafka.claim_topic;
  k.messages.topics.statement = config.kafka.statement_topic;
  k.messages.topics.articles = config.kafka.articles_topic;
  k.outbox_path = config.state_dir / "outbox.sqlite3";
  k.outbox_capacity = config.kafka.outbox_max_messages;
  return k;
}

// SIGHUP: a new config and classifier replace the old ones only when both load.
void Reload(const std::filesystem::path& path, Config& current, Pipeline& pipeline) {
  sd_notify(0, "RELOADING=1");
  auto config = LoadConfig(path);
  if (!config) {
    Log(spdlog::level::err,
        "config reload rejected, keeping the running config: " + config.error().ToString());
  } else if (auto classifier = LoadConfiguredClassifier(*config); !classifier) {
    Log(spdlog::level::err, "config reload rejected, classifier data: " + classifier.error());
  } else {
    const bool restart_needed =
        config->state_dir != current.state_dir || config->http.listen != current.http.listen ||
        config->kafka.brokers != current.kafka.brokers ||
        config->kafka.properties != current.kafka.properties ||
        config->defaults.max_connections != current.defaults.max_connections;
    SetupLogging(config->log.level, config->log.format);
    pipeline.Reload(*config, *classifier);
    current = std::move(*config);
    Log(spdlog::level::info, fmt::format("config reloaded: {} feeds", current.feeds.size()));
    if (restart_needed)
      Log(spdlog::level::warn,
          "state_dir, http, kafka and connection limits take effect after a restart");
  }
  sd_notify(0, "READY=1");
}

}  // namespace

std::expected<std::shared_ptr<const classifiers::Classifier>, std::string> LoadConfiguredClassifier(
    const Config& config) {
  const auto dir = config.classifier.data_dir.empty() ? classifiers::DefaultDataDir()
                                                      : config.classifier.data_dir;
  return classifiers::LoadClassifier(
      dir, classifiers::Thresholds{.attack = config.classifier.attack_threshold,
                                   .claim = config.classifier.claim_threshold,
                                   .statement = config.classifier.statement_threshold});
}

int RunDaemon(Config config, const RunOptions& options) {
  if (!SetupLogging(config.log.level, config.log.format)) return 1;
  g_stop = 0;
  g_reload = 0;
  InstallSignalHandlers();

  // Everything the pipeline is built from; any failure here ends start-up with one message.
  auto classifier = LoadConfiguredClassifier(config);
  if (!classifier) {
    Log(spdlog::level::critical, "cannot load the classifier: " + classifier.error());
    return 1;
  }
  auto store = StateStore::Open(config.state_dir / "state.sqlite3");
  if (!store) {
    Log(spdlog::level::critical, "cannot open the state store: " + store.error());
    return 1;
  }
  const KafkaOptions kafka = KafkaOptionsFrom(config);
  auto publisher = MakePublisher(kafka, options.sink_out ? *options.sink_out : std::cout);
  if (!publisher) {
    Log(spdlog::level::critical, "cannot start the publisher: " + publisher.error());
    return 1;
  }
  std::unique_ptr<Publisher> sink = std::move(*publisher);
  if (options.wrap_publisher) sink = options.wrap_publisher(std::move(sink));
  if (!kafka.brokers.empty() || kafka.mock_brokers > 0)
    Log(spdlog::level::info,
        fmt::format("Kafka: {} ({})",
                    kafka.mock_brokers ? "in-process mock cluster" : kafka.brokers,
                    RedactProperties(kafka.properties)));

  MetricsRegistry metrics;
  SteadyClock clock;
  Pipeline pipeline(config,
                    PipelineParts{.fetcher = feeds::MakeCurlFetcher(FetcherOptionsFrom(config)),
                                  .parse = feeds::ParseFeed,
                                  .classifier = *classifier,
                                  .publisher = sink.get(),
                                  .store = store->get(),
                                  .metrics = &metrics,
                                  .clock = &clock});
  std::unique_ptr<HttpServer> http;
  if (!config.http.listen.empty()) {
    auto started = HttpServer::Start(
        config.http.listen, HttpHandlers{.metrics = [&metrics] { return metrics.Render(); },
                                         .healthy = [&pipeline] { return pipeline.Healthy(); },
                                         .ready = [&pipeline] { return pipeline.Ready(); },
                                         .status = [&pipeline] { return pipeline.StatusJson(); }});
    if (!started) {
      Log(spdlog::level::critical, "cannot serve HTTP: " + started.error());
      return 1;
    }
    http = std::move(*started);
    Log(spdlog::level::info,
        fmt::format("serving /metrics /healthz /readyz /status on port {}", http->port()));
  }

  std::size_t enabled = 0;
  for (const auto& f : config.feeds) enabled += f.enabled ? 1 : 0;
  Log(spdlog::level::info,
      fmt::format("raqib running: {} feeds, state in {}", enabled, config.state_dir.string()));
  std::uint64_t watchdog_usec = 0;
  const bool watchdog = sd_watchdog_enabled(0, &watchdog_usec) > 0;
  sd_notify(0, "READY=1\nSTATUS=starting");
  auto last_ping = steady_clock::now();
  auto last_status = steady_clock::now();

  while (!g_stop) {
    pipeline.Step(kTurn);
    if (g_reload) {
      g_reload = 0;
      if (options.config_path.empty()) {
        Log(spdlog::level::warn, "SIGHUP ignored: no config file to reload");
      } else {
        Reload(options.config_path, config, pipeline);
      }
    }
    if (options.once && pipeline.CycleDone()) break;
    if (options.should_stop && options.should_stop()) break;
    const auto now = steady_clock::now();
    if (watchdog && now - last_ping >= std::chrono::microseconds(watchdog_usec / 2)) {
      sd_notify(0, "WATCHDOG=1");
      last_ping = now;
    }
    if (now - last_status >= std::chrono::seconds(5)) {
      sd_notify(0, ("STATUS=" + pipeline.StatusLine()).c_str());
      last_status = now;
    }
  }

  // Shutdown: no new fetches; finish what is in flight, publish it, flush Kafka.
  sd_notify(0, "STOPPING=1\nSTATUS=stopping");
  Log(spdlog::level::info, "stopping: finishing in-flight work");
  pipeline.StopFetching();
  const auto deadline = steady_clock::now() + config.pipeline.shutdown_timeout;
  while (!pipeline.Idle() && steady_clock::now() < deadline) {
    pipeline.Step(kTurn);
    if (watchdog) sd_notify(0, "WATCHDOG=1");
  }
  const auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
  const bool flushed = sink->Flush(std::max(left, milliseconds(100)));
  const auto stats = sink->Stats();
  // The pipeline goes before the publisher: its latency callback must not outlive it.
  sink->OnAlertAcknowledged([](const std::string&, std::chrono::microseconds) {});
  if (flushed && pipeline.Idle()) {
    Log(spdlog::level::info,
        fmt::format("stopped cleanly: {} alerts delivered, outbox empty", stats.alerts_delivered));
  } else {
    // Nothing is lost: the outbox is durable and is sent again at the next start.
    Log(spdlog::level::warn,
        fmt::format("stopped with {} messages still in the outbox; they are sent at next start",
                    stats.outbox_depth));
  }
  return 0;
}

}  // namespace raqib::daemon
