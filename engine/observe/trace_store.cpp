#include "engine/observe/trace_store.hpp"

#include "engine/log.hpp"
#include "engine/state/atomic_file.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <filesystem>
#include <regex>
#include <unistd.h>

namespace engine {

namespace fs = std::filesystem;

namespace {

/// Room left for the line that says a trace stops at its size limit.
constexpr uint64_t truncated_room = 128;

/// The trace files the stores of this process are writing (serve traces
/// its productions' runs into one folder, a store each): retention never
/// removes another store's open file.
struct open_traces {
  std::mutex mu;
  std::set<std::string> paths;
  /// Held while a store counts the folder and removes from it: two stores
  /// starting runs at once would otherwise both remove the same oldest
  /// file and both add theirs, one more than the folder may hold.
  std::mutex retention;
};

open_traces& open_files() {
  static auto* o = new open_traces; // never destroyed: stores may outlive statics
  return *o;
}

bool open_elsewhere(const std::string& path) {
  auto& o = open_files();
  std::lock_guard<std::mutex> lock(o.mu);
  return o.paths.count(path) != 0;
}

void set_open(const std::string& path, bool open) {
  if (path.empty()) return;
  auto& o = open_files();
  std::lock_guard<std::mutex> lock(o.mu);
  if (open)
    o.paths.insert(path);
  else
    o.paths.erase(path);
}

/// How many bytes a store writes between two counts of the whole folder:
/// another store's growth is seen at least this often, so the folder
/// passes max_bytes by at most about this much, whoever writes.
uint64_t recount_every(uint64_t max_bytes) {
  return std::max<uint64_t>(4096, std::min<uint64_t>(uint64_t{1} << 20, max_bytes / 16));
}

/// A trace file: "run-00000042-20260101T030000Z.jsonl".
struct trace_file {
  uint64_t run = 0;
  std::string name;
  std::string path;
  uint64_t bytes = 0;
};

bool older(const trace_file& a, const trace_file& b) {
  return a.run != b.run ? a.run < b.run : a.name < b.name;
}

/// The run number of a trace file's name, or nothing when it is not one of
/// ours: "run-<digits>-<stamp>.jsonl" with a number that fits 64 bits.
std::optional<uint64_t> run_of_name(const std::string& name) {
  static const std::regex pattern(R"(run-(\d+)-[0-9TZ]+\.jsonl)");
  std::smatch m;
  if (!std::regex_match(name, m, pattern)) return std::nullopt;
  const std::string digits = m[1].str();
  uint64_t run = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), run);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return run;
}

/// The trace files in `dir`, oldest first. Files named like ours whose
/// run number does not fit go to `skipped` (when given): they are not
/// ours, nothing reads or removes them.
std::vector<trace_file> files_in(const std::string& dir, std::vector<std::string>* skipped) {
  std::vector<trace_file> out;
  std::error_code ec;
  for (fs::directory_iterator i(dir, ec), end; !ec && i != end; i.increment(ec)) {
    std::error_code type_ec;
    if (!i->is_regular_file(type_ec)) continue; // a directory, a FIFO: not a trace
    const std::string name = i->path().filename().string();
    const auto run = run_of_name(name);
    if (!run) {
      if (skipped != nullptr && name.rfind("run-", 0) == 0 && name.size() > 6
          && name.compare(name.size() - 6, 6, ".jsonl") == 0)
        skipped->push_back(i->path().string());
      continue;
    }
    std::error_code size_ec;
    auto bytes = fs::file_size(i->path(), size_ec);
    out.push_back({*run, name, i->path().string(), size_ec ? 0 : bytes});
  }
  std::sort(out.begin(), out.end(), older);
  if (skipped != nullptr) std::sort(skipped->begin(), skipped->end());
  return out;
}

std::string file_name(uint64_t run, std::chrono::system_clock::time_point at) {
  std::time_t t = std::chrono::system_clock::to_time_t(at);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  char name[96];
  std::snprintf(name, sizeof name, "run-%08llu-%s.jsonl", static_cast<unsigned long long>(run),
                stamp);
  return name;
}

