// The id list: lines -> ids (id_list.hpp says the formats), sorted runs
// spilled to temporary files, a k-way merge that drops duplicates into
// the output. Memory stays at one run plus the merge's buffers.
#include "lightcurve_select/id_list.hpp"

#include "core/errors.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <queue>
#include <string_view>
#include <unistd.h>

namespace gaia {

namespace {

namespace fs = std::filesystem;

/// Ids read or written at once by the spill files' readers and writers.
constexpr size_t io_ids = 8192;

struct file_closer {
  void operator()(std::FILE* f) const {
    if (f != nullptr) std::fclose(f);
  }
};
using file_ptr = std::unique_ptr<std::FILE, file_closer>;

file_ptr open_file(const std::string& path, const char* mode) {
  file_ptr f(std::fopen(path.c_str(), mode));
  if (!f) {
    const std::string why = std::strerror(errno);
    if (mode[0] == 'r') throw input_error(path + ": cannot read: " + why);
    throw output_error(path + ": cannot write: " + why);
  }
  return f;
}

/// Buffered writer of 8-byte ids.
class id_writer {
public:
  explicit id_writer(const std::string& path) : path_(path), f_(open_file(path, "wb")) {
    buf_.reserve(io_ids);
  }
  void put(int64_t id) {
    buf_.push_back(id);
    ++count_;
    if (buf_.size() == io_ids) flush();
  }
  void close() {
    flush();
    if (std::fflush(f_.get()) != 0 || std::ferror(f_.get()) != 0)
      throw output_error(path_ + ": cannot write: " + std::strerror(errno));
    f_.reset();
  }
  uint64_t count() const { return count_; }

private:
  void flush() {
    if (!buf_.empty() &&
        std::fwrite(buf_.data(), sizeof(int64_t), buf_.size(), f_.get()) != buf_.size())
      throw output_error(path_ + ": cannot write: " + std::strerror(errno));
    buf_.clear();
  }
  std::string path_;
  file_ptr f_;
  std::vector<int64_t> buf_;
  uint64_t count_ = 0;
};

/// Temporary run files, removed when the sort ends however it ends.
class spill_files {
public:
  explicit spill_files(std::string dir) : dir_(std::move(dir)) {}
  ~spill_files() {
    for (const auto& p : paths_) ::unlink(p.c_str());
  }
  std::string make() {
    std::string tmpl = (fs::path(dir_) / "gaia-ids-XXXXXX").string();
    const int fd = ::mkstemp(tmpl.data());
    if (fd < 0) throw output_error(tmpl + ": cannot create a spill file: " + std::strerror(errno));
    ::close(fd);
    paths_.push_back(tmpl);
    return tmpl;
  }
  void remove(const std::string& p) {
    ::unlink(p.c_str());
    paths_.erase(std::find(paths_.begin(), paths_.end(), p));
  }

private:
  std::string dir_;
  std::vector<std::string> paths_;
};

/// Merges ascending id files into one writer, each id once.
void merge_runs(const std::vector<std::string>& runs, id_writer& out) {
  std::vector<std::unique_ptr<sorted_id_file>> in;
  using head = std::pair<int64_t, size_t>;
  std::priority_queue<head, std::vector<head>, std::greater<head>> heap;
  for (const auto& r : runs) {
    in.push_back(std::make_unique<sorted_id_file>(r));
    int64_t id;
    if (in.back()->next(id)) heap.push({id, in.size() - 1});
  }
  bool any = false;
  int64_t last = 0;
  while (!heap.empty()) {
    auto [id, i] = heap.top();
    heap.pop();
    if (!any || id != last) out.put(id);
    any = true;
    last = id;
    int64_t n;
    if (in[i]->next(n)) heap.push({n, i});
  }
}

/// Whole non-negative int64, nothing else (no sign, no spaces inside).
bool parse_id(const char* b, const char* e, int64_t& out) {
  if (b == e || *b == '-' || *b == '+') return false;
  auto r = std::from_chars(b, e, out);
  return r.ec == std::errc() && r.ptr == e;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

/// A table row's fields: split on `delim` outside double quotes (a space
/// delimiter: runs of spaces), each trimmed and unquoted.
std::vector<std::string> split_fields(std::string_view line, char delim) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  bool in_field = false;
  auto end_field = [&] {
    auto t = trim(cur);
    if (t.size() >= 2 && t.front() == '"' && t.back() == '"') t = t.substr(1, t.size() - 2);
    out.emplace_back(t);
    cur.clear();
    in_field = false;
  };
  for (char c : line) {
    if (c == '"') quoted = !quoted;
    if (!quoted && c == delim) {
      if (delim == ' ' && !in_field) continue; // runs of spaces are one delimiter
      end_field();
      continue;
    }
    cur.push_back(c);
    in_field = in_field || !is_space(c);
  }
  if (delim != ' ' || in_field || out.empty()) end_field();
  return out;
}

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

/// Turns lines into ids, learning the format from the first lines.
class line_reader {
public:
  explicit line_reader(const std::string& path) : path_(path) {}

