"""The defects of DATA_WORLD §4, injected on top of the clean universe, and their ground truth for the manifest.

Two sorts:
- injected dossiers (plan.kind > 0), never part of the clean universe: bad receipt dates, a return before the
  receipt, an unknown unit or channel, no dossier code, test dossiers, dossiers received outside the window, and two
  defects inside a provincial CSV;
- defects on clean-universe dossiers, which must not change the universe: a creation record that arrives after the
  dossier's final update, a quarantined first record corrected by the next one, an ID number one digit short, and
  batch files sent twice.
Their number is fixed (a handful of each) whatever the scale. Each defect becomes one manifest entry with the outcome
docs/data-contracts.md §5 owes it, pointing at the file and record where it sits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum

import numpy as np

from samples import clock
from samples.clock import DAY, HOUR, MINUTE
from samples.dossiers import N_EVENTS, Observations, Plan, sort_observations
from samples.reference import Catalogue, Units


class Extra(IntEnum):
    """Kinds of injected dossiers (plan.kind)."""

    BAD_DATE_ISO = 1
    BAD_DATE_DAY32 = 2
    RETURN_BEFORE = 3
    UNKNOWN_UNIT = 4
    UNKNOWN_CHANNEL = 5
    NO_CODE = 6
    TEST = 7
    BEFORE_WINDOW = 8
    AFTER_AS_OF = 9
    CSV_BAD_DATE = 10
    CSV_TEST = 11


EXTRA_COUNTS = {
    Extra.BAD_DATE_ISO: 2, Extra.BAD_DATE_DAY32: 2, Extra.RETURN_BEFORE: 3, Extra.UNKNOWN_UNIT: 3,
    Extra.UNKNOWN_CHANNEL: 3, Extra.NO_CODE: 3, Extra.TEST: 3, Extra.BEFORE_WINDOW: 2, Extra.AFTER_AS_OF: 2,
    Extra.CSV_BAD_DATE: 2, Extra.CSV_TEST: 1,
}
CLEAN_DEFECTS = 3  # late creation records, corrected records, short ID numbers, duplicated batches: 3 of each
# Districts were abolished on 2025-07-01: a record still naming one cannot be matched to a unit.
OLD_DISTRICTS = ("UBND Huyện Đô Lương", "UBND Huyện Nghi Lộc", "UBND Thị xã Cửa Lò")
TEST_SUMMARIES = ("Hồ sơ test đồng bộ lên Cổng Dịch vụ công quốc gia", "test", "Test kết nối liên thông - không xử lý")


@dataclass
class Override:
    """A field value written instead of the generated one, for one dossier in one batch (batch_day) or in all."""

    dossier: int
    target: str  # portal | provincial
    field: str
    value: str
    batch_day: int | None = None


@dataclass
class Watch:
    """A record whose place (file, record index) the manifest needs: the dossier, and its batch day (portal) or
    its export (provincial, by snapshot date)."""

    dossier: int
    target: str
    day: int


@dataclass
class Defects:
    overrides: list[Override] = field(default_factory=list)
    watches: list[Watch] = field(default_factory=list)
    entries: list[dict] = field(default_factory=list)  # manifest entries, with Watch placeholders to resolve
    duplicate_days: list[int] = field(default_factory=list)


def _day_time(day: int, rng: np.random.Generator, lo: float = 8.0, hi: float = 15.5) -> int:
    return int(day * DAY + rng.uniform(lo * HOUR, hi * HOUR))


def make_extras(rng: np.random.Generator, units: Units, cat: Catalogue, cal: clock.WorkingCalendar,
                portal_units: np.ndarray, csv_units: np.ndarray) -> dict[str, np.ndarray]:
    """Plan vectors of the injected dossiers (home province), in the shape of dossiers.plan_province's."""
    kinds = np.concatenate([np.full(n, int(k), dtype=np.int8) for k, n in EXTRA_COUNTS.items()])
    n = len(kinds)
    workdays = [d for d in range(clock.FIRST_DAY + 1, clock.LAST_DAY) if clock.is_working_day(d)]
    late_workdays = [d for d in workdays if d > clock.day_index(clock.MID_SNAPSHOT)]
    unit = np.empty(n, dtype=np.int32)
    t = np.full((N_EVENTS, n), -1, dtype=np.int64)
    s5 = np.full(n, 9, dtype=np.int8)
    levels = np.asarray(cat.level)
    proc = np.empty(n, dtype=np.int16)
    channel = rng.choice(np.array([1, 2], dtype=np.int8), size=n, p=[0.3, 0.7])
    for i, k in enumerate(kinds):
        csv = k in (Extra.CSV_BAD_DATE, Extra.CSV_TEST)
        unit[i] = rng.choice(csv_units if csv else portal_units)
        nn = units.agency_nn[unit[i]]
        cand = np.flatnonzero((cat.owner_nn == nn) & (levels == "province")) if nn else np.flatnonzero(levels == "commune")
        cand = cand[cat.muc_do[cand] >= 3]
        proc[i] = rng.choice(cand)
        if k == Extra.BEFORE_WINDOW:  # received on 30/06, returned on 01/07: seen in the first batch only
            t[0, i] = _day_time(clock.FIRST_DAY - 1, rng, 14, 16)
            t[1, i] = t[0, i] + 20 * MINUTE
            t[5, i] = _day_time(clock.FIRST_DAY, rng, 8, 10)
            t[6, i] = t[5, i] + 15 * MINUTE
        elif k == Extra.AFTER_AS_OF:  # received on 06/08 after the 16:00 cut-off
            t[0, i] = clock.AS_OF + int(rng.uniform(5 * MINUTE, 45 * MINUTE))
            t[1, i] = t[0, i] + 5 * MINUTE
        else:
            day = int(rng.choice(late_workdays if csv else workdays))
            t[0, i] = _day_time(day, rng)
            t[1, i] = t[0, i] + 20 * MINUTE
            if k in (Extra.RETURN_BEFORE, Extra.TEST, Extra.CSV_TEST):
                t[6, i] = t[0, i] + 2 * HOUR  # returned the same day (the return date is then falsified)
                if k != Extra.RETURN_BEFORE:
                    t[5, i] = t[0, i] + 90 * MINUTE
    due = cal.due(t[0], np.full(n, 3))
    return dict(unit=unit, proc=proc, channel=channel, atype=np.ones(n, dtype=np.int8), t=t.astype(np.int32),
                s5=s5, submitted=(t[0] - 5 * MINUTE).astype(np.int32), due=due.astype(np.int32), kind=kinds)


