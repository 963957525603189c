"""Files that change under the pipeline, on a tiny landing folder (the small world's reference files and one or two
days), the pipeline run in-process. The outcomes decided here (README "Guarantees"):

1. A file still being written: the sensor (pipelines/sensors.changed_partitions) does not request its day until
   the file has not changed for SETTLE_SECONDS. A manual `hoso run` that reads it half-written records that
   version (its sha256) as `rejected` with the parser's reason and loads nothing of it; the complete file is another
   version (another sha256) and loads on the next run.
2. A file replaced by a corrected version under the same name: the new sha256 is a new file version and loads; the
   old version's observations stay (core.dossier_observations is append-only, both versions in meta.files); each
   dossier's current state follows the merge rule (latest event wins); a record quarantined in the old version that
   the new version corrects loads and its quarantine row is resolved by the new load. A record the new version
   drops is not retracted: its observation stays and still counts.
3. A file deleted after loading: its data stays; the next run succeeds and changes nothing.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from cli.run import run_pipeline
from pipelines.sensors import SETTLE_SECONDS, changed_partitions, landing_state
from assets.settings import Settings
from reliability.harness import file_day, strict_fingerprints


def settings_for(tmp: Path, landing: Path) -> Settings:
    return Settings(landing_dir=landing, warehouse_db=tmp / "warehouse.duckdb", analytics_db=tmp / "analytics.duckdb",
                    dagster_home=tmp / "dagster_home", docs_dir=tmp / "docs")


def run(settings: Settings) -> None:
    with DagsterInstance.ephemeral() as instance:
        assert run_pipeline(settings, allow_demo_key=True, quiet=True, instance=instance)


def tiny_landing(world: Path, dest: Path, days: list[str]) -> Path:
    for p in (world / "reference").glob("*.csv"):
        (dest / "reference").mkdir(parents=True, exist_ok=True)
        shutil.copy2(p, dest / "reference" / p.name)
    for day in days:
        for kind in ("hoso", "xuly"):
            (dest / "portal").mkdir(parents=True, exist_ok=True)
            name = f"{kind}-{day.replace('-', '')}-01.json"
            shutil.copy2(world / "portal" / name, dest / "portal" / name)
    return dest


def q(settings: Settings, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(settings.warehouse_db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


# ---------------------------------------------------------------- 1. a file still being written


def test_sensor_waits_until_a_file_being_written_has_settled(small_world_dir, tmp_path):
    landing = tiny_landing(small_world_dir, tmp_path / "landing", [])
    start = time.time_ns()
    _, cursor = changed_partitions({}, landing_state(landing), start + int(SETTLE_SECONDS * 1e9) + 1, "2025-08-06")
    data = (small_world_dir / "portal" / "hoso-20250702-01.json").read_bytes()
    target = landing / "portal" / "hoso-20250702-01.json"
    target.parent.mkdir(exist_ok=True)
    with open(target, "wb") as fh:  # the exporter is still writing: every tick sees a fresh mtime
        for i in range(3):
            fh.write(data[i * len(data) // 4:(i + 1) * len(data) // 4])
            fh.flush()
            keys, new_cursor = changed_partitions(cursor, landing_state(landing), time.time_ns(), "2025-08-06")
            assert keys == set() and "portal/hoso-20250702-01.json" not in new_cursor
        fh.write(data[3 * len(data) // 4:])
    later = time.time_ns() + int(SETTLE_SECONDS * 1e9) + 1
    keys, new_cursor = changed_partitions(cursor, landing_state(landing), later, "2025-08-06")
    assert keys == {"2025-07-02"}  # settled: requested once, complete
    assert new_cursor["portal/hoso-20250702-01.json"][1] == len(data)
    assert changed_partitions(new_cursor, landing_state(landing), later + 10**9, "2025-08-06")[0] == set()


@pytest.mark.slow
def test_half_written_file_is_rejected_then_the_complete_one_loads(small_world_dir, tmp_path):
    landing = tiny_landing(small_world_dir, tmp_path / "landing", ["2025-07-03"])
    s = settings_for(tmp_path, landing)
    run(s)
    data = (small_world_dir / "portal" / "hoso-20250702-01.json").read_bytes()
    target = landing / "portal" / "hoso-20250702-01.json"
    target.write_bytes(data[: len(data) * 3 // 5])  # a manual run, no sensor: it reads the file half-written
    run(s)
    rows = q(s, "SELECT outcome, reason, records_loaded FROM meta.files WHERE relpath = 'portal/hoso-20250702-01.json'")
    assert len(rows) == 1 and rows[0][0] == "rejected" and rows[0][1] and not rows[0][2], rows
    assert q(s, "SELECT count(*) FROM core.dossier_observations WHERE source_file = 'portal/hoso-20250702-01.json'") \
        == [(0,)]
    target.write_bytes(data)
    run(s)
    rows = q(s, "SELECT outcome, records_read, records_loaded + records_quarantined FROM meta.files "
                "WHERE relpath = 'portal/hoso-20250702-01.json' ORDER BY outcome")
    n = len(json.loads(data))
    assert [r[0] for r in rows] == ["loaded", "rejected"] and rows[0][1:] == (n, n), rows
    assert q(s, "SELECT count(*) FROM core.dossier_observations WHERE source_file = 'portal/hoso-20250702-01.json'")[0][0] \
        + q(s, "SELECT count(*) FROM core.quarantine WHERE source_file = 'portal/hoso-20250702-01.json' "
               "AND entity = 'dossiers'")[0][0] == n


# ---------------------------------------------------------------- 2. a corrected version under the same name


@pytest.mark.slow
def test_corrected_version_under_the_same_name(small_world_dir, tmp_path):
    manifest = json.loads((small_world_dir / "manifest.json").read_text(encoding="utf-8"))
    defect = next(d for d in manifest["defects"] if d["file"] == "portal/hoso-20250703-01.json"
                  and d["outcome"] == "quarantined")  # D21: unknown unit
    landing = tiny_landing(small_world_dir, tmp_path / "landing", ["2025-07-03"])
    s = settings_for(tmp_path, landing)
    run(s)
    path = landing / "portal" / "hoso-20250703-01.json"
    records = json.loads(path.read_text(encoding="utf-8"))
    bad = records[defect["record"]]
    assert q(s, "SELECT resolved_by_load_id FROM core.quarantine WHERE dossier_code = ?", [bad["MaHoSo"]]) == [(None,)]
    # the corrected export: the unknown unit fixed, one dossier returned later, one record dropped
    good_unit = next(r["DonViXuLy"] for r in records if r is not bad and r["MaHoSo"][:13] == bad["MaHoSo"][:13]) \
        if any(r is not bad and r["MaHoSo"][:13] == bad["MaHoSo"][:13] for r in records) else records[0]["DonViXuLy"]
    bad["DonViXuLy"] = good_unit
    later = next(i for i, r in enumerate(records) if r["TrangThaiHoSo"] != "10" and r is not bad and r["NgayTiepNhan"])
    records[later] |= {"TrangThaiHoSo": "10", "NgayKetThucXuLy": "20250705090000", "NgayTra": "20250705100000"}
    dropped = next(i for i, r in enumerate(records) if i not in (later, defect["record"]) and r["MaHoSo"])
    dropped_code = records[dropped]["MaHoSo"]
    later_code = records[later]["MaHoSo"]
    del records[dropped]
    old_sha = q(s, "SELECT sha256 FROM meta.files WHERE relpath = 'portal/hoso-20250703-01.json'")[0][0]
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    run(s)

    versions = q(s, "SELECT sha256, outcome, load_id FROM meta.files WHERE relpath = 'portal/hoso-20250703-01.json' "
                    "ORDER BY load_id")
    assert [v[1] for v in versions] == ["loaded", "loaded"] and versions[0][0] == old_sha
    new_load = versions[1][2]
    # the old version's observations stay, beside the new version's
    per_version = dict(q(s, "SELECT source_sha256, count(*) FROM core.dossier_observations "
                            "WHERE source_file = 'portal/hoso-20250703-01.json' GROUP BY ALL"))
    assert per_version[old_sha] == len(records) and per_version[versions[1][0]] == len(records)
    # the later event wins
    assert q(s, "SELECT status, source_sha256, observations FROM core.dossiers WHERE dossier_code = ?", [later_code]) \
        == [(10, versions[1][0], 2)]
    # the quarantined record, corrected, loads and its quarantine row is resolved by the new load
    assert q(s, "SELECT count(*) FROM core.dossiers WHERE dossier_code = ?", [bad["MaHoSo"]]) == [(1,)]
    assert q(s, "SELECT resolved_by_load_id FROM core.quarantine WHERE dossier_code = ?", [bad["MaHoSo"]]) \
        == [(new_load,)]
    # a record the correction drops is not retracted
    assert q(s, "SELECT source_sha256, observations FROM core.dossiers WHERE dossier_code = ?", [dropped_code]) \
        == [(old_sha, 1)]


# ---------------------------------------------------------------- 3. a file deleted after loading


@pytest.mark.slow
def test_file_deleted_after_loading_keeps_its_data(small_world_dir, tmp_path):
    landing = tiny_landing(small_world_dir, tmp_path / "landing", ["2025-07-02", "2025-07-03"])
    s = settings_for(tmp_path, landing)
    run(s)
    before = strict_fingerprints(s.warehouse_db), strict_fingerprints(s.analytics_db)
    (landing / "portal" / "hoso-20250702-01.json").unlink()
    (landing / "portal" / "xuly-20250702-01.json").unlink()
    run(s)
    assert (strict_fingerprints(s.warehouse_db), strict_fingerprints(s.analytics_db)) == before
    assert q(s, "SELECT count(*) > 0 FROM core.dossier_observations WHERE source_file = 'portal/hoso-20250702-01.json'") \
        == [(True,)]


@pytest.mark.slow
def test_corrected_version_wins_a_tie_on_the_event_time(small_world_dir, tmp_path):
    """A correction that changes a field but no time (here the channel): the two versions' observations tie on
    (event_at, source_rank, batch_seq, source_file, source_row). The newer version should win."""
    landing = tiny_landing(small_world_dir, tmp_path / "landing", ["2025-07-03"])
    s = settings_for(tmp_path, landing)
    run(s)
    path = landing / "portal" / "hoso-20250703-01.json"
    records = json.loads(path.read_text(encoding="utf-8"))
    fixed = [i for i, r in enumerate(records) if r["KenhThucHien"] == "1" and r["MaHoSo"]][:20]
    for i in fixed:
        records[i]["KenhThucHien"] = "2"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    run(s)
    codes = [records[i]["MaHoSo"] for i in fixed]
    got = q(s, "SELECT channel, count(*) FROM core.dossiers WHERE dossier_code IN (SELECT unnest(?)) GROUP BY ALL",
            [codes])
    assert got == [(2, len(codes))], got


# ---------------------------------------------------------------- 4. the order the days load in


def _defect_corrected_in_a_later_batch(world: Path) -> tuple[str, str, int, str]:
    """(dossier code, file and index of the quarantined record, file of its correction) of the world's first defect
    quarantined then corrected in a later portal batch (manifest: the generator's own account)."""
    manifest = json.loads((world / "manifest.json").read_text(encoding="utf-8"))
    d = next(d for d in manifest["defects"] if d["outcome"] == "loaded_after_correction")
    return d["dossier_code"], d["file"], d["record"], d["corrected_record"]["file"]


def _resolution(settings: Settings, code: str) -> list[tuple]:
    """(resolved, by the load that quarantined it) of the dossier's quarantine rows."""
    return q(settings, "SELECT resolved_by_load_id IS NOT NULL, resolved_by_load_id = load_id FROM core.quarantine "
                       "WHERE dossier_code = ?", [code])


@pytest.mark.slow
def test_a_quarantined_record_is_resolved_whatever_order_the_days_load_in(small_world_dir, tmp_path):
    """A record quarantined then corrected in a later batch counts as resolved once both are loaded, in one run as
    with the correction loaded first (a backfill of an older day, a lake worker that loads later; in order:
    test_corrected_version_under_the_same_name, test_data_quality.py). An observation from before the record does
    not resolve it."""
    code, bad_file, bad_index, fix_file = _defect_corrected_in_a_later_batch(small_world_dir)
    bad_day, fix_day = file_day(bad_file), file_day(fix_file)
    assert bad_day < fix_day

    one_run = settings_for(tmp_path / "one_run", tiny_landing(small_world_dir, tmp_path / "one_run/landing",
                                                              [bad_day, fix_day]))
    run(one_run)
    assert _resolution(one_run, code) == [(True, True)]

    correction_first = settings_for(tmp_path / "fix_first", tiny_landing(small_world_dir,
                                                                         tmp_path / "fix_first/landing", [fix_day]))
    run(correction_first)
    assert _resolution(correction_first, code) == []
    tiny_landing(small_world_dir, correction_first.landing_dir, [bad_day])
    run(correction_first)
    assert _resolution(correction_first, code) == [(True, True)]  # found resolved by the load that quarantined it

    # The quarantined record again, in a batch of a day after its correction's: the only observation of its
    # dossier is from before it, so it stays open (the update it carried was not received).
    later = settings_for(tmp_path / "later", tiny_landing(small_world_dir, tmp_path / "later/landing", [fix_day]))
    bad = json.loads((small_world_dir / bad_file).read_text(encoding="utf-8"))[bad_index]
    after = sorted(p.name for p in (small_world_dir / "portal").glob("hoso-*.json")
                   if file_day(f"portal/{p.name}") > fix_day)[0]
    records = json.loads((small_world_dir / "portal" / after).read_text(encoding="utf-8")) + [bad]
    (later.landing_dir / "portal" / after).write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    run(later)
    assert q(later, "SELECT source_file FROM core.dossier_observations WHERE dossier_code = ?", [code]) \
        == [(fix_file,)]
    assert _resolution(later, code) == [(False, None)]
