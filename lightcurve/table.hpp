// A table as the writers see it, whatever the structure: parameters (one
// value for the whole table), typed columns with their VOTable metadata, an
// optional time frame the time columns refer to. The standard structure
// (standard_table.hpp) fills it; the writers (votable_writer.hpp,
// text_writers.hpp) write any table of this shape, whole or in batches of
// rows.
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

enum class value_type { int16, int64, float64, float32, boolean };

/// One column: metadata and the values of the one vector its type selects.
/// An array column (the raw structure's) keeps every row's elements in that
/// one vector: row i's are [offsets[i], offsets[i + 1]).
struct table_column {
  std::string name;
  value_type type = value_type::float64;
  std::string unit;        ///< VOTable (VOUnit) form, "" when none
  std::string ucd, utype, description;
  bool refers_to_time_frame = false; ///< ref="<time frame's id>" in VOTable
  std::vector<int16_t> int16s;
  std::vector<int64_t> int64s;
  std::vector<double> float64s;
  std::vector<float> float32s;
  std::vector<flag> booleans; ///< flag::missing is null
  std::vector<size_t> offsets; ///< empty for a scalar column

  bool is_array() const { return !offsets.empty(); }
  /// Rows.
  size_t size() const;
  /// Row i's elements [first, last) in the value vector.
  size_t first(size_t row) const { return is_array() ? offsets[row] : row; }
  size_t last(size_t row) const { return is_array() ? offsets[row + 1] : row + 1; }
  /// VOTable's datatype: short, long, double, float, boolean.
  const char* votable_datatype() const;
};

/// The time frame of the time columns (VOTable 1.4 TIMESYS).
struct time_frame {
  std::string id, refposition, timeorigin, timescale;
};

struct table {
  /// The FITS table's EXTNAME; DataLink's tables are EPOCH_PHOTOMETRY.
  std::string name = "EPOCH_PHOTOMETRY";
  /// The VOTable RESOURCE's utype ("" none); DataLink declares its tables
  /// spectra of the SpectrumModel.
  std::string resource_utype = "spec:Spectrum";
  std::vector<table_param> params;
  std::vector<table_column> columns;
  std::optional<time_frame> timesys;

  size_t rows() const { return columns.empty() ? 0 : columns.front().size(); }
  /// The same table without its rows (an array column stays one): the
  /// metadata a streaming writer opens with (formats/table_writer.hpp).
  table without_rows() const;
  /// Removes the rows, keeping the metadata: a batch refilled row by row.
  void clear_rows();
};

} // namespace gaia::lightcurve
