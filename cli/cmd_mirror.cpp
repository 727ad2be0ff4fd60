// mirror: serves a directory of archive files, or a generated archive of
// any size, over HTTP until SIGINT/SIGTERM.
#include "cli/commands.hpp"

#include "engine/state/atomic_file.hpp"
#include "tools/mirror/mirror.hpp"
#include "tools/synth/generated_archive.hpp"

#include <pthread.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

namespace gaia::cli {

namespace {

struct mirror_args {
  mirror_options opts;
  double generated_scale = 0; ///< > 0: serve a generated archive
  int files = 0;
  uint64_t seed = 1;
  std::string checksums; ///< the generated archive's _MD5SUM.txt, kept
};

/// A text served as a file (the generated archive's _MD5SUM.txt).
class text_body final : public generated_body {
public:
  explicit text_body(std::string text) : text_(std::move(text)) {}
  uint64_t size() const override { return text_.size(); }
  void read(uint64_t offset, char* out, size_t n) const override {
    std::memcpy(out, text_.data() + offset, n);
  }

private:
  std::string text_;
};

class archive_body final : public generated_body {
public:
  explicit archive_body(std::shared_ptr<const synth::generated_file> f) : f_(std::move(f)) {}
  uint64_t size() const override { return f_->size(); }
  void read(uint64_t offset, char* out, size_t n) const override { f_->read(offset, out, n); }

private:
  std::shared_ptr<const synth::generated_file> f_;
};

/// The generated archive's checksum list: read from `kept` when its first
/// line still matches the archive's first file, else made (every file
/// hashed) and kept there.
std::string checksum_list(const synth::generated_archive& archive, const std::string& kept) {
  if (!kept.empty()) {
    const std::string list = engine::read_whole_file(kept).value_or("");
    const auto& first = archive.ranges().front().archive_file_name();
    if (list.rfind(archive.open(first)->md5_hex() + "  " + first + "\n", 0) == 0)
      return list;
    // Not kept yet, or stale: its folder is made before minutes of hashing, not after.
    const auto folder = std::filesystem::absolute(kept).parent_path();
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    if (ec)
      throw std::runtime_error("--checksums " + kept + ": cannot create " + folder.string() +
                               ": " + ec.message());
  }
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::fprintf(stderr, "mirror: hashing the generated archive's %zu files on %u threads%s\n",
               archive.ranges().size(), threads,
               kept.empty() ? "" : (" (once: kept in " + kept + ")").c_str());
  std::string list = archive.md5_list(threads);
  if (!kept.empty()) engine::write_file_atomic(kept, list);
  return list;
}

/// Serves a generated archive: its files and their _MD5SUM.txt.
int serve_generated(mirror_args& a) {
  synth::generated_archive_options g;
  g.scale = a.generated_scale;
  g.seed = a.seed;
  g.files = a.files;
  auto archive = std::make_shared<synth::generated_archive>(g);
  auto sums = std::make_shared<text_body>(checksum_list(*archive, a.checksums));
  a.opts.generated = [archive, sums](const std::string& name)
    -> std::shared_ptr<const generated_body> {
    if (name == "_MD5SUM.txt") return sums;
    auto f = archive->open(name);
    return f ? std::make_shared<archive_body>(std::move(f)) : nullptr;
  };
  return 0;
}

int mirror_main(mirror_args& a) {
  auto& opts = a.opts;
  std::error_code ec;
  if (a.generated_scale > 0) {
    if (!opts.dir.empty()) {
      std::fprintf(stderr, "gaia-dr3 mirror: --dir and --generated exclude each other\n");
      return 2;
    }
    try {
      serve_generated(a);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "gaia-dr3 mirror: %s\n", e.what());
      return 1;
    }
  } else if (opts.dir.empty()) {
    std::fprintf(stderr, "gaia-dr3 mirror: give --dir DIR (a folder of archive files) or "
                         "--generated SCALE (see gaia-dr3 mirror --help)\n");
    return 2;
  } else if (!std::filesystem::is_directory(opts.dir, ec)) {
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
  const std::string what = a.generated_scale > 0 ? "a generated archive" : opts.dir;
  std::fprintf(stderr, "mirror: serving %s on %s (SIGINT/SIGTERM stops)\n", what.c_str(),
               server.base_url().c_str());

  int sig = 0;
  sigwait(&signals, &sig);
  std::fprintf(stderr, "mirror: signal %d, stopping\n", sig);
  server.stop();
  return 0;
}

} // namespace

void add_mirror(CLI::App& app, command_list& out) {
  auto a = std::make_shared<mirror_args>();
  auto* opts = &a->opts;
  auto* cmd = app.add_subcommand(
    "mirror",
    "Serves the files of DIR over HTTP like the ESA CDN: GET and HEAD with "
    "Content-Length, byte ranges, 404 for anything else (no listings, nothing "
    "outside DIR). Prints the base URL (http://ADDR:PORT) on stdout, one log "
    "line per request on stderr, and runs until SIGINT or SIGTERM. A "
    "_MD5SUM.txt in DIR (gaia-dr3 synth writes one) is served like the ESA "
    "one, so downloads are checked against it.");
  cmd->add_option("--dir", opts->dir, "the directory served")->type_name("DIR");
  cmd->add_option("--generated", a->generated_scale,
                  "instead of --dir: a full-shaped synthetic archive at this scale (as "
                  "synth --boundaries all --scale), its files made as they are asked for "
                  "and never written; its _MD5SUM.txt hashes every file first")
    ->type_name("SCALE")
    ->check(CLI::Validator(
      [](const std::string& text) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        return end != text.c_str() && *end == '\0' && v > 0 && v <= 100
                 ? ""
                 : "must be a number above 0 and at most 100, not '" + text + "'";
      },
      "SCALE"));
  cmd->add_option("--files", a->files, "--generated: only the first N ranges (0: all 3,386)")
    ->default_val(0)
    ->check(CLI::Range(0, 3386));
  cmd->add_option("--seed", a->seed, "--generated: synth's seed")->default_val(1);
  cmd->add_option("--checksums", a->checksums,
                  "--generated: keep its _MD5SUM.txt in FILE, so the next start need not "
                  "hash the archive again")
    ->type_name("FILE");
  cmd->add_option("--bind", opts->bind, "address to listen on")->default_val("127.0.0.1");
  cmd->add_option("--port", opts->port, "port, 0 = any free port")
    ->default_val(0)
    ->check(CLI::Range(0, 65535));
  out.push_back({cmd, [a] { return mirror_main(*a); }});
}

} // namespace gaia::cli
