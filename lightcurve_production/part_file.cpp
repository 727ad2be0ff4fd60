// Part files (part_file.hpp): written as the rows stream in, read back
// ordered by source_id.
#include "lightcurve_production/part_file.hpp"

#include "core/errors.hpp"
#include "engine/state/atomic_file.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <unistd.h>

namespace gaia {

namespace {

std::string errno_text() { return std::strerror(errno); }

/// The field at `index` of a CSV record (RFC 4180 quoting), unquoted only
/// as far as a number needs: an id is never quoted in the archive, but a
/// quoted one reads the same.
std::string_view field_at(std::string_view record, size_t index) {
  size_t field = 0, start = 0;
  bool quoted = false;
  for (size_t i = 0; i <= record.size(); ++i) {
    const char c = i < record.size() ? record[i] : ',';
    if (c == '"') quoted = !quoted;
    else if (c == ',' && !quoted) {
      if (field == index) {
        auto f = record.substr(start, i - start);
        if (f.size() >= 2 && f.front() == '"' && f.back() == '"') f = f.substr(1, f.size() - 2);
        return f;
      }
      ++field;
      start = i + 1;
    }
  }
  return {};
}

/// The ids' text, one a line, handed to `put` 64 KiB at a time.
template <class Put>
void put_id_lines(const std::vector<int64_t>& ids, Put put) {
  std::string text;
  char buf[24];
  for (int64_t id : ids) {
    auto end = std::to_chars(buf, buf + sizeof buf, id).ptr;
    text.append(buf, end);
    text += '\n';
    if (text.size() > (1 << 16)) {
      put(text);
      text.clear();
    }
  }
  put(text);
}

} // namespace

void part_writer::header(const std::vector<std::string>& columns) {
  std::string line;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) line += ',';
    line += columns[i]; // the archive's names: plain identifiers
  }
  line += '\n';
  out_->write(line.data(), line.size());
}

void part_writer::row(const selected_row& r) {
  out_->write(r.text.data(), r.text.size());
  out_->write("\n", 1);
}

void part_writer::restart() { out_->truncate(); }

spool_range part_writer::commit() { return out_->end_piece(); }

void write_id_lines(const std::string& path, const std::vector<int64_t>& ids) {
  engine::atomic_file out(path, engine::durability::cache);
  put_id_lines(ids, [&](const std::string& text) { out.write(text); });
  out.commit();
}

spool_range append_id_lines(spool_file& out, const std::vector<int64_t>& ids) {
  put_id_lines(ids, [&](const std::string& text) { out.write(text.data(), text.size()); });
  return out.end_piece();
}

part_reader::part_reader(const spool_range& range) : name_(range_name(range)) {
  spool_range_reader in(range); // checks the range lies in the file
  f_ = std::fopen(range.path.c_str(), "rb"); // for row(): one seek and read a row
  if (f_ == nullptr) throw input_error("cannot open " + range.path + ": " + errno_text());
  // One pass: the header line, then each record's offset and length
  // (a record ends at a line end outside quotes), its source_id read.
  std::string record;
  uint64_t offset = range.offset, start = range.offset;
  bool quoted = false;
  size_t id_column = 0;
  bool have_header = false;
  uint64_t line = 1;
  auto take = [&] {
    if (!have_header) {
      header_ = record;
      have_header = true;
      // The header is part_writer's: the archive's names, comma-separated.
      std::string_view h = header_;
      size_t i = 0, pos = 0;
      for (;; ++i) {
        const size_t comma = h.find(',', pos);
        if (h.substr(pos, comma == h.npos ? h.npos : comma - pos) == "source_id") break;
        if (comma == h.npos) throw input_error(name_ + ": no source_id column in the header");
        pos = comma + 1;
      }
      id_column = i;
      return;
    }
    auto field = field_at(record, id_column);
    int64_t id = 0;
    auto [p, ec] = std::from_chars(field.data(), field.data() + field.size(), id);
    if (ec != std::errc() || p != field.data() + field.size())
      throw input_error(name_ + ": line " + std::to_string(line) + ": source_id '"
                        + std::string(field) + "' is not an integer");
    index_.push_back({id, start, record.size()});
  };
  for (int c; (c = in.next()) != EOF; ++offset) {
    if (c == '"') quoted = !quoted;
    if (c == '\n' && !quoted) {
      take();
      ++line;
      record.clear();
      start = offset + 1;
      continue;
    }
    record += static_cast<char>(c);
  }
  if (!record.empty()) take();
  if (!have_header) throw input_error(name_ + ": no header row");
  std::stable_sort(index_.begin(), index_.end(),
                   [](const entry& a, const entry& b) { return a.source_id < b.source_id; });
}

part_reader::~part_reader() {
  if (f_ != nullptr) std::fclose(f_);
}

std::string part_reader::row(size_t i) {
  const auto& e = index_[i];
  std::string text(e.length, '\0');
  if (::fseeko(f_, static_cast<off_t>(e.offset), SEEK_SET) != 0
      || std::fread(text.data(), 1, text.size(), f_) != text.size())
    throw input_error("cannot read " + name_ + ": " + errno_text());
  return text;
}

} // namespace gaia
