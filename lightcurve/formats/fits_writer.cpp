// The FITS writer (fits_writer.hpp): cfitsio into a memory file copied to
// the sink when complete, or into a file on disk.
#include "lightcurve/formats/fits_writer.hpp"

#include "core/errors.hpp"

#include <fitsio.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace gaia::lightcurve {

namespace {

char tform_letter(value_type t) {
  switch (t) {
  case value_type::int16: return 'I';
  case value_type::int64: return 'K';
  case value_type::float64: return 'D';
  case value_type::float32: return 'E';
  case value_type::boolean: return 'L';
  }
  return 'D';
}

/// Writes elements [first, last) of `c` at `row` (1-based).
void write_cell(fitsfile* f, int col, long long row, const table_column& c, size_t first,
                size_t last, int& status) {
  const auto n = static_cast<long long>(last - first);
  if (n == 0) {
    // A zero-length variable array still needs its descriptor.
    if (c.is_array()) fits_write_descript(f, col, row, 0, 0, &status);
    return;
  }
  switch (c.type) {
  case value_type::int16:
    fits_write_col(f, TSHORT, col, row, 1, n, const_cast<int16_t*>(&c.int16s[first]), &status);
    return;
  case value_type::int64:
    fits_write_col(f, TLONGLONG, col, row, 1, n,
                   const_cast<long long*>(reinterpret_cast<const long long*>(&c.int64s[first])),
                   &status);
    return;
  case value_type::float64:
    fits_write_col(f, TDOUBLE, col, row, 1, n, const_cast<double*>(&c.float64s[first]), &status);
    return;
  case value_type::float32:
    fits_write_col(f, TFLOAT, col, row, 1, n, const_cast<float*>(&c.float32s[first]), &status);
    return;
  case value_type::boolean: {
    // 1 true, 0 false, 2 the null value cfitsio writes as a null logical.
    std::vector<char> v(static_cast<size_t>(n));
    for (size_t e = first; e < last; ++e)
      v[e - first] = c.booleans[e] == flag::yes ? 1 : c.booleans[e] == flag::no ? 0 : 2;
    char null_value = 2;
    fits_write_colnull(f, TLOGICAL, col, row, 1, n, v.data(), &null_value, &status);
    return;
  }
  }
}

class fits_writer final : public table_writer {
public:
  /// `out` null: on disk at `path`; else in memory, to `out` at finish().
  fits_writer(byte_sink* out, std::string path, const table& header, size_t expected_rows)
    : columns_(header), out_(out), path_(std::move(path)) {
    try {
      create(header);
      reserve(static_cast<long long>(expected_rows)); // before the heap: nothing moves
    } catch (...) {
      release(); // no destructor runs for a half-made writer
      throw;
    }
  }

  ~fits_writer() override { release(); }

  void write_rows(const table& batch) override {
    columns_.check(batch);
    const auto n = static_cast<long long>(batch.rows());
    reserve(rows_ + n);
    int status = 0;
    for (long long i = 0; i < n; ++i)
      for (size_t c = 0; c < batch.columns.size(); ++c) {
        const auto& col = batch.columns[c];
        const auto row = static_cast<size_t>(i);
        write_cell(f_, static_cast<int>(c + 1), rows_ + i + 1, col, col.first(row),
                   col.last(row), status);
      }
    check(status, "table rows");
    rows_ += n;
  }

  void finish() override {
    int status = 0;
    if (capacity_ > rows_) fits_delete_rows(f_, rows_ + 1, capacity_ - rows_, &status);
    check(status, "table rows");
    if (out_ == nullptr) {
      fits_close_file(f_, &status);
      f_ = nullptr;
      check(status, "closing the file");
      finished_ = true;
      return;
    }
    // The buffer may be longer than the file: the file ends with the
    // table's data (heap included), padded to whole 2880-byte blocks.
    fits_flush_file(f_, &status);
    long long header_start = 0, data_start = 0, data_end = 0;
    fits_get_hduaddrll(f_, &header_start, &data_start, &data_end, &status);
    check(status, "the file's length");
    const long long length = (data_end + 2879) / 2880 * 2880;
    fits_close_file(f_, &status);
    f_ = nullptr;
    check(status, "closing the file");
    if (static_cast<size_t>(length) > size_) throw output_error("FITS: the file is cut short");
    out_->put(std::string(static_cast<const char*>(buffer_), static_cast<size_t>(length)));
    finished_ = true;
  }

private:
  void create(const table& header) {
    int status = 0;
    if (out_ != nullptr) {
      fits_create_memfile(&f_, &buffer_, &size_, 2880 * 16, std::realloc, &status);
    } else {
      std::error_code ignored; // cfitsio creates no file over an old one
      std::filesystem::remove(path_, ignored);
      fits_create_diskfile(&f_, path_.c_str(), &status);
    }
    check(status, out_ != nullptr ? "cannot create the file in memory" : "cannot create it");
    fits_create_img(f_, BYTE_IMG, 0, nullptr, &status);
    check(status, "primary HDU");
    write_header(header);
  }

