#include "engine/observe/trace_store.hpp"

#include "engine/log.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <unistd.h>

namespace engine {

namespace fs = std::filesystem;

namespace {

/// Room left for the line that says a trace stops at its size limit.
constexpr uint64_t truncated_room = 128;

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

std::vector<trace_file> files_in(const std::string& dir) {
  static const std::regex pattern(R"(run-(\d+)-[0-9TZ]+\.jsonl)");
  std::vector<trace_file> out;
  std::error_code ec;
  for (fs::directory_iterator i(dir, ec), end; !ec && i != end; i.increment(ec)) {
    const std::string name = i->path().filename().string();
    std::smatch m;
    if (!std::regex_match(name, m, pattern)) continue;
    std::error_code size_ec;
    auto bytes = fs::file_size(i->path(), size_ec);
    out.push_back({std::stoull(m[1].str()), name, i->path().string(), size_ec ? 0 : bytes});
  }
  std::sort(out.begin(), out.end(), older);
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
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(static_cast<std::streamoff>(from));
  std::string out(n, '\0');
  in.read(out.data(), static_cast<std::streamsize>(n));
  out.resize(static_cast<size_t>(in.gcount()));
  return out;
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
  run_trace t = parse_trace(text);
  t.run.file = f.path;
  t.run.file_bytes = f.bytes;
  if (t.run.run_id == 0) t.run.run_id = f.run;
  return t.run;
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
  }
  fd_ = -1;
}

bool trace_store::make_room(uint64_t need, std::string& note) {
  const uint64_t limit = limits_.max_bytes > truncated_room ? limits_.max_bytes - truncated_room : 0;
  if (total_ + need <= limit) return true;
  for (const auto& f : files_in(dir_)) {
    if (f.path == path_) continue;
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

void trace_store::open_run(const trace_event& e, std::string& note) {
  close_run();
  run_ = e.run_id;
  ended_ = false;
  truncated_ = false;
  std::error_code ec;
  fs::create_directories(dir_, ec);
  auto files = files_in(dir_);
  // The new run is one of keep_runs: the oldest others go.
  size_t keep_others = static_cast<size_t>(limits_.keep_runs - 1);
  total_ = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    if (files.size() - i > keep_others) {
      std::error_code rm;
      fs::remove(files[i].path, rm);
      continue;
    }
    total_ += files[i].bytes;
  }
  path_ = (fs::path(dir_) / file_name(e.run_id, e.at)).string();
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    note = "cannot write " + path_ + ": " + std::strerror(errno) + "; run "
           + std::to_string(e.run_id) + " is not traced";
    return;
  }
  std::error_code size_ec;
  total_ += fs::file_size(path_, size_ec); // the same id and second again
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
  // One write per line (O_APPEND): lines never interleave, and a crash
  // tears at most the last one.
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      note = "cannot write " + path_ + ": " + std::strerror(errno)
             + "; the rest of run " + std::to_string(run_) + " is not traced";
      close_run();
      return;
    }
    p += n;
    left -= static_cast<size_t>(n);
    total_ += static_cast<uint64_t>(n);
  }
}

void trace_store::record(const trace_event& e) {
  std::string note;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (e.what == trace_event::kind::run_started) {
      open_run(e, note);
      if (note.empty()) append(event_line(e), note);
    } else if (e.run_id == run_) {
      // Replies of a run that has ended (jobs it cancelled) still belong
      // to it: its file stays open until the next run starts.
      append(event_line(e), note);
      if (e.what == trace_event::kind::run_ended && fd_ >= 0) {
        ended_ = true;
        ::fdatasync(fd_);
      }
    }
  }
  if (!note.empty()) log_line("trace", note);
}

void trace_store::log(const std::string& component, const std::string& text) {
  if (component == "trace") return; // our own notes: not about the run
  std::string note;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (fd_ < 0 || ended_) return;
    append(log_event_line(component, text, std::chrono::system_clock::now()), note);
  }
  if (!note.empty()) log_line("trace", note);
}

std::vector<run_summary> trace_store::list_runs(const std::string& dir) {
  std::vector<run_summary> out;
  for (const auto& f : files_in(dir)) out.push_back(summary_of(f));
  return out;
}

run_trace trace_store::read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  run_trace t = parse_trace(ss.str());
  t.run.file = path;
  t.run.file_bytes = ss.str().size();
  return t;
}

std::optional<run_trace> trace_store::read_run(const std::string& dir, uint64_t run) {
  auto files = files_in(dir);
  for (auto i = files.rbegin(); i != files.rend(); ++i)
    if (i->run == run) {
      auto t = read_file(i->path);
      if (t.run.run_id == 0) t.run.run_id = run;
      return t;
    }
  return std::nullopt;
}

} // namespace engine
