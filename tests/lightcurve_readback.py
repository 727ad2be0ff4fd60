#!/usr/bin/python3
"""Reads the DataLink tables a lightcurve test wrote, with astropy, and checks
them value by value against the bulk rows they were made from.

  lightcurve_readback.py BULK_FILE OUT_DIR          the standard structure
  lightcurve_readback.py --raw BULK_FILE OUT_DIR    the raw structure

BULK_FILE: bulk-file text ('#' lines, the header row, rows). OUT_DIR holds
votable/, votable_plain/, ecsv/ and csv/, each with one
"EPOCH_PHOTOMETRY-Gaia DR3 <source_id>.<ext>" per row of BULK_FILE (the
standard structure) or one raw.<ext> holding every row (--raw).
The expected tables are computed here from the bulk text, independently of
the C++ code: Python's float() (correctly rounded), float32 via numpy, the
other_flags bits from an explicit table of flag names. Exit 0 and "ok ..."
when every value, name, type, unit and parameter matches; else exit 1 with
the differences."""

import csv
import json
import math
import sys
import warnings

import numpy as np
from astropy.io.votable import parse as parse_votable
from astropy.table import Table

csv.field_size_limit(1 << 30)

AF = [f"af{k}" for k in range(1, 10)]
# Bit of each photometry flag in *_other_flags, and the band whose mask has it.
OTHER_FLAG_BITS = dict(
    [("sm_reject", 0)] + [(f"{a}_reject", k + 1) for k, a in enumerate(AF)]
    + [("bp_reject", 10), ("rp_reject", 11), ("noisy_data", 12), ("sm_unavailable", 13)]
    + [(f"{a}_unavailable", k + 14) for k, a in enumerate(AF)]
    + [("bp_unavailable", 23), ("rp_unavailable", 24)])
FLAG_BAND = {f: ("bp" if f.startswith("bp_") else "rp" if f.startswith("rp_") else "g")
             for f in OTHER_FLAG_BITS}

BAND_COLUMNS = {"g": ("g_transit_time", "g_transit_flux", "g_transit_flux_error",
                      "g_transit_flux_over_error", "g_transit_mag")}
for b in ("bp", "rp"):
    BAND_COLUMNS[b] = (f"{b}_obs_time", f"{b}_flux", f"{b}_flux_error",
                       f"{b}_flux_over_error", f"{b}_mag")

UNITS = {"time": "d", "flux": "electron / s", "flux_error": "electron / s", "mag": "mag"}
PARAMS_TEXT = {
    "citation": "https://www.cosmos.esa.int/web/gaia-users/credits",
    "release": "Gaia DR3",
    "help": "https://www.cosmos.esa.int/web/gaia-users/archive",
    "issues": "https://www.cosmos.esa.int/web/gaia-users/known-issues",
    "data": "https://www.cosmos.esa.int/web/gaia/data-access",
    "terms": "https://www.cosmos.esa.int/web/esdc/terms-and-conditions",
    "home": "https://www.cosmos.esa.int/web/gaia",
    "publisher": "ESA/Gaia/DPAC",
    "creator": "Gaia Collaboration",
}

errors = []


def bulk_rows(path):
    with open(path, newline="") as f:
        lines = [l for l in f if not l.startswith("#") and l.strip()]
    reader = csv.reader(lines)
    header = next(reader)
    return [dict(zip(header, row)) for row in reader]


def tokens(cell):
    cell = cell.strip()
    assert cell[0] == "[" and cell[-1] == "]", cell[:40]
    return cell[1:-1].split(",") if cell[1:-1] else []


def real(tok, dtype):
    return dtype("nan") if tok in ("NaN", "null") else dtype(float(tok))


def boolean(tok):
    tok = tok.strip('"')
    return None if tok == "null" else tok == "True"


def expected_table(row):
    """Column name -> (kind, values): kind i8, f8, f4 or bool (None = missing)."""
    cols = {"transit_id": ("i8", [int(t) for t in tokens(row["transit_id"])])}
    for band, names in BAND_COLUMNS.items():
        for name in names:
            kind = "f4" if name.endswith("over_error") else "f8"
            dtype = np.float32 if kind == "f4" else np.float64
            cols[name] = (kind, [real(t, dtype) for t in tokens(row[name])])
    for band in ("g", "bp", "rp"):
        name = f"variability_flag_{band}_reject"
        cols[name] = ("bool", [boolean(t) for t in tokens(row[name])])
    flags = {f: [boolean(t) for t in tokens(row["photometry_flag_" + f])] for f in OTHER_FLAG_BITS}
    n = int(row["n_transits"])
    for band in ("g", "bp", "rp"):
        masks = [sum(1 << OTHER_FLAG_BITS[f] for f in flags if FLAG_BAND[f] == band and flags[f][i])
                 for i in range(n)]
        cols[f"{band}_other_flags"] = ("i8", masks)
    cols["rejected_by_photometry"] = ("bool", [math.isnan(v) for v in cols["g_transit_flux"][1]])
    for kind, values in cols.values():
        assert len(values) == n
    return cols


