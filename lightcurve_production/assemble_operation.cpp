// The assemble operation (assemble_operation.hpp).
#include "lightcurve_production/assemble_operation.hpp"

#include "core/errors.hpp"
#include "engine/log.hpp"
#include "engine/state/atomic_file.hpp"
#include "lightcurve/formats/table_files.hpp"
#include "lightcurve_output/zip_writer.hpp"
#include "lightcurve_production/fragment_file.hpp"
#include "lightcurve_production/raw_answer.hpp"
#include "messages/errors.hpp"

#include <charconv>
#include <chrono>
#include <filesystem>

namespace gaia {

namespace {

namespace lc = lightcurve;

/// Reads a list of ids, one a line, in order: a piece of a spool, or a
/// whole file.
class id_lines {
public:
  explicit id_lines(const spool_range& range) : in_(range) { advance(); }
  bool done() const { return done_; }
  int64_t current() const { return current_; }
  void advance() {
    while (in_.line(line_)) {
      if (line_.empty()) continue;
      auto [p, ec] = std::from_chars(line_.data(), line_.data() + line_.size(), current_);
      if (ec != std::errc() || p != line_.data() + line_.size())
        throw input_error(range_name(in_.range()) + ": '" + line_ + "' is not an id");
      return;
    }
    done_ = true;
  }

private:
  spool_range_reader in_;
  std::string line_;
  int64_t current_ = 0;
  bool done_ = false;
};

/// A whole file as a range.
spool_range whole_file(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw input_error("cannot open " + path + ": " + ec.message());
  return {path, 0, size};
}

/// not_found.txt at `path`: the ids in no file's range and the ids their
/// file does not hold, merged ascending (both lists ascend: the files' in
/// range order). Returns how many.
uint64_t write_not_found(const lc_assemble_request& req, const std::string& path) {
  engine::atomic_file out(path, engine::durability::cache);
  uint64_t n = 0;
  std::string text;
  auto put = [&](int64_t id) {
    char buf[24];
    text.append(buf, std::to_chars(buf, buf + sizeof buf, id).ptr);
    text += '\n';
    ++n;
    if (text.size() > (1 << 16)) {
      out.write(text);
      text.clear();
    }
  };
  id_lines no_file(whole_file(req.no_file_path));
  for (const auto& m : req.missing) {
    id_lines in_file(m);
    for (; !in_file.done(); in_file.advance()) {
      for (; !no_file.done() && no_file.current() < in_file.current(); no_file.advance())
        put(no_file.current());
      put(in_file.current());
    }
  }
  for (; !no_file.done(); no_file.advance()) put(no_file.current());
  out.write(text);
  out.commit();
  return n;
}

/// Copies `from` to `to` via a temporary name and a rename.
void copy_atomic(const std::string& from, const std::string& to) {
  const std::string tmp = to + ".tmp";
  std::error_code ec;
  std::filesystem::copy_file(from, tmp, std::filesystem::copy_options::overwrite_existing, ec);
  if (!ec) std::filesystem::rename(tmp, to, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw output_error("cannot write " + to + ": " + ec.message());
  }
}

} // namespace

std::string raw_entry_name(const std::string& extension) {
  return "EPOCH_PHOTOMETRY_RAW." + extension;
}

/// The zip of the run being assembled, open between its pieces.
struct answer_assembly::open_answer {
  open_answer(uint64_t run, const std::string& path) : run_id(run), zip_path(path), zip(path) {}
  uint64_t run_id;
  std::string zip_path;
  zip_writer zip;
  uint64_t sources = 0; ///< entries appended so far
};

answer_assembly::answer_assembly() = default;
answer_assembly::~answer_assembly() = default;

lc_assemble_reply answer_assembly::take(const lc_assemble_request& req) {
  const auto started = std::chrono::steady_clock::now();
  auto format = lc::parse_table_format(req.format);
  if (!format) throw input_error("format '" + req.format + "' is not one of votable, "
                                 "votable_plain, fits, ecsv, csv");
  if (req.structure != "standard" && req.structure != "raw")
    throw input_error("structure '" + req.structure + "' is not standard or raw");
  if (req.more && req.structure != "standard")
    throw input_error("only a standard answer is assembled in pieces");
  // A zip left open by a run that ended without its last piece (failed,
  // cancelled) is no part of this one.
  if (open_ && (open_->run_id != req.run_id || open_->zip_path != req.zip_path)) open_.reset();
  const std::string ext(lc::format_extension(*format));
  // The request's own files (not_found, the raw table) go beside its parts.
  const auto work = std::filesystem::path(req.no_file_path).parent_path();
  lc_assemble_reply reply;
  try {
    if (!open_) open_ = std::make_unique<open_answer>(req.run_id, req.zip_path);
    auto& zip = open_->zip;
    if (req.structure == "standard") {
      // The select workers made and deflated the tables (fragment_file.hpp):
      // the entries are copied in range order, each fragment's ascending.
      // Their unparsed rows were counted in the select replies.
      std::string entry;
      for (const auto& range : req.parts) {
        fragment_reader fragment(range);
        for (const auto& e : fragment.entries()) {
          fragment.read(e, entry);
          zip.add_deflated(e.name, entry.data(), entry.size(), e.uncompressed, e.crc);
          ++open_->sources;
        }
      }
      reply.sources = open_->sources;
      if (req.more) {
        reply.seconds = engine::seconds_since(started);
        return reply;
      }
    } else {
      const auto raw_path = (work / raw_entry_name(ext)).string();
      write_raw_answer(req, *format, raw_path, reply);
      zip.add_file(raw_entry_name(ext), raw_path);
    }
    const auto not_found = (work / not_found_name).string();
    reply.not_found = write_not_found(req, not_found);
    zip.add_file(not_found_name, not_found);
    reply.zip_bytes = zip.commit();
    open_.reset();
    if (!req.not_found_path.empty()) copy_atomic(not_found, req.not_found_path);
  } catch (...) {
    open_.reset(); // no half answer: the temporary goes
    throw;
  }
  reply.seconds = engine::seconds_since(started);
  return reply;
}

lc_assemble_reply assemble_answer(const lc_assemble_request& req) {
  return answer_assembly().take(req);
}

lc_assemble_worker_actor::behavior_type
lc_assemble_operation(lc_assemble_worker_actor::stateful_pointer<lc_assemble_state> self) {
  return {
    [self](const lc_assemble_request& req) -> caf::result<lc_assemble_reply> {
      engine::log_scope scope(req.run_id); // its log lines are its run's
      return answer(gaia_errc::export_failed, [&] { return self->state.assembly.take(req); });
    },
  };
}

} // namespace gaia
