#!/usr/bin/python3
"""Reads the answer's extra formats back with astropy and checks them against
results.csv, bit for bit, and their provenance against the archive itself.

  export_readback.py OUT_DIR ARCHIVE_DIR RUN_ID FORMAT...

OUT_DIR holds results.csv and the other files (FORMAT: votable,
votable_plain, fits, ecsv); ARCHIVE_DIR the archive files the run read,
whose MD5s are computed here (hashlib) and must be in the md5sums parameter.
Every double is compared by its bits (float.hex()); an empty field of
results.csv must be NaN. Exit 0 and "ok ..." when all match; else exit 1
with the differences."""

import csv
import glob
import hashlib
import json
import math
import os
import re
import sys
import warnings

import numpy as np
from astropy.io.votable import parse as parse_votable
from astropy.table import Table

COLUMNS = ["source_id", "bp_min_flux", "bp_max_flux", "rp_min_flux", "rp_max_flux",
           "percentage_change"]
FLUX_UNIT = "electron / s"
errors = []


def bits(x):
    """The double's identity: its hex form; every NaN alike."""
    x = float(x)
    return "nan" if math.isnan(x) else x.hex()


def csv_rows(path):
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        if header != COLUMNS:
            errors.append(f"{path}: header {header}")
        return [(int(r[0]), [bits(v) if v != "" else "nan" for v in r[1:]]) for r in reader]


def expected_md5sums(archive_dir):
    out = {}
    for path in sorted(glob.glob(os.path.join(archive_dir, "EpochPhotometry_*.csv.gz"))):
        label = re.search(r"EpochPhotometry_(\d{6}-\d{6})\.csv\.gz$", path).group(1)
        with open(path, "rb") as f:
            out[label] = hashlib.md5(f.read()).hexdigest()
    return out


def check_rows(where, t, want):
    names = list(t.colnames)
    if names != COLUMNS:
        errors.append(f"{where}: columns {names}")
        return
    if t["source_id"].dtype.kind != "i" or t["source_id"].dtype.itemsize != 8:
        errors.append(f"{where}: source_id is {t['source_id'].dtype}")
    for name in COLUMNS[1:]:
        if t[name].dtype.kind != "f" or t[name].dtype.itemsize != 8:
            errors.append(f"{where}: {name} is {t[name].dtype}")
    if len(t) != len(want):
        errors.append(f"{where}: {len(t)} rows, results.csv has {len(want)}")
        return
    # The stored values, under the mask astropy puts on NaN (VOTable, FITS).
    data = {name: np.ma.getdata(t[name]) for name in COLUMNS}
    for i, (sid, values) in enumerate(want):
        if int(t["source_id"][i]) != sid:
            errors.append(f"{where}: row {i} source_id {t['source_id'][i]} != {sid}")
        got = [bits(data[name][i]) for name in COLUMNS[1:]]
        if got != values:
            errors.append(f"{where}: row {i} ({sid}) {got} != {values}")
        if len(errors) > 20:
            return


def check_units(where, unit_of):
    for name in COLUMNS[1:5]:
        if unit_of(name) != FLUX_UNIT:
            errors.append(f"{where}: unit of {name} is {unit_of(name)!r}")
    if unit_of("percentage_change") != "%":
        errors.append(f"{where}: unit of percentage_change is {unit_of('percentage_change')!r}")
    if unit_of("source_id") is not None:
        errors.append(f"{where}: source_id has a unit")