std::string read_range(const std::string& path, uint64_t from, uint64_t n) {
  // Not blocking: a FIFO by the name of a trace must not hang a listing.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return {};
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd, out.data() + got, n - got, static_cast<off_t>(from + got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  out.resize(got);
  return out;
}

/// The production a trace file is of: the "production" of its first line
/// (the run's start), "" when it has none (a trace of an older version) or
/// cannot be read. Only the first 4 KiB are read.
std::string production_of_file(const std::string& path) {
  std::string head = read_range(path, 0, 4096);
  const size_t nl = head.find('\n');
  head.resize(nl == std::string::npos ? 0 : nl + 1); // the first whole line
  return trace_reader::of_text(std::move(head))->run().production;
}

/// A run's summary from the head and tail of its file, without reading
/// the messages in between: listing many runs stays cheap.
run_summary summary_of(const trace_file& f) {
  constexpr uint64_t head_bytes = 4096, tail_bytes = 64 * 1024;
  std::string text;
  if (f.bytes <= head_bytes + tail_bytes) {
    text = read_range(f.path, 0, f.bytes);
  } else {
    // Whole lines only: the head up to its last newline, the tail from
    // its first.
    auto head = read_range(f.path, 0, head_bytes);
    head.resize(head.rfind('\n') == std::string::npos ? 0 : head.rfind('\n') + 1);
    auto tail = read_range(f.path, f.bytes - tail_bytes, tail_bytes);
    auto nl = tail.find('\n');
    text = head + (nl == std::string::npos ? "" : tail.substr(nl + 1));
  }
  run_summary r = trace_reader::of_text(std::move(text))->run();
  r.file = f.path;
  r.file_bytes = f.bytes;
  if (r.run_id == 0) r.run_id = f.run;
  return r;
}

} // namespace

trace_store::trace_store(std::string dir, trace_limits limits)
  : dir_(std::move(dir)), limits_(limits) {
  if (limits_.keep_runs < 1) limits_.keep_runs = 1;
  listener_ = add_log_listener(
    [this](const std::string& component, const std::string& text) { log(component, text); });
}

trace_store::~trace_store() {
  remove_log_listener(listener_); // no call of log() is under way after this
  std::lock_guard<std::mutex> lock(mu_);
  close_run();
}

void trace_store::close_run() {
  if (fd_ >= 0) {
    ::fdatasync(fd_);
    ::close(fd_);
    set_open(path_, false);
  }
  fd_ = -1;
}

bool trace_store::make_room(uint64_t need, std::string& note) {
  const uint64_t limit = limits_.max_bytes > truncated_room ? limits_.max_bytes - truncated_room : 0;
  if (total_ + need <= limit && since_count_ < recount_every(limits_.max_bytes)) return true;
  // Another store may write into this folder too: count it again.
  std::lock_guard<std::mutex> folder(open_files().retention);
  auto files = files_in(dir_, nullptr);
  total_ = 0;
  for (const auto& f : files) total_ += f.bytes;
  since_count_ = 0;
  if (total_ + need <= limit) return true;
  for (const auto& f : files) {
    if (f.path == path_ || open_elsewhere(f.path)) continue;
    std::error_code ec;
    if (fs::remove(f.path, ec)) {
      total_ = total_ > f.bytes ? total_ - f.bytes : 0;
      note += (note.empty() ? "" : "; ") + std::string("removed the trace of run ")
              + std::to_string(f.run) + " (trace_max_bytes)";
    }
    if (total_ + need <= limit) return true;
  }
  return false;
}

void trace_store::open_run(const trace_event& e, std::string& note, std::string& foreign) {
  close_run();
  run_ = e.run_id;
  ended_ = false;
  truncated_ = false;
  std::lock_guard<std::mutex> folder(open_files().retention);
  std::error_code ec;
  fs::create_directories(dir_, ec);
  std::vector<std::string> not_ours;
  auto files = files_in(dir_, &not_ours);
  // Said once per file (of the first hundred): the log is not flooded.
  for (const auto& f : not_ours)
    if (noted_.size() < 100 && noted_.insert(f).second)
      foreign += (foreign.empty() ? "" : "; ") + f
              + ": its run number does not fit 64 bits: not a trace of ours, left alone";
  // The new run is one of keep_runs of its production: the oldest others
  // of it go. Each production keeps its own (serve's light-curve requests
  // must not push the variability run's traces out); a trace of no known
  // production (an older version's) counts as this one's. A trace that
  // another store of this process still has open stays, and the next
  // oldest goes in its place.
  std::vector<bool> mine(files.size());
  size_t count = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string p = production_of_file(files[i].path);
    mine[i] = p.empty() || p == e.production;
    if (mine[i]) ++count;
  }
  const size_t keep_others = static_cast<size_t>(limits_.keep_runs - 1);
  size_t excess = count > keep_others ? count - keep_others : 0;
  total_ = 0;
  since_count_ = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const auto& f = files[i];
    if (excess > 0 && mine[i] && !open_elsewhere(f.path)) {
      std::error_code rm;
      fs::remove(f.path, rm);
      if (!fs::exists(f.path, rm)) {
        --excess;
        continue;
      }
    }
    total_ += f.bytes;
  }
  path_ = (fs::path(dir_) / file_name(e.run_id, e.at)).string();
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    note = "cannot write " + path_ + ": " + std::strerror(errno) + "; run "
           + std::to_string(e.run_id) + " is not traced";
    return;
  }
  set_open(path_, true);
  std::error_code size_ec;
  total_ += fs::file_size(path_, size_ec); // the same id and second again
  // The first line (the run's start, with its production) while the folder
  // is still ours: another store's retention reads it to tell whose the
  // file is.
  if (!write_line(event_line(e))) {
    note = "cannot write " + path_ + ": " + std::strerror(errno) + "; run "
           + std::to_string(e.run_id) + " is not traced";
    close_run();
  }
}

