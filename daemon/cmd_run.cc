// `raqib run --config FILE [--once]` and `raqib check-config FILE`.
#include <CLI/CLI.hpp>
#include <iostream>

#include "daemon/commands.h"
#include "daemon/config.h"
#include "daemon/runner.h"

namespace raqib::daemon {

void AddRunCommand(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("run", "Run the daemon: poll feeds, classify, publish alerts");
  struct Args {
    std::string config = "/etc/raqib/raqib.yaml";
    bool once = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("-c,--config", args->config, "YAML config file (docs/CONFIG.md)")
      ->capture_default_str();
  cmd->add_flag("--once", args->once,
                "Poll every feed once, publish what is new, flush and exit (cron, tests)");
  cmd->callback([args, &exit_code] {
    auto config = LoadConfig(args->config);
    if (!config) {
      std::cerr << "raqib: " << config.error().ToString() << "\n";
      exit_code = 2;
      return;
    }
    exit_code = RunDaemon(std::move(*config), RunOptions{.config_path = args->config,
                                                         .once = args->once,
                                                         .sink_out = nullptr,
                                                         .wrap_publisher = nullptr,
                                                         .should_stop = nullptr});
  });
}

void AddCheckConfigCommand(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("check-config", "Validate a config file without running");
  auto path = std::make_shared<std::string>();
  cmd->add_option("FILE", *path, "YAML config file")->required();
  cmd->callback([path, &exit_code] {
    auto config = LoadConfig(*path);
    if (!config) {
      std::cerr << "raqib: " << config.error().ToString() << "\n";
      exit_code = 2;
      return;
    }
    // The classifier data the config points at must load too.
    if (auto classifier = LoadConfiguredClassifier(*config); !classifier) {
      std::cerr << "raqib: " << *path << ": classifier: " << classifier.error() << "\n";
      exit_code = 2;
      return;
    }
    std::size_t enabled = 0;
    for (const auto& feed : config->feeds) enabled += feed.enabled ? 1 : 0;
    std::cout << *path << ": OK, " << config->feeds.size() << " feeds (" << enabled
              << " enabled), state in " << config->state_dir.string() << ", Kafka "
              << (config->kafka.brokers.empty() ? std::string("off (stdout)")
                                                : config->kafka.brokers)
              << "\n";
    exit_code = 0;
  });
}

}  // namespace raqib::daemon
