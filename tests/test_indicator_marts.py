"""marts.indicators and marts.indicator_ranking after a whole `hoso run`, against the expected values the generator
wrote into the manifest from its own ground truth (samples/indicators.py): every indicator, at every grain the
manifest gives and every period, exactly; the national ranking recomputed here from the manifest's values."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest

from samples.generate import generate_world
from test_pipeline import make_settings, run

KEY = ("province_code", "grain", "key", "period_type", "period_key", "indicator", "definition")


def manifest_rows(manifest: dict) -> dict[tuple, tuple[int, int, int]]:
    cols = manifest["indicator_columns"]
    rows = [dict(zip(cols, r)) for r in manifest["indicators"]]
    return {tuple(r[k] for k in KEY): (r["numerator"], r["denominator"], r["not_from_portal"]) for r in rows}


def mart_rows(analytics_db, grains: tuple[str, ...], home: str) -> dict[tuple, tuple[int, int, int]]:
    con = duckdb.connect(str(analytics_db), read_only=True)
    try:
        rows = con.execute(
            "SELECT province_code, grain, grain_key, period_type, period_key, indicator, definition, numerator, "
            "denominator, not_from_portal FROM marts.indicators "
            "WHERE grain IN (SELECT unnest(?)) AND (grain <> 'unit' OR province_code = ?)", [list(grains), home]
        ).fetchall()
    finally:
        con.close()
    return {r[:7]: r[7:] for r in rows}


def pct(num: int, den: int) -> Decimal | None:
    return (Decimal(100 * num) / Decimal(den)).quantize(Decimal("0.01"), ROUND_HALF_UP) if den else None


def published_online(landing) -> dict[str, Decimal]:
    """The national snapshot file's online ratio per province at its latest date (as the file writes it)."""
    with (landing / "tasks/xep-hang-tinh.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    latest = max(rows, key=lambda r: r["Ngày"][6:] + r["Ngày"][3:5] + r["Ngày"][:2])["Ngày"]
    return {r["Mã tỉnh"]: Decimal(r["Tỷ lệ nộp trực tuyến (%)"]) for r in rows if r["Ngày"] == latest}


def expected_ranks(expected: dict[tuple, tuple[int, int, int]], published: dict[str, Decimal]
                   ) -> dict[tuple, tuple[Decimal | None, int | None]]:
    """(period_type, period_key, indicator, definition, province) -> (value, rank) of the provinces with records:
    rank = 1 + provinces with a strictly greater value; for the window's online ratio the provinces without records
    take part with their published value."""
    groups = defaultdict(dict)
    for (province, grain, _, ptype, pkey, ind, definition), (num, den, _) in expected.items():
        if grain == "province":
            groups[(ptype, pkey, ind, definition)][province] = pct(num, den)
    out = {}
    for group, values in groups.items():
        others = [v for p, v in published.items() if p not in values] if group == ("window", "window", "3.3", "A") else []
        for province, value in values.items():
            rank = None if value is None else \
                1 + sum(1 for v in [*values.values(), *others] if v is not None and v > value)
            out[(*group, province)] = (value, rank)
    return out


@pytest.fixture(scope="module")
def three_provinces_run(tmp_path_factory):
    """A world of three provinces at scale 0.01 (the snapshot file names 31 more), loaded by one `hoso run`."""
    landing = tmp_path_factory.mktemp("three") / "landing"
    manifest = generate_world(landing, scale=0.01, provinces=2)
    settings = make_settings(landing.parent, landing)
    run(settings)
    return settings, manifest


@pytest.fixture(scope="module")
def national_run(national_world_dir, tmp_path_factory):
    """The national world: the 34 provinces at scale 0.005, loaded by one `hoso run`."""
    settings = make_settings(tmp_path_factory.mktemp("national_run"), national_world_dir)
    run(settings)
    return settings, json.loads((national_world_dir / "manifest.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("world", ["three_provinces_run", "national_run"])
def test_every_indicator_at_every_grain_and_period_is_the_manifests(world, request):
    settings, manifest = request.getfixturevalue(world)
    expected = manifest_rows(manifest)
    provinces = {k[0] for k in expected}
    assert len(provinces) == (3 if world == "three_provinces_run" else 34)
    assert {k[1] for k in expected} == {"province", "province_agencies", "communes", "unit"}
    got = mart_rows(settings.analytics_db, ("province", "province_agencies", "communes", "unit"),
                    manifest["home_province"])
    assert set(got) == set(expected), (sorted(set(got) - set(expected))[:5], sorted(set(expected) - set(got))[:5])
    wrong = {k: (got[k], v) for k, v in expected.items() if got[k] != v}
    assert wrong == {}, list(wrong.items())[:10]
    # the indicators are not all alike: the rules give different values
    home = manifest["home_province"]
    window = {k[5] + " " + k[6]: v for k, v in expected.items() if k[:5] == (home, "province", home, "window", "window")}
    assert len({pct(n, d) for n, d, _ in window.values()}) == len(window)


def test_the_national_ranking_of_each_indicator_is_recomputed_from_records(three_provinces_run):
    """Three provinces with records; for the window's online ratio the 31 others of the snapshot file take part."""
    settings, manifest = three_provinces_run
    published = published_online(settings.landing_dir)
    ranks = expected_ranks(manifest_rows(manifest), published)
    con = duckdb.connect(str(settings.analytics_db), read_only=True)
    try:
        rows = con.execute(
            "SELECT period_type, period_key, indicator, definition, province_code, value_pct, rank, from_records "
            "FROM marts.indicator_ranking").fetchall()
        snapshot_provinces = con.execute(
            "SELECT count(DISTINCT \"Mã tỉnh\") FROM bao_cao.xep_hang_chi_so_766 "
            "WHERE \"Kỳ\" = 'window' AND \"Mã chỉ số\" = '3.3'").fetchone()[0]
    finally:
        con.close()
    from_records = {r[:5]: (r[5], r[6]) for r in rows if r[7]}
    assert from_records == ranks
    # the window's online ratio also ranks the provinces known only from the national snapshot file
    published = [r for r in rows if not r[7]]
    assert {(r[0], r[2], r[3]) for r in published} == {("window", "3.3", "A")}
    assert snapshot_provinces == 34 == len(published) + 3


def test_the_national_ranking_from_the_34_provinces_records(national_run):
    """Every province has records: every rank comes from them, and on the window's online ratio they agree with the
    national snapshot file's latest ranks (its values were planned from the same records)."""
    settings, manifest = national_run
    ranks = expected_ranks(manifest_rows(manifest), {})
    published = published_online(settings.landing_dir)
    con = duckdb.connect(str(settings.analytics_db), read_only=True)
    try:
        rows = con.execute(
            "SELECT period_type, period_key, indicator, definition, province_code, value_pct, rank, from_records "
            "FROM marts.indicator_ranking").fetchall()
    finally:
        con.close()
    assert all(r[7] for r in rows)
    assert {r[:5]: (r[5], r[6]) for r in rows} == ranks
    # rank changes month to month: none from June (a few dossiers of one province), August against July
    con = duckdb.connect(str(settings.analytics_db), read_only=True)
    try:
        changes = dict(con.execute(
            "SELECT period_key, rank_change FROM marts.indicator_ranking WHERE period_type = 'month' "
            "AND indicator = '3.3' AND definition = 'A' AND province_code = '40'").fetchall())
    finally:
        con.close()
    july, august = (ranks[("month", m, "3.3", "A", "40")][1] for m in ("2025-07", "2025-08"))
    assert changes["2025-07"] is None and changes["2025-08"] == july - august
    window = {r[4]: r[6] for r in rows if r[:4] == ("window", "window", "3.3", "A")}
    file_rank = {p: 1 + sum(1 for v in published.values() if v > value) for p, value in published.items()}
    assert len(window) == 34 and window == file_rank
