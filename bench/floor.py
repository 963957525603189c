"""The floor: DuckDB reading the export files straight into tables, no validation, no merge, no lineage.

Run by the project's python: `python -m bench.floor LANDING_DIR --db FLOOR.duckdb [--day YYYYMMDD]`.

One statement per export kind over all its files: `read_json(format='array')` with explicit columns for the portal
batches (the nested lists as STRUCT[] columns, not unnested) and `read_csv` with explicit all-VARCHAR columns for the
provincial, task and reference CSV files. The provincial XLSX exports are not read (DuckDB has no XLSX reader
without the excel extension; they are a few hundred rows of every world). `--day` reads only the files whose name
carries that date (the increment floor). Gzip-compressed exports (`hoso-*.json.gz`, `*.csv.gz`, `hoso sample --gzip`) are
read too, DuckDB decompressing them by their suffix. Prints one JSON line: {"records": n, "seconds": s, "tables": {...}}.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import duckdb

from sources.portal_json import HISTORY_FIELDS, PORTAL_FIELDS, PORTAL_LISTS

V = "VARCHAR"
# The portal's fields as the parser declares them (sources/portal_json.py); every list read whole.
PORTAL_SCALARS = [name for name in PORTAL_FIELDS if name not in PORTAL_LISTS]
HISTORY = list(HISTORY_FIELDS)
CSV_TABLES = {  # table: (glob, columns in file order)
    "provincial_csv": ("provincial/*.csv", [
        "stt", "ma_ho_so", "ten_thu_tuc", "ma_thu_tuc", "linh_vuc", "don_vi_tiep_nhan", "trang_thai", "chu_ho_so",
        "dia_chi", "ngay_nop", "ngay_tiep_nhan", "ngay_hen_tra", "ngay_ket_thuc_xu_ly", "ngay_tra", "hinh_thuc_nop"]),
    "commune_tasks": ("tasks/nq57-xa-*.csv", ["ma_xa", "ten_xa", "ma_nhiem_vu", "ten_nhiem_vu", "trang_thai",
                                              "ngay_cap_nhat"]),
    "province_tasks": ("tasks/nhiem-vu-tinh-*.csv", ["stt", "ma_nhiem_vu", "ten_nhiem_vu", "don_vi_chu_tri",
                                                     "han_hoan_thanh", "trang_thai", "ngay_hoan_thanh"]),
    "province_snapshot": ("tasks/xep-hang-tinh.csv", ["ngay", "ma_tinh", "ten_tinh", "ty_le_truc_tuyen",
                                                      "ty_le_nhiem_vu_xa"]),
    "units": ("reference/units.csv", ["unit_code", "unit_name", "level", "unit_kind", "e_identifier",
                                      "province_code", "province_name"]),
    "procedures": ("reference/procedures.csv", ["procedure_code", "procedure_name", "field_code", "field_name",
                                                "level", "muc_do", "boundary_free", "boundary_free_status",
                                                "owner_unit_code"]),
    "published_figures": ("reference/published_figures.csv", ["figure_id", "report_ref", "label_vi", "metric",
                                                              "value", "unit", "as_of"]),
}


def _struct(columns: dict[str, str]) -> str:
    return "{" + ", ".join(f"'{k}': '{v}'" for k, v in columns.items()) + "}"


def portal_columns() -> dict[str, str]:
    cols = {c: V for c in PORTAL_SCALARS}
    for name, fields in PORTAL_LISTS.items():
        cols[name] = "STRUCT(" + ", ".join(f'"{f}" VARCHAR' for f in fields) + ")[]"
    return cols


def load(landing: Path, db: str, day: str | None = None) -> dict:
    def files(pattern: str) -> list[str]:
        # a gzip-compressed export (`<name>.gz`) is read as well: DuckDB decompresses by the .gz suffix
        found = sorted(str(p) for p in (*landing.glob(pattern), *landing.glob(pattern + ".gz")))
        return [f for f in found if day is None or day in Path(f).name]

    con = duckdb.connect(db)
    tables: dict[str, int] = {}
    jobs = [("portal_dossiers", files("portal/hoso-*.json"), portal_columns()),
            ("portal_history", files("portal/xuly-*.json"), {c: V for c in HISTORY})]
    for table, paths, cols in jobs:
        if paths:
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_json(?, format='array', columns={_struct(cols)})",
                        [paths])
    for table, (pattern, names) in CSV_TABLES.items():
        paths = files(pattern)
        if paths:
            cols = {n: V for n in names}
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv(?, header=true, delim=',', quote='\"', "
                        f"columns={_struct(cols)})", [paths])
    for (table,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall():
        tables[table] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    con.close()
    return tables


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("landing")
    ap.add_argument("--db", required=True)
    ap.add_argument("--day", help="only the files whose name carries this date (YYYYMMDD)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    tables = load(Path(args.landing), args.db, args.day)
    print(json.dumps({"records": sum(tables.values()), "seconds": round(time.perf_counter() - t0, 3),
                      "tables": tables, "duckdb": duckdb.__version__}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
