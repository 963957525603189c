"""Marts stage: the dbt project of warehouse/ (dbt_project.yml, models/, tests/), one asset per model —
marts/<table> and bao_cao/<view> — downstream of the source tables it reads ([core|ref|meta, <table>]); every dbt
test is an asset check of the model it tests. The op is named `marts` and takes MartsConfig (reporting window,
home province, online-ratio definition, commune target) as dbt vars, so run config `ops.marts.config` works as
before.

dbt runs as a child process (hoso-dbt: it dies with this process). It writes the warehouse file itself, so the op
holds the warehouse's writer lock and no connection of its own while dbt runs; the figures that go into the
metadata are read once dbt has finished. Each model is replaced atomically by dbt (a table is built aside and
renamed in one transaction); a run killed during `dbt build` leaves every mart wholly old or wholly new, though
not necessarily all of the same run, until the next run rebuilds them.
"""


import contextlib
import io
import json
import logging
import shutil
import time
from datetime import datetime
from typing import Any, Iterator, Mapping

from dagster import AssetCheckResult, AssetExecutionContext, AssetKey, Config, MetadataValue, Output
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from assets.resources import WarehouseResource
from assets.settings import Settings
from stages.faults import crash_point
from warehouse.db import read_warehouse
from warehouse.dbt_runner import MartParams, dbt_environment, ensure_manifest, keep_parse_state, new_target_path

LEVELS = ("province_wide", "province_agencies", "commune")


class MartsConfig(Config):
    window_start: str = "2025-07-01T00:00:00+07:00"
    window_end: str = "2025-08-06T16:00:00+07:00"
    home_province: str = "40"
    ratio_definition: str = "A"
    commune_target_pct: float = 70.0

    def params(self) -> MartParams:
        return MartParams(
            window_start=datetime.fromisoformat(self.window_start),
            window_end=datetime.fromisoformat(self.window_end),
            home_province=self.home_province,
            ratio_definition=self.ratio_definition,
            commune_target_pct=self.commune_target_pct,
        )


class HosoDbtTranslator(DagsterDbtTranslator):
    """Asset keys [schema, model] for models (marts/…, bao_cao/…) and [source, table] for sources (dagster-dbt's
    defaults with `+schema` set); group = the schema; owner the data-engineering team."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> "str | None":
        return dbt_resource_props.get("config", {}).get("schema") or super().get_group_name(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]):
        return ["team:data-engineering"]


TRANSLATOR = HosoDbtTranslator()


@contextlib.contextmanager
def _dbt_output_into(buffer: io.StringIO) -> Iterator[None]:
    """dagster-dbt echoes every dbt log line to stdout and says what it does at INFO: into `buffer` (logged at
    DEBUG afterwards) instead, so that `hoso run` prints its own progress lines and its headline only."""
    dagster_dbt_log = logging.getLogger("dagster.builtin")
    level = dagster_dbt_log.level
    dagster_dbt_log.setLevel(logging.WARNING)
    try:
        with contextlib.redirect_stdout(buffer):
            yield
    finally:
        dagster_dbt_log.setLevel(level)


def _figures(database: str, keys: list[AssetKey]) -> dict[AssetKey, dict]:
    """Metadata for each materialized model, read after dbt has finished: row counts; the headline counts and
    ratios on marts/online_ratio_by_level; the published figures matched on marts/published_reconciliation."""
    out: dict[AssetKey, dict] = {}
    con = read_warehouse(database)
    try:
        for key in keys:
            schema, name = key.path[0], key.path[-1]
            out[key] = {"dagster/row_count": MetadataValue.int(
                con.execute(f'SELECT count(*) FROM {schema}."{name}"').fetchone()[0])}
        level_key = AssetKey(["marts", "online_ratio_by_level"])
        if level_key in out:
            md = out[level_key]
            rows = con.execute("SELECT level_key, received, online, online_ratio_pct, ratio_definition "
                               "FROM marts.online_ratio_by_level WHERE is_home").fetchall()
            # Plain int / float values: the UI plots each one over the materializations (asset page, Plots tab).
            for level, received, online, ratio, definition in rows:
                md[f"{level}.received"] = int(received or 0)
                md[f"{level}.online"] = int(online or 0)
                if ratio is not None:  # no dossier at this level: no ratio (a gap in the plot, not a zero)
                    md[f"{level}.online_ratio_pct"] = float(ratio)
                md["ratio_definition"] = definition
        recon_key = AssetKey(["marts", "published_reconciliation"])
        if recon_key in out:
            total, matched = con.execute("SELECT count(*), count(*) FILTER (WHERE matches) "
                                         "FROM marts.published_reconciliation").fetchone()
            out[recon_key] |= {"published_figures_matching": MetadataValue.text(f"{matched} of {total}"),
                               "published_figures_matched": int(matched), "published_figures_total": int(total)}
    finally:
        con.close()
    return out


# target/manifest.json, parsed when the project changed (with the warehouse of the settings: a run on it can reuse
# the parse).
MANIFEST = ensure_manifest(Settings.from_env().warehouse_db)


@dbt_assets(manifest=MANIFEST, name="marts", dagster_dbt_translator=TRANSLATOR)
def marts(context: AssetExecutionContext, config: MartsConfig, dbt: DbtCliResource,
          warehouse: WarehouseResource) -> Iterator[Any]:
    params = config.params()
    target = new_target_path("marts")
    dbt_log = io.StringIO()
    t0 = time.perf_counter()
    try:
        with warehouse.locked(), dbt_environment(warehouse.database, params) as env:
            with _dbt_output_into(dbt_log):
                invocation = dbt.cli(["build", "--vars", json.dumps(params.dbt_vars())], context=context,
                                     target_path=target, raise_on_error=False)
                # DuckDB lets no other process read the file while dbt writes it: collect the events, then read.
                events = []
                for event in invocation.stream():
                    events.append(event)
                    if isinstance(event, Output):
                        crash_point("marts.model")  # tests/test_crash_safety.py: killed while dbt builds
            crash_point("marts.built")  # fault injection for tests/test_crash_safety.py (dbt done, lock held)
            built = [context.asset_key_for_output(e.output_name) for e in events if isinstance(e, Output)]
            figures = _figures(warehouse.database, built)
        if invocation.is_successful():
            keep_parse_state(target, warehouse.database, params, env)
    finally:
        shutil.rmtree(target, ignore_errors=True)
    context.log.debug(dbt_log.getvalue())
    checks = [e for e in events if isinstance(e, AssetCheckResult)]
    failed = [e.check_name for e in checks if not e.passed]
    context.log.info(f"dbt build: {len(built)} models built, {len(checks) - len(failed)} of {len(checks)} tests "
                     f"passed in {time.perf_counter() - t0:.1f} s"
                     + (f"; failed: {', '.join(failed)}" if failed else ""))
    for event in events:
        if isinstance(event, Output):
            key = context.asset_key_for_output(event.output_name)
            event = event.with_metadata({**event.metadata, **figures.get(key, {})})
        yield event
    if not invocation.is_successful():
        raise invocation.get_error() or RuntimeError("dbt build failed")


# What the analysts' snapshot is built from: one asset per dbt model (marts/<table>, bao_cao/<view>).
MARTS_KEYS = list(marts.keys)
