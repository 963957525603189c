"""The validation summary (reports.validation_summary): every batch, suite and expectation of a run on one static
page, from the warehouse's validation history, from a frame, or from the staged files; samples of personal columns
and dossier codes masked. The page in a browser with the network off: test_report_browser.py."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest

from reports.validation_summary import render_validation_summary
from warehouse.db import apply_schema, connect

ROWS = [
    # source_file, suite, expectation_id, type, columns, reason, severity, scope, success, element, unexpected, sample
    ("a/dossiers_1.json", "dossiers", "dossiers.channel_present", "expect_column_values_to_not_be_null", "channel",
     "unknown_channel", "critical", "row", False, 100, 2, "null"),
    ("a/dossiers_1.json", "dossiers", "dossiers.dossier_code_format", "expect_column_values_to_match_regex",
     "dossier_code", "dossier_code_format", "warning", "row", False, 100, 1, "TEST-000.10.64.H40-250731-0001"),
    ("a/dossiers_1.json", "dossiers", "dossiers.id_number_length", "expect_column_values_to_be_between",
     "owner_id_length", "id_number_length", "warning", "row", False, 100, 1, "7"),
    ("a/dossiers_1.json", "dossiers", "dossiers.not_empty", "expect_table_row_count_to_be_between", None,
     "empty_batch", "warning", "table", True, 100, None, None),
    ("a/dossiers_2.json", "dossiers", "dossiers.channel_present", "expect_column_values_to_not_be_null", "channel",
     "unknown_channel", "critical", "row", True, 50, 0, None),
    ("a/dossiers_2.json", "dossiers", "dossiers.dossier_code_format", "expect_column_values_to_match_regex",
     "dossier_code", "dossier_code_format", "warning", "row", True, 50, 0, None),
    ("a/dossiers_2.json", "dossiers", "dossiers.id_number_length", "expect_column_values_to_be_between",
     "owner_id_length", "id_number_length", "warning", "row", True, 50, 0, None),
    ("a/dossiers_2.json", "dossiers", "dossiers.not_empty", "expect_table_row_count_to_be_between", None,
     "empty_batch", "warning", "table", True, 50, None, None),
    ("a/tasks.csv", "commune_tasks", "commune_tasks.key_unique", "expect_compound_columns_to_be_unique",
     "snapshot_date, commune_code, task_code", "duplicate_key", "critical", "row", True, 32, 0, None),
]
COLS = ["source_file", "suite", "expectation_id", "expectation_type", "columns", "reason", "severity", "scope",
        "success", "element_count", "unexpected_count", "sample_values"]


def frame() -> pl.DataFrame:
    return pl.DataFrame(ROWS, schema=COLS, orient="row").with_columns(
        (100.0 * pl.col("unexpected_count") / pl.col("element_count")).alias("unexpected_percent"))


def tables(page: str) -> dict[str, list[str]]:
    """Body rows per table class (the rows of every table of that class)."""
    out: dict[str, list[str]] = {}
    for cls, body in re.findall(r'<table class="([a-z-]+)">(.*?)</table>', page, flags=re.S):
        out.setdefault(cls, []).extend(re.findall(r"<tr(?: class=\"[a-z-]+\")?><td", body))
    return out


def check_page(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page and "<link" not in page
    assert not re.search(r"https?://", page), "nothing to fetch: no URL at all"
    assert "url(" not in page and "@import" not in page and " src=" not in page
    # every suite, every expectation, every batch (file x suite)
    t = tables(page)
    assert len(t["suites"]) == 2 and len(t["batches"]) == 3
    assert len(t["expectations"]) == 4 + 1
    for x in {r[2] for r in ROWS}:
        assert f'<code class="exp-id">{x}</code>' in page, x
    assert "commune_tasks" in page and "a/dossiers_2.json" in page


def test_from_a_frame(tmp_path):
    out = render_validation_summary(frame(), tmp_path / "docs" / "validation.html", run="run-1")
    page = out.read_text(encoding="utf-8")
    check_page(page)
    assert "<code>run-1</code>" in page
    # counts: the channel check failed in 1 of 2 batches, 2 of 150 records
    row = re.search(r'<tr class="failed-critical"><td><code class="exp-id">dossiers.channel_present</code>.*?</tr>',
                    page, flags=re.S).group(0)
    assert ">1/2</td>" in row and ">150</td>" in row and ">2<br>" in row and "1,33%" in row
    assert "Nghiêm trọng" in row and "kênh nộp không xác định" in row and "<code>null</code>" in row
    # masked: the dossier code (it can be looked up on the public portal) and the owner's values
    assert "TEST-000" not in page and page.count("*** (ẩn / masked)") == 2
    # totals: 3 files, 2 suites, 3 batches, 1 critical failure, 2 warnings
    assert re.search(r"<strong>3</strong> tệp", page) and re.search(r"<strong>2</strong> bộ kiểm tra", page)
    assert re.search(r"<strong>1</strong> kỳ vọng không đạt, nghiêm trọng", page)
    assert re.search(r"<strong>2</strong> kỳ vọng không đạt, cảnh báo", page)


def test_from_the_warehouse_whole_run(tmp_path):
    con = connect(tmp_path / "wh.duckdb")
    apply_schema(con)
    for load_id, run, files in (("20250806T010000-aaaa", "run-1", ["a/tasks.csv"]),
                                ("20250806T010500-bbbb", "run-1", ["a/dossiers_1.json", "a/dossiers_2.json"]),
                                ("20250805T010000-cccc", "run-0", ["a/dossiers_1.json"])):
        con.execute("INSERT INTO meta.loads (load_id, run_id, started_at, status) VALUES (?, ?, now(), 'succeeded')",
                    [load_id, run])
        part = frame().filter(pl.col("source_file").is_in(files)).with_columns(pl.lit(load_id).alias("load_id"))
        con.register("part", part)
        con.execute("INSERT INTO meta.validations BY NAME SELECT *, now() AS validated_at FROM part")
        con.unregister("part")
    page = render_validation_summary(con, tmp_path / "v.html").read_text(encoding="utf-8")
    check_page(page)  # both loads of the latest run: every suite and batch
    assert "20250806T010000-aaaa" in page and "20250806T010500-bbbb" in page and "cccc" not in page
    old = render_validation_summary(con, tmp_path / "old.html", run="run-0").read_text(encoding="utf-8")
    assert "cccc" in old and "commune_tasks" not in old
    con.close()


def test_from_staged_files_and_nothing_validated(tmp_path):
    staged = []
    for name, part in frame().group_by("source_file", maintain_order=True):
        path = tmp_path / f"{len(staged)}" / "validations.parquet"
        path.parent.mkdir()
        part.drop("source_file").write_parquet(path)
        staged.append(SimpleNamespace(relpath=name[0], validations_path=path))
    out = tmp_path / "validation.html"
    check_page(render_validation_summary(staged, out).read_text(encoding="utf-8"))
    before = out.read_bytes()
    assert render_validation_summary([], out) == out and out.read_bytes() == before, "a run without files keeps it"
    empty = render_validation_summary([], tmp_path / "new.html").read_text(encoding="utf-8")
    assert "Chưa có kết quả kiểm tra nào" in empty
