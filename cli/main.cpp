// gaia-dr3: finds the variable sources of the Gaia DR3 epoch photometry
// archive with an actor production (see README.md). This file builds the
// one command-line parser (CLI11) from the cli/cmd_*.cpp files and runs
// the command given.
#include "cli/commands.hpp"
#include "engine/host/memory.hpp"
#include "tools/bench/bench_runner.hpp"

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  using namespace gaia::cli;
  // Before any thread: serve and worker run for years (engine/host/memory.hpp).
  engine::keep_freed_memory_returnable();
  // A bench child's own peak memory (tools/bench/bench_runner.hpp).
  gaia::cli::bench::report_peak_rss_at_exit();
  CLI::App app{"gaia-dr3: finds the variable sources of the Gaia DR3 epoch photometry "
               "archive (see README.md). `gaia-dr3 <command> --help` describes each "
               "command.",
               "gaia-dr3"};
  app.require_subcommand(1);
  app.fallthrough(false);
  command_list commands;
  add_serve_run(app, commands);
  add_check_graph(app, commands);
  add_status_trigger(app, commands);
  add_trace(app, commands);
  add_worker(app, commands);
  add_lightcurves(app, commands);
  add_synth(app, commands);
  add_mirror(app, commands);
  add_bench(app, commands);
  add_inspect(app, commands);
  if (argc >= 2 && argv[1][0] != '-') {
    bool known = false;
    for (const auto& c : commands) known = known || c.app->get_name() == argv[1];
    if (!known) {
      std::fprintf(stderr, "gaia-dr3: unknown command '%s' (see gaia-dr3 --help)\n", argv[1]);
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    std::fputs(app.help().c_str(), stdout); // the given command's help
    return 0;
  } catch (const CLI::ParseError& e) {
    // One line naming the command and the problem; exit 2 (a usage error).
    std::string name = "gaia-dr3";
    auto given = app.get_subcommands();
    if (!given.empty()) name += " " + given.front()->get_name();
    std::fprintf(stderr, "%s: %s (see %s --help)\n", name.c_str(), e.what(), name.c_str());
    return 2;
  }
  for (const auto& c : commands)
    if (c.app->parsed()) return c.run();
  return 2;
}
