// gaia-dr3: finds the variable sources of the Gaia DR3 epoch photometry
// archive with an actor production (see README.md). This file only
// dispatches to the subcommands in cli/cmd_*.cpp.
#include "cli/commands.hpp"

#include <cstdio>
#include <cstring>
#include <string>

namespace {

const char* usage =
  "usage: gaia-dr3 <command> [options]\n"
  "\n"
  "commands:\n"
  "  serve  --config FILE   the unattended service: runs whenever no\n"
  "                         results.done/results.err marker exists\n"
  "  run    --config FILE   one run now; exit 0 = results.done, 1 = results.err\n"
  "  check  --config FILE   validate and print the resolved settings\n"
  "  status --config FILE   idle / running (step, progress) / last outcome\n"
  "  trigger --config FILE  remove the markers so the service runs again\n"
  "  graph  [--config FILE] the production as a Mermaid flowchart\n"
  "  synth  --out DIR ...   write a synthetic archive (see synth --help)\n"
  "  mirror --dir DIR ...   serve archive files over HTTP (see mirror --help)\n"
  "  bench  [--archive DIR] the benchmark table (see bench --help)\n"
  "  inspect FILE...        what an import reads of archive files\n"
  "\n"
  "`gaia-dr3 <command> --help` describes each command.\n";

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(usage, stderr);
    return 2;
  }
  std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::fputs(usage, stdout);
    return 0;
  }
  int sub_argc = argc - 1;
  char** sub_argv = argv + 1;
  using namespace gaia::cli;
  if (cmd == "serve") return cmd_serve(sub_argc, sub_argv);
  if (cmd == "run") return cmd_run(sub_argc, sub_argv);
  if (cmd == "check") return cmd_check(sub_argc, sub_argv);
  if (cmd == "status") return cmd_status(sub_argc, sub_argv);
  if (cmd == "trigger") return cmd_trigger(sub_argc, sub_argv);
  if (cmd == "graph") return cmd_graph(sub_argc, sub_argv);
  if (cmd == "synth") return cmd_synth(sub_argc, sub_argv);
  if (cmd == "mirror") return cmd_mirror(sub_argc, sub_argv);
  if (cmd == "bench") return cmd_bench(sub_argc, sub_argv);
  if (cmd == "inspect") return cmd_inspect(sub_argc, sub_argv);
  std::fprintf(stderr, "gaia-dr3: unknown command '%s'\n\n%s", cmd.c_str(),
               usage);
  return 2;
}
