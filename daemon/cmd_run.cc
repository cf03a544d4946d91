// PLACEHOLDER until its issue lands: registers the subcommand so --help is complete.
#include <CLI/CLI.hpp>
#include <iostream>

#include "daemon/commands.h"

namespace raqib::daemon {

void AddRunCommand(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("run", "Run the daemon: poll feeds, classify, publish alerts");
  cmd->allow_extras();
  cmd->callback([&exit_code] {
    std::cerr << "raqib run: not implemented yet\n";
    exit_code = 2;
  });
}

void AddCheckConfigCommand(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("check-config", "Validate a config file without running");
  cmd->allow_extras();
  cmd->callback([&exit_code] {
    std::cerr << "raqib check-config: not implemented yet\n";
    exit_code = 2;
  });
}

}  // namespace raqib::daemon
