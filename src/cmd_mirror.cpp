// mirror: serves a directory of archive files over HTTP until SIGINT/SIGTERM.
#include "src/commands.hpp"

#include "core/mirror.hpp"

#include <pthread.h>

#include <charconv>
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

int bad_argument(const std::string& what) {
  std::fprintf(stderr, "gaia-dr3 mirror: %s (see gaia-dr3 mirror --help)\n", what.c_str());
  return 2;
}

} // namespace

int cmd_mirror(int argc, char** argv) {
  mirror_options opts;
  bool dir_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(mirror_usage, stdout);
      return 0;
    }
    std::string value;
    const size_t eq = arg.find('=');
    if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (arg == "--dir" || arg == "--bind" || arg == "--port") {
      if (i + 1 >= argc) return bad_argument(arg + " needs a value");
      value = argv[++i];
    } else {
      return bad_argument("unknown argument '" + arg + "'");
    }
    if (arg == "--dir") {
      opts.dir = value;
      dir_given = true;
    } else if (arg == "--bind") {
      if (value.empty()) return bad_argument("--bind needs an address");
      opts.bind = value;
    } else if (arg == "--port") {
      auto r = std::from_chars(value.data(), value.data() + value.size(), opts.port);
      if (value.empty() || r.ec != std::errc() || r.ptr != value.data() + value.size() ||
          opts.port < 0 || opts.port > 65535)
        return bad_argument("--port must be 0..65535, not '" + value + "'");
    } else {
      return bad_argument("unknown argument '" + arg + "'");
    }
  }
  if (!dir_given) return bad_argument("--dir DIR is required");
  std::error_code ec;
  if (!std::filesystem::is_directory(opts.dir, ec))
    return bad_argument("--dir '" + opts.dir + "' is not a directory");

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
