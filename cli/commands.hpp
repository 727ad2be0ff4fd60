// The subcommands of the gaia-dr3 executable. Each takes the arguments after
// its own name (argv[0] is the subcommand) and returns the process exit code.
#pragma once

namespace gaia::cli {

int cmd_serve(int argc, char** argv);   ///< unattended service
int cmd_run(int argc, char** argv);     ///< one run now
int cmd_check(int argc, char** argv);   ///< validate + print settings
int cmd_status(int argc, char** argv);  ///< idle / running / last outcome
int cmd_trigger(int argc, char** argv); ///< remove markers: run again
int cmd_graph(int argc, char** argv);   ///< Mermaid graph of the topology
int cmd_synth(int argc, char** argv);   ///< write a synthetic archive
int cmd_mirror(int argc, char** argv);  ///< serve a directory over HTTP
int cmd_bench(int argc, char** argv);   ///< benchmark table
int cmd_inspect(int argc, char** argv); ///< what an import reads of files

} // namespace gaia::cli
