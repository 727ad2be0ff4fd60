// The rows of a request's parts, parsed one at a time: the parts in range
// order, each in source_id order (part_file.hpp). A row that does not
// parse is skipped and counted in the reply, the first reasons kept.
#pragma once

#include "core/errors.hpp"
#include "lightcurve/epoch_row_parser.hpp"
#include "lightcurve_production/messages.hpp"
#include "lightcurve_production/part_file.hpp"

#include <string>

namespace gaia {

/// Hands every row of `req`'s parts to `take(const epoch_row&)`.
template <class Take>
void for_each_row(const lc_assemble_request& req, lc_assemble_reply& reply, Take take) {
  for (const auto& range : req.parts) {
    part_reader part(range);
    const auto columns = lightcurve::epoch_columns::from_header_line(part.header());
    for (size_t i = 0; i < part.rows(); ++i) {
      try {
        take(lightcurve::parse_epoch_row(columns, part.row(i)));
      } catch (const input_error& e) {
        ++reply.skipped_rows;
        if (reply.skip_examples.size() < 5)
          reply.skip_examples.push_back(range_name(range) + ": source_id " + std::to_string(part.source_id(i))
                                        + ": " + e.what());
      }
    }
  }
}

/// How many rows `req`'s parts hold (each part's index read once more):
/// what a FITS answer makes room for at once (lightcurve/formats/fits_writer.hpp).
inline size_t count_part_rows(const lc_assemble_request& req) {
  size_t n = 0;
  for (const auto& range : req.parts) n += part_reader(range).rows();
  return n;
}

} // namespace gaia
