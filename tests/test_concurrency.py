"""Concurrency on the small world (scale 0.01):

- two `hoso run` launched at the same moment on the same landing folder and warehouse (state A, the rest of the days
  new): both succeed (they queue on the writer lock: no "Could not set lock on file"), the figures are the
  manifest's, no observation is loaded twice, and the warehouse holds what one run alone gives (state B);
- an analyst holds the snapshot open read-only and queries it in a loop, and opens a fresh connection each round,
  while a run replaces the snapshot (state A -> state B, tests/reliability/harness.grown_world): no query fails,
  every answer is A's or B's, the held connection keeps A's, fresh connections switch from A's to B's once;
- two runs a few seconds apart: one loads a file and prunes its staging folder before, or while, the other
  validates it (replayed step by step): the other run goes on, and does not load the file twice.
"""

from __future__ import annotations

import json
import time

import pytest

from reliability.analyst import QUERY
from reliability.harness import assert_manifest_figures, connect_ro, fingerprints, grown_world, ok


@pytest.fixture(scope="module")
def grown(small_world_dir, tmp_path_factory):
    return grown_world(small_world_dir, tmp_path_factory.mktemp("grown"))


def answer(db) -> list:
    con = connect_ro(db)
    try:
        return list(con.execute(QUERY).fetchone())
    finally:
        con.close()


@pytest.mark.slow
def test_two_runs_launched_at_once(grown, tmp_path):
    """From state A, the rest of the days arrive; two runs start together (say the schedule and the sensor)."""
    work = grown.A.copy_state(tmp_path / "twice", grown.landing_full)
    first, second = work.start("run"), work.start("run")
    results = [work.wait(first), work.wait(second)]
    for res in results:
        ok(res)
        assert "Could not set lock" not in res.stderr + res.stdout
    assert_manifest_figures(work.analytics_db, grown.landing_full)
    con = connect_ro(work.warehouse_db)
    try:
        dup = con.execute("SELECT count(*) FROM (SELECT source_sha256, source_row FROM core.dossier_observations "
                          "GROUP BY ALL HAVING count(*) > 1)").fetchone()[0]
        files = con.execute("SELECT count(*), count(DISTINCT relpath) FROM meta.files").fetchone()
        loads = con.execute("SELECT status, count(*) FROM meta.loads GROUP BY ALL").fetchall()
    finally:
        con.close()
    assert dup == 0
    assert files[0] == files[1] == len([p for p in grown.landing_full.rglob("*") if p.is_file()]) - 1  # manifest
    assert {s for s, _ in loads} == {"succeeded"}
    assert dict(loads)["succeeded"] == 3  # A's two loads (reference, days), then ONE load of the new days
    assert fingerprints(work.warehouse_db) == grown.fp_B  # what one run alone gives
    assert fingerprints(work.analytics_db) == grown.an_B
    print(f"\ntwo concurrent runs: both succeeded in {results[0].seconds} s and {results[1].seconds} s; "
          f"loads {dict(loads)}; same tables as one run alone")


@pytest.mark.slow
def test_analyst_reading_during_a_run(grown):
    old, new = answer(grown.A.analytics_db), answer(grown.B.analytics_db)
    assert old != new
    lines = [json.loads(line) for line in grown.analyst_log.read_text(encoding="utf-8").splitlines()]
    errors = [r for r in lines if "error" in r]
    assert errors == [], errors[:5]
    held = [r["answer"] for r in lines if r["mode"] == "held"]
    fresh = [r["answer"] for r in lines if r["mode"] == "fresh"]
    assert len(held) > 20 and len(fresh) > 20
    assert all(a == old for a in held), "the held connection must keep reading the snapshot it opened"
    assert all(a in (old, new) for a in fresh), [a for a in fresh if a not in (old, new)][:3]
    switch = fresh.index(new)
    assert fresh[switch:] == [new] * (len(fresh) - switch) and fresh[:switch] == [old] * switch
    span = max(r["t"] for r in lines) - min(r["t"] for r in lines)
    print(f"\nanalyst: {len(lines)} queries over {span:.0f} s during the run, 0 failed; held connection: "
          f"{len(held)} x old figures; fresh connections: {switch} x old then {len(fresh) - switch} x new")


