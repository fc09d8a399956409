"""Session arithmetic comes from pandas-market-calendars, never weekday math."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from kernel.market_calendar import TradingCalendar

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
        # The day after Thanksgiving closes early at 13:00 ET: final an hour later.
        ("2026-11-27T14:00:00-05:00", date(2026, 11, 27)),
        ("2026-11-27T13:59:00-05:00", date(2026, 11, 25)),
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


def test_run_time_is_close_plus_30_minutes_or_60_after_an_early_close() -> None:
    (regular,) = NYSE.sessions_between(date(2026, 11, 20), date(2026, 11, 20))
    assert NYSE.run_time(regular) == at("2026-11-20T16:30:00-05:00")
    (early,) = NYSE.sessions_between(date(2026, 11, 27), date(2026, 11, 27))
    assert NYSE.run_time(early) == at("2026-11-27T14:00:00-05:00")
    custom = TradingCalendar(
        settle_delay=timedelta(minutes=45), early_close_delay=timedelta(minutes=90)
    )
    assert custom.run_time(regular) == at("2026-11-20T16:45:00-05:00")
    assert custom.run_time(early) == at("2026-11-27T14:30:00-05:00")


def test_session_of_a_closed_day_is_none() -> None:
    assert NYSE.session(date(2026, 11, 26)) is None  # Thanksgiving
    assert NYSE.session(date(2026, 11, 21)) is None  # Saturday
    assert NYSE.session(date(2026, 11, 20)).date == date(2026, 11, 20)


@pytest.mark.parametrize(
    ("mic", "calendar"),
    [("XNAS", "XNYS"), ("ARCX", "XNYS"), (None, "XNYS"), ("XLON", "XLON"), ("xtks", "XTKS")],
)
def test_primary_exchange_chooses_the_calendar(mic: str | None, calendar: str) -> None:
    assert TradingCalendar.for_exchange(mic).name == calendar


def test_a_symbol_listed_abroad_follows_its_exchange_holidays() -> None:
    london = TradingCalendar.for_exchange("XLON")
    # 2026-08-31 is the UK summer bank holiday; New York trades.
    assert london.session(date(2026, 8, 31)) is None
    assert NYSE.session(date(2026, 8, 31)) is not None
    # 2026-11-26 is Thanksgiving: London trades, New York does not.
    assert london.session(date(2026, 11, 26)) is not None
