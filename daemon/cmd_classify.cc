// PLACEHOLDER until its issue lands: registers the subcommand so --help is complete.
#include <CLI/CLI.hpp>
#include <iostream>

#include "daemon/commands.h"

namespace raqib::daemon {

void AddClassifyCommand(CLI::App& app, int& exit_code) {
  auto* cmd =
      app.add_subcommand("classify", "Classify JSON lines (id, title, text) from FILE or stdin");
  cmd->allow_extras();
  cmd->callback([&exit_code] {
    std::cerr << "raqib classify: not implemented yet\n";
    exit_code = 2;
  });
}

void AddEvalCommand(CLI::App& app, int& exit_code) {
  auto* cmd =
      app.add_subcommand("eval", "Evaluate the classifier on gold JSON lines and print P/R/F1");
  cmd->allow_extras();
  cmd->callback([&exit_code] {
    std::cerr << "raqib eval: not implemented yet\n";
    exit_code = 2;
  });
}

}  // namespace raqib::daemon
