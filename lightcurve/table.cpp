// table_column's accessors and the table's row-less copies (table.hpp).
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

void table::clear_rows() {
  for (auto& c : columns) {
    c.int16s.clear();
    c.int64s.clear();
    c.float64s.clear();
    c.float32s.clear();
    c.booleans.clear();
    if (c.is_array()) c.offsets.assign(1, 0);
  }
}

table table::without_rows() const {
  table t;
  t.name = name;
  t.resource_utype = resource_utype;
  t.params = params;
  t.timesys = timesys;
  for (const auto& c : columns) {
    auto& to = t.columns.emplace_back();
    to.name = c.name;
    to.type = c.type;
    to.unit = c.unit;
    to.ucd = c.ucd;
    to.utype = c.utype;
    to.description = c.description;
    to.refers_to_time_frame = c.refers_to_time_frame;
    if (c.is_array()) to.offsets = {0};
  }
  return t;
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