def same(kind, want, got, masked):
    if kind in ("f8", "f4"):
        if math.isnan(want):
            return masked or math.isnan(float(got))
        if masked:
            return False
        dtype = np.float32 if kind == "f4" else np.float64
        return dtype(got) == want
    if kind == "bool":
        if want is None:
            return masked
        if masked:
            return False
        if isinstance(got, (str, np.str_)):
            return got == ("true" if want else "false")
        return bool(got) == want
    return not masked and int(got) == want


def check_columns(where, table, cols, extra_leading=()):
    names = list(table.colnames)
    want_names = list(extra_leading) + list(cols)
    if names != want_names:
        errors.append(f"{where}: columns {names} != {want_names}")
        return
    for name, (kind, values) in cols.items():
        col = table[name]
        if len(col) != len(values):
            errors.append(f"{where}: {name} has {len(col)} rows, want {len(values)}")
            continue
        mask = getattr(col, "mask", None)
        for i, want in enumerate(values):
            m = bool(mask[i]) if mask is not None and np.ndim(mask) else False
            got = col[i]
            if not same(kind, want, got, m):
                errors.append(f"{where}: {name}[{i}] = {got!r} (masked {m}), want {want!r}")
                break


def check_units(where, table, unit_of):
    for band, names in BAND_COLUMNS.items():
        for name, what in zip(names, ("time", "flux", "flux_error", None, "mag")):
            got = unit_of(name)
            want = UNITS.get(what)
            if (got or None) != want:
                errors.append(f"{where}: unit of {name} is {got!r}, want {want!r}")


def check_types(where, table, cols):
    want_kind = {"i8": "i", "f8": "f", "f4": "f", "bool": "b"}
    for name, (kind, _) in cols.items():
        dt = table[name].dtype
        if dt.kind != want_kind[kind] or (kind == "f4" and dt.itemsize != 4) \
           or (kind in ("f8", "i8") and dt.itemsize != 8):
            errors.append(f"{where}: {name} is {dt}, want {kind}")


def check_votable(path, row, cols):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any complaint by astropy's reader fails the test
        vot = parse_votable(path)
        table = vot.get_first_table()
        params = {p.name: p.value for p in table.params}
        t = table.to_table()
    for k, v in PARAMS_TEXT.items():
        got = params.get(k)
        if isinstance(got, bytes):
            got = got.decode()
        if str(got) != v:
            errors.append(f"{path}: param {k} = {got!r}")
    for k in ("solution_id", "source_id"):
        if int(params.get(k, -1)) != int(row[k]):
            errors.append(f"{path}: param {k} = {params.get(k)!r}, want {row[k]}")
    fields = {f.name: f for f in table.fields}
    for name in (BAND_COLUMNS["g"][0], BAND_COLUMNS["bp"][0], BAND_COLUMNS["rp"][0]):
        if fields[name].ref != "time_frame":
            errors.append(f"{path}: {name} ref={fields[name].ref!r}")
    timesys = vot.resources[0].time_systems
    if not timesys or (timesys[0].timescale, timesys[0].refposition, float(timesys[0].timeorigin)) \
            != ("TCB", "BARYCENTER", 2455197.5):
        errors.append(f"{path}: TIMESYS {timesys!r}")
    check_columns(path, t, cols)
    check_types(path, t, cols)
    check_units(path, t, lambda n: None if t[n].unit is None else t[n].unit.to_string())


def check_ecsv(path, row, cols):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = Table.read(path, format="ascii.ecsv")
    for k, v in PARAMS_TEXT.items():
        if t.meta.get(k) != v:
            errors.append(f"{path}: meta {k} = {t.meta.get(k)!r}")
    for k in ("solution_id", "source_id"):
        if t.meta.get(k) != int(row[k]):
            errors.append(f"{path}: meta {k} = {t.meta.get(k)!r}, want {row[k]}")
    ts = t.meta.get("TIMESYS", {})
    if (ts.get("timescale"), ts.get("refposition"), ts.get("timeorigin")) != \
            ("TCB", "BARYCENTER", "2455197.5"):
        errors.append(f"{path}: TIMESYS {ts!r}")
    check_columns(path, t, cols)
    check_types(path, t, cols)
    check_units(path, t, lambda n: None if t[n].unit is None else t[n].unit.to_string())


