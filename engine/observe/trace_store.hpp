// The trace of every run, kept in a directory: one append-only file per run
// (engine/observe/trace_format.hpp), written as the events and log lines
// come, fsynced when the run ends. A crash leaves a file whose torn last
// line readers skip.
//
// Retention: when a run starts, the oldest files go until it is at most the
// keep_runs-th; while it is written, the oldest others go whenever the
// directory would grow past max_bytes, and a run that alone reaches it stops
// being traced (its file says so). Files named like traces whose run number
// does not fit 64 bits are not ours: left alone (and logged once), and
// not counted, so our own files stay within the limits whatever else is
// there. Each production's run lock allows one writer per production;
// serve's productions share the folder, a store each: a store counts the
// whole folder again each time it has written max_bytes/16 (at most 1 MiB)
// or reaches the limit, so it sees the others' bytes, and never removes
// a file another store of this process has open.
#pragma once

#include "engine/observe/trace_format.hpp"
#include "engine/observe/trace_reader.hpp"
#include "engine/trace.hpp"

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace engine {

struct trace_limits {
  int keep_runs = 100;               ///< files kept, the running one included
  uint64_t max_bytes = 64ull << 20;  ///< all files together
};

class trace_store final : public trace_sink {
public:
  /// Writes into `dir` (made when the first run starts). Hears log_line()
  /// while it lives: a line logged during a run goes into its file, unless
  /// it is said for another run (engine::log_scope).
  trace_store(std::string dir, trace_limits limits);
  ~trace_store() override;
  trace_store(const trace_store&) = delete;
  trace_store& operator=(const trace_store&) = delete;

  void record(const trace_event& e) override;
  /// The highest run number among the trace files in dir() (by name).
  uint64_t last_run_id() const override;
  const std::string& dir() const { return dir_; }

  /// The runs traced in `dir`, oldest first (by run id, then start).
  /// Files named like traces whose run number does not fit are not read;
  /// their paths go to `skipped` when given.
  static std::vector<run_summary> list_runs(const std::string& dir,
                                            std::vector<std::string>* skipped = nullptr);
  /// A reader of run `run`'s trace (the latest file of that id), or
  /// nothing: no such run (`why` empty), or its file cannot be opened.
  static std::unique_ptr<trace_reader> open_reader(const std::string& dir, uint64_t run,
                                                std::string* why = nullptr);
  /// As open_reader, but `earlier` (a reader it gave before) is brought up
  /// to date and returned when it still reads run `run`'s latest file: a
  /// running run's trace, read again and again, costs only its new lines.
  static std::unique_ptr<trace_reader> reopen_reader(const std::string& dir, uint64_t run,
                                                  std::unique_ptr<trace_reader> earlier,
                                                  std::string* why = nullptr);
  /// The trace of run `run`, all in memory (small traces and tests; the
  /// commands and the page use open_reader), or nothing.
  static std::optional<run_trace> read_run(const std::string& dir, uint64_t run);
  /// The trace file at `path`, all in memory.
  static run_trace read_file(const std::string& path);

private:
  void log(const std::string& component, const std::string& text);
  /// Appends under the lock; a note for the log (written after unlocking:
  /// log_line calls back into log()) when something went wrong.
  void append(const std::string& line, std::string& note);
  /// Writes one whole line to the open file and counts it; false (errno
  /// set) when the write fails.
  bool write_line(const std::string& line);
  /// `note`: why the run is not traced; `foreign`: files found that are
  /// not ours, not logged before.
  void open_run(const trace_event& e, std::string& note, std::string& foreign);
  void close_run();
  /// Removes the oldest files other than the open one until `need` more
  /// bytes fit; false when they do not even then.
  bool make_room(uint64_t need, std::string& note);

  std::string dir_;
  trace_limits limits_;
  int listener_ = 0;
  std::mutex mu_;
  int fd_ = -1;
  uint64_t run_ = 0;
  std::string path_;
  uint64_t total_ = 0; ///< bytes of all files, the open one included, as last counted
  uint64_t since_count_ = 0; ///< bytes this store wrote since it counted the folder
  bool ended_ = false;     ///< the run's end is written: no more log lines
  bool truncated_ = false; ///< the run reached max_bytes: nothing more
  std::set<std::string> noted_; ///< files not ours, already logged
};

} // namespace engine
