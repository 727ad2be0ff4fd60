#include "download/checksums.hpp"

#include "engine/state/atomic_file.hpp"
#include "download/downloader.hpp"
#include "engine/log.hpp"
#include "download/md5.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <vector>

namespace gaia {

namespace {

bool is_md5_hex(const std::string& s) {
  return s.size() == 32 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c));
         });
}

} // namespace

std::vector<checksum_entry> parse_checksum_lines(const std::string& text,
                                                 const std::string& origin) {
  std::vector<checksum_entry> out;
  std::istringstream in(text);
  std::string line;
  for (size_t no = 1; std::getline(in, line); ++no) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    // A list saved by an editor on Windows may start with a UTF-8 BOM
    // (archive files may too, and are read): it is not part of the sum.
    if (no == 1 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    // "<md5>  <name>" (md5sum's text mode) or "<md5> *<name>" (binary).
    const size_t sp = line.find_first_of(" \t");
    const std::string sum = line.substr(0, sp);
    size_t name_at = sp == std::string::npos ? sp : line.find_first_not_of(" \t", sp);
    if (name_at != std::string::npos && line[name_at] == '*') ++name_at;
    if (!is_md5_hex(sum) || name_at == std::string::npos || name_at >= line.size())
      throw download_error(origin + ": line " + std::to_string(no)
                           + " is not \"<md5>  <file name>\" (not a checksum list?)");
    std::string name = line.substr(name_at);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.pop_back();
    name = name.substr(name.find_last_of('/') + 1);
    std::string lower = sum;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.push_back({name, lower, no});
  }
  return out;
}

checksum_list parse_checksums(const std::string& text, const std::string& origin) {
  checksum_list out;
  for (auto& e : parse_checksum_lines(text, origin)) out[e.name] = e.md5;
  return out;
}

bool parse_archive_file_name(const std::string& name, file_range& out) {
  long long first = -1, last = -1;
  char tail = 0;
  const int n = std::sscanf(name.c_str(), "EpochPhotometry_%lld-%lld.csv.gz%c", &first, &last, &tail);
  if (n != 2 || name.size() != 36) return false;
  out = {first, last};
  return true;
}

std::vector<file_range> archive_files_listed(const std::vector<checksum_entry>& lines,
                                             const std::string& origin) {
  std::vector<file_range> out;
  size_t previous_line = 0;
  for (const auto& e : lines) {
    file_range listed;
    if (!parse_archive_file_name(e.name, listed)) continue; // not an archive file
    const int64_t first = listed.first, last = listed.last;
    const std::string where = origin + ": line " + std::to_string(e.line) + ": " + e.name;
    if (last < first)
      throw download_error(where + " ends before it starts");
    if (!out.empty() && first != out.back().last + 1)
      throw download_error(where + (first <= out.back().last ? " overlaps or goes back from"
                                                             : " leaves a gap after")
                           + " the file of line " + std::to_string(previous_line) + " ("
                           + out.back().archive_file_name() + "): the files must be contiguous "
                             "and increasing");
    out.push_back({first, last});
    previous_line = e.line;
  }
  if (out.empty())
    throw download_error(origin + ": lists no EpochPhotometry_<first>-<last>.csv.gz file");
  return out;
}

std::string derived_checksum_url(const std::string& url_template) {
  const size_t slash = url_template.rfind('/');
  if (slash == std::string::npos) return "";
  const std::string folder = url_template.substr(0, slash + 1);
  if (folder.find("%s") != std::string::npos || folder.find("://") == std::string::npos)
    return "";
  return folder + checksum_file_name;
}

std::string url_file_name(const std::string& url) {
  const std::string path = url.substr(0, url.find_first_of("?#"));
  return path.substr(path.find_last_of('/') + 1);
}

std::shared_ptr<const published_list> fetch_checksums(downloader& dl,
                                                      const checksum_source& src,
                                                      const download_options& opts) {
  if (src.url.empty()) return nullptr;
  text_result r = dl.fetch_text(src.url, opts);
  if (!r.found) {
    const std::string status = r.status != 0 ? "HTTP " + std::to_string(r.status) : "no such file";
    if (src.explicit_url) throw download_error(src.url + ": " + status);
    engine::log_line("download", "no checksum list at " + src.url + " (" + status
                           + "): downloads are not checked against published MD5s");
    return nullptr;
  }
  auto list = std::make_shared<published_list>();
  list->entries = parse_checksum_lines(r.text, src.url);
  for (const auto& e : list->entries) list->sums[e.name] = e.md5;
  engine::log_line("download", "checksums: " + std::to_string(list->sums.size())
                                 + " files listed in " + src.url);
  return list;
}

size_t write_checksum_file(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    const std::string name = f.path().filename().string();
    if (f.is_regular_file() && name.size() > 7 && name.compare(name.size() - 7, 7, ".csv.gz") == 0)
      names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  std::string text;
  for (const auto& n : names)
    text += md5_file((std::filesystem::path(dir) / n).string()) + "  " + n + "\n";
  engine::write_file_atomic((std::filesystem::path(dir) / checksum_file_name).string(), text);
  return names.size();
}

} // namespace gaia
