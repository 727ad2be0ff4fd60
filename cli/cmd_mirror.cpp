// mirror: serves a directory of archive files over HTTP until SIGINT/SIGTERM.
#include "cli/commands.hpp"

#include "cli/cli_args.hpp"

#include "tools/mirror/mirror.hpp"

#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>

namespace gaia::cli {

namespace {

const char* mirror_usage =
  "usage: gaia-dr3 mirror --dir DIR [--bind ADDR] [--port N]\n"
  "\n"
  "Serves the files of DIR over HTTP like the ESA CDN: GET and HEAD with\n"
  "Content-Length, byte ranges, 404 for anything else (no listings, nothing\n"
  "outside DIR). Prints the base URL (http://ADDR:PORT) on stdout, one log\n"
  "line per request on stderr, and runs until SIGINT or SIGTERM. A\n"
  "_MD5SUM.txt in DIR (gaia-dr3 synth writes one) is served like the ESA\n"
  "one, so downloads are checked against it.\n"
  "\n"
  "  --dir DIR      the directory served\n"
  "  --bind ADDR    address to listen on (default 127.0.0.1)\n"
  "  --port N       port, 0 = any free port (default 0)\n";

} // namespace

int cmd_mirror(int argc, char** argv) {
  mirror_options opts;
  bool dir_given = false;
  const option_reader args("mirror", mirror_usage, argc, argv,
                           {"--dir", "--bind", "--port"});
  for (int i = 1; i < argc; ++i) {
    std::string arg, value;
    if (auto end = args.next(i, arg, value)) return *end;
    if (arg == "--dir") {
      opts.dir = value;
      dir_given = true;
    } else if (arg == "--bind") {
      if (value.empty()) return args.bad_argument("--bind needs an address");
      opts.bind = value;
    } else if (arg == "--port") {
      if (!parse_number(value, opts.port) || opts.port < 0 || opts.port > 65535)
        return args.bad_argument("--port must be 0..65535, not '" + value + "'");
    } else {
      return args.bad_argument("unknown argument '" + arg + "'");
    }
  }
  if (!dir_given) return args.bad_argument("--dir DIR is required");
  std::error_code ec;
  if (!std::filesystem::is_directory(opts.dir, ec))
    return args.bad_argument("--dir '" + opts.dir + "' is not a directory");

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

} // namespace gaia::cli
