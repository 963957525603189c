"""Generate the sample world into a landing folder (docs/data-contracts.md §1) and its ground-truth manifest.

    generate_world(out_dir, seed=20250806, scale=1.0, provinces=0, progress=print) -> manifest dict
    summary_lines(manifest) -> the short clean-universe table the `hoso sample` command prints

The order of work: reference files; the per-dossier plan of the home province, then the other provinces' online
ratios of the national snapshot, then the plans of the other provinces built to them (numpy vectors); the injected dossiers
and the defects on clean ones; the portal batches day by day (streamed to disk); the provincial exports; the task
files and the national snapshot (which needs the plan's online ratios); the manifest last. Same seed and arguments
give byte-identical files: every random draw comes from one seed sequence, and nothing reads the clock.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Callable

import numpy as np

from samples import clock, defects, dossiers, indicators, portal, propensity, provincial, reference, tasks

DEFAULT_SEED = 20250806
N_CSV_ONLY, N_XLSX_ONLY, N_OVERLAP = 6, 4, 2  # communes delivering by CSV only, XLSX only, and both portal and CSV


def _check_out_dir(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} exists and is not a folder")
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"{out} is not empty: the sample world is written into an empty folder only "
                         f"(empty it or choose another one)")


def _delivery(rng: np.random.Generator, units: reference.Units) -> dict[str, list[int]]:
    """Which home communes deliver by provincial export only (highland: connectivity and equipment problems) and
    which deliver by both the portal and a CSV export."""
    home_communes = np.flatnonzero((units.province_idx == 0) & (units.agency_nn == 0))
    highland = home_communes[units.highland[home_communes]]
    lowland_xa = home_communes[~units.highland[home_communes] & (np.asarray(units.kind)[home_communes] == "xã")]
    only = rng.choice(highland, size=N_CSV_ONLY + N_XLSX_ONLY, replace=False)
    return {"csv": sorted(only[:N_CSV_ONLY].tolist()), "xlsx": sorted(only[N_CSV_ONLY:].tolist()),
            "overlap": sorted(rng.choice(lowland_xa, size=N_OVERLAP, replace=False).tolist())}


def _universe(plan: dossiers.Plan, units: reference.Units, n_prov: int) -> dict:
    """Counts of the clean universe per province, slice and commune (read from the plan, as the files say)."""
    clean = plan.kind == 0
    n_units = len(units)
    rec = np.bincount(plan.unit[clean], minlength=n_units)
    onl = np.bincount(plan.unit[clean & (plan.channel == 2)], minlength=n_units)
    ret = np.bincount(plan.unit[clean & (plan.t[6] >= 0)], minlength=n_units)
    ids = np.arange(len(plan))
    status = plan.status_of(ids, plan.state_at(ids, clock.AS_OF))
    province = units.province_idx[plan.unit]
    out = {}
    for pi in range(n_prov):
        in_p = units.province_idx == pi
        sl = {"province_level": in_p & (units.agency_nn > 0), "commune_level": in_p & (units.agency_nn == 0)}
        d = {"all": {"received": int(rec[in_p].sum()), "online": int(onl[in_p].sum()), "returned": int(ret[in_p].sum())}}
        for name, m in sl.items():
            d[name] = {"received": int(rec[m].sum()), "online": int(onl[m].sum()), "returned": int(ret[m].sum())}
        d["status_at_as_of"] = {str(k): int(v) for k, v in
                                enumerate(np.bincount(status[clean & (province == pi)], minlength=11)) if v}
        communes = np.flatnonzero(sl["commune_level"])
        d["communes_with_dossiers"] = int(np.count_nonzero(rec[communes]))
        d["by_commune"] = {units.code[u]: {"received": int(rec[u]), "online": int(onl[u])} for u in communes}
        out[units.province_code[int(np.flatnonzero(in_p)[0])]] = d
    return out


def _online_pct(part: dict[str, np.ndarray] | dossiers.Plan, mask: np.ndarray | None = None) -> tuple[Decimal, Decimal]:
    """Online ratio of the clean universe received from 01/07 to each snapshot date at 16:00 (of a province's plan
    vectors, or of the dossiers of `mask` in the whole plan)."""
    t0, channel, kind = (part["t"][0], part["channel"], part["kind"]) if isinstance(part, dict) else \
        (part.t[0], part.channel, part.kind)
    clean = kind == 0 if mask is None else (kind == 0) & mask
    out = []
    for snap in (clock.MID_SNAPSHOT, clock.FINAL_SNAPSHOT):
        cut = clock.day_index(snap) * clock.DAY + 16 * clock.HOUR
        m = clean & (t0 < cut)
        out.append(tasks.pct(int(np.count_nonzero(m & (channel == 2))), int(np.count_nonzero(m))))
    return out[0], out[1]


def generate_world(out_dir: Path, *, seed: int = DEFAULT_SEED, scale: float = 1.0, provinces: int = 0,
                   progress: Callable[[str], None] | None = None,
                   day_written: Callable[[list[Path]], None] | None = None) -> dict:
    """Write the whole landing folder of the sample world into the empty folder `out_dir`; return the manifest.
    `day_written` gets the portal files of each day once they are complete (samples/compress.py gzips them then)."""
    out = Path(out_dir)
    _check_out_dir(out)
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    say = progress or (lambda message: None)
    streams = np.random.SeedSequence(seed).spawn(8)
    r_units, r_cat, r_deliv, r_plan, r_extra, r_defect, r_tasks, r_rank = (np.random.default_rng(s) for s in streams)
    units = reference.build_units(provinces, r_units)
    cat = reference.build_catalogue(r_cat)
    out.mkdir(parents=True, exist_ok=True)
    files = [_file(out, rel, "reference_csv", n) for rel, n in reference.write_reference(out, units, cat).items()]
    say(f"reference: {len(units)} units, {len(cat)} procedures")

    deliv = _delivery(r_deliv, units)
    portal_unit = np.ones(len(units), dtype=bool)
    portal_unit[deliv["csv"] + deliv["xlsx"]] = False
    xlsx_unit = np.zeros(len(units), dtype=bool)
    xlsx_unit[deliv["xlsx"]] = True
    eligible = portal_unit & (units.province_idx == 0)  # home units delivering by the portal only
    eligible[deliv["overlap"]] = False

    cal = clock.WorkingCalendar()
    n_prov = provinces + 1
    parts, pace = [], {}
    home_arr, tg = dossiers.plan_province(r_plan, 0, units, cat, cal, scale)
    home_online = _online_pct(home_arr)
    # The national snapshot's online ratios first, then the other provinces' plans built to give them exactly.
    layouts = [dossiers.layout_province(r_plan, pi, units, cat, scale) for pi in range(1, n_prov)]
    n_others = len(reference.all_province_names()) - 1
    received = [lay.received(dossiers.mid_cut()) for lay in layouts] + [None] * (n_others - len(layouts))
    online_values, online_counts = tasks.online_snapshot(r_rank, home_online, received)
    for pi in range(n_prov):
        if pi == 0:
            arr = home_arr
        else:
            arr, tg = dossiers.finish_province(r_plan, layouts[pi - 1], units, cat, cal, online_counts[pi - 1])
            layouts[pi - 1] = None
        pc = units.province_code[int(np.flatnonzero(units.province_idx == pi)[0])]
        pace[pc] = round(float(tg["pace"]), 4)
        parts.append(arr)
        say(f"plan: province {pc}, {len(arr['unit']):,} dossiers")
    del home_arr
    extras = defects.make_extras(r_extra, units, cat, cal, np.flatnonzero(eligible), np.asarray(deliv["csv"]))
    parts[0] = dossiers.merge_parts(parts[0], extras)  # the injected dossiers belong to the home province
    plan = dossiers.finish_plan(parts)
    prop = propensity.build(units, seed)
    ctx = portal.Context.build(plan, units, cat, seed, prop)
    code_of = lambda i: portal.code_of(ctx, i)  # noqa: E731
    found = defects.plan_extra_defects(plan, code_of)
    obs = dossiers.observations(plan, portal_unit)
    obs = defects.plan_clean_defects(r_defect, plan, obs, eligible, code_of, found)
    say(f"observations: {len(obs):,} portal records for {len(np.unique(obs.ids)):,} dossiers")

    watch_portal = {(w.dossier, w.day) for w in found.watches if w.target == "portal"}
    p_files, located, duplicates = portal.write_portal(out, ctx, obs, found.overrides, watch_portal,
                                                       found.duplicate_days, say, day_written)
    files += p_files
    exports = ([provincial.Export(u, "csv", clock.MID_SNAPSHOT) for u in deliv["csv"]]
               + [provincial.Export(u, "csv", clock.FINAL_SNAPSHOT) for u in deliv["csv"] + deliv["overlap"]]
               + [provincial.Export(u, "xlsx", clock.FINAL_SNAPSHOT) for u in deliv["xlsx"]])
    watch_prov = {(w.dossier, w.day) for w in found.watches if w.target == "provincial"}
    e_files, e_located = provincial.write_exports(out, ctx, exports, found.overrides, watch_prov)
    files += e_files
    located.update(e_located)
    say(f"provincial: {len(e_files)} exports")

    home_communes = np.flatnonzero((units.province_idx == 0) & (units.agency_nn == 0))
    task_plan = tasks.plan_commune_tasks(r_tasks, units.highland[home_communes])
    counts = tasks.write_commune_tasks(out, r_tasks, [(units.code[u], units.name[u]) for u in home_communes], task_plan)
    counts.update(tasks.write_province_tasks(out, r_tasks))
    n_tasks = task_plan["final"].size
    home_tasks = (tasks.pct(int(task_plan["mid"].sum()), n_tasks), tasks.pct(int(task_plan["final"].sum()), n_tasks))
    if _online_pct(plan, units.province_idx[plan.unit] == 0) != home_online:
        raise AssertionError("the home province's snapshot ratios changed after planning")
    rank_counts, ranks, other_tasks = tasks.write_ranking(out, r_rank, reference.all_province_names(), home_online,
                                                          home_tasks, online_values)
    counts.update(rank_counts)
    files += [_file(out, rel, "tasks_csv", n) for rel, n in counts.items()]
    say("tasks: commune tasks, province tasks, national snapshot")

    universe = _universe(plan, units, n_prov)
    home = universe[reference.HOME]
    home["commune_tasks"] = {
        snap: {str(d): int(np.count_nonzero(task_plan[key].sum(axis=1) == d)) for d in range(16, -1, -1)
               if np.count_nonzero(task_plan[key].sum(axis=1) == d)}
        for snap, key in (("2025-07-22", "mid"), ("2025-08-06", "final"))}
    home["province_tasks"] = dict(tasks.P7)
    home["ranks"] = ranks
    home["snapshot_values"] = {"online_ratio_pct": {"2025-07-22": str(home_online[0]), "2025-08-06": str(home_online[1])},
                               "commune_task_pct": {"2025-07-22": str(home_tasks[0]), "2025-08-06": str(home_tasks[1])}}
    # Every other province with records: the values the national file gives it (the online ratio planned from its
    # records, the commune-task share generated).
    plan_province = units.province_idx[plan.unit]
    for j, (pc, _) in enumerate(p for p in reference.all_province_names() if p[0] != reference.HOME):
        if pc in universe:
            if tuple(map(str, _online_pct(plan, plan_province == units.province_idx[units.province_code.index(pc)]))) != online_values[j]:
                raise AssertionError(f"province {pc}: its records do not give the national file's online ratios")
            universe[pc]["snapshot_values"] = {
                "online_ratio_pct": dict(zip(("2025-07-22", "2025-08-06"), online_values[j])),
                "commune_task_pct": dict(zip(("2025-07-22", "2025-08-06"), other_tasks[j]))}
    n_dossiers = len(np.unique(obs.ids))
    manifest = {
        "seed": seed, "scale": scale, "provinces": provinces, "home_province": reference.HOME,
        "window": {"start": "2025-07-01T00:00:00+07:00", "end": "2025-08-06T16:00:00+07:00"},
        "as_of": "2025-08-06T16:00:00+07:00",
        "files": sorted(files, key=lambda f: f["path"]),
        "clean_universe": universe,
        "delivery": {"provincial_csv_only": [units.code[u] for u in deliv["csv"]],
                     "provincial_xlsx_only": [units.code[u] for u in deliv["xlsx"]],
                     "portal_and_csv": [units.code[u] for u in deliv["overlap"]]},
        "defects": defects.resolve(found, located, duplicates),
        "stats": {"dossiers": int(len(plan)), "injected_dossiers": int(np.count_nonzero(plan.kind)),
                  "portal_records": int(len(obs)), "portal_dossiers": int(n_dossiers),
                  "observations_per_dossier": round(len(obs) / max(n_dossiers, 1), 3),
                  "history_steps": int(sum(f["records"] for f in p_files if f["format"] == "portal_history_json"
                                           and not _is_copy(f["path"], duplicates))),
                  "pace": pace},
        "indicator_columns": list(indicators.COLUMNS),
        "indicators": indicators.indicator_rows(plan, units, cat, ctx.h, prop, portal_unit, xlsx_unit),
    }
    (out / "manifest.json").write_text(manifest_text(manifest), encoding="utf-8")
    say(f"manifest: {len(manifest['files'])} files, {len(manifest['defects'])} defects")
    return manifest


def manifest_text(manifest: dict) -> str:
    """The manifest as indented JSON, except the indicator rows: one compact row per line."""
    rows = manifest["indicators"]
    text = json.dumps({**manifest, "indicators": "\0rows"}, ensure_ascii=False, indent=1)
    body = ",\n".join("  " + json.dumps(r, ensure_ascii=False) for r in rows)
    return text.replace('"\\u0000rows"', "[\n" + body + "\n ]" if rows else "[]") + "\n"


def _is_copy(path: str, duplicates: list[tuple[str, str]]) -> bool:
    return any(path == copy for _, copy in duplicates)


def _file(out: Path, rel: str, fmt: str, records: int) -> dict:
    return {"path": rel, "format": fmt, "sha256": portal.sha256_of(out / rel), "records": records}


def summary_lines(manifest: dict) -> list[str]:
    """The clean universe of the home province in a few lines: received, online, ratio, returned per slice; communes;
    tasks; ranks; defects."""
    home = manifest["clean_universe"][manifest["home_province"]]
    lines = [f"Sample world: seed {manifest['seed']}, scale {manifest['scale']}, "
             f"{manifest['provinces']} extra province(s); clean universe of province {manifest['home_province']}:",
             f"  {'slice':<16}{'received':>10}{'online':>10}{'ratio':>9}{'returned':>10}"]
    for key, label in (("all", "all agencies"), ("province_level", "province level"), ("commune_level", "commune level")):
        s = home[key]
        ratio = f"{100 * s['online'] / s['received']:.2f}%" if s["received"] else "-"
        lines.append(f"  {label:<16}{s['received']:>10,}{s['online']:>10,}{ratio:>9}{s['returned']:>10,}")
    lines.append("  status at the as-of time: " + ", ".join(
        f"{k}: {v:,}" for k, v in sorted(home["status_at_as_of"].items(), key=lambda kv: -int(kv[0]))))
    below = sum(1 for c in home["by_commune"].values() if c["received"] and c["online"] / c["received"] < 0.7)
    lines.append(f"  communes with dossiers: {home['communes_with_dossiers']} of {len(home['by_commune'])}"
                 f" ({below} below the 70% online target)")
    for snap, dist in home["commune_tasks"].items():
        lines.append(f"  commune tasks {snap}: " + ", ".join(f"{n} x {d}/16" for d, n in dist.items()))
    pt = home["province_tasks"]
    lines.append(f"  province tasks: {pt['total']} ({pt['done']} done, {pt['in_progress']} in progress)")
    r = home["ranks"]
    lines.append(f"  ranks among 34: online {r['online']['2025-07-22']} -> {r['online']['2025-08-06']}, "
                 f"commune tasks {r['commune_tasks']['2025-07-22']} -> {r['commune_tasks']['2025-08-06']}")
    outcomes: dict[str, int] = {}
    for d in manifest["defects"]:
        outcomes[d["outcome"]] = outcomes.get(d["outcome"], 0) + 1
    lines.append(f"  defects: {len(manifest['defects'])} (" + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())) + ")")
    st = manifest["stats"]
    lines.append(f"  portal: {st['portal_records']:,} records for {st['portal_dossiers']:,} dossiers "
                 f"({st['observations_per_dossier']} per dossier), {st['history_steps']:,} processing steps")
    return lines
