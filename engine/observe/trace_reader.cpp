#include "engine/observe/trace_reader.hpp"

#include "engine/observe/trace_lines.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <limits>
#include <unistd.h>

namespace engine {

namespace {

using json = nlohmann::json;

constexpr uint64_t none = std::numeric_limits<uint64_t>::max();
/// One log line in this many has its offset kept.
constexpr size_t log_stride = 512;

enum status_code : uint8_t { no_status, queued, active, done, failed, cancelled };

const char* status_name(uint8_t s) {
  switch (s) {
  case queued: return "queued";
  case active: return "active";
  case done: return "done";
  case failed: return "failed";
  case cancelled: return "cancelled";
  default: return "";
  }
}

/// A file, read by offset (pread: no shared position, and the writer may
/// go on appending).
class file_bytes final : public trace_source {
public:
  explicit file_bytes(int fd) : fd_(fd) {}
  ~file_bytes() override { ::close(fd_); }
  size_t read(uint64_t offset, char* buf, size_t n) const override {
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::pread(fd_, buf + got, n - got, static_cast<off_t>(offset + got));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break; // the end, or an I/O error: what was read is all
      got += static_cast<size_t>(r);
    }
    return got;
  }

private:
  int fd_;
};

class text_bytes final : public trace_source {
public:
  explicit text_bytes(std::string text) : text_(std::move(text)) {}
  size_t read(uint64_t offset, char* buf, size_t n) const override {
    if (offset >= text_.size()) return 0;
    n = std::min<uint64_t>(n, text_.size() - offset);
    std::memcpy(buf, text_.data() + offset, n);
    return n;
  }

private:
  std::string text_;
};

/// A message's id -> its index in a vector, open addressing: 8 to 16
/// bytes per message where a std::map takes about 48.
class id_table {
public:
  /// The index of `id` in `refs`, or none.
  template <class Refs>
  uint64_t find(uint64_t id, const Refs& refs) const {
    if (slots_.empty()) return none;
    for (size_t i = hash(id) & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i] == 0) return none;
      if (refs[slots_[i] - 1].id == id) return slots_[i] - 1;
    }
  }
  /// Records that refs[index] has `id` (not yet in the table).
  template <class Refs>
  void insert(uint64_t id, uint32_t index, const Refs& refs) {
    if ((count_ + 1) * 2 > slots_.size()) grow(refs);
    place(id, index);
    ++count_;
  }
  void clear() {
    std::vector<uint32_t>().swap(slots_);
    count_ = 0;
  }

private:
  static size_t hash(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return static_cast<size_t>(x);
  }
  void place(uint64_t id, uint32_t index) {
    size_t i = hash(id) & (slots_.size() - 1);
    while (slots_[i] != 0) i = (i + 1) & (slots_.size() - 1);
    slots_[i] = index + 1;
  }
  template <class Refs>
  void grow(const Refs& refs) {
    std::vector<uint32_t> old(std::max<size_t>(1024, slots_.size() * 2), 0);
    old.swap(slots_);
    for (uint32_t s : old)
      if (s != 0) place(refs[s - 1].id, s - 1);
  }
  std::vector<uint32_t> slots_; ///< index + 1; 0 = free
  size_t count_ = 0;
};

bool known_field(const std::string& key) {
  static const char* const fields[] = {"event", "id",     "reply",   "t",         "from",
                                       "to",    "type",   "key",     "summary",   "worker",
                                       "host",  "error",  "cancelled", "bytes",   "run",
                                       "outcome", "seconds", "component", "text",
                                       "production"};
  for (const char* f : fields)
    if (key == f) return true;
  return false;
}

/// A line's JSON object with only the fields an event has, and those only
/// when they are not arrays or objects: a line of any shape (a million
/// nested arrays, a million keys) takes memory of the order of its length
/// at most. Anything else is discarded.
json parse_line(std::string_view text) {
  if (text.empty()) return json();
  // A flat object with few fields (every line the writer writes) cannot
  // take much memory: parsed without the filter, which costs time.
  size_t open = 0, colons = 0;
  for (char c : text) {
    open += c == '{' || c == '[';
    colons += c == ':';
  }
  if (open == 1 && colons <= 64 && text.front() == '{')
    return json::parse(text.begin(), text.end(), nullptr, false);
  bool object = false;
  auto keep = [&object](int depth, json::parse_event_t event, json& parsed) {
    using e = json::parse_event_t;
    if (depth == 0 && event == e::object_start) return object = true;
    if (depth == 0 && event == e::array_start) return false; // not an event
    if (event == e::object_start || event == e::array_start) return false; // a nested value
    if (event == e::key && depth == 1) return object && known_field(parsed.get_ref<const std::string&>());
    return true;
  };
  return json::parse(text.begin(), text.end(), keep, false);
}

