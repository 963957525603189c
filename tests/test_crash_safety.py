"""Crash safety: `hoso run` SIGKILLed at 22 deterministic points of extract, validate, load, prune, marts and
publish (HOSO_CRASH_AT=<point>:<n>, stages.faults.crash_point), on a landing folder that grows.

State A = the first half of the small world's days loaded and published; state B = all of them (the same two runs
without a crash, tests/reliability/harness.grown_world). The kill runs start from a copy of A with the whole world in
the landing folder, one after the other: each run also recovers from the kill before it. After every kill:

- the warehouse opens; what the load writes (ref, core, meta tables) is state A or state B, each mart is A or B
  (dbt replaces one model at a time, atomically: killed during `dbt build`, some marts are new and the others old
  until the next run), and never new marts over old loads (fingerprints: harness module doc);
- the analysts' snapshot opens and is the one before the run or B's;
- at most one `running` row in meta.loads, the one of the killed run; earlier ones were marked failed;
- the landing folder is untouched, and every file recorded `loaded` is in it with that sha256.

Then one run without a crash completes: exactly state B (every table, and the snapshot), the exact figures of the
manifest, each killed load recorded `failed` ("interrupted"), no snapshot temp file left behind, staging pruned.
"""

from __future__ import annotations

import re

import pytest

from reliability.harness import (
    assert_manifest_figures,
    connect_ro,
    fingerprints,
    grown_world,
    landing_shas,
    loads,
    ok,
    replay,
    split_units,
    strict_fingerprints,
)

# <point>:<n> = the n-th time the run reaches crash_point(<point>); in pipeline order, so the chain makes progress.
KILL_POINTS = [
    "extract.parsed:1",        # first new file parsed, nothing of it staged
    "extract.frame:2",         # between two frames of a file: a staging folder without file.json
    "extract.saved:6",         # six files staged
    "extract.saved:15",
    "validate.frame:3",        # between the clean frames of a file
    "validate.saved:4",
    "load.begin",              # under the writer lock, before the `running` row
    "load.running",            # `running` committed, transaction not begun
    "load.file:1",             # inside the transaction: first file's rows written
    "load.file:30",
    "load.merge",              # every file written, current state not merged
    "load.merged",             # merged, meta.loads not yet `succeeded`
    "load.committing",         # everything written, COMMIT not executed
    "load.committed",          # committed, staging not pruned
    "staging.prune:3",         # halfway through the prune
    "marts.model:2",           # during dbt build: two models replaced, dbt (child) killed with the run
    "marts.built",             # dbt build finished, the writer lock still held, metadata not read
    "publish.attached",        # the temp snapshot attached, empty
    "publish.table:8",
    "publish.checkpointed",    # the temp snapshot complete, not detached
    "publish.detached",        # complete and closed, not renamed
    "publish.replaced",        # renamed over the old snapshot, the HTML report not written
]


@pytest.fixture(scope="module")
def grown(small_world_dir, tmp_path_factory):
    return grown_world(small_world_dir, tmp_path_factory.mktemp("grown"))


def label(fp, fp_A, fp_B) -> str:
    return "A" if fp == fp_A else "B" if fp == fp_B else "MIX"


def diff(fp: dict, ref: dict) -> list[str]:
    return sorted(k for k in set(fp) | set(ref) if fp.get(k) != ref.get(k))


