// The FITS writer (fits_writer.hpp): cfitsio into a memory file, copied to
// the stream once complete.
#include "lightcurve/formats/fits_writer.hpp"

#include "core/errors.hpp"

#include <fitsio.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace gaia::lightcurve {

namespace {

/// cfitsio's memory file: a malloc'ed buffer it grows with realloc.
struct memory_file {
  void* buffer = nullptr;
  size_t size = 0;
  fitsfile* f = nullptr;
  ~memory_file() {
    int status = 0;
    if (f != nullptr) fits_close_file(f, &status);
    std::free(buffer);
  }
};

void check(int status, const std::string& what) {
  if (status == 0) return;
  char text[FLEN_STATUS];
  fits_get_errstatus(status, text);
  throw output_error("FITS: " + what + ": " + text);
}

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

/// cfitsio splits a long text over CONTINUE cards but, for a HIERARCH
/// keyword (a name over 8 characters), drops characters where the first
/// card ends: the keyword is read back, and a value that did not survive
/// whole is an error, never a changed value.
void check_text_keyword(fitsfile* f, const table_param& p, int& status) {
  if (status != 0) return;
  char* back = nullptr;
  fits_read_key_longstr(f, p.name.c_str(), &back, nullptr, &status);
  const bool same = status == 0 && back != nullptr && p.value == back;
  if (back != nullptr) fits_free_memory(back, &status);
  check(status, "keyword " + p.name);
  if (!same)
    throw output_error("FITS: keyword " + p.name + ": cfitsio cannot keep its " +
                       std::to_string(p.value.size()) +
                       "-character value whole under a name over 8 characters");
}

} // namespace

void write_fits(std::ostream& out, const table& t) {
  memory_file m;
  int status = 0;
  fits_create_memfile(&m.f, &m.buffer, &m.size, 2880 * 16, std::realloc, &status);
  check(status, "cannot create the file in memory");
  fits_create_img(m.f, BYTE_IMG, 0, nullptr, &status);
  check(status, "primary HDU");

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
  fits_create_tbl(m.f, BINARY_TBL, 0, static_cast<int>(names.size()), ttype.data(), tform.data(),
                  tunit.data(), t.name.c_str(), &status);
  check(status, "table header");
  for (size_t i = 0; i < t.columns.size(); ++i) {
    const std::string key = "TTYPE" + std::to_string(i + 1);
    fits_modify_comment(m.f, key.c_str(), t.columns[i].description.substr(0, 47).c_str(),
                        &status);
  }
  for (const auto& p : t.params) {
    if (p.is_long()) {
      long long v = std::stoll(p.value);
      fits_write_key(m.f, TLONGLONG, p.name.c_str(), &v, p.description.c_str(), &status);
    } else {
      fits_write_key_longstr(m.f, p.name.c_str(), p.value.c_str(), p.description.c_str(),
                             &status);
      check_text_keyword(m.f, p, status);
    }
  }
  if (t.timesys) {
    double jdref = std::strtod(t.timesys->timeorigin.c_str(), nullptr);
    fits_write_key(m.f, TSTRING, "TIMESYS", const_cast<char*>(t.timesys->timescale.c_str()),
                   "time scale", &status);
    fits_write_key(m.f, TDOUBLE, "JDREF", &jdref, "time origin (JD)", &status);
    fits_write_key(m.f, TSTRING, "TREFPOS", const_cast<char*>(t.timesys->refposition.c_str()),
                   "time reference position", &status);
    fits_write_key(m.f, TSTRING, "TIMEUNIT", const_cast<char*>("d"), "time unit", &status);
  }
  check(status, "header keywords");
  for (size_t i = 0; i < t.rows(); ++i)
    for (size_t c = 0; c < t.columns.size(); ++c) {
      const auto& col = t.columns[c];
      write_cell(m.f, static_cast<int>(c + 1), static_cast<long long>(i + 1), col, col.first(i),
                 col.last(i), status);
    }
  check(status, "table rows");
  // The buffer may be longer than the file: the file ends with the table's
  // data (heap included), padded to whole 2880-byte blocks.
  fits_flush_file(m.f, &status);
  long long header_start = 0, data_start = 0, data_end = 0;
  fits_get_hduaddrll(m.f, &header_start, &data_start, &data_end, &status);
  check(status, "the file's length");
  const long long length = (data_end + 2879) / 2880 * 2880;
  fits_close_file(m.f, &status);
  m.f = nullptr;
  check(status, "closing the file");
  if (static_cast<size_t>(length) > m.size) throw output_error("FITS: the file is cut short");
  out.write(static_cast<const char*>(m.buffer), static_cast<std::streamsize>(length));
}

} // namespace gaia::lightcurve