@pytest.mark.slow
def test_a_run_still_validating_when_another_run_loads_and_prunes(small_world_dir, tmp_path):
    """Two runs a few seconds apart: run X has listed a staged file and not yet validated it when run Y (which
    validated the same file) loads it and prunes its staging folder. X must not fail: the file is recorded, X's load
    skips it. The interleaving is replayed step by step with the stages' functions."""
    from test_file_changes import run, settings_for, tiny_landing

    from sources.discover import discover
    from stages.extract import extract_files, partition_of
    from stages.staging import prune, staged_files
    from stages.validate import Reference, validate_file
    from warehouse.db import writer
    from warehouse.load import load_files, new_load_id, seen_files

    landing = tiny_landing(small_world_dir, tmp_path / "landing", ["2025-07-02"])
    s = settings_for(tmp_path, landing)
    run(s)  # reference and the first day
    tiny_landing(small_world_dir, landing, ["2025-07-03"])
    staging = s.warehouse_db.parent / "staging"
    files = [f for f in discover(landing) if partition_of(f) == "2025-07-03"]

    def extract():  # the extract asset of a run
        with writer(s.warehouse_db) as con:
            seen, loaded = seen_files(con)
        return extract_files(files, landing, staging, "k" * 20, seen, loaded)

    extract()                                    # X extracts
    x_list = staged_files(staging, ["2025-07-03"])  # X's validate step lists the staged files
    extract()                                    # Y extracts (same folders)
    with writer(s.warehouse_db) as con:
        ref = Reference.from_warehouse(con)
    y_list = [validate_file(sf, ref) for sf in staged_files(staging, ["2025-07-03"])]  # Y validates,
    with writer(s.warehouse_db) as con:                                               # loads and prunes
        assert load_files(con, y_list, new_load_id())["status"] == "succeeded"
        assert prune(staging, seen_files(con)[0]) == len(files)
    x_list = [validate_file(sf, ref) for sf in x_list]  # X goes on validating: its folders are gone
    with writer(s.warehouse_db) as con:
        assert load_files(con, x_list, new_load_id()) is None  # nothing new: Y recorded every file
        n = con.execute("SELECT count(*) FROM meta.files WHERE relpath LIKE '%20250703%'").fetchone()[0]
    assert n == len(files)


@pytest.mark.slow
def test_a_file_pruned_by_another_run_while_it_is_being_validated(small_world_dir, tmp_path, monkeypatch):
    """The same race, one instant later: run Y prunes the folder while run X is in the middle of validating it."""
    from test_file_changes import run, settings_for, tiny_landing

    import stages.validate as validate
    from sources.discover import discover
    from stages.extract import extract_files, partition_of
    from stages.staging import prune, staged_files
    from warehouse.db import writer
    from warehouse.load import load_files, new_load_id, seen_files

    landing = tiny_landing(small_world_dir, tmp_path / "landing", ["2025-07-02"])
    s = settings_for(tmp_path, landing)
    run(s)
    tiny_landing(small_world_dir, landing, ["2025-07-03"])
    staging = s.warehouse_db.parent / "staging"
    files = [f for f in discover(landing) if partition_of(f) == "2025-07-03"]
    with writer(s.warehouse_db) as con:
        seen, loaded = seen_files(con)
        ref = validate.Reference.from_warehouse(con)
    extract_files(files, landing, staging, "k" * 20, seen, loaded)
    y_list = [validate.validate_file(sf, ref) for sf in staged_files(staging, ["2025-07-03"])]
    with writer(s.warehouse_db) as con:
        load_files(con, y_list, new_load_id())
        recorded = seen_files(con)[0]
    x_list = [validate.StagedFile.load(sf.path) for sf in y_list]
    for sf in x_list:
        sf.outcome = "extracted"  # X listed them before Y validated them
    real = validate.runner.validate

    def validate_then_pruned(*args, **kwargs):  # Y prunes right after X's first suite ran
        out = real(*args, **kwargs)
        prune(staging, recorded)
        return out

    monkeypatch.setattr(validate.runner, "validate", validate_then_pruned)
    x_list = [validate.validate_file(sf, ref) for sf in x_list]
    with writer(s.warehouse_db) as con:
        assert load_files(con, x_list, new_load_id()) is None
