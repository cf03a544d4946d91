// The subcommands of the raqib executable. Each one registers itself, with its options, on the
// top-level CLI11 app; when it runs, it stores its exit status in `exit_code`.
#pragma once

namespace CLI {
class App;
}

namespace raqib::daemon {

void AddRunCommand(CLI::App& app, int& exit_code);          // cmd_run.cc
void AddCheckConfigCommand(CLI::App& app, int& exit_code);  // cmd_run.cc
void AddClassifyCommand(CLI::App& app, int& exit_code);     // cmd_classify.cc
void AddEvalCommand(CLI::App& app, int& exit_code);         // cmd_classify.cc
void AddParseFeedCommand(CLI::App& app, int& exit_code);    // cmd_parse_feed.cc
void AddDemoCommand(CLI::App& app, int& exit_code);         // cmd_demo.cc

}  // namespace raqib::daemon
