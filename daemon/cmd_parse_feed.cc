// PLACEHOLDER until its issue lands: registers the subcommand so --help is complete.
#include <CLI/CLI.hpp>
#include <iostream>

#include "daemon/commands.h"

namespace raqib::daemon {

void AddParseFeedCommand(CLI::App& app, int& exit_code) {
  auto* cmd =
      app.add_subcommand("parse-feed", "Fetch or read a feed and print its items as JSON lines");
  cmd->allow_extras();
  cmd->callback([&exit_code] {
    std::cerr << "raqib parse-feed: not implemented yet\n";
    exit_code = 2;
  });
}

}  // namespace raqib::daemon
