// The row selection (row_select.hpp): the import's record loop with a
// parser that reads only each row's source_id, looks it up among the asked
// ids (a binary search in the file's sorted ids) and hands an asked row's
// text on whole; every other field is only counted by the structural scan.
#include "lightcurve_select/row_select.hpp"

#include "archive/ecsv_records.hpp"
#include "archive/gzip_reader.hpp"
#include "core/errors.hpp"

#include <algorithm>

namespace gaia {

namespace {

/// Reads each record's source_id; hands on the asked ones.
class select_parser final : public ecsv_detail::record_parser {
public:
  select_parser(const std::string& name, import_stats& stats, uint64_t max_line_bytes,
                const std::vector<int64_t>& ids, std::vector<bool>& found,
                selected_row_sink& sink, selection_result& result)
    : record_parser(name, stats, max_line_bytes), ids_(ids), found_(found), sink_(sink),
      result_(result) {}

private:
  void parse_header(const char* b, const char* e) override {
    auto names = ecsv_detail::split_header(b, e);
    auto it = std::find(names.begin(), names.end(), "source_id");
    if (it == names.end()) throw input_error(name_ + ": header row has no column 'source_id'");
    id_col_ = static_cast<size_t>(it - names.begin());
    fields_ = names.size();
    sink_.header(names);
  }

  const char* parse_record(const char* p, const char* end) override {
    uint64_t breaks = 0;
    uint64_t fields = 0;
    const char* record_end = nullptr;
    const char* out = nullptr;
    int64_t id = 0;
    bool id_ok = false;
    std::string_view id_text;
    const char* f = p;
    for (size_t col = 0;; ++col) {
      field fld;
      if (!hop_field(p, f, end, col, fld, breaks, out)) return out;
      if (col == id_col_) id_ok = read_source_id(fld, id, id_text);
      if (*fld.next == '\n' || col == id_col_) {
        if (!finish_record(p, fld.next, end, col, fields, breaks, record_end, out)) return out;
        break;
      }
      f = fld.next + 1;
    }
    if (sound_record(p, record_end, fields, id_ok, id_text)) {
      auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
      if (it != ids_.end() && *it == id) {
        const size_t i = static_cast<size_t>(it - ids_.begin());
        if (found_[i]) {
          ++result_.repeated;
          example("source_id " + std::to_string(id) + " again (handed on once)");
        } else {
          found_[i] = true;
          ++result_.selected;
          const char* text_end = record_end;
          if (text_end > p && text_end[-1] == '\r') --text_end;
          sink_.row({id, std::string_view(p, static_cast<size_t>(text_end - p)), line_});
        }
      }
    }
    line_ += 1 + breaks;
    return record_end + 1;
  }

  const std::vector<int64_t>& ids_;
  std::vector<bool>& found_;
  selected_row_sink& sink_;
  selection_result& result_;
  size_t id_col_ = 0;
};

/// The text end of the selection: the record buffer and its parser.
class select_text final : public text_sink {
public:
  select_text(const std::string& name, const std::vector<int64_t>& ids,
              selected_row_sink& sink, const read_options& opts)
    : found_(ids.size(), false),
      parser_(name, result_.stats, std::max<uint64_t>(opts.max_line_bytes, 1), ids, found_,
              sink, result_),
      buf_(name, opts.max_line_bytes, parser_) {}

  std::pair<char*, size_t> room() override { return buf_.room(); }
  void wrote(size_t n) override {
    result_.stats.uncompressed_bytes += n;
    buf_.wrote(n);
  }
  selection_result finish(const std::vector<int64_t>& ids) {
    buf_.finish();
    for (size_t i = 0; i < ids.size(); ++i)
      if (!found_[i]) result_.not_found.push_back(ids[i]);
    return std::move(result_);
  }

private:
  selection_result result_;
  std::vector<bool> found_;
  select_parser parser_;
  ecsv_detail::record_buffer buf_;
};

std::vector<int64_t> checked_ids(const std::string& name, std::vector<int64_t> ids) {
  for (size_t i = 1; i < ids.size(); ++i)
    if (ids[i] <= ids[i - 1])
      throw input_error(name + ": the asked ids are not strictly ascending (" +
                        std::to_string(ids[i - 1]) + " then " + std::to_string(ids[i]) + ")");
  return ids;
}

} // namespace

struct stream_select::state {
  select_text text;
  gzip_stream gzip;

  state(const std::string& name, const std::vector<int64_t>& ids, selected_row_sink& sink,
        const read_options& opts, inflate_backend backend)
    : text(name, ids, sink, opts), gzip(name, backend) {}
};

stream_select::stream_select(std::string name, std::vector<int64_t> ids,
                             selected_row_sink& sink, const read_options& opts,
                             inflate_backend backend)
  : name_(std::move(name)), ids_(checked_ids(name_, std::move(ids))), sink_(sink),
    opts_(opts), backend_(backend),
    st_(std::make_unique<state>(name_, ids_, sink_, opts_, backend_)) {}

stream_select::~stream_select() = default;

void stream_select::restart() {
  st_ = std::make_unique<state>(name_, ids_, sink_, opts_, backend_);
  result_ = selection_result{};
  sink_.restart();
}

void stream_select::feed(const char* data, size_t n) { st_->gzip.feed(data, n, st_->text); }

void stream_select::finish() {
  st_->gzip.finish(st_->text);
  result_ = st_->text.finish(ids_);
  result_.stats.uncompressed_bytes = st_->gzip.uncompressed_bytes();
}

selection_result select_rows_from_file(const std::string& path, std::vector<int64_t> ids,
                                       selected_row_sink& sink, const read_options& opts,
                                       inflate_backend backend) {
  ids = checked_ids(path, std::move(ids));
  gzip_reader reader(path, backend);
  select_text text(path, ids, sink, opts);
  for (;;) {
    auto [room, cap] = text.room();
    const size_t got = reader.read(room, cap);
    if (got == 0) break;
    text.wrote(got);
  }
  selection_result out = text.finish(ids);
  out.stats.uncompressed_bytes = reader.uncompressed_bytes();
  return out;
}

} // namespace gaia
