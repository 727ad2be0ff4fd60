// mirror: serves a directory of archive files over HTTP until SIGINT/SIGTERM.
#include "cli/commands.hpp"

#include "tools/mirror/mirror.hpp"

#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <memory>
#include <string>

namespace gaia::cli {

namespace {

int mirror_main(mirror_options& opts) {
  std::error_code ec;
  if (!std::filesystem::is_directory(opts.dir, ec)) {
    std::fprintf(stderr, "gaia-dr3 mirror: --dir '%s' is not a directory (see gaia-dr3 "
                         "mirror --help)\n", opts.dir.c_str());
    return 2;
  }

  // Blocked before the server starts its threads (they inherit the mask),
  // so the signals reach only the sigwait below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  mirror_server server(opts);
  try {
    server.start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gaia-dr3 mirror: %s\n", e.what());
    return 1;
  }
  std::printf("%s\n", server.base_url().c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "mirror: serving %s on %s (SIGINT/SIGTERM stops)\n", opts.dir.c_str(),
               server.base_url().c_str());

  int sig = 0;
  sigwait(&signals, &sig);
  std::fprintf(stderr, "mirror: signal %d, stopping\n", sig);
  server.stop();
  return 0;
}

} // namespace

void add_mirror(CLI::App& app, command_list& out) {
  auto opts = std::make_shared<mirror_options>();
  auto* cmd = app.add_subcommand(
    "mirror",
    "Serves the files of DIR over HTTP like the ESA CDN: GET and HEAD with "
    "Content-Length, byte ranges, 404 for anything else (no listings, nothing "
    "outside DIR). Prints the base URL (http://ADDR:PORT) on stdout, one log "
    "line per request on stderr, and runs until SIGINT or SIGTERM. A "
    "_MD5SUM.txt in DIR (gaia-dr3 synth writes one) is served like the ESA "
    "one, so downloads are checked against it.");
  cmd->add_option("--dir", opts->dir, "the directory served")->required()->type_name("DIR");
  cmd->add_option("--bind", opts->bind, "address to listen on")->default_val("127.0.0.1");
  cmd->add_option("--port", opts->port, "port, 0 = any free port")
    ->default_val(0)
    ->check(CLI::Range(0, 65535));
  out.push_back({cmd, [opts] { return mirror_main(*opts); }});
}

} // namespace gaia::cli
