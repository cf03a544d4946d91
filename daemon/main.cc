// raqib: watches Arabic news feeds, classifies each new article (attack / claim / statement)
// and publishes alerts to Kafka. This file only wires the subcommands; see ARCHITECTURE.md.
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>

#include "daemon/commands.h"
#include "raqib/version.h"

int main(int argc, char** argv) {
  CLI::App app{"raqib: watches Arabic news feeds and publishes security alerts to Kafka"};
  app.set_version_flag(
      "--version", std::string("raqib ") + raqib::kVersion + " (git " + raqib::kGitRevision + ")");
  app.require_subcommand(1);
  app.fallthrough(false);

  int exit_code = 0;
  raqib::daemon::AddRunCommand(app, exit_code);
  raqib::daemon::AddCheckConfigCommand(app, exit_code);
  raqib::daemon::AddClassifyCommand(app, exit_code);
  raqib::daemon::AddEvalCommand(app, exit_code);
  raqib::daemon::AddParseFeedCommand(app, exit_code);
  raqib::daemon::AddDemoCommand(app, exit_code);

  // CLI11 checks "a subcommand is required" before unknown words, which hides a typo: name the
  // unknown subcommand or option ourselves.
  if (argc > 1) {
    const std::string first = argv[1];
    const bool known_option = first == "-h" || first == "--help" || first == "--version";
    const bool known_command =
        !app.get_subcommands([&first](CLI::App* sub) { return sub->get_name() == first; }).empty();
    if (!known_option && !known_command) {
      std::cerr << "raqib: unknown " << (first.starts_with('-') ? "option" : "subcommand") << " '"
                << first << "'\nRun with --help for more information.\n";
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
