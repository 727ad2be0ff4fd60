// Fragments (fragment_file.hpp): the standard tables of one archive file,
// deflated as the rows stream in; read back in source_id order.
#include "lightcurve_production/fragment_file.hpp"

#include "core/errors.hpp"
#include "lightcurve/standard_table.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <streambuf>

namespace gaia {

namespace {

constexpr char fragment_magic[8] = {'G', 'A', 'I', 'A', 'L', 'C', 'F', '1'};
constexpr size_t fragment_footer_bytes = 32;

std::string fragment_errno() { return std::strerror(errno); }

void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

uint64_t get_le(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return v;
}

/// A streambuf appending to a string that lives on: the table writers take
/// an ostream, and one reused string spares an ostringstream (its buffer
/// and the copy str() makes) per table.
class append_to_string final : public std::streambuf {
public:
  explicit append_to_string(std::string& s) : s_(s) {}

protected:
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) s_ += static_cast<char>(c);
    return traits_type::not_eof(c);
  }
  std::streamsize xsputn(const char* p, std::streamsize n) override {
    s_.append(p, static_cast<size_t>(n));
    return n;
  }

private:
  std::string& s_;
};

} // namespace

fragment_writer::fragment_writer()
  : table_buf_(std::make_unique<append_to_string>(table_text_)),
    table_out_(std::make_unique<std::ostream>(table_buf_.get())) {}

void fragment_writer::begin(spool_file& out, lightcurve::table_format format, std::string name) {
  out_ = &out;
  format_ = format;
  ext_ = std::string(lightcurve::format_extension(format));
  name_ = std::move(name);
  columns_.reset();
  index_.clear();
  skipped_ = 0;
  examples_.clear();
}

void fragment_writer::header(const std::vector<std::string>& columns) {
  // A file without a column the tables need is no archive file: the
  // selection fails naming it (epoch_columns names the column).
  try {
    columns_.emplace(columns);
  } catch (const input_error& e) {
    throw input_error(name_ + ": " + e.what());
  }
}

void fragment_writer::row(const selected_row& r) {
  if (!columns_) throw input_error(name_ + ": a row before the header row");
  try {
    lightcurve::parse_epoch_row_into(*columns_, r.text, row_);
  } catch (const input_error& e) {
    ++skipped_;
    if (examples_.size() < 5)
      examples_.push_back("line " + std::to_string(r.line) + ": source_id "
                          + std::to_string(r.source_id) + ": " + e.what());
    return;
  }
  table_text_.clear();
  lightcurve::standard_table_into(row_, table_);
  lightcurve::write_table(*table_out_, table_, format_);
  if (!*table_out_) throw output_error("cannot write the table of " + std::to_string(r.source_id));
  deflated_.clear();
  deflater_.compress(table_text_.data(), table_text_.size(), deflated_);
  fragment_entry e;
  e.source_id = r.source_id;
  e.name = lightcurve::datalink_file_name(r.source_id, ext_);
  e.offset = out_->size();
  e.size = deflated_.size();
  e.uncompressed = table_text_.size();
  e.crc = crc32_of(table_text_.data(), table_text_.size());
  out_->write(deflated_.data(), deflated_.size());
  index_.push_back(std::move(e));
}

void fragment_writer::restart() {
  out_->truncate();
  columns_.reset();
  index_.clear();
  skipped_ = 0;
  examples_.clear();
}

spool_range fragment_writer::commit() {
  // Rows arrive in the file's order; the answer lists sources ascending.
  std::sort(index_.begin(), index_.end(),
            [](const fragment_entry& a, const fragment_entry& b) {
              return a.source_id < b.source_id;
            });
  const uint64_t index_offset = out_->size();
  std::string tail;
  for (const auto& e : index_) {
    put_le(tail, static_cast<uint64_t>(e.source_id), 8);
    put_le(tail, e.offset, 8);
    put_le(tail, e.size, 8);
    put_le(tail, e.uncompressed, 8);
    put_le(tail, e.crc, 4);
    put_le(tail, e.name.size(), 4);
    tail += e.name;
  }
  put_le(tail, index_offset, 8);
  put_le(tail, index_.size(), 8);
  put_le(tail, skipped_, 8);
  tail.append(fragment_magic, sizeof fragment_magic);
  out_->write(tail.data(), tail.size());
  return out_->end_piece();
}

