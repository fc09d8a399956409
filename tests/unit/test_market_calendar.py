"""Session arithmetic comes from pandas-market-calendars, never weekday math."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from orchestration.market_calendar import TradingCalendar

NYSE = TradingCalendar()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Friday 2026-11-20 closes 16:00 ET; final 30 minutes later.
        ("2026-11-20T16:29:00-05:00", date(2026, 11, 19)),
        ("2026-11-20T16:30:00-05:00", date(2026, 11, 20)),
        # Saturday and Sunday: still Friday.
        ("2026-11-22T12:00:00-05:00", date(2026, 11, 20)),
        # Thanksgiving (closed): Wednesday.
        ("2026-11-26T20:00:00-05:00", date(2026, 11, 25)),
        # The day after Thanksgiving closes early at 13:00 ET.
        ("2026-11-27T13:31:00-05:00", date(2026, 11, 27)),
        ("2026-11-27T13:29:00-05:00", date(2026, 11, 25)),
        # Monday morning after a long weekend (Good Friday 2026-04-03 closed).
        ("2026-04-06T09:00:00-04:00", date(2026, 4, 2)),
    ],
)
def test_latest_completed_session(now: str, expected: date) -> None:
    assert NYSE.latest_completed_session(at(now)) == expected


def test_settle_delay_is_configurable() -> None:
    patient = TradingCalendar(settle_delay=timedelta(hours=2))
    assert patient.latest_completed_session(at("2026-11-20T17:30:00-05:00")) == date(2026, 11, 19)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        NYSE.latest_completed_session(datetime(2026, 11, 20, 22, 0))


def test_sessions_skip_holidays_and_special_closures() -> None:
    days = NYSE.session_dates(date(2012, 10, 26), date(2012, 11, 2))
    # Hurricane Sandy closed the exchange on 2012-10-29 and 10-30.
    assert days == [date(2012, 10, 26), date(2012, 10, 31), date(2012, 11, 1), date(2012, 11, 2)]


def test_early_close_is_flagged() -> None:
    (friday,) = NYSE.sessions_between(date(2026, 11, 27), date(2026, 11, 27))
    assert friday.early_close
    assert friday.close == at("2026-11-27T13:00:00-05:00")
    (monday,) = NYSE.sessions_between(date(2026, 11, 30), date(2026, 11, 30))
    assert not monday.early_close
