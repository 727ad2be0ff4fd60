// A table as the writers see it, whatever the structure: parameters (one
// value for the whole table), typed columns with their VOTable metadata, an
// optional time frame the time columns refer to. The standard structure
// (standard_table.hpp) fills it; the writers (votable_writer.hpp,
// text_writers.hpp) write any table of this shape.
#pragma once

#include "lightcurve/epoch_row.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gaia::lightcurve {

/// A table parameter. `datatype` is VOTable's: "char" (value is the text)
/// or "long" (value holds the decimal integer).
struct table_param {
  std::string name, datatype, value, ucd, description;
  bool is_long() const { return datatype == "long"; }
};

enum class value_type { int64, float64, float32, boolean };

/// One column: metadata and the values of the one vector its type selects.
struct table_column {
  std::string name;
  value_type type = value_type::float64;
  std::string unit;        ///< VOTable (VOUnit) form, "" when none
  std::string ucd, utype, description;
  bool refers_to_time_frame = false; ///< ref="<time frame's id>" in VOTable
  std::vector<int64_t> int64s;
  std::vector<double> float64s;
  std::vector<float> float32s;
  std::vector<flag> booleans; ///< flag::missing is null

  size_t size() const;
  /// VOTable's datatype: long, double, float, boolean.
  const char* votable_datatype() const;
};

/// The time frame of the time columns (VOTable 1.4 TIMESYS).
struct time_frame {
  std::string id, refposition, timeorigin, timescale;
};

struct table {
  std::vector<table_param> params;
  std::vector<table_column> columns;
  std::optional<time_frame> timesys;

  size_t rows() const { return columns.empty() ? 0 : columns.front().size(); }
};

} // namespace gaia::lightcurve
