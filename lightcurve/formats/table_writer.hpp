// A table written in pieces, so that memory holds one batch of rows and
// never the whole table: the writer opens with the table's metadata (its
// parameters, columns and time frame: a `table` without rows), takes the
// rows in batches, and ends the table at finish(). Every format's writer
// is one of these; writing a whole table is one batch (table_files.hpp).
#pragma once

#include "lightcurve/table.hpp"

#include <string>

namespace gaia::lightcurve {

/// Where a writer's bytes go, in order.
class byte_sink {
public:
  virtual ~byte_sink() = default;
  virtual void put(const std::string& bytes) = 0;
};

class table_writer {
public:
  virtual ~table_writer() = default;
  /// Appends every row of `batch`: a table with the opening table's
  /// columns (names, types, scalar or array) holding some rows; its
  /// parameters and time frame are not read. Throws std::logic_error for a
  /// batch of other columns.
  virtual void write_rows(const table& batch) = 0;
  /// Ends the table; nothing is written after.
  virtual void finish() = 0;
};

/// What a writer keeps of its opening table to check each batch against:
/// the columns' names, types and shapes in one string (not a copy of the
/// table: a light-curve request opens a writer for every source).
class column_signature {
public:
  explicit column_signature(const table& header);
  /// Throws std::logic_error unless `batch` has the header's columns.
  void check(const table& batch) const;

private:
  std::string table_name_;
  size_t count_ = 0;
  /// Per column: its name, '\0', its type and its shape, one byte each.
  std::string key_;
};

} // namespace gaia::lightcurve
