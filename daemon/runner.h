// Running the daemon as a process: builds the pipeline from a Config, serves /metrics, talks
// to systemd, and handles signals (SIGTERM/SIGINT: stop fetching, finish in-flight work, flush
// Kafka within pipeline.shutdown_timeout, exit 0; SIGHUP: reload the config file and the
// classifier data, keeping the old ones when the new ones are bad). Used by `raqib run` and
// `raqib demo`.
#pragma once

#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>

#include "classifiers/classifier.h"
#include "daemon/config.h"
#include "daemon/publisher.h"

namespace raqib::daemon {

struct RunOptions {
  std::filesystem::path config_path;  // re-read on SIGHUP; empty = reload disabled
  bool once = false;                  // one poll cycle of every feed, then flush and exit
  // Where the stdout sink writes its JSON lines (no brokers configured).
  std::ostream* sink_out = nullptr;  // default std::cout
  // Lets the demo wrap the publisher (to print alerts as they are acknowledged).
  std::function<std::unique_ptr<Publisher>(std::unique_ptr<Publisher>)> wrap_publisher;
  // Asked after every pipeline turn; true stops the daemon like SIGTERM (demo --duration).
  std::function<bool()> should_stop;
};

// The classifier the config asks for (data_dir, thresholds); an error names the bad file.
std::expected<std::shared_ptr<const classifiers::Classifier>, std::string> LoadConfiguredClassifier(
    const Config& config);

// Installs SIGTERM/SIGINT/SIGHUP handlers and runs until told to stop. Returns the process
// exit status: 0 after a clean stop, 1 when start-up failed (the reason is logged).
int RunDaemon(Config config, const RunOptions& options);

}  // namespace raqib::daemon