/// The event of a parsed line, or nullptr when the line is not an event.
const std::string* event_of(const json& j) {
  if (!j.is_object()) return nullptr;
  auto i = j.find("event");
  return i != j.end() && i->is_string() ? i->get_ptr<const std::string*>() : nullptr;
}

} // namespace

/// A message as the first pass leaves it: which lines describe it.
///  - request: sent_at names it (from, to, type, key, summary, time sent);
///    started_at gives worker, host, time started; ended_at (finished or
///    failed) the time answered, and for a failure its error (and the
///    worker when none started it).
///  - reply: made by the line ended_at of the request it answers, whose
///    sent_at and started_at it keeps: it goes back from the request's
///    target to its source; its type, summary, error, bytes and times are
///    those of ended_at.
struct trace_reader::message_ref {
  uint64_t id = 0;
  uint64_t answers = 0;
  uint64_t sent_at = none;
  uint64_t started_at = none;
  uint64_t ended_at = none;
  uint8_t status = no_status;
  bool reply = false;
  bool swapped = false; ///< source and target are the line's to and from
};

/// The bytes around the last line read by offset: messages are read back
/// in about the order their lines were written. And the last lines parsed:
/// a reply, read right after its request, reads the request's lines again.
struct trace_reader::window {
  std::vector<char> buf;
  uint64_t base = 0;
  size_t len = 0;
  static constexpr size_t parsed_kept = 4;
  std::pair<uint64_t, std::shared_ptr<const json>> parsed[parsed_kept];
  size_t next_parsed = 0;

  /// The parsed line at `offset` (null for none).
  std::shared_ptr<const json> parsed_at(const trace_source& bytes, uint64_t offset) {
    static const auto null = std::make_shared<const json>();
    if (offset == none) return null;
    for (const auto& [at, j] : parsed)
      if (j && at == offset) return j;
    auto j = std::make_shared<const json>(parse_line(line_at(bytes, offset)));
    parsed[next_parsed] = {offset, j};
    next_parsed = (next_parsed + 1) % parsed_kept;
    return j;
  }

  /// The whole line at `offset` (without its newline); empty when there
  /// is none (the file changed since the first pass).
  std::string_view line_at(const trace_source& bytes, uint64_t offset) {
    if (offset >= base && offset < base + len) {
      const size_t from = static_cast<size_t>(offset - base);
      const void* nl = std::memchr(buf.data() + from, '\n', len - from);
      if (nl != nullptr)
        return {buf.data() + from, static_cast<size_t>(static_cast<const char*>(nl) - buf.data())
                                     - from};
    }
    // A whole line is at most max_line_bytes and its newline.
    const size_t most = trace_reader::max_line_bytes + 1;
    for (size_t want = 64 * 1024;; want = std::min(want * 4, most)) {
      buf.resize(want);
      base = offset;
      len = bytes.read(offset, buf.data(), want);
      const void* nl = std::memchr(buf.data(), '\n', len);
      if (nl != nullptr)
        return {buf.data(), static_cast<size_t>(static_cast<const char*>(nl) - buf.data())};
      if (len < want || want == most) return {};
    }
  }
};

trace_reader::trace_reader(std::unique_ptr<trace_source> bytes)
  : bytes_(std::move(bytes)), window_(std::make_unique<window>()) {}

trace_reader::~trace_reader() = default;

std::unique_ptr<trace_reader> trace_reader::open_file(const std::string& path, std::string* why) {
  // Not blocking, and regular files only: a FIFO must not hang a reader.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (why != nullptr) *why = std::strerror(errno);
    return nullptr;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    if (why != nullptr) *why = "not a regular file";
    return nullptr;
  }
  std::unique_ptr<trace_reader> r(new trace_reader(std::make_unique<file_bytes>(fd)));
  r->path_ = path;
  r->device_ = static_cast<uint64_t>(st.st_dev);
  r->inode_ = static_cast<uint64_t>(st.st_ino);
  r->index();
  return r;
}

std::unique_ptr<trace_reader> trace_reader::of_text(std::string text) {
  std::unique_ptr<trace_reader> r(new trace_reader(std::make_unique<text_bytes>(std::move(text))));
  r->index();
  return r;
}