  /// True with `id` when line `n` holds one; false for a blank, comment or
  /// header line. Throws input_error naming the line.
  bool line(std::string_view text, uint64_t n, int64_t& id) {
    text = trim(text);
    if (n == 1 && text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text = trim(text.substr(3));
    if (text.empty()) return false;
    if (text.front() == '#') {
      comment(text);
      return false;
    }
    if (mode_ == mode::unknown) {
      if (parse_id(text.data(), text.data() + text.size(), id)) {
        mode_ = mode::ids;
      } else {
        header(text, n);
        return false;
      }
    } else if (mode_ == mode::ids) {
      if (!parse_id(text.data(), text.data() + text.size(), id)) bad(n, text);
    } else {
      auto f = split_fields(text, delim_);
      if (f.size() <= col_)
        throw input_error(where(n) + "has " + std::to_string(f.size()) +
                          " fields; source_id is field " + std::to_string(col_ + 1));
      const std::string& v = f[col_];
      if (!parse_id(v.data(), v.data() + v.size(), id)) bad(n, v);
    }
    return true;
  }

  std::string format() const {
    if (mode_ == mode::table) return ecsv_ ? "ecsv" : "csv";
    return "ids";
  }

private:
  enum class mode { unknown, ids, table };

  std::string where(uint64_t n) const { return path_ + ": line " + std::to_string(n) + ": "; }

  [[noreturn]] void bad(uint64_t n, std::string_view v) const {
    throw input_error(where(n) + "'" + std::string(v.substr(0, 40)) +
                      "' is not a source_id (a whole non-negative 64-bit integer)");
  }

  /// '#' lines: comments, or ECSV's header, whose delimiter counts.
  void comment(std::string_view text) {
    if (mode_ != mode::unknown) return;
    if (text.rfind("# %ECSV", 0) == 0) {
      ecsv_ = true;
      delim_ = ' ';
    }
    auto body = trim(text.substr(1));
    if (ecsv_ && body.rfind("delimiter:", 0) == 0) {
      auto v = trim(body.substr(10));
      if (v.size() >= 3 && (v.front() == '\'' || v.front() == '"')) v = v.substr(1, v.size() - 2);
      if (v == ",") delim_ = ',';
    }
  }

  void header(std::string_view text, uint64_t n) {
    auto names = split_fields(text, delim_);
    for (size_t i = 0; i < names.size(); ++i)
      if (same_name(names[i], "source_id")) {
        col_ = i;
        mode_ = mode::table;
        return;
      }
    throw input_error(where(n) + "'" + std::string(text.substr(0, 40)) +
                      "' is neither a source_id nor a header row with a source_id column");
  }

  const std::string& path_;
  mode mode_ = mode::unknown;
  bool ecsv_ = false;
  char delim_ = ',';
  size_t col_ = 0;
};

} // namespace

id_list_stats sort_id_list(const std::string& path, const std::string& out_path,
                           const id_list_options& opts) {
  const size_t run_ids = std::max<size_t>(opts.run_ids, 1);
  const size_t fan_in = std::max<size_t>(opts.merge_fan_in, 2);
  std::string temp_dir = opts.temp_dir;
  if (temp_dir.empty()) {
    temp_dir = fs::path(out_path).parent_path().string();
    if (temp_dir.empty()) temp_dir = ".";
  }
  id_list_stats stats;
  spill_files spills(temp_dir);
  std::vector<int64_t> run;
  run.reserve(std::min<size_t>(run_ids, 4096));

  auto sort_run = [&] {
    std::sort(run.begin(), run.end());
    run.erase(std::unique(run.begin(), run.end()), run.end());
  };
  std::vector<std::string> run_paths;
  auto spill_run = [&] {
    sort_run();
    const std::string p = spills.make();
    id_writer w(p);
    for (int64_t v : run) w.put(v);
    w.close();
    run_paths.push_back(p);
    run.clear();
    ++stats.spilled_runs;
  };

  line_reader lines(path);
  auto add = [&](int64_t v) {
    ++stats.ids;
    if (run.size() == run.capacity() && run.capacity() < run_ids)
      run.reserve(std::min(run_ids, run.capacity() * 2));
    run.push_back(v);
    if (run.size() == run_ids) spill_run();
  };

  // Lines, read in chunks: a line may not exceed max_line_bytes.
  file_ptr in = open_file(path, "rb");
  const size_t chunk = std::max<size_t>(opts.max_line_bytes, 64 * 1024);
  std::vector<char> buf(chunk + opts.max_line_bytes + 1);
  size_t have = 0;
  bool eof = false;
  int64_t id = 0;
  while (!eof || have > 0) {
    if (!eof) {
      const size_t got = std::fread(buf.data() + have, 1, buf.size() - have, in.get());
      if (got == 0) {
        if (std::ferror(in.get()) != 0)
          throw input_error(path + ": cannot read: " + std::strerror(errno));
        eof = true;
      }
      have += got;
    }
    size_t start = 0;
    for (;;) {
      auto* nl = static_cast<const char*>(std::memchr(buf.data() + start, '\n', have - start));
      if (nl == nullptr) break;
      const size_t len = static_cast<size_t>(nl - (buf.data() + start));
      ++stats.lines;
      if (len > opts.max_line_bytes)
        throw input_error(path + ": line " + std::to_string(stats.lines) +
                          " is longer than " + std::to_string(opts.max_line_bytes) + " bytes");
      if (lines.line(std::string_view(buf.data() + start, len), stats.lines, id)) add(id);
      start += len + 1;
    }
    if (eof && start < have) { // the last line has no '\n'
      ++stats.lines;
      if (have - start > opts.max_line_bytes)
        throw input_error(path + ": line " + std::to_string(stats.lines) +
                          " is longer than " + std::to_string(opts.max_line_bytes) + " bytes");
      if (lines.line(std::string_view(buf.data() + start, have - start), stats.lines, id)) add(id);
      start = have;
    }
    std::memmove(buf.data(), buf.data() + start, have - start);
    have -= start;
    if (!eof && have > opts.max_line_bytes)
      throw input_error(path + ": line " + std::to_string(stats.lines + 1) +
                        " is longer than " + std::to_string(opts.max_line_bytes) + " bytes");
  }
  in.reset();
  buf = std::vector<char>();
  stats.format = lines.format();

  id_writer out(out_path);
  if (run_paths.empty()) {
    sort_run();
    for (int64_t id : run) out.put(id);
  } else {
    if (!run.empty()) spill_run();
    run = std::vector<int64_t>();
    // More runs than the fan-in: merge them in groups first.
    while (run_paths.size() > fan_in) {
      std::vector<std::string> next;
      for (size_t i = 0; i < run_paths.size(); i += fan_in) {
        std::vector<std::string> group(run_paths.begin() + static_cast<long>(i),
                                       run_paths.begin() +
                                         static_cast<long>(std::min(i + fan_in, run_paths.size())));
        const std::string p = spills.make();
        id_writer w(p);
        merge_runs(group, w);
        w.close();
        for (const auto& g : group) spills.remove(g);
        next.push_back(p);
      }
      run_paths = std::move(next);
    }
    merge_runs(run_paths, out);
  }
  out.close();
  stats.unique = out.count();
  stats.duplicates = stats.ids - stats.unique;
  return stats;
}

sorted_id_file::sorted_id_file(const std::string& path) : path_(path) {
  f_ = open_file(path, "rb").release();
  std::error_code ec;
  const auto bytes = fs::file_size(path, ec);
  if (ec || bytes % sizeof(int64_t) != 0) {
    std::fclose(f_);
    throw input_error(path + ": not a file of 8-byte ids");
  }
  size_ = bytes / sizeof(int64_t);
}

sorted_id_file::~sorted_id_file() {
  if (f_ != nullptr) std::fclose(f_);
}

void sorted_id_file::seek(uint64_t index) {
  if (std::fseek(f_, static_cast<long>(index * sizeof(int64_t)), SEEK_SET) != 0)
    throw input_error(path_ + ": cannot seek: " + std::strerror(errno));
  buf_.clear();
  pos_ = 0;
}

bool sorted_id_file::next(int64_t& id) {
  if (pos_ == buf_.size()) {
    buf_.resize(io_ids);
    const size_t got = std::fread(buf_.data(), sizeof(int64_t), io_ids, f_);
    buf_.resize(got);
    pos_ = 0;
    if (got == 0) {
      if (std::ferror(f_) != 0) throw input_error(path_ + ": cannot read: " + std::strerror(errno));
      return false;
    }
  }
  id = buf_[pos_++];
  return true;
}

std::vector<int64_t> sorted_id_file::read(uint64_t first, uint64_t count) {
  if (first + count > size_)
    throw input_error(path_ + ": ids " + std::to_string(first) + "+" + std::to_string(count) +
                      " are past its " + std::to_string(size_));
  std::vector<int64_t> out(count);
  seek(first);
  if (count > 0 && std::fread(out.data(), sizeof(int64_t), count, f_) != count)
    throw input_error(path_ + ": cannot read: " + std::strerror(errno));
  return out;
}

} // namespace gaia
