"""dlt source landing the exchange's trading sessions (pandas-market-calendars).

dbt builds its session spine and calendar-aware freshness from this table, so
calendar truth has one origin: the same library the EOD job schedules with.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

import dlt

from kernel.market_calendar import TradingCalendar


@dlt.source(name="calendar")
def calendar_source(calendar: TradingCalendar, start: date, end: date) -> Any:
    """Sessions of `calendar` from `start` to `end`, merged on session_date."""

    @dlt.resource(
        name="sessions",
        primary_key="session_date",
        write_disposition="merge",
        columns={
            "session_date": {"data_type": "date", "nullable": False},
            "market_open": {"data_type": "timestamp", "nullable": False},
            "market_close": {"data_type": "timestamp", "nullable": False},
            "early_close": {"data_type": "bool", "nullable": False},
        },
    )
    def sessions() -> Iterator[list[dict[str, Any]]]:
        yield [
            {
                "session_date": session.date,
                "market_open": session.open,
                "market_close": session.close,
                "early_close": session.early_close,
            }
            for session in calendar.sessions_between(start, end)
        ]

    return sessions


@dlt.source(name="venue_calendars")
def venue_calendar_source(calendars: Mapping[str, TradingCalendar], start: date, end: date) -> Any:
    """Sessions of primary exchanges abroad, keyed by (venue, session_date).

    `calendars` maps each venue (the ISO MIC as Polygon names it) to its
    calendar. A symbol listed there is expected only on the sessions landed
    here; US venues share the NYSE sessions above and are not landed again.
    """

    @dlt.resource(
        name="venue_sessions",
        primary_key=("venue", "session_date"),
        write_disposition="merge",
        columns={
            "venue": {"data_type": "text", "nullable": False},
            "session_date": {"data_type": "date", "nullable": False},
        },
    )
    def venue_sessions() -> Iterator[list[dict[str, Any]]]:
        for venue, calendar in sorted(calendars.items()):
            yield [
                {"venue": venue, "session_date": day} for day in calendar.session_dates(start, end)
            ]

    return venue_sessions
