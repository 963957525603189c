"""Lake mode (warehouse/lake.py): the warehouse's tables in DuckLake, its catalog in a real PostgreSQL started by the
test (tests/services.py), its Parquet files in a folder. Runs in the lake environment (requirements-lake.lock, DuckDB
1.5.5 with the extension wheels): `./dev test` runs this folder with .venv-lake after the main suite, and
tests/conftest.py leaves it out of the main environment's collection.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import duckdb
import pytest

from services import new_database, postgres_url  # noqa: F401
from tests.test_pipeline import make_settings, run
from warehouse.db import read_warehouse
from warehouse.dbt_runner import MartParams, run_dbt
from warehouse.lake import LAKE_DATA_ENV, LAKE_ENV, Lake, attach

pytestmark = pytest.mark.slow

# Columns that say when, how long or by which load a row was written: they differ between any two runs.
RUN_COLUMNS = {"load_id", "first_load_id", "last_load_id", "merged_load_id", "resolved_by_load_id", "run_id", "started_at",
               "finished_at", "load_started_at", "last_load_finished_at", "built_at", "validated_at", "loaded_at",
               "code_version", "seconds"}
SCHEMAS = ("core", "meta", "ref", "marts", "data_quality")


def fingerprints(con: duckdb.DuckDBPyConnection, skip: set[str] = RUN_COLUMNS) -> dict[str, tuple]:
    """(rows, order-independent hash of the content without the `skip` columns) of every table of the schemas."""
    out = {}
    tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database() "
                         f"AND schema_name IN {SCHEMAS} ORDER BY ALL").fetchall()
    for schema, table in tables:
        cols = [c for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = ? "
            "AND table_name = ? ORDER BY column_index", [schema, table]).fetchall() if c not in skip]
        row = ", ".join(f'"{c}"' for c in cols)
        out[f"{schema}.{table}"] = con.execute(f'SELECT count(*), sum(hash({row})) FROM {schema}."{table}"').fetchone()
    return out


def test_a_run_into_the_lake_gives_the_embedded_runs_warehouse_and_snapshot(small_world_dir: Path, tmp_path: Path,
                                                                           postgres_url: str,  # noqa: F811
                                                                           monkeypatch) -> None:
    embedded = make_settings(tmp_path / "embedded", small_world_dir)
    run(embedded)
    catalog = "ducklake:postgres:" + new_database(postgres_url)
    data = tmp_path / "lake-data"
    monkeypatch.setenv(LAKE_ENV, catalog)
    monkeypatch.setenv(LAKE_DATA_ENV, f"{data}/")
    lake = make_settings(tmp_path / "lake", small_world_dir)
    run(lake)

    with contextlib.closing(duckdb.connect(str(embedded.warehouse_db), read_only=True)) as con:
        want = fingerprints(con)
    with contextlib.closing(read_warehouse(lake.warehouse_db)) as con:
        got = fingerprints(con)
    assert len(want) > 40 and got == want
    # The data is in the lake: Parquet files under its data path; the local file holds none of the tables.
    assert len(list(data.rglob("*.parquet"))) > 40
    with contextlib.closing(duckdb.connect(str(lake.warehouse_db), read_only=True)) as con:
        assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name IN ('core', 'marts')").fetchone() == (0,)
    # The analysts' snapshot: the same marts (an independent check of the headline: the generator's ground truth).
    snaps = [duckdb.connect(str(s.analytics_db), read_only=True) for s in (embedded, lake)]
    try:
        assert fingerprints(snaps[1]) == fingerprints(snaps[0])
        cu = json.loads((small_world_dir / "manifest.json").read_text(encoding="utf-8"))["clean_universe"]["40"]
        assert snaps[1].execute("SELECT received, online FROM marts.online_ratio_by_level "
                                "WHERE level_key = 'province_wide'").fetchone() == (cu["all"]["received"], cu["all"]["online"])
        views = "SELECT count(*) FROM duckdb_views() WHERE schema_name = 'bao_cao'"
        assert snaps[1].execute(views).fetchone() == snaps[0].execute(views).fetchone() > (10,)
    finally:
        for snap in snaps:
            snap.close()

    # An analyst attaches the lake read-only, beside the pipeline: reads the tables, cannot write them.
    with contextlib.closing(duckdb.connect()) as analyst:
        attach(analyst, Lake(catalog, f"{data}/"), read_only=True)
        assert analyst.execute("SELECT count(*) FROM core.dossiers").fetchone()[0] == got["core.dossiers"][0]
        with pytest.raises(duckdb.Error, match="read-only"):
            analyst.execute("DELETE FROM core.dossiers")

    # A second run on the same files changes nothing in the lake (run columns aside).
    run(lake, force=True)
    with contextlib.closing(read_warehouse(lake.warehouse_db)) as con:
        assert fingerprints(con) == got

    # The marts the lake's runs built (fct_case_files incrementally on the second) are those of a full build of the
    # same lake, load ids included.
    def marts(skip: set[str]) -> dict[str, tuple]:
        with contextlib.closing(read_warehouse(lake.warehouse_db)) as con:
            return {t: v for t, v in fingerprints(con, skip).items() if t.startswith("marts.")}

    built = marts(set())
    res = run_dbt(["build", "--full-refresh"], lake.warehouse_db, MartParams(), check=False)
    assert res.returncode == 0, res.stdout[-3000:]
    assert len(built) == 16 and marts(set()) == built
