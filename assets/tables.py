"""The warehouse tables as assets: their keys ([schema, table]) and the metadata each materialization carries on
the table it describes (row count, rows added, column schema from DuckDB's catalog)."""

from __future__ import annotations

import duckdb
from dagster import AssetKey, TableColumn, TableSchema

from sources.registry import FRAMES

# The target tables of the export kinds' frames (sources/registry.py), the reference ones apart.
REF_TABLES = [f.table for f in FRAMES.values() if f.table.startswith("ref.")]
FRAME_TABLES = [f.table for f in FRAMES.values() if not f.table.startswith("ref.")]
# Written together by one load transaction (warehouse/load.py): the frames' tables, the current state merged from
# the observations, the quarantine, and the load, file and validation history.
LOAD_TABLES = [FRAME_TABLES[0], "core.dossiers", *FRAME_TABLES[1:], "core.quarantine", "meta.loads", "meta.files",
               "meta.validations"]
DESCRIPTIONS = {
    "ref.units": "Administrative units (grain unit_code), replaced whole by the newest reference/units file.",
    "ref.procedures": "Administrative procedures (grain procedure_code), replaced whole by the newest reference file.",
    "ref.published_figures": "The published report's figures (grain figure_id), reconciled against the records by the marts.",
    "core.dossier_observations": "Every observation of a dossier that loaded, append-only, with its lineage "
    "(source file, sha256, row, batch, load id).",
    "core.dossiers": "Current state: one row per dossier code, the latest observation (event time, then source "
    "rank, batch, file, load, row).",
    "core.dossier_documents": "Documents listed in portal observations, keyed by the observation and position "
    "(whether a file is attached, not its path).",
    "core.dossier_fees": "Fees listed in portal observations, keyed by the observation and position.",
    "core.dossier_results": "Results listed in portal observations, keyed by the observation and position (whether "
    "an electronic result file is linked, not the link).",
    "core.dossier_identities": "Identities listed in portal observations (personal values only as keyed hashes).",
    "core.dossier_supplements": "Supplement requests of portal observations (requested and resubmitted times; the "
    "request's text is not kept), keyed by the observation and position.",
    "core.dossier_databases": "National databases a portal observation is connected to (code and name), keyed by "
    "the observation and position.",
    "core.processing_steps": "The processing history pushed beside each portal batch.",
    "core.commune_tasks": "Commune tasks per snapshot, commune and task (replaced per snapshot by its newest file).",
    "core.province_tasks": "Province tasks per snapshot and task (replaced per snapshot by its newest file).",
    "core.province_snapshot": "The national 34-province snapshot per date (ranking inputs).",
    "core.quarantine": "Every refused record with its reasons (personal values only as keyed hashes).",
    "meta.loads": "One row per load: status, timings, files and rows read / loaded / quarantined.",
    "meta.files": "Every file version seen, its outcome (loaded, rejected, duplicate_file) and record counts.",
    "meta.validations": "Validation history per load, file, suite and expectation.",
}


def table_key(table: str) -> AssetKey:
    """`core.dossiers` -> AssetKey(["core", "dossiers"])."""
    return AssetKey(table.split("."))


def row_counts(con: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[str, int]:
    return dict(con.execute(" UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in tables)).fetchall())


def column_schemas(con: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[str, TableSchema]:
    """The columns of each table as DuckDB's catalog has them (name, type, comment)."""
    cols: dict[str, list[TableColumn]] = {t: [] for t in tables}
    for schema, table, name, dtype, comment in con.execute(
            "SELECT schema_name, table_name, column_name, data_type, comment FROM duckdb_columns() "
            "WHERE database_name = current_database() ORDER BY schema_name, table_name, column_index").fetchall():
        if f"{schema}.{table}" in cols:
            cols[f"{schema}.{table}"].append(TableColumn(name=name, type=dtype, description=comment or None))
    return {t: TableSchema(columns=c) for t, c in cols.items()}


def table_metadata(con: duckdb.DuckDBPyConnection, tables: list[str], before: dict[str, int]) -> dict[str, dict]:
    """{table: metadata} after a write: row count, rows added since `before` (the counts before the write; net, so
    a table replaced per snapshot may show fewer), the column schema and the table's name."""
    after, schemas = row_counts(con, tables), column_schemas(con, tables)
    return {t: {"dagster/row_count": after[t], "rows_added": after[t] - before[t],
                "dagster/column_schema": schemas[t], "dagster/table_name": f"warehouse.{t}"} for t in tables}
