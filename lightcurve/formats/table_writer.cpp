// The batch check every writer makes (table_writer.hpp).
#include "lightcurve/formats/table_writer.hpp"

#include <stdexcept>

namespace gaia::lightcurve {

column_signature::column_signature(const table& header)
  : table_name_(header.name), count_(header.columns.size()) {
  for (const auto& c : header.columns) {
    key_ += c.name;
    key_ += '\0';
    key_ += static_cast<char>(c.type);
    key_ += static_cast<char>(c.is_array() ? 1 : 0);
  }
}

void column_signature::check(const table& batch) const {
  // The batch's columns walked against the key: no string made per batch.
  bool same = batch.columns.size() == count_;
  size_t at = 0;
  for (size_t c = 0; same && c < batch.columns.size(); ++c) {
    const auto& col = batch.columns[c];
    const size_t n = col.name.size();
    same = at + n + 3 <= key_.size() && key_.compare(at, n, col.name) == 0 &&
           key_[at + n] == '\0' && key_[at + n + 1] == static_cast<char>(col.type) &&
           key_[at + n + 2] == static_cast<char>(col.is_array() ? 1 : 0);
    at += n + 3;
  }
  if (!same || at != key_.size())
    throw std::logic_error("table " + table_name_ + ": a batch of rows with other columns");
}

} // namespace gaia::lightcurve
