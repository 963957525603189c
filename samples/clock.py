"""Time in the sample world: the window, the as-of time, the working calendar, and date formatting.

Every time is an integer count of seconds since EPOCH (2025-06-01 00:00, local wall time of Asia/Ho_Chi_Minh). The
world has one time zone and no daylight saving, so local seconds are enough, keep the plan vectors at int32, and
format straight to the exports' strings. -1 means "did not happen (yet)".

The working calendar (Monday to Friday, 07:00-11:30 and 13:30-17:00, the office hours of Nghệ An's one-stop
departments) turns processing durations, counted in working seconds, into calendar times: a dossier processed in
"3 working hours" is processed in office hours, never on a Sunday.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

EPOCH = datetime(2025, 6, 1)
DAY = 86_400
HOUR = 3_600
MINUTE = 60
NONE = -1  # an event that did not happen


def sec(dt: datetime) -> int:
    """Seconds since EPOCH of a local wall time."""
    return int((dt - EPOCH).total_seconds())


def day_index(d: date) -> int:
    return (d - EPOCH.date()).days


def day_date(i: int) -> date:
    return EPOCH.date() + timedelta(days=int(i))


WINDOW_START = sec(datetime(2025, 7, 1))
AS_OF = sec(datetime(2025, 8, 6, 16, 0, 0))  # the report's cut-off; also the window's (exclusive) end
FIRST_DAY = day_index(date(2025, 7, 1))  # first day of the window and of the portal feed
LAST_DAY = day_index(date(2025, 8, 6))  # the as-of day
MID_SNAPSHOT = date(2025, 7, 22)  # the earlier snapshot of the report (tasks, ranking, first provincial exports)
FINAL_SNAPSHOT = date(2025, 8, 6)
CALENDAR_END = day_index(date(2025, 12, 31))  # planned events may run past the as-of time; they are cut there

MORNING = (7 * HOUR, 11 * HOUR + 30 * MINUTE)
AFTERNOON = (13 * HOUR + 30 * MINUTE, 17 * HOUR)
WORKDAY = (MORNING[1] - MORNING[0]) + (AFTERNOON[1] - AFTERNOON[0])  # 8 working hours

# Seconds to add to EPOCH-relative times to get "unix seconds" of the same naive wall time, for polars formatting.
_EPOCH_UNIX = calendar.timegm(EPOCH.timetuple())


def is_working_day(i: int) -> bool:
    # No public holiday falls between July and the National Day (2 September), so weekdays are working days.
    return day_date(i).weekday() < 5


class WorkingCalendar:
    """Map between calendar seconds and cumulative working seconds (office hours of working days)."""

    def __init__(self, first_day: int = 0, last_day: int = CALENDAR_END):
        starts, lengths = [], []
        for d in range(first_day, last_day + 1):
            if is_working_day(d):
                for a, b in (MORNING, AFTERNOON):
                    starts.append(d * DAY + a)
                    lengths.append(b - a)
        self.starts = np.asarray(starts, dtype=np.int64)
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.cum = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)
        self.workdays = np.asarray([d for d in range(first_day, last_day + 1) if is_working_day(d)], dtype=np.int64)

    def to_work(self, t: np.ndarray) -> np.ndarray:
        """Working seconds elapsed at calendar time t (a time outside office hours maps to the next opening)."""
        t = np.asarray(t, dtype=np.int64)
        i = np.searchsorted(self.starts, t, side="right") - 1
        i = np.clip(i, 0, len(self.starts) - 1)
        return self.cum[i] + np.clip(t - self.starts[i], 0, self.lengths[i])

    def to_calendar(self, w: np.ndarray) -> np.ndarray:
        """The calendar time at which w working seconds have elapsed."""
        w = np.asarray(w, dtype=np.float64)
        i = np.searchsorted(self.cum, w, side="right") - 1
        i = np.clip(i, 0, len(self.cum) - 1)
        return (self.starts[i] + np.floor(w - self.cum[i])).astype(np.int64)

    def due(self, t: np.ndarray, days: np.ndarray) -> np.ndarray:
        """17:00 of the `days`-th working day after the day of t: the legal deadline (always a later date than t)."""
        d = np.asarray(t, dtype=np.int64) // DAY
        k = np.searchsorted(self.workdays, d, side="right") - 1 + np.asarray(days, dtype=np.int64)
        return self.workdays[np.clip(k, 0, len(self.workdays) - 1)] * DAY + AFTERNOON[1]


def fmt(col: str | pl.Expr, pattern: str = "%Y%m%d%H%M%S") -> pl.Expr:
    """A polars expression formatting EPOCH seconds as a local-time string, "" for an event that did not happen."""
    c = pl.col(col) if isinstance(col, str) else col
    return (
        pl.when(c >= 0)
        .then(pl.from_epoch(c.cast(pl.Int64) + _EPOCH_UNIX, time_unit="s").dt.strftime(pattern))
        .otherwise(pl.lit(""))
    )


def to_datetime(col: str | pl.Expr) -> pl.Expr:
    """A polars naive Datetime (local wall time) of EPOCH seconds; null for an event that did not happen."""
    c = pl.col(col) if isinstance(col, str) else col
    return pl.when(c >= 0).then(pl.from_epoch(c.cast(pl.Int64) + _EPOCH_UNIX, time_unit="s"))
