// Writes a table as ECSV 1.0 or CSV, as DataLink's ecsv and csv formats:
//  - ECSV: the parameters in the meta block (long ones as integers, the
//    TIMESYS as a mapping), each column's datatype, unit (in astropy's
//    form: 'electron'.s**-1 -> electron / s), description, ucd and utype;
//    NaN as "nan", a missing boolean as an empty field (astropy: masked);
//  - CSV: the long parameters (solution_id, source_id) as leading columns
//    repeated on every row, booleans true/false, NaN and a missing boolean
//    empty.
// Numbers in shortest round-trip form, the float32 columns as floats.
#pragma once

#include "lightcurve/table.hpp"

#include <ostream>
#include <string>

namespace gaia::lightcurve {

void write_ecsv(std::ostream& out, const table& t);
void write_csv(std::ostream& out, const table& t);

/// A VOUnit as astropy's generic format writes it ("'electron'.s**-1" ->
/// "electron / s"); other units unchanged.
std::string astropy_unit(const std::string& vounit);

} // namespace gaia::lightcurve
