"""Trading sessions from pandas-market-calendars: the only source of calendar truth."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property

import pandas as pd
import pandas_market_calendars as mcal

# A session's data counts as complete this long after the close; early closes
# (half days) get longer, because vendors finalise those bars later.
DEFAULT_SETTLE_DELAY = timedelta(minutes=30)
DEFAULT_EARLY_CLOSE_DELAY = timedelta(minutes=60)

# US venues share the NYSE calendar; pandas-market-calendars has no entry for them.
_US_VENUES = {"XNYS", "XNAS", "ARCX", "XASE", "BATS", "BATY", "EDGA", "EDGX", "IEXG", "XCHI"}


@dataclass(frozen=True)
class Session:
    """One trading session; times are aware UTC datetimes."""

    date: date
    open: datetime
    close: datetime
    early_close: bool


class TradingCalendar:
    """Sessions of one exchange calendar (NYSE by default)."""

    def __init__(
        self,
        name: str = "XNYS",
        settle_delay: timedelta = DEFAULT_SETTLE_DELAY,
        early_close_delay: timedelta = DEFAULT_EARLY_CLOSE_DELAY,
    ):
        self.name = name
        self.settle_delay = settle_delay
        self.early_close_delay = early_close_delay

    @classmethod
    def for_exchange(cls, mic: str | None, **delays: timedelta) -> TradingCalendar:
        """The calendar of a primary exchange (ISO MIC); US venues and unknown MICs get NYSE."""
        code = (mic or "XNYS").upper()
        if code in _US_VENUES or code not in mcal.get_calendar_names():
            code = "XNYS"
        return cls(code, **delays)

    def session(self, day: date) -> Session | None:
        """The session on `day`, or None when the exchange is closed."""
        sessions = self.sessions_between(day, day)
        return sessions[0] if sessions else None

    def run_time(self, session: Session) -> datetime:
        """When the EOD for `session` may run: its close plus the settle delay."""
        return session.close + (
            self.early_close_delay if session.early_close else self.settle_delay
        )

    @cached_property
    def _calendar(self) -> mcal.MarketCalendar:
        return mcal.get_calendar(self.name)

    def sessions_between(self, start: date, end: date) -> list[Session]:
        """All sessions from `start` to `end`, both included."""
        schedule = self._calendar.schedule(start_date=start, end_date=end)
        if schedule.empty:
            return []
        early = set(self._calendar.early_closes(schedule).index)
        return [
            Session(
                date=label.date(),
                open=row.market_open.to_pydatetime(),
                close=row.market_close.to_pydatetime(),
                early_close=label in early,
            )
            for label, row in schedule.iterrows()
        ]

    def session_dates(self, start: date, end: date) -> list[date]:
        """Dates of the sessions from `start` to `end`."""
        return [session.date for session in self.sessions_between(start, end)]

    def latest_completed_session(self, now: datetime) -> date:
        """The last session whose run time (close plus delay) is not after `now`."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        today = pd.Timestamp(now).tz_convert("America/New_York").date()
        recent = self.sessions_between(today - timedelta(days=14), today)
        for session in reversed(recent):
            if self.run_time(session) <= now:
                return session.date
        raise LookupError(f"no completed {self.name} session in the 14 days before {today}")
