// The raw structure's answer, streamed (raw_answer.hpp).
#include "lightcurve_production/raw_answer.hpp"

#include "lightcurve/raw_table.hpp"
#include "lightcurve_production/part_rows.hpp"

namespace gaia {

namespace {

/// Rows a batch holds before it is written: a few MB at most (a row is
/// about 45 arrays of its transits, rarely over 300).
constexpr size_t raw_batch_rows = 64;

} // namespace

void write_raw_answer(const lc_assemble_request& req, lightcurve::table_format format,
                      const std::string& path, lc_assemble_reply& reply) {
  auto batch = lightcurve::raw_table_header();
  // FITS makes room for every row at once (its heap then never moves); a
  // row that does not parse leaves one row too many, dropped at the end.
  const size_t expected = format == lightcurve::table_format::fits ? count_part_rows(req) : 0;
  lightcurve::table_file_writer file(path, batch, format, engine::durability::cache, expected);
  for_each_row(req, reply, [&](const lightcurve::epoch_row& row) {
    lightcurve::append_raw_row(batch, row);
    ++reply.sources;
    if (batch.rows() < raw_batch_rows) return;
    file.write_rows(batch);
    batch.clear_rows();
  });
  file.write_rows(batch);
  file.commit();
}

} // namespace gaia