void trace_reader::index() {
  id_table table;
  // Indexing again from end_: the messages so far are found by id.
  for (size_t i = 0; i < messages_.size(); ++i)
    table.insert(messages_[i].id, static_cast<uint32_t>(i), messages_);
  if (torn_) {
    // The line cut short last time may be whole now: read it again.
    --damaged_count_;
    if (!damaged_.empty() && damaged_.back().line == lines_ + 1) damaged_.pop_back();
    torn_ = false;
  }
  // The message `id`, made when it is new; a request's event on a reply
  // (an id used twice) starts the message over.
  auto message = [&](uint64_t id, bool as_request) -> message_ref* {
    uint64_t at = table.find(id, messages_);
    if (at == none) {
      if (messages_.size() >= std::numeric_limits<uint32_t>::max() - 1) return nullptr;
      messages_.emplace_back();
      messages_.back().id = id;
      table.insert(id, static_cast<uint32_t>(messages_.size() - 1), messages_);
      return &messages_.back();
    }
    message_ref& m = messages_[at];
    if (as_request && m.reply) {
      m = message_ref{};
      m.id = id;
    }
    return &m;
  };
  auto damage = [&](uint64_t line, std::string why) {
    ++damaged_count_;
    if (damaged_.size() < damaged_named) damaged_.push_back({line, std::move(why)});
  };

  line_scanner scan(*bytes_, end_, none);
  uint64_t line_no = lines_, torn_at = none;
  for (;;) {
    const auto l = scan.next();
    if (l.what == line_scanner::kind::done) break;
    ++line_no;
    if (l.what == line_scanner::kind::torn) {
      // A last line without its newline was being written when the
      // process stopped (or still is): not a whole event.
      damage(line_no, "no newline at its end: cut short (still being written, or the process "
                      "stopped)");
      torn_at = l.at;
      torn_ = true;
      --line_no; // not a whole line (yet)
      break;
    }
    if (l.what == line_scanner::kind::too_long) {
      damage(line_no, "longer than " + std::to_string(max_line_bytes >> 20) + " MiB");
      continue;
    }
    if (l.text.empty()) continue;
    const json j = parse_line(l.text);
    const std::string* ev = event_of(j);
    if (ev == nullptr) {
      damage(line_no, j.is_object() ? "no \"event\" text" : "not a JSON object");
      continue;
    }
    const bool sent = *ev == "sent", started = *ev == "started";
    const bool finished = *ev == "finished", failure = *ev == "failed";
    if (sent || started || finished || failure) {
      const auto id = line_fields::id_of(j, "id");
      if (!id) {
        damage(line_no, "\"" + *ev + "\" without a message number in \"id\"");
        continue;
      }
      message_ref* m = message(*id, true);
      if (m == nullptr) {
        damage(line_no, "too many messages");
        continue;
      }
      if (sent) {
        m->sent_at = l.at;
        m->status = queued;
      } else if (started) {
        m->started_at = l.at;
        m->status = active;
      } else {
        m->ended_at = l.at;
        m->status = finished ? done : line_fields::flag_of(j, "cancelled") ? cancelled : failed;
        const auto reply = line_fields::id_of(j, "reply").value_or(0);
        if (reply != 0) {
          const message_ref req = *m; // `message` may move it
          message_ref* r = message(reply, false);
          if (r == nullptr) {
            damage(line_no, "too many messages");
            continue;
          }
          *r = message_ref{};
          r->id = reply;
          r->answers = req.id;
          r->sent_at = req.sent_at;
          r->started_at = req.started_at;
          r->ended_at = l.at;
          r->status = req.status;
          r->reply = true;
          r->swapped = !req.swapped;
        }
      }
    } else if (*ev == "log") {
      if (log_count_ % log_stride == 0) log_marks_.push_back(l.at);
      ++log_count_;
    } else if (*ev == "run") {
      // The same run id again (its process died before recording it):
      // the later attempt is the run.
      messages_.clear();
      table.clear();
      log_count_ = 0;
      log_marks_.clear();
      truncated_ = false;
      run_ = run_summary{};
      run_.run_id = line_fields::id_of(j, "run").value_or(0);
      run_.host = line_fields::text_of(j, "host");
      run_.production = line_fields::text_of(j, "production");
      run_.started_ms = line_fields::time_of(j, "t");
    } else if (*ev == "end") {
      run_.ended_ms = line_fields::time_of(j, "t");
      run_.outcome = line_fields::text_of(j, "outcome");
      run_.summary = line_fields::text_of(j, "summary");
      run_.error = line_fields::text_of(j, "error");
      run_.seconds = line_fields::real_of(j, "seconds");
    } else if (*ev == "truncated") {
      truncated_ = true;
    }
    // Other events (of a later version): not this reader's to show.
  }
  table.clear();
  end_ = torn_at != none ? torn_at : scan.offset();
  lines_ = line_no;
  // An empty scan (nothing appended) reads no bytes: the size stays.
  run_.file_bytes = std::max(run_.file_bytes, scan.bytes_seen());
  if (!path_.empty()) run_.file = path_;
  auto by_id = [](const message_ref& a, const message_ref& b) { return a.id < b.id; };
  if (!std::is_sorted(messages_.begin(), messages_.end(), by_id))
    std::sort(messages_.begin(), messages_.end(), by_id);
}

