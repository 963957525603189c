"""Personal data: every personal value of the small world (owner names, ID numbers, phones, e-mails, addresses,
identity entries, handler names, file paths, result links, supplement requests' text: read from the portal JSON batches, processing histories, provincial CSV and XLSX
exports) is searched for in everything the pipeline wrote while loading the whole world (tests/reliability/harness
.grown_world, two `hoso run`: state A then state B):

- every column of every table of the warehouse (core.quarantine and meta.validations' sample_values included) and of
  the analytics snapshot;
- the docs folder (HOSO_DOCS_DIR: the HTML report and the Great Expectations data docs), the Dagster home (run and
  event-log storage, compute logs), the staging area, and the CLI's stdout and stderr;

each value as written, in NFD, and JSON-escaped (\\uXXXX). Found: must be 0. The dossier codes of the landing files
(a quasi-identifier: the public portal looks a case up by it) are searched for in what analysts are given: the
snapshot (they reach it as keyed pseudonyms, `dossier_ref`) and the docs folder (report, validation summary, Great
Expectations' data docs, dbt docs); the warehouse keeps them for data engineers. And `hoso run` without HOSO_PII_KEY
stops before any work with one clear line, while `hoso demo` pseudonymises the sample world with the public demo key.
"""

from __future__ import annotations

import csv
import json
import unicodedata
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
import pytest

from reliability.harness import Workdir, grown_world, ok
from test_file_changes import tiny_landing

PORTAL_FIELDS = ("ChuHoSo", "SoGiayToChuHoSo", "SoDienThoai", "Email")
PROVINCIAL_FIELDS = ("Chủ hồ sơ", "Người nộp", "Địa chỉ", "Số điện thoại")
# File paths and links (they can identify a case) and the clerk's text of a supplement request (it may name the
# citizen): the parser reads them at most to set a flag.
LIST_FIELDS = (("TaiLieuNop", "DuongDanTaiTepTin"), ("DanhSachGiayToKetQua", "DuongDanTepTinKetQua"),
               ("DanhSachHoSoBoSung", "NoiDungYeuCau"))


def personal_values(landing: Path) -> dict[str, set[str]]:
    """{field: values} of every personal field of every export of a landing folder."""
    found: dict[str, set[str]] = {}

    def add(field: str, value) -> None:
        if value not in (None, ""):
            found.setdefault(field, set()).add(str(value).strip())

    for path in sorted((landing / "portal").glob("hoso-*.json")):
        for rec in json.loads(path.read_text(encoding="utf-8")):
            for key in PORTAL_FIELDS:
                add(key, rec.get(key))
            for ident in rec.get("DinhDanhCHS") or []:
                add("DinhDanhCHS.SoDinhDanh", ident.get("SoDinhDanh"))
            # read only to say whether there is one (has_file, has_file_link), or not read: never written
            for field, item in LIST_FIELDS:
                for element in rec.get(field) or []:
                    add(f"{field}.{item}", element.get(item))
    for path in sorted((landing / "portal").glob("xuly-*.json")):
        for rec in json.loads(path.read_text(encoding="utf-8")):
            add("NguoiXuLy", rec.get("NguoiXuLy"))
    for _fmt, row in provincial_rows(landing):
        for key in PROVINCIAL_FIELDS:
            add(key, row.get(key))
    return found


def provincial_rows(landing: Path):
    """("csv" or "xlsx", {header: value}) for every record of the provincial exports of a landing folder."""
    for path in sorted((landing / "provincial").glob("*.csv")):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                yield "csv", row
    for path in sorted((landing / "provincial").glob("*.xlsx")):
        wb = openpyxl.load_workbook(path, read_only=True)
        header = None
        for row in wb.active.iter_rows(values_only=True):
            if header is None:
                if row and row[0] == "STT":
                    header = list(row)
                continue
            yield "xlsx", dict(zip(header, row))
        wb.close()


CODE_FIELDS = ("MaHoSo", "Mã hồ sơ", "Số hồ sơ")


def dossier_codes(landing: Path) -> set[str]:
    """Every dossier code of every export of a landing folder (portal batches and histories, provincial CSV, XLSX)."""
    found: dict[str, set[str]] = {}
    for path in sorted((landing / "portal").glob("*.json")):
        for rec in json.loads(path.read_text(encoding="utf-8")):
            if rec.get("MaHoSo"):
                found.setdefault("portal", set()).add(str(rec["MaHoSo"]).strip())
    for fmt, row in provincial_rows(landing):
        for key in CODE_FIELDS:
            if row.get(key):
                found.setdefault(fmt, set()).add(str(row[key]).strip())
    assert set(found) == {"portal", "csv", "xlsx"}, set(found)
    return {c for codes in found.values() for c in codes if c}


def needles(values: dict[str, set[str]]) -> dict[str, str]:
    """{form to search for: field}: each value as written, in NFC and NFD, and JSON-escaped."""
    out = {}
    for field, vals in values.items():
        for v in vals:
            for form in {v, unicodedata.normalize("NFC", v), unicodedata.normalize("NFD", v),
                         json.dumps(v)[1:-1], json.dumps(unicodedata.normalize("NFD", v))[1:-1]}:
                out[form] = field
    return out


def hits_in(texts: pl.Series, patterns: list[str]) -> list[str]:
    """The patterns found in any of the texts (Aho-Corasick, polars)."""
    texts = texts.cast(pl.String).drop_nulls()
    if texts.len() == 0:
        return []
    hit = texts.filter(texts.str.contains_any(patterns))
    if hit.len() == 0:
        return []
    found = {m for ms in hit.str.extract_many(patterns, overlapping=True).to_list() for m in ms}
    # A phone or ID number counts as found only as a whole number, not inside a longer one (a 20-digit file id
    # holds some 10-digit phone number by chance).
    return sorted(m for m in found if not m.isdigit()
                  or hit.str.contains(rf"(?:^|\D){m}(?:\D|$)").any())


