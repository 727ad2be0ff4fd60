// synth: writes a synthetic archive shaped like the real bulk files.
#include "cli/commands.hpp"

#include "cli/cli_args.hpp"

#include "download/checksums.hpp"
#include "settings/defaults.hpp"
#include "archive/file_range.hpp"
#include "engine/log.hpp"
#include "tools/synth/synth.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <sstream>
#include <string>

namespace gaia::cli {

namespace {

const char* synth_usage =
  "usage: gaia-dr3 synth --out DIR [--files N] [--scale S] [--seed K] [--threads T]\n"
  "\n"
  "Writes EpochPhotometry_<range>.csv.gz files shaped like the Gaia DR3 bulk\n"
  "files (365-line ECSV header, 48 columns, gzip) for the first N ranges of\n"
  "the benchmark's file boundaries. The same seed gives the same files.\n"
  "Like the ESA folder, DIR also gets _MD5SUM.txt (\"<md5>  <file name>\"\n"
  "for every *.csv.gz in it), which `gaia-dr3 mirror` serves with them.\n"
  "\n"
  "  --out DIR      output directory (created if missing)\n"
  "  --files N      number of files (default 20; at most the ranges given)\n"
  "  --boundaries B file boundaries: a comma list (like GAIA_FILE_BOUNDARIES)\n"
  "                 or START:STEP for N ranges of STEP indices (default: the\n"
  "                 benchmark's 21 bounds)\n"
  "  --scale S      sources per file relative to the real ones (default 1.0:\n"
  "                 ~75,000 sources, ~1.5 GB text, ~380 MB gzip for 20 files)\n"
  "  --seed K       random seed (default 1)\n"
  "  --threads T    parallel files, 0 = all cores (default 0)\n"
  "\n"
  "Progress goes to stderr; stdout stays empty.\n";

} // namespace

int cmd_synth(int argc, char** argv) {
  synth::archive_options opts;
  bool out_given = false;
  std::string boundaries_text;
  const option_reader args("synth", synth_usage, argc, argv,
                           {"--out", "--files", "--scale", "--seed", "--threads", "--boundaries"});
  for (int i = 1; i < argc; ++i) {
    std::string arg, value;
    if (auto end = args.next(i, arg, value)) return *end;
    if (arg == "--out") {
      if (value.empty()) return args.bad_argument("--out needs a directory");
      opts.out_dir = value;
      out_given = true;
    } else if (arg == "--files") {
      if (!parse_number(value, opts.files) || opts.files < 1)
        return args.bad_argument("--files must be a whole number >= 1, not '" + value + "'");
    } else if (arg == "--boundaries") {
      boundaries_text = value;
    } else if (arg == "--scale") {
      if (!parse_number(value, opts.scale) || !(opts.scale > 0) || !std::isfinite(opts.scale))
        return args.bad_argument("--scale must be a number > 0, not '" + value + "'");
    } else if (arg == "--seed") {
      if (!parse_number(value, opts.seed))
        return args.bad_argument("--seed must be an unsigned integer, not '" + value + "'");
    } else if (arg == "--threads") {
      if (!parse_number(value, opts.threads) || opts.threads > 1024)
        return args.bad_argument("--threads must be 0..1024, not '" + value + "'");
    } else {
      return args.bad_argument("unknown argument '" + arg + "'");
    }
  }
  if (!out_given) return args.bad_argument("--out DIR is required");
  if (!boundaries_text.empty()) {
    auto colon = boundaries_text.find(':');
    if (colon != std::string::npos) {
      int64_t start = 0, step = 0;
      if (!parse_number(boundaries_text.substr(0, colon), start) ||
          !parse_number(boundaries_text.substr(colon + 1), step) || start < 0 || step < 1)
        return args.bad_argument("--boundaries START:STEP needs whole numbers, STEP >= 1, not '" +
                            boundaries_text + "'");
      for (int i = 0; i <= opts.files; ++i) opts.boundaries.push_back(start + step * i);
    } else {
      std::stringstream ss(boundaries_text);
      for (std::string item; std::getline(ss, item, ',');) {
        int64_t b = 0;
        if (!parse_number(item, b) || (!opts.boundaries.empty() && b <= opts.boundaries.back()))
          return args.bad_argument("--boundaries must be increasing whole numbers, not '" +
                              boundaries_text + "'");
        opts.boundaries.push_back(b);
      }
    }
  }
  const auto& bounds = opts.boundaries.empty() ? defaults::file_boundaries : opts.boundaries;
  const int max_files = static_cast<int>(bounds.size()) - 1;
  if (opts.files > max_files)
    return args.bad_argument("--files must be 1.." + std::to_string(max_files) +
                        " for these boundaries, not " + std::to_string(opts.files));

  opts.on_file = [](const synth::file_summary& s) {
    std::fprintf(stderr, "synth: %s %llu sources %s\n",
                 std::filesystem::path(s.path).filename().c_str(),
                 static_cast<unsigned long long>(s.rows), engine::format_mb(s.compressed_bytes).c_str());
  };
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<synth::file_summary> files;
  try {
    files = synth::write_archive(opts);
    write_checksum_file(opts.out_dir);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gaia-dr3 synth: %s\n", e.what());
    return 1;
  }
  const double secs = engine::seconds_since(t0);
  unsigned long long rows = 0;
  double text = 0, compressed = 0;
  for (const auto& f : files) {
    rows += f.rows;
    text += static_cast<double>(f.text_bytes);
    compressed += static_cast<double>(f.compressed_bytes);
  }
  std::fprintf(stderr, "synth: %zu files, %llu sources, %s text, %s gzip in %.1f s -> %s\n",
               files.size(), rows, engine::format_mb(text).c_str(), engine::format_mb(compressed).c_str(), secs,
               opts.out_dir.c_str());
  return 0;
}

} // namespace gaia::cli
