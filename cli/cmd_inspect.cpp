// inspect: reads archive files the way an import does and says what is in
// them: rows, sources, and every kind of row or value that would be
// skipped. For checking a file someone hands you before a run uses it.
#include "cli/commands.hpp"

#include "cli/cli_args.hpp"

#include "archive/ecsv_reader.hpp"
#include "settings/errors.hpp"

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

namespace gaia::cli {

namespace {

const char* inspect_usage =
  "usage: gaia-dr3 inspect [--max-line-bytes N] FILE.csv.gz...\n"
  "\n"
  "Imports each epoch photometry file exactly as a run does (gzip, ECSV,\n"
  "RFC 4180 rows, flux values) without writing anything, and prints per\n"
  "file: data rows, sources, rows and flux values that would be skipped,\n"
  "and the first few reasons. Exit 0 when every file was read, 1 when one\n"
  "could not be (corrupt gzip, no header row, a row over the limit).\n"
  "\n"
  "  --max-line-bytes N  the longest row accepted (default 33554432, as\n"
  "                      the max_line_bytes setting)\n";

} // namespace

int cmd_inspect(int argc, char** argv) {
  read_options opts;
  std::vector<std::string> files;
  const option_reader args("inspect", inspect_usage, argc, argv, {"--max-line-bytes"});
  for (int i = 1; i < argc; ++i) {
    if (argv[i][0] != '-') {
      files.push_back(argv[i]);
      continue;
    }
    std::string arg, value;
    if (auto end = args.next(i, arg, value)) return *end;
    if (arg == "--max-line-bytes") {
      if (!parse_number(value, opts.max_line_bytes) || opts.max_line_bytes < 1)
        return args.bad_argument("--max-line-bytes must be a number >= 1, not '" + value + "'");
    } else {
      return args.bad_argument("unknown argument '" + arg + "'");
    }
  }
  if (files.empty()) return args.bad_argument("name at least one FILE.csv.gz");
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

} // namespace gaia::cli
