"""The clean universe plan: one row of numeric vectors per dossier, built to the published figures exactly.

Counts are fixed first and randomness only decides who gets them: the received and online totals of each slice are
apportioned over units (largest remainder), online dossiers are picked inside each unit (more of them late in the
window, so the province climbs the ranking), and exactly the target number of dossiers end with status 10 at the
as-of time (the earliest planned returns). Each dossier has up to seven dated events, in this order:

    0 received (2)  1 processing (4)  2 supplement requested (5)  3 supplement received (4)
    4 financial obligation (6)  5 end of processing (9 processed, 3 refused, 7 withdrawn, 8 stopped)  6 returned (10)

An event that did not happen, or not before the as-of time, is -1. The status of a dossier at any time is the status
of its last event up to then; a portal observation is the dossier's state at the end of a day on which one of its
events happened. Everything here is numpy: no Python loop runs per dossier.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from samples import clock
from samples.clock import AS_OF, DAY, HOUR, MINUTE, WORKDAY
from samples.reference import AGENCIES, Catalogue, Units

N_EVENTS = 7
EV_RECEIVED, EV_START, EV_SUPP, EV_SUPP_BACK, EV_FIN, EV_END, EV_RETURN = range(N_EVENTS)
EVENT_STATUS = np.array([2, 4, 5, 4, 6, 0, 10], dtype=np.int8)  # 0: the dossier's own end status (s5)

# The figures the home province is built to (DATA_WORLD §2); every other number follows from them and the seed.
TARGETS = {
    "province_received": 171_300, "province_online": 124_952,
    "commune_received": 139_603, "commune_online": 99_978,
    "returned": 252_648,
}
RETURN_MARGIN = 0.01  # share of planned returns left at status 9 ("processed, result not yet handed over")

DAY_WEIGHTS = np.array([1.15, 1.05, 1.0, 1.0, 0.9, 0.06, 0.0])  # Monday..Sunday: a few Saturday-morning receipts
# Receipt profile over a day: (start, end, density). Mostly office hours; a little at lunch and after 17:00.
RECEIPT_PROFILE = (
    (7 * HOUR, 8 * HOUR, 0.8), (8 * HOUR, 10 * HOUR + 30 * MINUTE, 1.3), (10 * HOUR + 30 * MINUTE, 11 * HOUR + 30 * MINUTE, 0.9),
    (11 * HOUR + 30 * MINUTE, 13 * HOUR + 30 * MINUTE, 0.04), (13 * HOUR + 30 * MINUTE, 15 * HOUR + 30 * MINUTE, 1.0),
    (15 * HOUR + 30 * MINUTE, 17 * HOUR, 0.7), (17 * HOUR, 18 * HOUR + 30 * MINUTE, 0.04),
)
FAST_SHORT, FAST_MEDIUM, FAST_LONG = 0.92, 0.6, 0.3  # share settled within the hour, by legal duration
ONLINE_TREND = 0.35  # log-odds gain of online over the window: the cumulative ratio rises towards the as-of date


def scaled(n: int, scale: float) -> int:
    """n times the scale, rounded half up to the nearest record."""
    return int(np.floor(n * scale + 0.5))


@dataclass
class Plan:
    unit: np.ndarray  # int32 index into Units
    proc: np.ndarray  # int16 index into Catalogue
    channel: np.ndarray  # int8 KenhThucHien 1/2/3
    atype: np.ndarray  # int8 LoaiDoiTuong 1..4
    t: np.ndarray  # int32 (7, N) event times, clock seconds, -1 = none
    s5: np.ndarray  # int8 status reached at event 5
    submitted: np.ndarray  # int32
    due: np.ndarray  # int32
    counter: np.ndarray  # int32 daily counter of the dossier code
    kind: np.ndarray  # int8: 0 clean universe, else the defects.Extra kind of an injected dossier
    id_short: np.ndarray  # bool: the ID number is written one digit short (an id_number_length defect)

    def __len__(self) -> int:
        return len(self.unit)

    def state_at(self, ids: np.ndarray, when: np.ndarray | int) -> np.ndarray:
        """Index of the last event of each dossier at or before `when` (-1: not received yet)."""
        k = np.full(len(ids), -1, dtype=np.int8)
        for e in range(N_EVENTS):
            te = self.t[e, ids]
            k = np.where((te >= 0) & (te <= when), np.int8(e), k)
        return k

    def status_of(self, ids: np.ndarray, k: np.ndarray) -> np.ndarray:
        st = EVENT_STATUS[np.maximum(k, 0)]
        return np.where(k == EV_END, self.s5[ids], st).astype(np.int8)


@dataclass
class Observations:
    """Portal observations in batch order: the dossier, its event index of the state sent, the day whose end state
    it carries, and the day of the batch it is sent in (the same day, except for a late-arriving record)."""

    ids: np.ndarray
    k: np.ndarray
    state_day: np.ndarray
    batch_day: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


def apportion(total: int, weights: np.ndarray, minimum: int = 0) -> np.ndarray:
    """Split `total` into integers proportional to weights (largest remainder), each at least `minimum` when it fits."""
    w = np.asarray(weights, dtype=np.float64)
    if minimum and total >= minimum * len(w):
        return minimum + apportion(total - minimum * len(w), w)
    x = total * w / w.sum()
    base = np.floor(x).astype(np.int64)
    rest = total - int(base.sum())
    order = np.lexsort((np.arange(len(w)), -(x - base)))
    base[order[:rest]] += 1
    return base


def apportion_online(n: np.ndarray, ratio: np.ndarray, total: int) -> np.ndarray:
    """Online counts per unit: close to n * ratio (shifted by a common amount), within [0, n], summing to total."""
    n = n.astype(np.int64)
    if total > n.sum():
        raise ValueError("more online dossiers than dossiers")
    lo, hi = -1.0, 1.0
    for _ in range(60):  # the shift that makes the expected total right
        mid = (lo + hi) / 2
        if (np.clip(ratio + mid, 0, 1) * n).sum() < total:
            lo = mid
        else:
            hi = mid
    x = np.clip(ratio + hi, 0, 1) * n
    base = np.minimum(np.floor(x).astype(np.int64), n)
    rest = total - int(base.sum())
    frac = np.where(base < n, x - base, -1.0)
    order = np.lexsort((np.arange(len(n)), -frac))
    while rest > 0:  # largest remainders first; more rounds only in degenerate tiny worlds
        room = order[base[order] < n[order]][:rest]
        base[room] += 1
        rest -= len(room)
    while rest < 0:
        over = order[::-1][base[order[::-1]] > 0][: -rest]
        base[over] -= 1
        rest += len(over)
    return base


def _rank_within(groups: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Rank (0 = largest key) of each element inside its group."""
    order = np.lexsort((-key, groups))
    g = groups[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    pos = np.arange(len(g)) - np.repeat(starts, np.diff(np.r_[starts, len(g)]))
    rank = np.empty(len(g), dtype=np.int64)
    rank[order] = pos
    return rank


def receipt_times(rng: np.random.Generator, n: int, first_day: int = clock.FIRST_DAY,
                  last_day: int = clock.LAST_DAY, end: int = AS_OF) -> np.ndarray:
    """Receipt times in [first_day 00:00, end): weekday-weighted days, office-hours profile within a day."""
    knots = np.array([RECEIPT_PROFILE[0][0]] + [b for _, b, _ in RECEIPT_PROFILE], dtype=np.float64)
    mass = np.array([(b - a) * d for a, b, d in RECEIPT_PROFILE])
    cdf = np.r_[0.0, np.cumsum(mass)] / mass.sum()
    days = np.arange(first_day, last_day + 1)
    caps = np.ones(len(days))
    for i, d in enumerate(days):
        if clock.day_date(d).weekday() == 5:
            caps[i] = np.interp(11.5 * HOUR, knots, cdf)  # Saturday: mornings only
        if d * DAY + 86_400 > end:
            caps[i] = min(caps[i], np.interp(end - d * DAY, knots, cdf))
    w = DAY_WEIGHTS[[clock.day_date(d).weekday() for d in days]] * caps
    day_i = rng.choice(len(days), size=n, p=w / w.sum())
    u = rng.random(n) * caps[day_i]
    tod = np.interp(u, cdf, knots)
    t = days[day_i] * DAY + np.floor(tod).astype(np.int64)
    return np.minimum(t, end - 1)


def _pick_procedures(rng, cat: Catalogue, groups: dict, unit_key: np.ndarray, online: np.ndarray) -> np.ndarray:
    """A procedure for each dossier from its unit's catalogue (online dossiers: MucDo 3 or 4 only)."""
    proc = np.empty(len(unit_key), dtype=np.int16)
    for key, idx in groups.items():
        for on in (False, True):
            sel = np.flatnonzero((unit_key == key) & (online == on))
            if len(sel) == 0:
                continue
            cand = idx[cat.muc_do[idx] >= 3] if on else idx
            p = cat.weight[cand] / cat.weight[cand].sum()
            proc[sel] = cand[rng.choice(len(cand), size=len(sel), p=p)]
    return proc


def _province_targets(pi: int, scale: float, rng: np.random.Generator) -> dict[str, int]:
    t = {k: scaled(v, scale) for k, v in TARGETS.items()}
    if pi == 0:
        return t
    # A synthetic province: the same volume, its own online ratios and share returned.
    r_p, r_c = rng.uniform(0.55, 0.92), rng.uniform(0.5, 0.9)
    t["province_online"] = int(round(t["province_received"] * r_p))
    t["commune_online"] = int(round(t["commune_received"] * r_c))
    t["returned"] = int(round((t["province_received"] + t["commune_received"]) * rng.uniform(0.74, 0.86)))
    return t


@dataclass
class Layout:
    """A province's units, volumes and receipt times, before its online dossiers are chosen."""

    pi: int
    tg: dict
    agencies: np.ndarray
    communes: np.ndarray
    n_a: np.ndarray
    n_c: np.ndarray
    a_r: np.ndarray  # online ratio each agency leans to
    c_r: np.ndarray  # and each commune
    unit: np.ndarray
    t0: np.ndarray

    def received(self, cut: int) -> tuple[int, int]:
        """(dossiers received before `cut`, dossiers received): what a snapshot's online ratio counts."""
        return int(np.count_nonzero(self.t0 < cut)), len(self.t0)


def layout_province(rng: np.random.Generator, pi: int, units: Units, cat: Catalogue, scale: float) -> Layout:
    """The first draws of a province's plan: targets, unit volumes and the online ratio each unit leans to, receipt
    times."""
    tg = _province_targets(pi, scale, rng)
    in_p = units.province_idx == pi
    agencies = np.flatnonzero(in_p & (units.agency_nn > 0))
    communes = np.flatnonzero(in_p & (units.agency_nn == 0))
    by_nn = {nn: (w, r) for nn, _, _, w, r in AGENCIES}
    a_w = np.array([by_nn[units.agency_nn[u]][0] for u in agencies]) * rng.lognormal(0, 0.15, len(agencies))
    a_r = np.array([by_nn[units.agency_nn[u]][1] for u in agencies]) + rng.normal(0, 0.04, len(agencies))
    ward = np.array([units.kind[u] == "phường" for u in communes])
    hl = units.highland[communes]
    c_w = np.where(ward, 2.6, np.where(hl, 0.45, 1.0)) * rng.lognormal(0, 0.3, len(communes))
    c_r = np.where(ward, 0.77, np.where(hl, 0.665, 0.74)) + rng.normal(0, 1, len(communes)) * np.where(hl, 0.06, 0.035)
    n_a = apportion(tg["province_received"], a_w, minimum=1)
    n_c = apportion(tg["commune_received"], c_w, minimum=1)
    unit = np.repeat(np.r_[agencies, communes], np.r_[n_a, n_c]).astype(np.int32)
    t0 = receipt_times(rng, len(unit))
    return Layout(pi, tg, agencies, communes, n_a, n_c, a_r, c_r, unit, t0)


def plan_province(rng: np.random.Generator, pi: int, units: Units, cat: Catalogue, cal: clock.WorkingCalendar,
                  scale: float, snapshot_online: tuple[int, int] | None = None
                  ) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Per-dossier vectors of one province's clean universe (unsorted) and the targets it was built to."""
    return finish_province(rng, layout_province(rng, pi, units, cat, scale), units, cat, cal, snapshot_online)


def finish_province(rng: np.random.Generator, lay: Layout, units: Units, cat: Catalogue, cal: clock.WorkingCalendar,
                    snapshot_online: tuple[int, int] | None = None) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """The rest of a province's plan: which dossiers are online, procedures, applicants, timelines.

    Without `snapshot_online` the province's slices get their target online counts (the home province's published
    figures). With it, (online dossiers received before the mid-snapshot cut, online dossiers in all): exactly
    that many, so that its online ratio at both snapshots of the national file is the one planned
    (`tasks.online_snapshot`); each unit leans to its own ratio, agencies and communes to the province's."""
    tg, unit, t0 = lay.tg, lay.unit, lay.t0
    n_u = np.r_[lay.n_a, lay.n_c]
    n = len(unit)
    day_frac = (t0 - clock.WINDOW_START) / (AS_OF - clock.WINDOW_START)
    if snapshot_online is None:
        o_a = apportion_online(lay.n_a, np.clip(lay.a_r, 0.2, 0.99), tg["province_online"])
        o_c = apportion_online(lay.n_c, np.clip(lay.c_r, 0.25, 0.97), tg["commune_online"])
        # Online dossiers inside each unit: weighted sampling without replacement (Gumbel top-k), later days favoured.
        key = ONLINE_TREND * day_frac + rng.gumbel(size=n)
        online = _rank_within(unit, key) < np.repeat(np.r_[o_a, o_c], n_u)
    else:
        o_before, o_all = snapshot_online
        # The slices lean to the province's own ratios (tg), the units to theirs around them.
        lean = lambda r, n_s, target: r - np.average(r, weights=n_s) + target / max(int(n_s.sum()), 1)  # noqa: E731
        ratio = np.r_[np.clip(lean(lay.a_r, lay.n_a, tg["province_online"]), 0.2, 0.99),
                      np.clip(lean(lay.c_r, lay.n_c, tg["commune_online"]), 0.25, 0.97)]
        pos = np.repeat(np.arange(len(n_u)), n_u)
        after = t0 >= mid_cut()
        n_before = np.bincount(pos[~after], minlength=len(n_u))
        quota = np.stack([apportion_online(n_before, ratio, o_before),
                          apportion_online(n_u - n_before, ratio, o_all - o_before)])
        key = ONLINE_TREND * day_frac + rng.gumbel(size=n)
        group = pos * 2 + after
        online = _rank_within(group, key) < quota[after.astype(np.int64), pos]
    province_level = units.agency_nn[unit] > 0
    postal = ~online & (rng.random(n) < np.where(province_level, 0.07, 0.012))
    channel = np.where(online, 2, np.where(postal, 3, 1)).astype(np.int8)
    groups = {int(nn): np.flatnonzero((cat.owner_nn == nn) & (np.asarray(cat.level) == "province"))
              for nn in np.unique(units.agency_nn[lay.agencies])}
    groups[0] = np.flatnonzero(np.asarray(cat.level) == "commune")
    proc = _pick_procedures(rng, cat, groups, units.agency_nn[unit], online)
    org = rng.random(n) < cat.org_share[proc]
    atype = np.where(org, rng.choice(np.array([2, 3, 4], dtype=np.int8), size=n, p=[0.85, 0.07, 0.08]), 1).astype(np.int8)
    t, s5, due, pace = timeline(rng, t0, proc, channel, province_level, cat, cal, tg["returned"])
    due = np.where(cat.no_due[proc], -1, due).astype(np.int32)  # no legal duration: no due date
    submitted = submission_times(rng, t0, channel)
    arrays = dict(unit=unit, proc=proc, channel=channel, atype=atype, t=t, s5=s5, submitted=submitted, due=due,
                  kind=np.zeros(n, dtype=np.int8))
    tg["pace"] = pace
    return arrays, tg


def mid_cut() -> int:
    """16:00 of the mid snapshot's day: the national file's first date counts the dossiers received before it."""
    return clock.day_index(clock.MID_SNAPSHOT) * DAY + 16 * HOUR


def submission_times(rng: np.random.Generator, t0: np.ndarray, channel: np.ndarray) -> np.ndarray:
    """NgayNopHoSo: online at any hour before receipt, in person minutes before, by post days before."""
    lag = np.where(channel == 2, rng.uniform(0.05 * HOUR, 3 * DAY, len(t0)),
                   np.where(channel == 3, rng.uniform(1 * DAY, 4 * DAY, len(t0)), rng.uniform(0, 10 * MINUTE, len(t0))))
    return (t0 - lag.astype(np.int64)).astype(np.int32)


def timeline(rng: np.random.Generator, t0: np.ndarray, proc: np.ndarray, channel: np.ndarray,
             province_level: np.ndarray, cat: Catalogue, cal: clock.WorkingCalendar, returned: int):
    """Event times (7, n), end status and due time of dossiers received at t0, with exactly `returned` of them
    returned before the as-of time."""
    n = len(t0)
    w0 = cal.to_work(t0).astype(np.float64)
    days = cat.days[proc]
    due = cal.due(t0, np.maximum(1, np.ceil(days)).astype(np.int64))
    legal = days * WORKDAY
    u = rng.random(n)
    s5 = np.select([u < 0.012, u < 0.017, u < 0.020], [3, 7, 8], 9).astype(np.int8)
    progress = s5 == 9
    a1 = rng.uniform(5 * MINUTE, 90 * MINUTE, n)
    supp = progress & (rng.random(n) < np.where(province_level, 0.08, 0.03))
    a2 = np.where(supp, legal * rng.uniform(0.1, 0.5, n) + MINUTE, 0.0)
    a3 = np.where(supp, WORKDAY * rng.uniform(1, 5, n), 0.0)
    fin = progress & cat.financial[proc] & (rng.random(n) < 0.35)
    a4 = np.where(fin, WORKDAY * rng.uniform(0.5, 3, n), 0.0)
    # Many dossiers are settled within the hour (certifications, civil status, simple changes): the shorter the legal
    # duration, the likelier. The others take a share of their legal duration, a few of them more (late).
    fast = rng.random(n) < np.select([days <= 1, days <= 5], [FAST_SHORT, FAST_MEDIUM], FAST_LONG)
    work = np.where(fast, rng.uniform(10 * MINUTE, 80 * MINUTE, n), legal * rng.beta(1.6, 2.8, n) * 1.25) + 2 * MINUTE
    work = np.where(progress, work, legal * rng.uniform(0.05, 0.5, n) + 2 * MINUTE)
    r = rng.random(n)
    lag = np.where(r < 0.8, rng.uniform(2 * MINUTE, 30 * MINUTE, n),  # handed over (or sent electronically) at once
                   np.where(r < 0.93, WORKDAY * rng.uniform(0.3, 3, n), WORKDAY * rng.uniform(3, 10, n)))
    lag = np.where(channel == 3, WORKDAY * rng.uniform(1, 3, n), lag)  # results by post take days
    fixed = w0 + a1 + a2 + a3 + a4
    w_asof = float(cal.to_work(np.array([AS_OF]))[0])
    # The pace multiplier m that leaves (1 + margin) x `returned` planned returns before the as-of time.
    want = returned + int(np.ceil(RETURN_MARGIN * returned))
    count = lambda m: int(np.count_nonzero(progress & (fixed + m * (work + lag) < w_asof)))  # noqa: E731
    lo, hi = 1e-3, 1e3
    if count(lo) < returned:
        raise ValueError(f"cannot return {returned} dossiers before the as-of time (scale too small?)")
    for _ in range(80):
        mid = np.sqrt(lo * hi)
        if count(mid) >= want:
            lo = mid
        else:
            hi = mid
    m = lo
    w = np.zeros((N_EVENTS, n), dtype=np.float64)
    has = np.zeros((N_EVENTS, n), dtype=bool)
    w[0], has[0] = w0, True
    w[1], has[1] = w0 + a1, True
    w[2], has[2] = w0 + a1 + a2, supp
    w[3], has[3] = w0 + a1 + a2 + a3, supp
    w[4], has[4] = fixed, fin
    w[5] = np.where(progress, fixed + m * work, w0 + a1 + work)
    has[5] = True
    w[6], has[6] = w[5] + m * lag, progress
    t = np.full((N_EVENTS, n), -1, dtype=np.int32)
    t[0] = t0
    for e in range(1, N_EVENTS):
        te = cal.to_calendar(w[e])
        t[e] = np.where(has[e] & (te < AS_OF), te, -1)
    # Exactly `returned` returns: the earliest planned ones; the others wait at status 9 with their result ready.
    cand = np.flatnonzero(t[6] >= 0)
    if len(cand) < returned:
        raise ValueError("not enough returns planned")
    keep = cand[np.lexsort((cand, t[6, cand]))[:returned]]
    mask = np.zeros(n, dtype=bool)
    mask[keep] = True
    t[6] = np.where(mask, t[6], -1)
    return t, s5, due.astype(np.int32), m


def merge_parts(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """One part of the plan from two (e.g. a province's clean dossiers and the dossiers injected into it)."""
    return {k: np.concatenate([a[k], b[k]], axis=-1) for k in a}


def _sorted(part: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    order = np.lexsort((part["kind"], part["t"][0], part["unit"]))
    return {k: (v[:, order] if v.ndim == 2 else v[order]) for k, v in part.items()}


def finish_plan(parts: list[dict[str, np.ndarray]]) -> Plan:
    """Concatenate the province parts (in unit order, each sorted by unit then receipt time, so that only one part
    is copied at a time) and number the dossier codes: a daily counter per unit."""
    for i in range(len(parts)):
        parts[i] = _sorted(parts[i])
    a = {k: np.concatenate([p[k] for p in parts], axis=-1) for k in parts[0]}
    parts.clear()
    if np.any(np.diff(a["unit"]) < 0):  # parts whose units interleave: sort the whole
        a = _sorted(a)
    day = a["t"][0].astype(np.int64) // DAY
    key = a["unit"].astype(np.int64) * 1000 + day
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    counter = (np.arange(len(key)) - np.repeat(starts, np.diff(np.r_[starts, len(key)])) + 1).astype(np.int32)
    return Plan(unit=a["unit"].astype(np.int32), proc=a["proc"].astype(np.int16), channel=a["channel"].astype(np.int8),
                atype=a["atype"].astype(np.int8), t=a["t"].astype(np.int32), s5=a["s5"].astype(np.int8),
                submitted=a["submitted"].astype(np.int32), due=a["due"].astype(np.int32), counter=counter,
                kind=a["kind"].astype(np.int8), id_short=np.zeros(len(key), dtype=bool))


def observations(plan: Plan, portal_unit: np.ndarray, block: int = 2_000_000) -> Observations:
    """One observation per dossier and day on which one of its events happened (from the first day of the feed),
    for the dossiers of units that deliver through the portal; sorted in batch order."""
    ids_all = np.flatnonzero(portal_unit[plan.unit])
    out_id, out_day = [], []
    for s in range(0, len(ids_all), block):
        ids = ids_all[s:s + block]
        t = plan.t[:, ids]
        day = np.where(t >= 0, t // DAY, -1)
        runmax = np.full(len(ids), -1, dtype=np.int64)
        for e in range(N_EVENTS):
            new = (t[e] >= 0) & (day[e] > runmax)
            out_id.append(ids[new])
            out_day.append(day[e][new])
            runmax = np.maximum(runmax, day[e])
    ids = np.concatenate(out_id).astype(np.int64)
    day = np.concatenate(out_day).astype(np.int16)
    keep = day >= clock.FIRST_DAY  # the feed starts with the window; earlier days are not in the landing folder
    ids, day = ids[keep], day[keep]
    k = plan.state_at(ids, (day.astype(np.int64) + 1) * DAY - 1)
    return sort_observations(plan, Observations(ids, k, day, day.copy()))


def sort_observations(plan: Plan, obs: Observations) -> Observations:
    """Batch order: batch day, then the time of the state sent, then the dossier."""
    t_state = plan.t[obs.k.astype(np.int64), obs.ids]
    order = np.lexsort((obs.ids, t_state, obs.batch_day))
    return Observations(obs.ids[order], obs.k[order], obs.state_day[order], obs.batch_day[order])
