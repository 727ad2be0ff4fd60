// table_column's accessors (table.hpp).
#include "lightcurve/table.hpp"

namespace gaia::lightcurve {

size_t table_column::size() const {
  if (is_array()) return offsets.size() - 1;
  switch (type) {
  case value_type::int16: return int16s.size();
  case value_type::int64: return int64s.size();
  case value_type::float64: return float64s.size();
  case value_type::float32: return float32s.size();
  case value_type::boolean: return booleans.size();
  }
  return 0;
}

const char* table_column::votable_datatype() const {
  switch (type) {
  case value_type::int16: return "short";
  case value_type::int64: return "long";
  case value_type::float64: return "double";
  case value_type::float32: return "float";
  case value_type::boolean: return "boolean";
  }
  return "";
}

} // namespace gaia::lightcurve