def check_provenance(where, meta, run_id, md5s, formats):
    """`meta`: parameter name -> value, whatever the format's spelling."""
    if meta.get("run_id") != run_id:
        errors.append(f"{where}: run_id {meta.get('run_id')!r}, want {run_id}")
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", str(meta.get("started"))):
        errors.append(f"{where}: started {meta.get('started')!r}")
    if not re.fullmatch(r"gaia-dr3 \d+\.\d+\.\d+", str(meta.get("software"))):
        errors.append(f"{where}: software {meta.get('software')!r}")
    if not str(meta.get("archive", "")).endswith("/EpochPhotometry_%s.csv.gz"):
        errors.append(f"{where}: archive {meta.get('archive')!r}")
    if not str(meta.get("md5_url", "")).endswith("/_MD5SUM.txt"):
        errors.append(f"{where}: md5_url {meta.get('md5_url')!r}")
    if meta.get("files") != len(md5s):
        errors.append(f"{where}: files {meta.get('files')!r}, want {len(md5s)}")
    want = "; ".join(f"{label} {md5}" for label, md5 in md5s.items())
    if meta.get("md5sums") != want:
        errors.append(f"{where}: md5sums {meta.get('md5sums')!r}, want {want!r}")
    try:
        settings = json.loads(meta.get("settings", ""))
        if settings.get("export_formats") != formats:
            errors.append(f"{where}: settings' export_formats {settings.get('export_formats')}")
        if settings.get("archive_url_template") != meta.get("archive"):
            errors.append(f"{where}: settings' archive_url_template differs from archive")
    except (ValueError, AttributeError) as e:
        errors.append(f"{where}: settings is not JSON: {e}: {meta.get('settings')!r}")


def text(v):
    return v.decode() if isinstance(v, bytes) else v


def check_votable(path, want, run_id, md5s, formats):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any complaint by astropy's reader fails the test
        vot = parse_votable(path)
        table = vot.get_first_table()
        t = table.to_table()
    meta = {}
    for p in table.params:
        meta[p.name] = int(p.value) if p.datatype == "long" else text(p.value)
    check_provenance(path, meta, run_id, md5s, formats)
    check_rows(path, t, want)
    check_units(path, lambda n: None if t[n].unit is None else t[n].unit.to_string())


def check_ecsv(path, want, run_id, md5s, formats):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = Table.read(path, format="ascii.ecsv")
    check_provenance(path, t.meta, run_id, md5s, formats)
    check_rows(path, t, want)
    check_units(path, lambda n: None if t[n].unit is None else t[n].unit.to_string())


def check_fits(path, want, run_id, md5s, formats):
    # FITS has neither the electron nor %: astropy keeps both units as text,
    # with a warning for each; any other warning fails.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t = Table.read(path, format="fits")
    for w in caught:
        if "'electron'.s**-1" not in str(w.message) and "'%'" not in str(w.message):
            errors.append(f"{path}: astropy warns: {w.message}")
    if t.meta.get("EXTNAME") != "RESULTS":
        errors.append(f"{path}: EXTNAME {t.meta.get('EXTNAME')!r}")
    meta = {k.lower(): v for k, v in t.meta.items()}
    check_provenance(path, meta, run_id, md5s, formats)
    check_rows(path, t, want)

    def unit(n):
        u = t[n].unit
        if u is None:
            return None
        s = u.to_string()
        return FLUX_UNIT if s == "'electron'.s**-1" else s
    check_units(path, unit)


def main():
    out_dir, archive_dir, run_id, formats = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
        sys.argv[4:]
    want = csv_rows(os.path.join(out_dir, "results.csv"))
    md5s = expected_md5sums(archive_dir)
    nan_rows = sum(1 for _, v in want if "nan" in v)
    all_formats = ["csv"] + formats
    for f in formats:
        if f in ("votable", "votable_plain"):
            check_votable(os.path.join(out_dir, "results.vot"), want, run_id, md5s, all_formats)
        elif f == "ecsv":
            check_ecsv(os.path.join(out_dir, "results.ecsv"), want, run_id, md5s, all_formats)
        elif f == "fits":
            check_fits(os.path.join(out_dir, "results.fits"), want, run_id, md5s, all_formats)
        else:
            errors.append(f"unknown format {f}")
    if errors:
        print("\n".join(errors))
        sys.exit(1)
    print(f"ok {len(want)} rows ({nan_rows} with an empty band), {len(md5s)} files, "
          f"formats {' '.join(formats)}")


main()
