"""Publish stage: the analysts' snapshot at HOSO_ANALYTICS_DB, marts only, swapped in atomically
(warehouse/publish.py)."""


import time
from pathlib import Path

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from assets.marts import marts
from pipelines.resources import LandingResource, WarehouseResource
from reports.html import render_report
from warehouse.dbt_runner import copy_docs, dbt_environment, generate_docs
from warehouse.publish import publish


@asset(
    group_name="publish",
    kinds={"duckdb"},
    owners=["team:data-engineering"],
    deps=[marts],
    description="The analysts' read-only DuckDB snapshot (schema marts, every table and column commented, no "
    "personal data), written aside and renamed over the previous one so readers never block or see a half state; "
    "then the static HTML report (metadata `report`: its file:// link and path).",
)
def analytics_snapshot(context: AssetExecutionContext, warehouse: WarehouseResource, landing: LandingResource) -> MaterializeResult:
    t0 = time.perf_counter()
    with warehouse.writer() as con:
        out = publish(con, landing.analytics_db)
    # The marts' documentation site (dbt docs, one offline HTML file): generated again only when the project changed.
    dbt_docs = copy_docs(landing.docs_dir)
    if dbt_docs is None:
        with warehouse.locked(), dbt_environment(warehouse.database):
            dbt_docs = generate_docs(warehouse.database, landing.docs_dir)
    dbt_docs = dbt_docs.resolve()
    # The static report reads only the snapshot just published.
    report = render_report(Path(out["path"]), Path(landing.docs_dir) / "report.html")
    return MaterializeResult(metadata={
        "path": MetadataValue.path(out["path"]),
        "report": MetadataValue.url(report.resolve().as_uri()),
        # Browsers do not follow file:// links from an http page: the path is there to copy.
        "report_path": MetadataValue.path(str(report.resolve())),
        "dbt_docs": MetadataValue.url(dbt_docs.as_uri()),
        "dbt_docs_path": MetadataValue.path(str(dbt_docs)),
        "tables": len(out["tables"]),
        **{f"rows.{t}": n for t, n in out["tables"].items()},
        "seconds": round(time.perf_counter() - t0, 3),
    })
