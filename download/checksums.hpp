// The archive's published checksums: "_MD5SUM.txt" in the folder of the
// files, one "<md5>  <file name>" line per file (the ESA CDN has one).
// Parsed here, fetched once per run by the prepare operation (each download
// request then carries its file's MD5), and written by `gaia-dr3 synth` so
// the offline mirror publishes one too.
#pragma once

#include "core/file_range.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace gaia {

class downloader;
struct download_options;

/// The name of the checksum file, beside the archive files.
inline constexpr const char* checksum_file_name = "_MD5SUM.txt";

/// File name -> MD5 as 32 lowercase hex digits.
using checksum_list = std::map<std::string, std::string>;

/// Parses _MD5SUM.txt text; `origin` (its URL) names it in errors. Blank
/// lines are skipped; names keep only what follows the last '/'. Anything
/// else that is not "<32 hex digits> <spaces> [*]<name>" (say, an HTML page
/// from a proxy) throws download_error naming origin and the line number.
/// One line of a checksum list, in the list's order.
struct checksum_entry {
  std::string name;
  std::string md5;
  size_t line = 0; ///< 1-based
};

/// The lines of a checksum list, as parse_checksums reads them.
std::vector<checksum_entry> parse_checksum_lines(const std::string& text,
                                                 const std::string& origin);

/// What fetch_checksums read: the sums by name, and the lines in order.
struct published_list {
  checksum_list sums;
  std::vector<checksum_entry> entries;
};

/// Reads an archive file's name, "EpochPhotometry_<first>-<last>.csv.gz",
/// into its range (as written: `last < first` is the caller's to refuse).
/// False for any other name.
bool parse_archive_file_name(const std::string& name, file_range& out);

/// The archive files a checksum list names, in its order:
/// "EpochPhotometry_<first>-<last>.csv.gz" as HEALPix ranges; other names
/// are not archive files and are passed over. Throws download_error naming
/// `origin`, the line and the file when a file does not continue the one
/// before it (a gap, an overlap, a step back), or none is listed.
std::vector<file_range> archive_files_listed(const std::vector<checksum_entry>& lines,
                                             const std::string& origin);

checksum_list parse_checksums(const std::string& text,
                              const std::string& origin);

/// The default checksum URL of an archive URL template: the same folder +
/// "_MD5SUM.txt". Empty when the folder itself varies (contains %s).
std::string derived_checksum_url(const std::string& url_template);

/// Where a run's checksums come from.
struct checksum_source {
  std::string url;           ///< empty: no checksums
  bool explicit_url = false; ///< configured: a failure to fetch is an error
};

/// The file name in a URL: after the last '/', before any '?' or '#'.
std::string url_file_name(const std::string& url);

/// Fetches and parses the checksum list (with the download retries of
/// `opts`). A derived URL that is not there (404/403/410, or a missing
/// file:// file) logs once and gives nullptr: checks are skipped. Any other
/// failure, and every failure of an explicit URL, throws download_error.
std::shared_ptr<const published_list> fetch_checksums(
  downloader& dl, const checksum_source& src, const download_options& opts);

/// Writes dir/_MD5SUM.txt listing every "*.csv.gz" file of `dir`, sorted by
/// name, in the ESA format. Returns the number of files listed. Throws
/// input_error/output_error naming the file.
size_t write_checksum_file(const std::string& dir);

} // namespace gaia
