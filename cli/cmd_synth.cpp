// synth: writes a synthetic archive shaped like the real bulk files.
#include "cli/commands.hpp"

#include "download/checksums.hpp"
#include "core/defaults.hpp"
#include "core/file_range.hpp"
#include "engine/log.hpp"
#include "tools/synth/synth.hpp"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <sstream>
#include <memory>
#include <string>

namespace gaia::cli {

namespace {

/// What `synth` was given.
struct synth_args {
  synth::archive_options opts;
  std::string boundaries_text;
  bool files_given = false;
};

/// True when all of `s` (not empty) is a whole number.
bool parse_number(const std::string& s, int64_t& v) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

/// A bad argument: one line, exit 2, as CLI11's own errors.
int bad_argument(const std::string& what) {
  std::fprintf(stderr, "gaia-dr3 synth: %s (see gaia-dr3 synth --help)\n", what.c_str());
  return 2;
}

int synth_main(synth_args& a) {
  auto& opts = a.opts;
  const auto& boundaries_text = a.boundaries_text;
  if (boundaries_text == "all") {
    // The whole archive's partition; all of its files unless --files says.
    opts.boundaries = synth::dr3_partition();
    if (!a.files_given) opts.files = static_cast<int>(opts.boundaries.size()) - 1;
  } else if (!boundaries_text.empty()) {
    auto colon = boundaries_text.find(':');
    if (colon != std::string::npos) {
      int64_t start = 0, step = 0;
      if (!parse_number(boundaries_text.substr(0, colon), start) ||
          !parse_number(boundaries_text.substr(colon + 1), step) || start < 0 || step < 1)
        return bad_argument("--boundaries START:STEP needs whole numbers, STEP >= 1, not '" +
                            boundaries_text + "'");
      for (int i = 0; i <= opts.files; ++i) opts.boundaries.push_back(start + step * i);
    } else {
      std::stringstream ss(boundaries_text);
      for (std::string item; std::getline(ss, item, ',');) {
        int64_t b = 0;
        if (!parse_number(item, b) || (!opts.boundaries.empty() && b <= opts.boundaries.back()))
          return bad_argument("--boundaries must be increasing whole numbers, not '" +
                              boundaries_text + "'");
        opts.boundaries.push_back(b);
      }
    }
  }
  const auto& bounds = opts.boundaries.empty() ? defaults::file_boundaries : opts.boundaries;
  const int max_files = static_cast<int>(bounds.size()) - 1;
  if (opts.files > max_files)
    return bad_argument("--files must be 1.." + std::to_string(max_files) +
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

} // namespace

void add_synth(CLI::App& app, command_list& out) {
  auto a = std::make_shared<synth_args>();
  auto* cmd = app.add_subcommand(
    "synth",
    "Writes EpochPhotometry_<range>.csv.gz files shaped like the Gaia DR3 bulk "
    "files (365-line ECSV header, 48 columns, gzip) for the first N ranges of "
    "the file boundaries. The same seed gives the same files. Like the ESA "
    "folder, DIR also gets _MD5SUM.txt (\"<md5>  <file name>\" for every "
    "*.csv.gz in it), which `gaia-dr3 mirror` serves with them. Progress goes "
    "to stderr; stdout stays empty.");
  cmd->add_option("--out", a->opts.out_dir, "output directory (created if missing)")
    ->required()
    ->type_name("DIR");
  cmd->add_option("--files", a->opts.files, "number of files (with --boundaries all: all 3386)")
    ->default_val(20)
    ->check(CLI::Range(1, 1 << 20))
    ->each([a](const std::string&) { a->files_given = true; });
  cmd->add_option("--boundaries", a->boundaries_text,
                  "file boundaries: a comma list (like GAIA_FILE_BOUNDARIES), "
                  "START:STEP for N ranges of STEP indices, or \"all\": the whole DR3 "
                  "archive's 3,386 ranges (default: the benchmark's 21 bounds)");
  cmd->add_option("--scale", a->opts.scale,
                  "sources per file relative to the real ones (1.0: ~75,000 sources, "
                  "~1.5 GB text, ~380 MB gzip for 20 files)")
    ->default_val(1.0)
    ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", a->opts.seed, "random seed")->default_val(1);
  cmd->add_option("--threads", a->opts.threads, "parallel files, 0 = all cores")
    ->default_val(0)
    ->check(CLI::Range(0, 1024));
  out.push_back({cmd, [a] { return synth_main(*a); }});
}

} // namespace gaia::cli
