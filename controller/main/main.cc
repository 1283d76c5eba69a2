// prebell: scale a live-learning platform's real-time stack before the bell.
#include <cstdio>
#include <iterator>

#include "controller/main/commands.h"

int main(int argc, char** argv) {
  using namespace prebell::cli;
  CLI::App app{"prebell: scales live-learning infrastructure ahead of scheduled classes and exams"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "prebell 0.1.0");
  int exit_code = kExitOk;
  static constexpr AddCommandFn kCommands[] = {
      AddSessionsCommand,
      AddValidateCommand,
      AddPlanCommand,
      AddBacktestCommand,
      AddRunCommand,
  };
  for (AddCommandFn add : kCommands) add(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    // CLI11 returns 0 for --help/--version and its own non-zero codes for
    // usage errors; a usage error is bad input.
    return rc == 0 ? kExitOk : kExitBadInput;
  }
  return exit_code;
}
