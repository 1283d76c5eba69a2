// The `prebell` binary's subcommands. Each Add*Command registers one
// subcommand on the app; its callback stores the exit status in `exit_code`:
// 0 success, 1 runtime failure, 2 bad input (DESIGN.md, "Contracts").
#pragma once

#include <CLI/CLI.hpp>

namespace prebell::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntimeFailure = 1;
inline constexpr int kExitBadInput = 2;

// Every subcommand source (controller/main/*_command.cc) defines one of
// these; main.cc lists them in kCommands.
using AddCommandFn = void (*)(CLI::App& app, int& exit_code);

void AddSessionsCommand(CLI::App& app, int& exit_code);
void AddValidateCommand(CLI::App& app, int& exit_code);
void AddPlanCommand(CLI::App& app, int& exit_code);
void AddBacktestCommand(CLI::App& app, int& exit_code);
void AddRunCommand(CLI::App& app, int& exit_code);

}  // namespace prebell::cli
