// Format names, the writers by format, whole tables and table files
// (table_files.hpp).
#include "lightcurve/formats/table_files.hpp"

#include "core/errors.hpp"
#include "lightcurve/formats/fits_writer.hpp"
#include "lightcurve/formats/text_writers.hpp"
#include "lightcurve/formats/votable_writer.hpp"

namespace gaia::lightcurve {

namespace {

/// A writer's bytes to a std::ostream (an ostringstream: the zip's
/// entries, the tests).
class ostream_sink final : public byte_sink {
public:
  explicit ostream_sink(std::ostream& out) : out_(out) {}
  void put(const std::string& bytes) override {
    out_.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

private:
  std::ostream& out_;
};

} // namespace

/// A writer's bytes to the temporary of an atomic file.
class table_file_writer::file_sink final : public byte_sink {
public:
  file_sink(const std::string& path, engine::durability d) : file(path, d) {}
  void put(const std::string& bytes) override { file.write(bytes); }
  engine::atomic_file file;
};

std::optional<table_format> parse_table_format(std::string_view name) {
  for (auto f : {table_format::votable, table_format::votable_plain, table_format::ecsv,
                 table_format::csv, table_format::fits})
    if (format_name(f) == name) return f;
  return std::nullopt;
}

std::string_view format_name(table_format f) {
  switch (f) {
  case table_format::votable: return "votable";
  case table_format::votable_plain: return "votable_plain";
  case table_format::ecsv: return "ecsv";
  case table_format::csv: return "csv";
  case table_format::fits: return "fits";
  }
  return "";
}

std::string_view format_extension(table_format f) {
  switch (f) {
  case table_format::votable:
  case table_format::votable_plain: return "xml";
  case table_format::ecsv: return "ecsv";
  case table_format::csv: return "csv";
  case table_format::fits: return "fits";
  }
  return "";
}

std::unique_ptr<table_writer> open_table_writer(byte_sink& out, const table& header,
                                                table_format f, size_t expected_rows) {
  switch (f) {
  case table_format::votable: return votable_writer(out, header, votable_encoding::binary2);
  case table_format::votable_plain:
    return votable_writer(out, header, votable_encoding::tabledata);
  case table_format::ecsv: return ecsv_writer(out, header);
  case table_format::csv: return csv_writer(out, header);
  case table_format::fits: return fits_memory_writer(out, header, expected_rows);
  }
  throw std::logic_error("no writer for this format");
}

void write_table(std::ostream& out, const table& t, table_format f) {
  ostream_sink sink(out);
  auto writer = open_table_writer(sink, t, f, t.rows());
  writer->write_rows(t);
  writer->finish();
}

table_file_writer::table_file_writer(const std::filesystem::path& path, const table& header,
                                     table_format f, engine::durability d,
                                     size_t expected_rows)
  : path_(path.string()), durability_(d) {
  if (f == table_format::fits) {
    // cfitsio opens its own file: it writes the temporary itself.
    writer_ = fits_file_writer(engine::temporary_path(path_), header, expected_rows);
    return;
  }
  sink_ = std::make_unique<file_sink>(path_, d);
  writer_ = open_table_writer(*sink_, header, f);
}

// The writer goes first: a FITS writer removes its unfinished file.
table_file_writer::~table_file_writer() { writer_.reset(); }

void table_file_writer::commit() {
  writer_->finish();
  if (sink_ != nullptr) sink_->file.commit();
  else engine::commit_written_file(engine::temporary_path(path_), path_, durability_);
}

void write_table_file(const std::filesystem::path& path, const table& t, table_format f,
                      engine::durability d) {
  table_file_writer file(path, t, f, d, t.rows());
  file.write_rows(t);
  file.commit();
}

} // namespace gaia::lightcurve
