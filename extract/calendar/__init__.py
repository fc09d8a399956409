"""dlt source landing the exchange's trading sessions (pandas-market-calendars).

dbt builds its session spine and calendar-aware freshness from this table, so
calendar truth has one origin: the same library the EOD job schedules with.
"""

from __future__ import annotations

from collections.abc import Iterator
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