def read_fits(path):
    """astropy's Table.read of a FITS file: any warning but the one about
    DataLink's unit 'electron'.s**-1 (FITS has no electron) fails."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t = Table.read(path, format="fits")
    for w in caught:
        if "'electron'.s**-1" not in str(w.message):
            errors.append(f"{path}: astropy warns: {w.message}")
    return t


def fits_unit(table, name):
    unit = table[name].unit
    if unit is None:
        return None
    text = unit.to_string()
    return "electron / s" if text == "'electron'.s**-1" else text


def check_fits(path, row, cols):
    t = read_fits(path)
    for k, v in PARAMS_TEXT.items():
        if t.meta.get(k.upper()) != v:
            errors.append(f"{path}: keyword {k} = {t.meta.get(k.upper())!r}")
    for k in ("solution_id", "source_id"):
        if t.meta.get(k.upper()) != int(row[k]):
            errors.append(f"{path}: keyword {k} = {t.meta.get(k.upper())!r}, want {row[k]}")
    if (t.meta.get("TIMESYS"), t.meta.get("JDREF"), t.meta.get("TREFPOS")) != \
            ("TCB", 2455197.5, "BARYCENTER"):
        errors.append(f"{path}: time keywords {t.meta!r}")
    # astropy reads FITS's null logical as False: checked on the raw bytes below.
    check_columns(path, t, {k: (kind, [False if (kind == "bool" and v is None) else v
                                       for v in values])
                            for k, (kind, values) in cols.items()})
    check_types(path, t, cols)
    check_units(path, t, lambda n: fits_unit(t, n))
    check_fits_null_logicals(path, cols)


def check_fits_null_logicals(path, cols):
    """A missing boolean must be FITS's null logical: the byte 0, not 'F'."""
    from astropy.io import fits
    with fits.open(path) as hdul:
        data = hdul[1].data
        for name, (kind, values) in cols.items():
            if kind != "bool":
                continue
            raw_bytes = np.asarray(data.base[name]).view(np.uint8)
            for i, want in enumerate(values):
                got = raw_bytes[i]
                expect = 0 if want is None else ord("T") if want else ord("F")
                if int(got) != expect:
                    errors.append(f"{path}: {name}[{i}] is byte {int(got)}, want {expect}")
                    break


def check_csv(path, row, cols):
    t = Table.read(path, format="ascii.csv")
    for k in ("solution_id", "source_id"):
        if k not in t.colnames or any(int(v) != int(row[k]) for v in t[k]):
            errors.append(f"{path}: leading column {k} is not {row[k]} on every row")
    check_columns(path, t, cols, extra_leading=("solution_id", "source_id"))
    # CSV has no types: the text itself must be the shortest form of each value.
    with open(path, newline="") as f:
        lines = list(csv.reader(f))
    header = lines[0]
    for name, (kind, values) in cols.items():
        c = header.index(name)
        for i, want in enumerate(values):
            text = lines[i + 1][c]
            if kind == "f8":
                ok = text == "" if math.isnan(want) else (float(text) == want and
                                                         digits(text) == digits(repr(want)))
            elif kind == "f4":
                ok = text == "" if math.isnan(want) else np.float32(text) == want
            elif kind == "bool":
                ok = text == ("" if want is None else "true" if want else "false")
            else:
                ok = text == str(want)
            if not ok:
                errors.append(f"{path}: {name}[{i}] is {text!r}, want {want!r}")
                break


def digits(text):
    """The significant digits of a decimal text ("1.50e-3" -> "15"): equal for
    two shortest round-trip spellings of one double (Python's repr is one)."""
    mantissa = text.lstrip("+-").lower().split("e")[0].replace(".", "")
    return mantissa.strip("0")


RAW_SCALARS = (("solution_id", "i8"), ("source_id", "i8"), ("n_transits", "i2"))


def raw_array_kind(name):
    if name == "transit_id":
        return "i8"
    if name == "g_transit_n_obs":
        return "i2"
    if "flag" in name:
        return "bool"
    return "f4" if name.endswith("over_error") else "f8"


def expected_raw_element(kind, tok):
    if kind == "bool":
        return boolean(tok)
    if kind in ("f8", "f4"):
        return real(tok, np.float32 if kind == "f4" else np.float64)
    return int(tok)