void trace_reader::refresh() { index(); }

bool trace_reader::reads(const std::string& path) const {
  struct stat st {};
  return !path_.empty() && path == path_ && ::stat(path.c_str(), &st) == 0
         && static_cast<uint64_t>(st.st_dev) == device_
         && static_cast<uint64_t>(st.st_ino) == inode_;
}

traced_message trace_reader::message_at(const message_ref& r) const {
  using namespace line_fields;
  const auto sent_line = window_->parsed_at(*bytes_, r.sent_at);
  const auto started_line = window_->parsed_at(*bytes_, r.started_at);
  const auto ended_line = window_->parsed_at(*bytes_, r.ended_at);
  const json &sent = *sent_line, &started = *started_line, &ended = *ended_line;
  const std::string* ended_event = event_of(ended);
  const bool ended_failed = ended_event != nullptr && *ended_event == "failed";
  traced_message m;
  m.id = r.id;
  m.answers = r.answers;
  m.source = text_of(sent, r.swapped ? "to" : "from");
  m.target = text_of(sent, r.swapped ? "from" : "to");
  m.key = text_of(sent, "key");
  m.worker = text_of(started, "worker");
  if (m.worker.empty() && ended_failed) m.worker = text_of(ended, "worker");
  m.host = text_of(started, "host");
  m.status = status_name(r.status);
  if (r.reply) {
    m.type = text_of(ended, "type");
    m.summary = text_of(ended, "summary");
    m.error = text_of(ended, "error");
    m.bytes = id_of(ended, "bytes").value_or(0);
    m.sent_ms = m.started_ms = m.finished_ms = time_of(ended, "t");
  } else {
    m.type = text_of(sent, "type");
    m.summary = text_of(sent, "summary");
    if (ended_failed) m.error = text_of(ended, "error");
    m.sent_ms = time_of(sent, "t");
    m.started_ms = time_of(started, "t");
    m.finished_ms = time_of(ended, "t");
  }
  return m;
}

size_t trace_reader::message_count() const { return messages_.size(); }

size_t trace_reader::failed_count() const {
  return static_cast<size_t>(std::count_if(messages_.begin(), messages_.end(),
                                           [](const message_ref& m) { return m.status == failed; }));
}

uint64_t trace_reader::first_failure() const {
  for (const auto& m : messages_)
    if (m.answers != 0 && m.status == failed) return m.answers;
  return 0;
}

void trace_reader::messages(size_t from, size_t n,
                            const std::function<bool(const traced_message&)>& f,
                            bool failed_only) const {
  size_t pos = 0;
  for (const auto& m : messages_) {
    if (n == 0) return;
    if (failed_only && m.status != failed) continue;
    if (pos++ < from) continue;
    --n;
    if (!f(message_at(m))) return;
  }
}

std::optional<traced_message> trace_reader::message(uint64_t id) const {
  auto i = std::lower_bound(messages_.begin(), messages_.end(), id,
                            [](const message_ref& m, uint64_t v) { return m.id < v; });
  if (i == messages_.end() || i->id != id) return std::nullopt;
  return message_at(*i);
}

std::optional<traced_message> trace_reader::reply_to(uint64_t id) const {
  for (const auto& m : messages_)
    if (m.answers == id && m.reply) return message_at(m);
  return std::nullopt;
}

void trace_reader::log(size_t from, size_t n,
                       const std::function<bool(const log_entry&)>& f) const {
  if (from >= log_count_ || n == 0) return;
  // The first pass counted log lines from the same bytes with the same
  // test: counting again from a mark finds the same lines.
  const size_t mark = from / log_stride;
  size_t pos = mark * log_stride;
  line_scanner scan(*bytes_, log_marks_[mark], end_);
  for (;;) {
    const auto l = scan.next();
    if (l.what == line_scanner::kind::done) return;
    if (l.what != line_scanner::kind::line || l.text.empty()) continue;
    const json j = parse_line(l.text);
    const std::string* ev = event_of(j);
    if (ev == nullptr || *ev != "log") continue;
    if (pos++ < from) continue;
    if (!f({line_fields::time_of(j, "t"), line_fields::text_of(j, "component"),
            line_fields::text_of(j, "text")}))
      return;
    if (--n == 0 || pos >= log_count_) return;
  }
}

run_trace trace_reader::whole() const {
  run_trace t;
  t.run = run_;
  t.damaged_lines = damaged_count_;
  t.truncated = truncated_;
  messages(0, messages_.size(), [&](const traced_message& m) {
    t.messages.push_back(m);
    return true;
  });
  log(0, log_count_, [&](const log_entry& l) {
    t.log.push_back(l);
    return true;
  });
  return t;
}

} // namespace engine
