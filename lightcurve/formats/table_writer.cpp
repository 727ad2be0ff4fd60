// The batch check every writer makes (table_writer.hpp).
#include "lightcurve/formats/table_writer.hpp"

#include <stdexcept>

namespace gaia::lightcurve {

namespace {

/// FNV-1a over each column's name, type and shape.
uint64_t columns_hash(const table& t) {
  uint64_t h = 14695981039346656037ull;
  auto mix = [&h](unsigned char byte) {
    h ^= byte;
    h *= 1099511628211ull;
  };
  for (const auto& c : t.columns) {
    for (const char ch : c.name) mix(static_cast<unsigned char>(ch));
    mix(0); // the name's end
    mix(static_cast<unsigned char>(c.type));
    mix(c.is_array() ? 1 : 0);
  }
  return h;
}

} // namespace

column_signature::column_signature(const table& header)
  : table_name_(header.name), count_(header.columns.size()), hash_(columns_hash(header)) {}

void column_signature::check(const table& batch) const {
  if (batch.columns.size() != count_ || columns_hash(batch) != hash_)
    throw std::logic_error("table " + table_name_ + ": a batch of rows with other columns");
}

} // namespace gaia::lightcurve
