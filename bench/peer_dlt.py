"""The peer: the same landing folder loaded into DuckDB with dlt, as a data engineer would without this project.

Run by the dlt venv's python (never the project's .venv: dlt is not a project dependency):

    /tmp/hoso-bench/venv-dlt/bin/python bench/peer_dlt.py LANDING_DIR --db PEER.duckdb --pipelines-dir DIR

- portal/hoso-*.json: JSON arrays, one resource merged on the dossier code (`MaHoSo`, write disposition `merge`,
  strategy delete-insert); a dossier re-sent in a later batch replaces the earlier one (`_batch_seq` is the
  dedup sort, descending, so the latest batch wins inside one load); the nested lists (TaiLieuNop, DanhSachLePhi,
  DinhDanhCHS, ...) become dlt's child tables;
- portal/xuly-*.json: appended (processing history);
- provincial/*.csv: merged on `Mã hồ sơ` into their own table (all strings, csv module); XLSX is skipped (as in
  the floor);
- tasks/*.csv: replaced per run.

Gzip-compressed exports (`<name>.gz`, `hoso sample --gzip`) are read too, decompressed in memory.

Files already loaded (by relative path and size, kept in dlt's resource state) are skipped, so a second run over the
same folder loads nothing and one more day loads only that day. Load files are Parquet (pyarrow). No validation, no lineage, no pseudonymisation.
Prints one JSON line: {"records": n, "seconds": s, "files": n, "dlt": version, "duckdb": version}.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import re
import sys
import time
from pathlib import Path

import dlt
import duckdb

BATCH = re.compile(r"(\d{8})-(\d{2})\.json(?:\.gz)?$")


def _files(landing: Path, pattern: str) -> list[Path]:
    """The files of `pattern`, and their gzip-compressed versions (`<name>.gz`, `hoso sample --gzip`)."""
    return sorted([*landing.glob(pattern), *landing.glob(pattern + ".gz")])


def _read_bytes(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()


def _new(state: dict, landing: Path, path: Path) -> bool:
    key = path.relative_to(landing).as_posix()
    return state.get(key) != path.stat().st_size


def _mark(state: dict, landing: Path, path: Path) -> None:
    state[path.relative_to(landing).as_posix()] = path.stat().st_size


def make_source(landing: Path, counts: dict):
    def new_files(pattern: str, read):
        """The rows of each file of `pattern` not loaded yet (by path and size, in the resource's dlt state)."""
        state = dlt.current.resource_state().setdefault("files", {})
        for path in _files(landing, pattern):
            if not _new(state, landing, path):
                continue
            rows = read(path)
            for row in rows:
                row["_source_file"] = path.name
            counts["records"] += len(rows)
            _mark(state, landing, path)
            yield rows

    def json_rows(path: Path) -> list[dict]:
        return json.loads(_read_bytes(path))

    def csv_rows(path: Path) -> list[dict]:
        text = _read_bytes(path).decode("utf-8-sig")
        return list(csv.DictReader(io.StringIO(text, newline="")))

    def batch_rows(path: Path) -> list[dict]:
        m = BATCH.search(path.name)
        seq = int(m.group(1) + m.group(2)) * 1_000_000 if m else 0
        rows = json_rows(path)
        for i, row in enumerate(rows):
            row["_batch_seq"] = seq + i
        return rows

    @dlt.resource(name="portal_dossiers", primary_key="MaHoSo", write_disposition="merge",
                  columns={"_batch_seq": {"data_type": "bigint", "dedup_sort": "desc"}})
    def portal_dossiers():
        yield from new_files("portal/hoso-*.json", batch_rows)

    @dlt.resource(name="portal_history", write_disposition="append")
    def portal_history():
        yield from new_files("portal/xuly-*.json", json_rows)

    @dlt.resource(name="provincial_dossiers", primary_key="Mã hồ sơ", write_disposition="merge")
    def provincial_dossiers():
        yield from new_files("provincial/*.csv", csv_rows)

    def _task_resource(name: str, pattern: str):
        @dlt.resource(name=name, write_disposition="append")
        def tasks():
            yield from new_files(pattern, csv_rows)
        return tasks

    @dlt.source(name="hoso_exports")
    def hoso_exports():
        return [portal_dossiers, portal_history, provincial_dossiers,
                _task_resource("commune_tasks", "tasks/nq57-xa-*.csv"),
                _task_resource("province_tasks", "tasks/nhiem-vu-tinh-*.csv"),
                _task_resource("province_snapshot", "tasks/xep-hang-tinh.csv")]

    return hoso_exports()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("landing")
    ap.add_argument("--db", required=True, help="the DuckDB file the peer writes")
    ap.add_argument("--pipelines-dir", required=True, help="dlt's working folder (state, extracted packages)")
    ap.add_argument("--name", default="hoso_peer")
    args = ap.parse_args(argv)
    landing = Path(args.landing).resolve()
    t0 = time.perf_counter()
    counts = {"records": 0}
    pipeline = dlt.pipeline(pipeline_name=args.name, pipelines_dir=args.pipelines_dir,
                            destination=dlt.destinations.duckdb(args.db), dataset_name="peer", progress=None)
    # Parquet load files (needs pyarrow, which the venv has): dlt's default for DuckDB is INSERT statements, which
    # at scale 1 held 13 GB of RSS and had not finished loading after 6 minutes.
    info = pipeline.run(make_source(landing, counts), loader_file_format="parquet")
    info.raise_on_failed_jobs()
    took = time.perf_counter() - t0
    con = duckdb.connect(args.db, read_only=True)
    tables = {t: con.execute(f'SELECT count(*) FROM peer."{t}"').fetchone()[0]
              for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'peer' "
                                      "AND NOT starts_with(table_name, '_dlt')").fetchall()}
    con.close()
    print(json.dumps({"records": counts["records"], "seconds": round(took, 3), "tables": tables,
                      "dlt": dlt.__version__, "duckdb": duckdb.__version__}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