  /// Closes what is open; a file on disk that was not finished is removed,
  /// so no half table is left behind.
  void release() {
    int status = 0;
    if (f_ != nullptr) fits_close_file(f_, &status);
    f_ = nullptr;
    std::free(buffer_);
    buffer_ = nullptr;
    if (!finished_ && out_ == nullptr) {
      std::error_code ignored;
      std::filesystem::remove(path_, ignored);
    }
  }

  void check(int status, const std::string& what) const {
    if (status == 0) return;
    char text[FLEN_STATUS];
    fits_get_errstatus(status, text);
    throw output_error(where() + what + ": " + text);
  }

  /// How errors begin: the format, and the file when on disk.
  std::string where() const { return "FITS: " + (out_ == nullptr ? path_ + ": " : std::string()); }

  /// cfitsio splits a long text over CONTINUE cards but, for a HIERARCH
  /// keyword (a name over 8 characters), drops characters where the first
  /// card ends: the keyword is read back, and a value that did not survive
  /// whole is an error, never a changed value.
  void check_text_keyword(const table_param& p, int& status) const {
    if (status != 0) return;
    char* back = nullptr;
    fits_read_key_longstr(f_, p.name.c_str(), &back, nullptr, &status);
    const bool same = status == 0 && back != nullptr && p.value == back;
    if (back != nullptr) fits_free_memory(back, &status);
    check(status, "keyword " + p.name);
    if (!same)
      throw output_error(where() + "keyword " + p.name + ": cfitsio cannot keep its " +
                         std::to_string(p.value.size()) +
                         "-character value whole under a name over 8 characters");
  }

  void write_header(const table& t) {
    int status = 0;
    std::vector<std::string> names, forms, units;
    for (const auto& c : t.columns) {
      names.push_back(c.name);
      forms.push_back(c.is_array() ? std::string("1P") + tform_letter(c.type)
                                   : std::string("1") + tform_letter(c.type));
      units.push_back(c.unit);
    }
    std::vector<char*> ttype, tform, tunit;
    for (size_t i = 0; i < names.size(); ++i) {
      ttype.push_back(names[i].data());
      tform.push_back(forms[i].data());
      tunit.push_back(units[i].data());
    }
    fits_create_tbl(f_, BINARY_TBL, 0, static_cast<int>(names.size()), ttype.data(),
                    tform.data(), tunit.data(), t.name.c_str(), &status);
    check(status, "table header");
    for (size_t i = 0; i < t.columns.size(); ++i) {
      const std::string key = "TTYPE" + std::to_string(i + 1);
      fits_modify_comment(f_, key.c_str(), t.columns[i].description.substr(0, 47).c_str(),
                          &status);
    }
    for (const auto& p : t.params) {
      if (p.is_long()) {
        long long v = std::stoll(p.value);
        fits_write_key(f_, TLONGLONG, p.name.c_str(), &v, p.description.c_str(), &status);
      } else {
        fits_write_key_longstr(f_, p.name.c_str(), p.value.c_str(), p.description.c_str(),
                               &status);
        check_text_keyword(p, status);
      }
    }
    if (t.timesys) {
      double jdref = std::strtod(t.timesys->timeorigin.c_str(), nullptr);
      fits_write_key(f_, TSTRING, "TIMESYS", const_cast<char*>(t.timesys->timescale.c_str()),
                     "time scale", &status);
      fits_write_key(f_, TDOUBLE, "JDREF", &jdref, "time origin (JD)", &status);
      fits_write_key(f_, TSTRING, "TREFPOS", const_cast<char*>(t.timesys->refposition.c_str()),
                     "time reference position", &status);
      fits_write_key(f_, TSTRING, "TIMEUNIT", const_cast<char*>("d"), "time unit", &status);
    }
    check(status, "header keywords");
  }

  /// Makes room for `rows` rows: cfitsio moves the heap each time rows are
  /// added, so they are added in doubling steps (the heap moves about
  /// log2(rows) times, not once a row).
  void reserve(long long rows) {
    if (rows <= capacity_) return;
    const long long to = std::max(rows, capacity_ * 2);
    int status = 0;
    fits_insert_rows(f_, capacity_, to - capacity_, &status);
    check(status, "adding rows");
    capacity_ = to;
  }

  column_signature columns_;  ///< the header's columns, to check each batch against
  byte_sink* out_; ///< null: on disk
  std::string path_;
  void* buffer_ = nullptr; ///< the memory file (cfitsio's malloc'ed buffer)
  size_t size_ = 0;
  fitsfile* f_ = nullptr;
  long long rows_ = 0, capacity_ = 0;
  bool finished_ = false;
};

} // namespace

std::unique_ptr<table_writer> fits_memory_writer(byte_sink& out, const table& header,
                                                 size_t expected_rows) {
  return std::make_unique<fits_writer>(&out, "", header, expected_rows);
}

std::unique_ptr<table_writer> fits_file_writer(const std::string& path, const table& header,
                                               size_t expected_rows) {
  return std::make_unique<fits_writer>(nullptr, path, header, expected_rows);
}

} // namespace gaia::lightcurve