def _local(t: int) -> datetime:
    return clock.EPOCH + timedelta(seconds=int(t))


def _fmt14(t: int) -> str:
    return _local(t).strftime("%Y%m%d%H%M%S")


def _entry(kind: str, watch: Watch | None, outcome: str, reason: str | None, detail: str, **extra) -> dict:
    return {"kind": kind, "watch": watch, "outcome": outcome, "reason": reason, "detail": detail, **extra}


def plan_extra_defects(plan: Plan, code_of) -> Defects:
    """Overrides and manifest entries of the injected dossiers (their plan rows already exist)."""
    d = Defects()
    first_obs_day = lambda i: max(int(plan.t[0, i]) // DAY, clock.FIRST_DAY)  # noqa: E731
    seen: dict[int, int] = {}
    for i in np.flatnonzero(plan.kind > 0):
        i = int(i)
        k = Extra(int(plan.kind[i]))
        j = seen[k] = seen.get(k, -1) + 1
        t0 = int(plan.t[0, i])
        code = code_of(i)
        if k in (Extra.CSV_BAD_DATE, Extra.CSV_TEST):
            w = Watch(i, "provincial", clock.day_index(clock.FINAL_SNAPSHOT))
        else:
            last = max(int(x) for x in plan.t[:, i] if x >= 0)
            w = Watch(i, "portal", last // DAY if k != Extra.BEFORE_WINDOW else first_obs_day(i))
        d.watches.append(w)
        if k == Extra.BAD_DATE_ISO:
            bad = _local(t0).strftime("%Y-%m-%d")
            d.overrides.append(Override(i, "portal", "NgayTiepNhan", bad))
            d.entries.append(_entry("unparseable_date", w, "quarantined", "received_at_invalid", f"NgayTiepNhan='{bad}'"))
        elif k == Extra.BAD_DATE_DAY32:
            bad = _local(t0).strftime("%Y%m") + "32" + _local(t0).strftime("%H%M%S")
            d.overrides.append(Override(i, "portal", "NgayTiepNhan", bad))
            d.entries.append(_entry("unparseable_date", w, "quarantined", "received_at_invalid", f"NgayTiepNhan='{bad}'"))
        elif k == Extra.RETURN_BEFORE:
            bad = _fmt14(t0 - (2 + j) * DAY + 3 * HOUR)
            d.overrides.append(Override(i, "portal", "NgayTra", bad))
            d.entries.append(_entry("returned_before_received", w, "quarantined", "returned_before_received",
                                    f"NgayTra='{bad}' < NgayTiepNhan='{_fmt14(t0)}'"))
        elif k == Extra.UNKNOWN_UNIT:
            bad = OLD_DISTRICTS[j % len(OLD_DISTRICTS)]
            d.overrides.append(Override(i, "portal", "DonViXuLy", bad))
            d.entries.append(_entry("unknown_unit", w, "quarantined", "unknown_unit", f"DonViXuLy='{bad}'"))
        elif k == Extra.UNKNOWN_CHANNEL:
            d.overrides.append(Override(i, "portal", "KenhThucHien", "9"))
            d.entries.append(_entry("unknown_channel", w, "quarantined", "unknown_channel", "KenhThucHien='9'"))
        elif k == Extra.NO_CODE:
            d.overrides.append(Override(i, "portal", "MaHoSo", ""))
            d.entries.append(_entry("missing_dossier_code", w, "quarantined", "missing_dossier_code",
                                    f"MaHoSo='' (would have been {code})"))
            code = ""
        elif k == Extra.TEST:
            text = TEST_SUMMARIES[j % len(TEST_SUMMARIES)]
            d.overrides.append(Override(i, "portal", "TrichYeuHoSo", text))
            d.entries.append(_entry("test_dossier", w, "loaded_test_excluded", None, f"TrichYeuHoSo='{text}'"))
        elif k == Extra.BEFORE_WINDOW:
            d.entries.append(_entry("outside_window", w, "loaded_outside_window", None,
                                    f"NgayTiepNhan='{_fmt14(t0)}' (before 01/07/2025 00:00)"))
        elif k == Extra.AFTER_AS_OF:
            d.entries.append(_entry("outside_window", w, "loaded_outside_window", None,
                                    f"NgayTiepNhan='{_fmt14(t0)}' (after 06/08/2025 16:00)"))
        elif k == Extra.CSV_BAD_DATE:
            bad = "31/06/2025 " + _local(t0).strftime("%H:%M:%S") if j == 0 else "31/06/2025"
            d.overrides.append(Override(i, "provincial", "received_at", bad))
            d.entries.append(_entry("unparseable_date", w, "quarantined", "received_at_invalid", f"Ngày tiếp nhận='{bad}'"))
        elif k == Extra.CSV_TEST:
            bad = "TEST-" + code
            d.overrides.append(Override(i, "provincial", "dossier_code", bad))
            d.entries.append(_entry("test_dossier", w, "loaded_test_excluded", None,
                                    f"Mã hồ sơ='{bad}' (also a dossier_code_format warning)"))
            code = bad
        d.entries[-1]["dossier_code"] = code
    return d


def plan_clean_defects(rng: np.random.Generator, plan: Plan, obs: Observations, eligible_unit: np.ndarray,
                       code_of, d: Defects) -> Observations:
    """Pick clean dossiers of portal-only home units for the defects that must not change the universe; return the
    observations with the late creation records moved."""
    clean = (plan.kind == 0) & eligible_unit[plan.unit]
    d0 = plan.t[0].astype(np.int64) // DAY
    last = plan.t.max(axis=0).astype(np.int64) // DAY
    used: set[int] = set()

    def pick(mask: np.ndarray, k: int) -> list[int]:
        cand = np.flatnonzero(mask)
        cand = cand[~np.isin(cand, list(used))]
        chosen = sorted(int(x) for x in rng.choice(cand, size=min(k, len(cand)), replace=False))
        used.update(chosen)
        return chosen

    # A creation record that arrives after the final update: the status-10 record of day d6 is in an earlier batch
    # than the receipt-day record, which is re-sent on the next working day after d6.
    returned = plan.t[6] >= 0
    batch_day = obs.batch_day.copy()
    for i in pick(clean & returned & (last > d0) & (last <= clock.LAST_DAY - 2), CLEAN_DEFECTS):
        row = np.flatnonzero((obs.ids == i) & (obs.state_day == d0[i]))[0]
        new_day = int(last[i]) + 1
        while not clock.is_working_day(new_day):
            new_day += 1
        batch_day[row] = new_day
        w_late, w_final = Watch(i, "portal", new_day), Watch(i, "portal", int(last[i]))
        d.watches += [w_late, w_final]
        d.entries.append(_entry("update_before_creation", w_late, "merged_latest_wins", None,
                                "creation record (status of the receipt day) sent after the status-10 record",
                                expected_status=10, final_record=w_final, dossier_code=code_of(i)))
    obs = sort_observations(plan, Observations(obs.ids, obs.k, obs.state_day, batch_day))

    # A first record quarantined, then corrected by the dossier's next record.
    fixes = (("KenhThucHien", "9", "unknown_channel"), ("DonViXuLy", OLD_DISTRICTS[0], "unknown_unit"),
             ("NgayTiepNhan", None, "received_at_invalid"))
    for i, (fld, val, reason) in zip(pick(clean & (last > d0), CLEAN_DEFECTS), fixes):
        days = np.sort(obs.state_day[obs.ids == i])
        if val is None:
            val = _local(int(plan.t[0, i])).strftime("%Y-%m-%d")
        d.overrides.append(Override(i, "portal", fld, val, batch_day=int(d0[i])))
        w_bad, w_fix = Watch(i, "portal", int(d0[i])), Watch(i, "portal", int(days[1]))
        d.watches += [w_bad, w_fix]
        d.entries.append(_entry("quarantined_then_corrected", w_bad, "loaded_after_correction", reason,
                                f"{fld}='{val}' in the first record; corrected in the next batch",
                                corrected_record=w_fix, dossier_code=code_of(i)))

    # An ID number one digit short on every record of the dossier.
    for i in pick(clean, CLEAN_DEFECTS):
        plan.id_short[i] = True
        w = Watch(i, "portal", int(d0[i]))
        d.watches.append(w)
        d.entries.append(_entry("id_number_length", w, "loaded_with_warning", "id_number_length",
                                "SoGiayToChuHoSo has 11 digits", dossier_code=code_of(i)))

    # Batches sent twice: the last batch of three days is copied byte for byte under the next number.
    days = np.unique(obs.batch_day)
    days = days[(days > clock.FIRST_DAY) & (days < clock.LAST_DAY)]
    days = [int(x) for x in days if clock.is_working_day(int(x))]
    d.duplicate_days = sorted(int(x) for x in rng.choice(days, size=min(CLEAN_DEFECTS, len(days)), replace=False))
    return obs


def resolve(d: Defects, located: dict[tuple[int, str, int], tuple[str, int]], duplicates: list[tuple[str, str]]) -> list[dict]:
    """Manifest entries with files and record indices filled in, numbered D01, D02, ..."""
    out = []
    for orig, copy in duplicates:
        out.append({"kind": "duplicate_batch", "file": copy, "record": None, "dossier_code": None,
                    "outcome": "file_skipped_duplicate", "reason": "duplicate_file",
                    "detail": f"byte-identical copy of {orig}"})
    order = ["update_before_creation", "unparseable_date", "returned_before_received", "unknown_unit",
             "unknown_channel", "missing_dossier_code", "quarantined_then_corrected", "test_dossier",
             "outside_window", "id_number_length"]
    for e in sorted(d.entries, key=lambda e: order.index(e["kind"])):
        w = e["watch"]
        f, r = located[(w.dossier, w.target, w.day)]
        item = {"kind": e["kind"], "file": f, "record": r, "dossier_code": e["dossier_code"],
                "outcome": e["outcome"], "reason": e["reason"], "detail": e["detail"]}
        if "expected_status" in e:
            item["expected_status"] = e["expected_status"]
        for key in ("final_record", "corrected_record"):
            if key in e:
                fw = e[key]
                item[key] = dict(zip(("file", "record"), located[(fw.dossier, fw.target, fw.day)]))
        out.append(item)
    return [{"id": f"D{n:02d}", **e} for n, e in enumerate(out, 1)]
