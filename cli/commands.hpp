// The subcommands of the gaia-dr3 executable, each added to the one CLI11
// parser by a function of its own file. A command is its CLI11 sub-app and
// what runs, returning the exit code, when it was the one given.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <vector>

namespace gaia::cli {

struct command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};
using command_list = std::vector<command>;

void add_serve_run(CLI::App& app, command_list& out);      ///< serve, run
void add_check_graph(CLI::App& app, command_list& out);    ///< check, graph
void add_status_trigger(CLI::App& app, command_list& out); ///< status, trigger
void add_synth(CLI::App& app, command_list& out);          ///< synth
void add_mirror(CLI::App& app, command_list& out);         ///< mirror
void add_bench(CLI::App& app, command_list& out);          ///< bench
void add_inspect(CLI::App& app, command_list& out);        ///< inspect
void add_trace(CLI::App& app, command_list& out);          ///< trace
void add_worker(CLI::App& app, command_list& out);         ///< worker
void add_lightcurves(CLI::App& app, command_list& out);    ///< lightcurves

} // namespace gaia::cli
