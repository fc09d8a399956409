"""Market status of the sandbox market: open/closed now, upcoming holidays and early closes.

Derived from the XNYS session table (pandas-market-calendars), with Polygon's
holiday names. NYSE and Nasdaq share the XNYS schedule, as they do in reality.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pandas as pd
import pandas_market_calendars as mcal

from sandbox.params import NEW_YORK, Body
from sandbox.sessions import xnys_sessions

EXCHANGES = ("NASDAQ", "NYSE")
UPCOMING_DAYS = 365
"""How far ahead ``upcoming`` looks."""

PRE_MARKET = time(4, 0)
AFTER_HOURS_END = time(20, 0)

_POLYGON_NAMES = {
    "New Year's Day": "New Years Day",
    "Dr. Martin Luther King Jr. Day": "Martin Luther King, Jr. Day",
    "President's Day": "Washington's Birthday",
    "Juneteenth National Independence Day": "Juneteenth",
    "July 4th": "Independence Day",
    "Black Friday": "Thanksgiving",
    "Christmas Eve": "Christmas",
}


def _polygon_name(name: str) -> str:
    if "Independence Day" in name:
        return "Independence Day"
    return _POLYGON_NAMES.get(name, name)


@functools.cache
def _names(first: date, last: date) -> dict[date, str]:
    """Holiday and early-close names between two dates, in Polygon's spelling."""
    calendar = mcal.get_calendar("XNYS")
    named: dict[date, str] = {}
    frames = [calendar.regular_holidays.holidays(first, last, return_name=True)]
    frames += [
        cal.holidays(first, last, return_name=True)
        for _, cal in calendar.special_closes
        if hasattr(cal, "holidays")
    ]
    for series in frames:
        for stamp, name in series.items():
            named[pd.Timestamp(stamp).date()] = _polygon_name(str(name))
    return named


def upcoming(now: datetime) -> list[Body]:
    """Closures and early closes from ``now``'s New York date for ``UPCOMING_DAYS`` days."""
    today = now.astimezone(NEW_YORK).date()
    last = today + timedelta(days=UPCOMING_DAYS)
    sessions = xnys_sessions()
    span = sessions.span(today, last)
    days = sessions.days[span].astype(object).tolist()
    names = _names(today, last)
    out: list[Body] = []
    for day in _closed_weekdays(today, last).astype(object).tolist():
        for exchange in EXCHANGES:
            name = names.get(day, "Market Closed")
            out.append({"exchange": exchange, "name": name, "date": str(day), "status": "closed"})
    regular_close = 16 * 60
    for day, open_ms, close_ms in zip(
        days, sessions.open_ms[span].tolist(), sessions.close_ms[span].tolist(), strict=True
    ):
        close = datetime.fromtimestamp(close_ms / 1000, UTC)
        local = close.astimezone(NEW_YORK)
        if local.hour * 60 + local.minute < regular_close:
            for exchange in EXCHANGES:
                out.append({
                    "exchange": exchange,
                    "name": names.get(day, "Early Close"),
                    "date": str(day),
                    "status": "early-close",
                    "open": _iso_z(open_ms),
                    "close": _iso_z(close_ms),
                })  # fmt: skip
    return sorted(out, key=lambda row: (row["date"], row["exchange"]))


def _iso_z(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def status_now(now: datetime) -> Body:
    """Polygon's ``/v1/marketstatus/now`` body for the instant ``now``."""
    local = now.astimezone(NEW_YORK)
    sessions = xnys_sessions()
    index = sessions.index_of(local.date())
    now_ms = int(now.timestamp() * 1000)
    early = after = False
    market = "closed"
    if index is not None:
        opens, closes = int(sessions.open_ms[index]), int(sessions.close_ms[index])
        if opens <= now_ms < closes:
            market = "open"
        elif local.time() >= PRE_MARKET and now_ms < opens:
            market, early = "extended-hours", True
        elif closes <= now_ms and local.time() < AFTER_HOURS_END:
            market, after = "extended-hours", True
    return {
        "market": market,
        "earlyHours": early,
        "afterHours": after,
        "serverTime": local.replace(microsecond=0).isoformat(),
        "exchanges": {"nyse": market, "nasdaq": market, "otc": market},
        "currencies": {"fx": _fx_status(local), "crypto": "open"},
    }


def _fx_status(local: datetime) -> str:
    """FX trades from Sunday 17:00 to Friday 17:00 New York."""
    weekday, hour = local.weekday(), local.hour
    closed = weekday == 5 or (weekday == 4 and hour >= 17) or (weekday == 6 and hour < 17)
    return "closed" if closed else "open"


def _closed_weekdays(first: date, last: date) -> np.ndarray:
    """Weekdays between two dates on which XNYS is closed (``datetime64[D]``)."""
    weekdays = pd.bdate_range(first, last).values.astype("datetime64[D]")
    return np.setdiff1d(weekdays, xnys_sessions().days)
