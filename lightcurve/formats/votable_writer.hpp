// Writes a table as VOTable 1.4 in DataLink's layout: the VOTABLE header
// with the v1.3 namespace and the SpectrumModel prefix, one RESOURCE
// (type="results", utype="spec:Spectrum") holding the TIMESYS and the
// TABLE, PARAMs then FIELDs with their DESCRIPTIONs, attributes in
// alphabetical order. Two serializations of the data:
//  - binary2: BINARY2 as DataLink serves it: per row a null bitmap (one bit
//    per field, most significant first) then each value big-endian (long 8
//    bytes, double 8, float 4, boolean 'T'/'F'/'?'), base64 in 64-char lines;
//  - tabledata: TABLEDATA (DataLink's votable_plain), one TR per row.
// NaN is written as the value NaN, its null bit clear, as DataLink does; a
// missing boolean is null ('?' with its bit set in BINARY2, an empty TD in
// TABLEDATA). Written in batches of rows (table_writer.hpp): BINARY2's
// base64 text is the same whatever the batches.
#pragma once

#include "lightcurve/formats/table_writer.hpp"

#include <memory>

namespace gaia::lightcurve {

enum class votable_encoding { binary2, tabledata };

std::unique_ptr<table_writer> votable_writer(byte_sink& out, const table& header,
                                             votable_encoding encoding);

} // namespace gaia::lightcurve
