"""The sandbox market's synthetic data: deterministic, calendar-true, consistent."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pandas_market_calendars as mcal
import pytest

from sandbox.market import DailyBar, SandboxMarket
from sandbox.universe import DEFAULT_UNIVERSE

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
YEAR_2025 = (date(2025, 1, 1), date(2025, 12, 31))
TICKERS = [
    listing.ticker
    for listing in DEFAULT_UNIVERSE
    if listing.type in ("CS", "ETF") and listing.delisted is None
]


@pytest.fixture(scope="module")
def market() -> SandboxMarket:
    return SandboxMarket(seed=42)


def all_bars(market: SandboxMarket, first: date, last: date, as_of: datetime) -> list[DailyBar]:
    return [bar for t in TICKERS for bar in market.daily_bars(t, first, last, as_of)]


def test_universe_has_ten_active_stocks_and_five_etfs_plus_other_types(
    market: SandboxMarket,
) -> None:
    core = [lst.type for lst in market.listings if lst.ticker in TICKERS]
    assert (core.count("CS"), core.count("ETF"), len(core)) == (10, 5, 15)
    others = {lst.ticker: (lst.type, lst.delisted) for lst in market.listings}
    assert len(others) == 20
    delisted = sorted(t for t, (_, gone) in others.items() if gone is not None)
    assert delisted == ["BWACW", "CRMC", "KSFpA"]
    assert {kind for kind, _ in others.values()} == {"CS", "ETF", "ADRC", "PFD", "WARRANT", "ETN"}


def test_listings_have_bars_only_while_listed(market: SandboxMarket) -> None:
    gone = market.daily_bars("CRMC", date(2019, 8, 1), date(2019, 12, 31), NOW)
    assert gone[-1].session == date(2019, 8, 30) and len(gone) == 22
    new = market.daily_bars("NWSDY", date(2025, 9, 1), date(2025, 9, 30), NOW)
    assert new[0].session == date(2025, 9, 15)
    assert len(market.grouped_daily(date(2025, 6, 13), NOW)) == 15
    assert {bar.ticker for bar in market.grouped_daily(date(2019, 8, 30), NOW)} >= {"CRMC"}


def test_same_seed_gives_identical_bars_and_another_seed_differs(market: SandboxMarket) -> None:
    again = all_bars(SandboxMarket(seed=42), *YEAR_2025, NOW)
    other = all_bars(SandboxMarket(seed=43), *YEAR_2025, NOW)
    bars = all_bars(market, *YEAR_2025, NOW)
    assert bars == again
    assert len(other) == len(bars)
    assert all(a.close != b.close for a, b in zip(bars[:50], other[:50], strict=True))


def test_bars_are_pinned_across_processes(market: SandboxMarket) -> None:
    # Golden values: the seed is hashed with blake2b, never Python's salted hash(),
    # so these hold in every process and on every machine.
    (bar,) = market.daily_bars("AAPL", date(2015, 1, 2), date(2015, 1, 2), NOW)
    assert (bar.open, bar.high, bar.low, bar.close) == (110.12, 111.6, 107.57, 109.27)
    assert (bar.volume, bar.vwap, bar.transactions) == (39602997, 109.9672, 360045)
    # ten years of carried GARCH state and closes later:
    (bar,) = market.daily_bars("AAPL", date(2025, 6, 2), date(2025, 6, 2), NOW)
    assert (bar.open, bar.high, bar.low, bar.close, bar.volume) == (
        70.25, 70.62, 68.31, 68.85, 87770767,
    )  # fmt: skip


def test_past_bars_do_not_change_when_the_clock_moves_forward(market: SandboxMarket) -> None:
    window = (date(2025, 5, 1), date(2025, 6, 30))
    early = datetime(2025, 6, 10, 21, 0, tzinfo=UTC)
    seen_then = market.daily_bars("MSFT", *window, early)
    seen_later = market.daily_bars("MSFT", *window, NOW)
    assert seen_then[-1].session == date(2025, 6, 10)
    assert seen_later[: len(seen_then)] == seen_then
    assert seen_later[-1].session == date(2025, 6, 30)
    assert SandboxMarket(seed=42).daily_bars("MSFT", *window, early) == seen_then


def test_a_session_appears_only_once_it_has_closed(market: SandboxMarket) -> None:
    # 2025-07-03 is an early close: 13:00 New York = 17:00 UTC.
    session = date(2025, 7, 3)
    assert market.grouped_daily(session, datetime(2025, 7, 3, 16, 59, tzinfo=UTC)) == []
    assert len(market.grouped_daily(session, datetime(2025, 7, 3, 17, 0, tzinfo=UTC))) == 15
    # (the two newer listings start trading in September and October 2025)
    # A regular day closes 16:00 New York.
    regular = date(2025, 7, 7)
    ny = ZoneInfo("America/New_York")
    assert (
        market.daily_bars("AAPL", regular, regular, datetime(2025, 7, 7, 15, 59, tzinfo=ny)) == []
    )
    assert (
        len(market.daily_bars("AAPL", regular, regular, datetime(2025, 7, 7, 16, tzinfo=ny))) == 1
    )


def test_future_dates_and_dates_before_the_origin_have_no_bars(market: SandboxMarket) -> None:
    assert market.daily_bars("AAPL", date(2026, 1, 16), date(2026, 12, 31), NOW) == []
    assert market.grouped_daily(date(2026, 3, 2), NOW) == []
    assert market.daily_bars("AAPL", date(2010, 1, 1), date(2014, 12, 31), NOW) == []


@pytest.mark.parametrize(
    "day",
    [
        date(2025, 7, 4),  # Independence Day
        date(2025, 11, 27),  # Thanksgiving
        date(2025, 12, 25),  # Christmas
        date(2025, 7, 5),  # Saturday
        date(2025, 1, 9),  # national day of mourning (Carter): a one-off XNYS closure
    ],
)
def test_no_bars_on_holidays_and_weekends(market: SandboxMarket, day: date) -> None:
    assert market.grouped_daily(day, NOW) == []
    assert market.daily_bars("SPY", day, day, NOW) == []


def test_bars_exist_exactly_on_xnys_sessions(market: SandboxMarket) -> None:
    schedule = mcal.get_calendar("XNYS").schedule(*YEAR_2025)
    expected = [ts.date() for ts in schedule.index]
    for ticker in TICKERS:
        assert [bar.session for bar in market.daily_bars(ticker, *YEAR_2025, NOW)] == expected


def test_unknown_ticker_has_no_bars(market: SandboxMarket) -> None:
    assert market.daily_bars("ZZZZ", *YEAR_2025, NOW) == []
    assert market.daily_bars("aapl", *YEAR_2025, NOW) == []  # tickers are case-sensitive


def test_bar_timestamp_is_midnight_new_york(market: SandboxMarket) -> None:
    (winter,) = market.daily_bars("AAPL", date(2025, 1, 2), date(2025, 1, 2), NOW)
    (summer,) = market.daily_bars("AAPL", date(2025, 7, 1), date(2025, 7, 1), NOW)
    assert winter.start_ms == 1735794000000  # 2025-01-02T05:00Z
    assert summer.start_ms == 1751342400000  # 2025-07-01T04:00Z


def test_ohlcv_is_consistent_for_every_bar_of_every_symbol(market: SandboxMarket) -> None:
    bars = all_bars(market, *YEAR_2025, NOW)
    assert len(bars) == 15 * 250
    for bar in bars:
        prices = (bar.open, bar.high, bar.low, bar.close)
        assert all(p > 0 and round(p, 2) == p for p in prices), bar
        assert bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high, bar
        assert bar.low <= bar.vwap <= bar.high and round(bar.vwap, 4) == bar.vwap, bar
        assert isinstance(bar.volume, int) and bar.volume >= 0, bar
        assert isinstance(bar.transactions, int) and bar.transactions > 0, bar


def test_negative_seed_is_rejected() -> None:
    with pytest.raises(ValueError, match="seed"):
        SandboxMarket(seed=-1)


def test_extended_hours_minutes_aggregate_to_the_same_daily_bars(market: SandboxMarket) -> None:
    extended = SandboxMarket(seed=42, extended_hours=True)
    ny = ZoneInfo("America/New_York")
    for day, close_hour in ((date(2025, 7, 3), 13), (date(2025, 7, 7), 16)):  # early close, regular
        (bar,) = extended.daily_bars("AAPL", day, day, NOW)
        assert [bar] == market.daily_bars("AAPL", day, day, NOW)
        start = datetime(day.year, day.month, day.day, tzinfo=ny)
        minutes = extended.minute_bars(
            "AAPL", int(start.timestamp() * 1000), int(start.timestamp() * 1000) + 86_399_999, NOW
        )
        clock = [datetime.fromtimestamp(t / 1000, ny).time() for t in minutes.t.tolist()]
        opening, closing = time(9, 30), time(close_hour, 0)
        pre = [c for c in clock if c < opening]
        post = [c for c in clock if c >= closing]
        assert pre and post and min(pre) >= time(4, 0) and max(post) < time(close_hour + 4, 0)
        regular = [c for c in clock if opening <= c < closing]
        assert len(regular) == (210 if close_hour == 13 else 390)
        assert (minutes.open[0], minutes.close[-1]) == (bar.open, bar.close)
        assert (minutes.high.max(), minutes.low.min()) == (bar.high, bar.low)
        assert minutes.volume.sum() == bar.volume and minutes.transactions.sum() == bar.transactions
        assert abs((minutes.volume * minutes.vwap).sum() / bar.volume - bar.vwap) <= 1e-4
        extended_volume = sum(v for c, v in zip(clock, minutes.volume.tolist(), strict=True)
                              if not opening <= c < closing)  # fmt: skip
        assert 0 < extended_volume < 0.15 * bar.volume