fragment_reader::fragment_reader(const spool_range& range)
  : range_(range), name_(range_name(range)) {
  fd_ = ::open(range.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw input_error("cannot open " + range.path + ": " + fragment_errno());
  const auto bad = [&](const std::string& why) {
    return input_error(name_ + ": not a light-curve fragment: " + why);
  };
  const off_t file_size = ::lseek(fd_, 0, SEEK_END);
  if (file_size < 0 || range.offset > static_cast<uint64_t>(file_size)
      || range.size > static_cast<uint64_t>(file_size) - range.offset)
    throw bad("past the end of the file");
  const uint64_t size = range.size;
  if (size < fragment_footer_bytes) throw bad("shorter than its footer");
  char footer[fragment_footer_bytes];
  if (::pread(fd_, footer, sizeof footer,
              static_cast<off_t>(range.offset + size - sizeof footer))
      != static_cast<ssize_t>(sizeof footer))
    throw input_error("cannot read " + name_ + ": " + fragment_errno());
  if (std::memcmp(footer + 24, fragment_magic, sizeof fragment_magic) != 0)
    throw bad("no GAIALCF1 footer");
  const uint64_t index_offset = get_le(footer, 8);
  const uint64_t count = get_le(footer + 8, 8);
  skipped_ = get_le(footer + 16, 8);
  const uint64_t index_end = size - fragment_footer_bytes;
  if (index_offset > index_end) throw bad("the index starts past the end");
  std::string index(static_cast<size_t>(index_end - index_offset), '\0');
  if (!index.empty()
      && ::pread(fd_, index.data(), index.size(), static_cast<off_t>(range.offset + index_offset))
           != static_cast<ssize_t>(index.size()))
    throw input_error("cannot read " + name_ + ": " + fragment_errno());
  constexpr size_t fixed = 8 * 4 + 4 + 4;
  size_t at = 0;
  for (uint64_t i = 0; i < count; ++i) {
    if (index.size() - at < fixed) throw bad("entry " + std::to_string(i) + " cut short");
    const char* p = index.data() + at;
    fragment_entry e;
    e.source_id = static_cast<int64_t>(get_le(p, 8));
    e.offset = get_le(p + 8, 8);
    e.size = get_le(p + 16, 8);
    e.uncompressed = get_le(p + 24, 8);
    e.crc = static_cast<uint32_t>(get_le(p + 32, 4));
    const size_t name_len = static_cast<size_t>(get_le(p + 36, 4));
    at += fixed;
    if (index.size() - at < name_len) throw bad("entry " + std::to_string(i) + " cut short");
    e.name.assign(index.data() + at, name_len);
    at += name_len;
    if (e.offset > index_offset || e.size > index_offset - e.offset)
      throw bad("entry " + std::to_string(i) + " lies outside the data");
    if (!index_.empty() && e.source_id <= index_.back().source_id)
      throw bad("source_id " + std::to_string(e.source_id) + " out of order");
    index_.push_back(std::move(e));
  }
  if (at != index.size()) throw bad("bytes after the index");
}

fragment_reader::~fragment_reader() {
  if (fd_ >= 0) ::close(fd_);
}

void fragment_reader::read(const fragment_entry& e, std::string& out) {
  out.resize(static_cast<size_t>(e.size));
  size_t got = 0;
  while (got < out.size()) {
    const ssize_t r = ::pread(fd_, out.data() + got, out.size() - got,
                              static_cast<off_t>(range_.offset + e.offset + got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) throw input_error("cannot read " + name_ + ": " + fragment_errno());
    got += static_cast<size_t>(r);
  }
}

} // namespace gaia