def scan_duckdb(db: Path, patterns: list[str]) -> dict[str, list[str]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        found = {}
        for schema, table in con.execute("SELECT schema_name, table_name FROM duckdb_tables() "
                                         "WHERE NOT temporary").fetchall():
            cols = [r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE schema_name = ? "
                                              "AND table_name = ?", [schema, table]).fetchall()]
            frame = con.sql(f"SELECT {', '.join(f'{chr(34)}{c}{chr(34)}::VARCHAR AS {chr(34)}{c}{chr(34)}' for c in cols)} "
                            f"FROM {schema}.{table}").pl()
            for c in cols:
                h = hits_in(frame.get_column(c), patterns)
                if h:
                    found[f"{db.name}:{schema}.{table}.{c}"] = h
        return found
    finally:
        con.close()


def scan_files(folder: Path, patterns: list[str]) -> dict[str, list[str]]:
    found = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".duckdb":
            continue  # scanned as a database
        if path.suffix == ".parquet":
            frame = pl.read_parquet(path)
            texts = pl.concat([frame.get_column(c).cast(pl.String) for c in frame.columns]) if frame.width else \
                pl.Series([], dtype=pl.String)
        else:
            raw = path.read_bytes().decode("utf-8", errors="replace")
            texts = pl.Series(raw.replace("\x00", "\n").splitlines(), dtype=pl.String)
        h = hits_in(texts, patterns)
        if h:
            found[str(path.relative_to(folder))] = h
    return found


@pytest.fixture(scope="module")
def grown(small_world_dir, tmp_path_factory):
    return grown_world(small_world_dir, tmp_path_factory.mktemp("grown"))


@pytest.mark.slow
def test_no_personal_value_anywhere_the_pipeline_writes(grown):
    values = personal_values(grown.landing_full)
    counts = {k: len(v) for k, v in values.items()}
    assert {"ChuHoSo", "SoGiayToChuHoSo", "SoDienThoai", "Email", "DinhDanhCHS.SoDinhDanh", "NguoiXuLy",
            "Chủ hồ sơ", "Địa chỉ", "Người nộp", "Số điện thoại", *(f"{f}.{i}" for f, i in LIST_FIELDS)} \
        <= set(counts), counts
    forms = needles(values)
    patterns = sorted(forms)
    # the scanner finds them where they are: in the exports
    assert len(scan_files(grown.landing_full / "portal", patterns)) > 10
    assert scan_files(grown.landing_full / "provincial", patterns)
    found: dict[str, list[str]] = {}
    scanned = []
    for work in (grown.A, grown.B):
        for db in (work.warehouse_db, work.analytics_db):
            found |= {f"{work.root.name}/{k}": v for k, v in scan_duckdb(db, patterns).items()}
            scanned.append(db)
        for folder in (work.docs_dir, work.dagster_home, work.staging, work.logs):
            if folder.exists():
                found |= {f"{work.root.name}/{folder.name}/{k}": v for k, v in scan_files(folder, patterns).items()}
                scanned.append(folder)
    assert (grown.B.docs_dir / "report.html").is_file()
    assert any(grown.B.dagster_home.rglob("*.db")) and any(grown.B.logs.glob("*.err"))
    summary = {where: sorted({forms[h] for h in hs}) for where, hs in found.items()}
    assert found == {}, f"personal values found: {summary} e.g. {next(iter(found.values()))[:3]}"
    print(f"\npersonal values searched: {sum(counts.values())} ({counts}); "
          f"{len(patterns)} forms; {len(scanned)} databases and folders; found 0")


@pytest.mark.slow
def test_no_dossier_code_in_what_analysts_get(grown):
    """The snapshot and the docs folder (report, validation summary, data docs, dbt docs) hold no dossier code of the
    landing files; the warehouse holds them (the scanner finds them there)."""
    codes = sorted(dossier_codes(grown.landing_full))
    assert len(codes) > 1000
    assert scan_duckdb(grown.B.warehouse_db, codes), "the scanner finds the codes where they are"
    found: dict[str, list[str]] = {}
    for work in (grown.A, grown.B):
        found |= {f"{work.root.name}/{k}": v for k, v in scan_duckdb(work.analytics_db, codes).items()}
        found |= {f"{work.root.name}/docs/{k}": v for k, v in scan_files(work.docs_dir, codes).items()}
    assert (grown.B.docs_dir / "report.html").is_file() and (grown.B.docs_dir / "validation.html").is_file()
    assert any((grown.B.docs_dir / "data_docs").rglob("*.html")) and (grown.B.docs_dir / "dbt_docs.html").is_file()
    assert found == {}, f"dossier codes found: {sorted(found)} e.g. {next(iter(found.values()))[:3]}"
    print(f"\ndossier codes searched: {len(codes)} in the snapshots and docs of states A and B; found 0")


@pytest.mark.slow
def test_run_without_the_key_stops_with_one_line_and_demo_works(small_world_dir, tmp_path):
    landing = tiny_landing(small_world_dir, tmp_path / "landing", ["2025-07-03"])
    work = Workdir(tmp_path / "work", landing)
    res = work.hoso("run", key=None)
    assert res.returncode == 1
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("hoso run: HOSO_PII_KEY is not set") and "Traceback" not in res.stderr
    assert not work.warehouse_db.exists(), "the run did work before refusing"
    demo = ok(work.hoso("demo", key=None))
    assert "Toàn tỉnh" in demo.stdout
    values = personal_values(landing)
    assert scan_duckdb(work.warehouse_db, sorted(needles(values))) == {}