def check_raw(where, table, rows, header, from_json=False, null_bool_reads_false=False):
    names = list(table.colnames)
    if names != header:
        errors.append(f"{where}: columns {names} != {header}")
        return
    if len(table) != len(rows):
        errors.append(f"{where}: {len(table)} rows, want {len(rows)}")
        return
    for r, row in enumerate(rows):
        for name, kind in RAW_SCALARS:
            if int(table[name][r]) != int(row[name]):
                errors.append(f"{where}: {name}[{r}] = {table[name][r]!r}, want {row[name]}")
        for name in header[3:]:
            kind = raw_array_kind(name)
            want = [expected_raw_element(kind, t) for t in tokens(row[name])]
            cell = table[name][r]
            if from_json:
                got = json.loads(cell)
                mask = [g is None for g in got]
                got = [np.nan if (g is None and kind != "bool") else g for g in got]
            else:
                mask = list(np.ma.getmaskarray(cell)) if np.ma.isMaskedArray(cell) \
                    else [False] * len(cell)
                got = list(np.ma.getdata(cell))
            if kind == "bool" and len(got) and isinstance(got[0], np.integer):
                # astropy 5.2 gives a FITS variable-length logical array as
                # its bytes: 'T', 'F', 0 for null.
                mask = [int(g) == 0 for g in got]
                got = [int(g) == ord("T") for g in got]
            if len(got) != len(want):
                errors.append(f"{where}: {name}[{r}] has {len(got)} values, want {len(want)}")
                break
            for i, (w, g, m) in enumerate(zip(want, got, mask)):
                if null_bool_reads_false and kind == "bool" and w is None and not g and not m:
                    continue
                if not same(kind if kind != "i2" else "i8", w, g, bool(m)):
                    errors.append(f"{where}: {name}[{r}][{i}] = {g!r} (masked {m}), want {w!r}")
                    break


def check_raw_files(bulk, out_dir):
    rows = bulk_rows(bulk)
    with open(bulk, newline="") as f:
        header = next(csv.reader(l for l in f if not l.startswith("#") and l.strip()))
    for fmt, ext in (("votable", "xml"), ("votable_plain", "xml")):
        path = f"{out_dir}/{fmt}/raw.{ext}"
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            t = parse_votable(path).get_first_table().to_table()
        check_raw(path, t, rows, header)
    path = f"{out_dir}/ecsv/raw.ecsv"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = Table.read(path, format="ascii.ecsv")
    # astropy 5.2 reads a null inside a variable-length bool array as False
    # (its own ECSV writer writes null there too): the text is checked for
    # the null itself below.
    check_raw(path, t, rows, header, null_bool_reads_false=True)
    text = Table.read(path, format="ascii.csv", comment="#", fill_values=[])
    check_raw(path + " (text)", text, rows, header, from_json=True)
    for name in header[3:]:
        want = "float32" if raw_array_kind(name) == "f4" else None
        if want and t[name][0].dtype != np.float32:
            errors.append(f"{path}: {name} elements are {t[name][0].dtype}, want float32")
    path = f"{out_dir}/csv/raw.csv"
    t = Table.read(path, format="ascii.csv")
    check_raw(path, t, rows, header, from_json=True)
    path = f"{out_dir}/fits/raw.fits"
    t = read_fits(path)
    check_raw(path, t, rows, header)
    return len(rows)


def main():
    if sys.argv[1] == "--raw":
        checked = check_raw_files(sys.argv[2], sys.argv[3])
        if errors:
            print("\n".join(errors[:40]))
            return 1
        print(f"ok raw: {checked} sources x 5 formats")
        return 0
    bulk, out_dir = sys.argv[1], sys.argv[2]
    rows = bulk_rows(bulk)
    checked = 0
    for row in rows:
        cols = expected_table(row)
        name = f"EPOCH_PHOTOMETRY-Gaia DR3 {int(row['source_id'])}"
        check_votable(f"{out_dir}/votable/{name}.xml", row, cols)
        check_votable(f"{out_dir}/votable_plain/{name}.xml", row, cols)
        check_ecsv(f"{out_dir}/ecsv/{name}.ecsv", row, cols)
        check_csv(f"{out_dir}/csv/{name}.csv", row, cols)
        check_fits(f"{out_dir}/fits/{name}.fits", row, cols)
        checked += 1
    if errors:
        print("\n".join(errors[:40]))
        return 1
    print(f"ok {checked} sources x 5 formats")
    return 0


sys.exit(main())