@pytest.mark.slow
def test_sigkill_at_22_points_then_the_next_run_completes(grown, tmp_path):
    assert len(set(KILL_POINTS)) >= 20
    g = grown
    load_A, marts_A = split_units(g.fp_A)
    load_B, marts_B = split_units(g.fp_B)
    assert load_A != load_B and marts_A != marts_B
    work = g.A.copy_state(tmp_path / "crash", g.landing_full)
    shas = landing_shas(g.landing_full)
    snapshot_before = g.an_A
    left_running: list[str] = []
    table = []
    for point in KILL_POINTS:
        res = work.hoso("run", crash=point)
        assert res.killed, f"{point}: the point was not reached (exit {res.returncode})\n{res.stderr[-3000:]}"
        fp = fingerprints(work.warehouse_db)  # opens (DuckDB replays its WAL)
        load, marts = split_units(fp)
        assert load in (load_A, load_B), f"{point}: load tables are a mix: A differs in {diff(load, load_A)}, " \
                                          f"B in {diff(load, load_B)}"
        # A relation dbt leaves behind when killed between its commit and its clean-up is not a mart (publish skips
        # it, the next build drops it).
        marts = {k: v for k, v in marts.items() if not re.search(r"__dbt_(tmp|backup)$", k)}
        each = {k: label(marts.get(k), marts_A.get(k), marts_B.get(k)) for k in set(marts) | set(marts_B)}
        assert set(each.values()) <= {"A", "B"}, f"{point}: marts neither old nor new: {each}"
        assert not (load == load_A and "B" in each.values()), f"{point}: new marts over old loads"
        snapshot = fingerprints(work.analytics_db)
        assert snapshot in (snapshot_before, g.an_B), f"{point}: snapshot changed to neither: {diff(snapshot, g.an_B)}"
        rows = loads(work.warehouse_db)
        running = [r["load_id"] for r in rows if r["status"] == "running"]
        assert len(running) <= 1 and not set(running) & set(left_running), (point, rows)
        assert all(r["status"] == "failed" for r in rows if r["load_id"] in left_running), (point, rows)
        left_running += running
        assert landing_shas(g.landing_full) == shas, f"{point}: the landing folder changed"
        con = connect_ro(work.warehouse_db)
        recorded = con.execute("SELECT relpath, sha256 FROM meta.files WHERE outcome = 'loaded'").fetchall()
        con.close()
        assert all(shas.get(rel) == sha for rel, sha in recorded), point
        marts_label = label(marts, marts_A, marts_B) if set(each.values()) != {"A", "B"} else "A+B"
        table.append((point, label(load, load_A, load_B), marts_label,
                      label(snapshot, g.an_A, g.an_B), len(running), res.seconds))
        snapshot_before = snapshot

    print("\nkill point              load  marts  snapshot  running  seconds")
    for point, ld, mt, sn, rn, s in table:
        print(f"{point:<24}{ld:<6}{mt:<7}{sn:<10}{rn:<9}{s}")

    ok(work.hoso("run"))
    assert fingerprints(work.warehouse_db) == g.fp_B
    assert fingerprints(work.analytics_db) == g.an_B
    assert_manifest_figures(work.analytics_db, g.landing_full)
    rows = loads(work.warehouse_db)
    failed = [r for r in rows if r["status"] == "failed"]
    assert not [r for r in rows if r["status"] == "running"]
    assert sorted(r["load_id"] for r in failed) == sorted(left_running)
    assert all(r["error"].startswith("interrupted") and r["finished_at"] for r in failed)
    ref_rows = loads(g.B.warehouse_db)
    ok_rows = lambda rs: sorted((r["partition_range"], r["files"], r["rows_read"], r["rows_loaded"])  # noqa: E731
                                for r in rs if r["status"] == "succeeded")
    assert ok_rows(rows) == ok_rows(ref_rows)
    leftovers = [p.name for p in work.root.iterdir() if p.name.startswith(".analytics.duckdb.")]
    assert leftovers == [], f"temp snapshots of killed runs left behind: {leftovers}"
    assert not list(work.staging.glob("*/*/file.json")), "staging not pruned after the recovery"

    print(f"{len(table)}/{len(KILL_POINTS)} kill points survived; recovery: state B, manifest figures exact, "
          f"{len(failed)} interrupted loads recorded failed")


# ---------------------------------------------------------------- re-runs and replays


@pytest.mark.slow
def test_rerun_on_the_same_files_changes_nothing(grown, tmp_path):
    """Every table, every column (load ids and meta.loads included): a run with nothing new loads nothing."""
    work = grown.B.copy_state(tmp_path / "rerun")
    before = strict_fingerprints(work.warehouse_db), strict_fingerprints(work.analytics_db)
    ok(work.hoso("run"))
    assert (strict_fingerprints(work.warehouse_db), strict_fingerprints(work.analytics_db)) == before


@pytest.mark.slow
def test_replaying_every_file_into_a_new_warehouse_rebuilds_the_same_contents(grown):
    """State B was built by two loads (half, then the rest); a new warehouse replaying all files in one run holds
    the same contents, load ids and meta clocks aside (harness.fingerprints), and the same snapshot."""
    alone = replay(grown)
    fp = fingerprints(alone.warehouse_db)
    assert diff(fp, grown.fp_B) == []
    assert fingerprints(alone.analytics_db) == grown.an_B
    assert_manifest_figures(alone.analytics_db, grown.landing_full)
