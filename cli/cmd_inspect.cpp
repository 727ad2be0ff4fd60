// inspect: reads archive files the way an import does and says what is in
// them: rows, sources, and every kind of row or value that would be
// skipped. For checking a file someone hands you before a run uses it.
#include "cli/commands.hpp"


#include "archive/ecsv_reader.hpp"
#include "core/errors.hpp"

#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <vector>

namespace gaia::cli {

namespace {

/// What `inspect` was given.
struct inspect_args {
  read_options opts;
  std::vector<std::string> files;
};

int inspect_main(const inspect_args& a) {
  const auto& opts = a.opts;
  const auto& files = a.files;
  int status = 0;
  for (const auto& f : files) {
    try {
      auto r = import_archive_file(f, inflate_backend::isal, opts);
      std::printf("%s: %llu rows, %zu sources, %llu rows skipped, %llu flux values "
                  "skipped, %llu bytes of text\n",
                  f.c_str(), static_cast<unsigned long long>(r.stats.rows),
                  r.sources.size(), static_cast<unsigned long long>(r.stats.skipped_rows),
                  static_cast<unsigned long long>(r.stats.skipped_values),
                  static_cast<unsigned long long>(r.stats.uncompressed_bytes));
      for (const auto& why : r.stats.skip_examples)
        std::printf("  %s\n", why.c_str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "gaia-dr3 inspect: %s\n", e.what());
      status = 1;
    }
  }
  return status;
}

} // namespace

void add_inspect(CLI::App& app, command_list& out) {
  auto a = std::make_shared<inspect_args>();
  auto* cmd = app.add_subcommand(
    "inspect",
    "Imports each epoch photometry file exactly as a run does (gzip, ECSV, RFC "
    "4180 rows, flux values) without writing anything, and prints per file: "
    "data rows, sources, rows and flux values that would be skipped, and the "
    "first few reasons. Exit 0 when every file was read, 1 when one could not "
    "be (corrupt gzip, no header row, a row over the limit).");
  cmd->add_option("--max-line-bytes", a->opts.max_line_bytes,
                  "the longest row accepted, as the max_line_bytes setting")
    ->default_val(a->opts.max_line_bytes)
    ->check(CLI::PositiveNumber);
  cmd->add_option("files", a->files, "EpochPhotometry_*.csv.gz files")
    ->required()
    ->type_name("FILE.csv.gz");
  out.push_back({cmd, [a] { return inspect_main(*a); }});
}

} // namespace gaia::cli
