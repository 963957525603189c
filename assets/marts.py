"""Marts stage: the analysts' tables rebuilt from the warehouse (warehouse/marts/*.sql), parameterised by the
reporting window, the home province and the online-ratio definition."""


from datetime import datetime

from dagster import AssetExecutionContext, Config, MaterializeResult, MetadataValue, asset

from assets.resources import WarehouseResource
from assets.tables import LOAD_TABLES, REF_TABLES, table_key
from warehouse.marts import MartParams, build_marts


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


@asset(
    group_name="marts",
    kinds={"duckdb", "sql"},
    owners=["team:data-engineering"],
    # the core and reference tables the marts read (the load's history tables too: the marts follow each load)
    deps=[table_key(t) for t in LOAD_TABLES + REF_TABLES],
    description="marts.* in the warehouse: fct_case_files, online ratios by level / commune / procedure / agency "
    "under definitions A-D, daily trend, task progress, province ranking and the reconciliation with the report. "
    "Config: reporting window, home province, online-ratio definition (A-D), commune target. Metadata per "
    "materialization: received / online / online_ratio_pct at province_wide, province_agencies and commune level.",
)
def marts(context: AssetExecutionContext, config: MartsConfig, warehouse: WarehouseResource) -> MaterializeResult:
    with warehouse.writer() as con:
        stats = build_marts(con, config.params())
        levels = {r[0]: r[1:] for r in con.execute(
            "SELECT level_key, received, online, online_ratio_pct FROM marts.online_ratio_by_level").fetchall()}
        recon = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE matches) FROM marts.published_reconciliation").fetchone()
    meta = {f"rows.{t.split('.')[1]}": s["rows"] for t, s in stats.items()}
    # Plain int / float values: the UI plots each one over the materializations (asset page, Plots tab).
    for key, (received, online, ratio) in levels.items():
        meta[f"{key}.received"] = int(received or 0)
        meta[f"{key}.online"] = int(online or 0)
        if ratio is not None:  # no dossier received at this level: no ratio (a gap in the plot, not a zero)
            meta[f"{key}.online_ratio_pct"] = float(ratio)
    meta["ratio_definition"] = config.ratio_definition
    meta["published_figures_matching"] = MetadataValue.text(f"{recon[1]} of {recon[0]}")
    meta["published_figures_matched"] = int(recon[1])
    meta["published_figures_total"] = int(recon[0])
    meta["seconds"] = round(sum(s["seconds"] for s in stats.values()), 3)
    return MaterializeResult(metadata=meta)


# What the analysts' snapshot is built from: every asset of this module (one asset here; one per dbt model when the
# marts are dbt assets).
MARTS_KEYS = list(marts.keys)