bool trace_store::write_line(const std::string& line) {
  // One write per line (O_APPEND): lines never interleave, and a crash
  // tears at most the last one.
  if (!write_all(fd_, line.data(), line.size())) return false;
  total_ += line.size();
  since_count_ += line.size();
  return true;
}

void trace_store::append(const std::string& line, std::string& note) {
  if (fd_ < 0 || truncated_) return;
  if (!make_room(line.size(), note)) {
    const std::string last = truncated_line();
    ssize_t ignored = ::write(fd_, last.data(), last.size());
    (void) ignored;
    truncated_ = true;
    note += (note.empty() ? "" : "; ") + std::string("the trace of run ") + std::to_string(run_)
            + " reached trace_max_bytes (" + std::to_string(limits_.max_bytes)
            + " bytes); the rest of it is not kept";
    return;
  }
  if (!write_line(line)) {
    note = "cannot write " + path_ + ": " + std::strerror(errno)
           + "; the rest of run " + std::to_string(run_) + " is not traced";
    close_run();
  }
}

void trace_store::record(const trace_event& e) {
  std::string note, foreign;
  try {
    std::lock_guard<std::mutex> lock(mu_);
    if (e.what == trace_event::kind::run_started) {
      open_run(e, note, foreign); // writes the run's first line
    } else if (e.run_id == run_) {
      // Replies of a run that has ended (jobs it cancelled) still belong
      // to it: its file stays open until the next run starts.
      append(event_line(e), note);
      if (e.what == trace_event::kind::run_ended && fd_ >= 0) {
        ended_ = true;
        ::fdatasync(fd_);
      }
    }
  } catch (const std::exception& x) {
    // A trace is extra: whatever goes wrong here must not stop the run.
    note = std::string("cannot trace run ") + std::to_string(e.run_id) + ": " + x.what();
  }
  if (!foreign.empty()) log_line("trace", foreign);
  if (!note.empty()) log_line("trace", note);
}

void trace_store::log(const std::string& component, const std::string& text) {
  if (component == "trace") return; // our own notes: not about the run
  // A line said for a run (log_scope) goes into that run's file only:
  // another production may be tracing a run into this folder meanwhile.
  const uint64_t for_run = log_run();
  std::string note;
  try {
    std::lock_guard<std::mutex> lock(mu_);
    if (fd_ < 0 || ended_) return;
    if (for_run != 0 && for_run != run_) return;
    append(log_event_line(component, text, std::chrono::system_clock::now()), note);
  } catch (const std::exception& x) {
    note = std::string("cannot trace a log line: ") + x.what();
  }
  if (!note.empty()) log_line("trace", note);
}

uint64_t trace_store::last_run_id() const {
  // A number this high is no run of ours (a stray file): following it
  // would run the numbers out.
  constexpr uint64_t ours_below = uint64_t{1} << 62;
  uint64_t last = 0;
  for (const auto& f : files_in(dir_, nullptr))
    if (f.run < ours_below) last = std::max(last, f.run);
  return last;
}

std::vector<run_summary> trace_store::list_runs(const std::string& dir,
                                                std::vector<std::string>* skipped) {
  std::vector<run_summary> out;
  for (const auto& f : files_in(dir, skipped)) out.push_back(summary_of(f));
  return out;
}

std::unique_ptr<trace_reader> trace_store::open_reader(const std::string& dir, uint64_t run,
                                                    std::string* why) {
  return reopen_reader(dir, run, nullptr, why);
}

std::unique_ptr<trace_reader> trace_store::reopen_reader(const std::string& dir, uint64_t run,
                                                      std::unique_ptr<trace_reader> earlier,
                                                      std::string* why) {
  auto files = files_in(dir, nullptr);
  for (auto i = files.rbegin(); i != files.rend(); ++i)
    if (i->run == run) {
      if (earlier && earlier->reads(i->path)) {
        earlier->refresh();
        return earlier;
      }
      auto r = trace_reader::open_file(i->path, why);
      if (r && r->run().run_id == 0) r->run().run_id = run;
      if (!r && why != nullptr) *why = i->path + ": " + *why;
      return r;
    }
  if (why != nullptr) why->clear();
  return nullptr;
}

run_trace trace_store::read_file(const std::string& path) {
  auto r = trace_reader::open_file(path, nullptr);
  if (!r) {
    run_trace t;
    t.run.file = path;
    return t;
  }
  return r->whole();
}

std::optional<run_trace> trace_store::read_run(const std::string& dir, uint64_t run) {
  auto r = open_reader(dir, run, nullptr);
  if (!r) return std::nullopt;
  return r->whole();
}

} // namespace engine
