// Writes a table as ECSV 1.0 or CSV, as DataLink's ecsv and csv formats:
//  - ECSV: the parameters in the meta block (long ones as integers, the
//    TIMESYS as a mapping), each column's datatype, unit (in astropy's
//    form: 'electron'.s**-1 -> electron / s), description, ucd and utype;
//    NaN as "nan", a missing boolean as an empty field (astropy: masked);
//  - CSV: the long parameters (solution_id, source_id) as leading columns
//    repeated on every row, booleans true/false, NaN and a missing boolean
//    empty.
// Numbers in shortest round-trip form, the float32 columns as floats. An
// array cell (the raw structure's) is JSON text in quotes, as the bulk
// files write theirs: "[1.5,NaN,2]", an infinity as Infinity or -Infinity
// (Java's and Python's json spelling), booleans true/false/null.
// The header goes to the sink when the writer opens, each batch's rows as
// they come (table_writer.hpp).
#pragma once

#include "lightcurve/formats/table_writer.hpp"

#include <memory>
#include <string>

namespace gaia::lightcurve {

std::unique_ptr<table_writer> ecsv_writer(byte_sink& out, const table& header);
std::unique_ptr<table_writer> csv_writer(byte_sink& out, const table& header);

/// A VOUnit as astropy's generic format writes it ("'electron'.s**-1" ->
/// "electron / s"); other units unchanged.
std::string astropy_unit(const std::string& vounit);

} // namespace gaia::lightcurve
