"""Publish stage: the analysts' snapshot at HOSO_ANALYTICS_DB (marts, data quality, the bao_cao views; dossier codes
as keyed pseudonyms under the run's HOSO_PII_KEY), swapped in atomically
(warehouse/publish.py); then the static HTML report read from that snapshot alone (reports/html.py)."""


import time
from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from assets.marts import MARTS_KEYS
from assets.resources import PathsResource, WarehouseResource
from reports.html import render_report
from warehouse.dbt_runner import copy_docs, dbt_environment, generate_docs
from warehouse.publish import publish

SNAPSHOT = AssetKey(["analytics", "snapshot"])


@asset(
    key=SNAPSHOT,
    group_name="analytics",
    kinds={"duckdb"},
    owners=["team:data-engineering"],
    deps=MARTS_KEYS,
    description="The analysts' read-only DuckDB snapshot (schemas marts and data_quality, views bao_cao, every table "
    "and column commented, no personal data, dossier codes as keyed pseudonyms), written aside and renamed over the "
    "previous one so readers never block or see a half state.",
)
def snapshot(context: AssetExecutionContext, warehouse: WarehouseResource, paths: PathsResource) -> MaterializeResult:
    t0 = time.perf_counter()
    with warehouse.writer() as con:
        out = publish(con, paths.analytics_db, paths.pii_key())
    # The marts' documentation site (dbt docs, one offline HTML file): generated again only when the project changed.
    dbt_docs = copy_docs(paths.docs_dir)
    if dbt_docs is None:
        with warehouse.locked(), dbt_environment(warehouse.database):
            dbt_docs = generate_docs(warehouse.database, paths.docs_dir)
    dbt_docs = dbt_docs.resolve()
    return MaterializeResult(metadata={
        "path": MetadataValue.path(out["path"]),
        # Browsers do not follow file:// links from an http page: the path is there to copy.
        "dbt_docs": MetadataValue.url(dbt_docs.as_uri()),
        "dbt_docs_path": MetadataValue.path(str(dbt_docs)),
        "tables": len(out["tables"]),
        # fct_case_files rows written: the new loads' dossiers when the previous snapshot's were carried over
        "dossier_rows_written": out["dossier_rows_written"],
        **{f"rows.{t}": n for t, n in out["tables"].items()},
        "seconds": round(time.perf_counter() - t0, 3),
    })


@asset(
    key=["analytics", "report"],
    group_name="analytics",
    kinds={"html"},
    owners=["team:data-engineering"],
    deps=[SNAPSHOT],
    description="The static HTML report (one page, no script, works offline), read from the snapshot alone. "
    "Metadata `report`: its file:// link; `report_path`: its path to copy.",
)
def report(context: AssetExecutionContext, paths: PathsResource) -> MaterializeResult:
    t0 = time.perf_counter()
    out = render_report(Path(paths.analytics_db), paths.docs / "report.html")
    return MaterializeResult(metadata={
        "report": MetadataValue.url(out.resolve().as_uri()),
        # Browsers do not follow file:// links from an http page: the path is there to copy.
        "report_path": MetadataValue.path(str(out.resolve())),
        "seconds": round(time.perf_counter() - t0, 3),
    })
