// The batch check every writer makes (table_writer.hpp).
#include "lightcurve/formats/table_writer.hpp"

#include <stdexcept>

namespace gaia::lightcurve {

void check_batch_columns(const table& header, const table& batch) {
  bool same = header.columns.size() == batch.columns.size();
  for (size_t c = 0; same && c < batch.columns.size(); ++c) {
    const auto& h = header.columns[c];
    const auto& b = batch.columns[c];
    same = h.name == b.name && h.type == b.type && h.is_array() == b.is_array();
  }
  if (!same)
    throw std::logic_error("table " + header.name + ": a batch of rows with other columns");
}

} // namespace gaia::lightcurve
