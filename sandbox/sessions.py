"""NYSE trading sessions of the sandbox market, from pandas-market-calendars."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd
import pandas_market_calendars as mcal

ORIGIN = date(2015, 1, 2)
"""First session with bars. Every bar is generated forward from here."""

HORIZON = date(2040, 12, 31)
"""Last calendar day the sessions table covers.

The random draws are made row by row, one row per session, so moving the
horizon later appends rows without changing any earlier bar.
"""

NEW_YORK = "America/New_York"


@dataclass(frozen=True)
class Sessions:
    """The XNYS sessions between ``ORIGIN`` and ``HORIZON``, as parallel arrays.

    Attributes:
        days: Session dates, ``datetime64[D]``, ascending.
        start_ms: Midnight America/New_York of each session date, epoch ms
            (Polygon's daily bar ``t``).
        open_ms: Market open of each session (09:30 New York), epoch ms.
        close_ms: Market close of each session (early closes included), epoch ms.
    """

    days: np.ndarray
    start_ms: np.ndarray
    open_ms: np.ndarray
    close_ms: np.ndarray

    def __len__(self) -> int:
        return len(self.days)

    def span(self, first: date, last: date) -> slice:
        """Index range of the sessions dated ``first`` to ``last``, both inclusive."""
        lo = int(np.searchsorted(self.days, np.datetime64(first, "D"), side="left"))
        hi = int(np.searchsorted(self.days, np.datetime64(last, "D"), side="right"))
        return slice(lo, max(lo, hi))

    def index_of(self, day: date) -> int | None:
        """Position of ``day`` in the table, or ``None`` when it is no session."""
        span = self.span(day, day)
        return span.start if span.stop > span.start else None

    def closed_count(self, as_of: datetime) -> int:
        """Number of sessions (from the origin) whose market close is at or before ``as_of``."""
        as_of_ms = int(as_of.timestamp() * 1000)
        return int(np.searchsorted(self.close_ms, as_of_ms, side="right"))


@functools.cache
def xnys_sessions() -> Sessions:
    """Build (once per process) the XNYS session table from ``ORIGIN`` to ``HORIZON``."""
    schedule = mcal.get_calendar("XNYS").schedule(start_date=ORIGIN, end_date=HORIZON)
    days = pd.DatetimeIndex(schedule.index)
    midnight = days.tz_localize(NEW_YORK).as_unit("ms").asi8
    open_ = pd.DatetimeIndex(schedule["market_open"]).as_unit("ms").asi8
    close = pd.DatetimeIndex(schedule["market_close"]).as_unit("ms").asi8
    return Sessions(
        days=days.values.astype("datetime64[D]"),
        start_ms=midnight.astype(np.int64),
        open_ms=open_.astype(np.int64),
        close_ms=close.astype(np.int64),
    )
