"""The load planner counts calls and picks the cheaper strategy."""

from __future__ import annotations

from datetime import date

import pytest

from extract.polygon.client import PLANS, UNLIMITED
from extract.polygon.work import BarRange, GroupedSession
from kernel.market_calendar import TradingCalendar
from orchestration.jobs.load_plan import describe, plan_load

CALENDAR = TradingCalendar()


def _sessions(start: str, end: str):
    return CALENDAR.sessions_between(date.fromisoformat(start), date.fromisoformat(end))


def test_a_long_history_for_few_symbols_goes_by_ticker() -> None:
    sessions = _sessions("2021-01-01", "2025-12-31")
    plan = plan_load(["AAPL", "MSFT"], sessions, "day", market_size=12_000)
    assert plan.strategy == "ranges"
    assert plan.calls == 2  # 1,256 bars each: one call per symbol
    assert plan.other_strategy_calls == len(sessions)
    assert plan.expected_rows == 2 * len(sessions)
    assert plan.units == (
        BarRange("AAPL", "day", sessions[0].date, sessions[-1].date),
        BarRange("MSFT", "day", sessions[0].date, sessions[-1].date),
    )


def test_a_short_window_for_many_symbols_goes_by_session() -> None:
    sessions = _sessions("2025-06-02", "2025-06-13")  # 10 sessions
    symbols = [f"S{i:03d}" for i in range(500)]
    plan = plan_load(symbols, sessions, "day", market_size=12_000)
    assert plan.strategy == "grouped"
    assert plan.calls == 10
    assert plan.other_strategy_calls == 500
    assert plan.expected_rows == 10 * 12_000  # a grouped call brings the whole market
    assert plan.units == tuple(GroupedSession(s.date) for s in sessions)


def test_minute_bars_are_fetched_a_month_per_call() -> None:
    sessions = _sessions("2024-11-01", "2025-01-31")
    plan = plan_load(["SPY"], sessions, "minute", market_size=12_000)
    assert plan.strategy == "ranges"
    assert plan.other_strategy_calls is None  # there is no grouped minute endpoint
    assert [(u.start, u.end) for u in plan.units] == [
        (date(2024, 11, 1), date(2024, 11, 29)),
        (date(2024, 12, 2), date(2024, 12, 31)),
        (date(2025, 1, 2), date(2025, 1, 31)),
    ]
    # Regular sessions have 390 minutes; 2024-11-29 and 2024-12-24 closed at 13:00.
    early = sum(1 for s in sessions if s.early_close)
    assert early == 2
    assert plan.expected_rows == 390 * (len(sessions) - early) + 210 * early
    assert plan.calls == 3


def test_the_dry_run_states_calls_rows_and_time_at_the_plan_rate() -> None:
    sessions = _sessions("2021-01-01", "2025-12-31")
    plan = plan_load([f"S{i}" for i in range(12)], sessions, "day", market_size=100)
    text = "\n".join(describe(plan, PLANS["free"], concurrency=1, done=2))
    assert "calls: 12 in 12 units (2 already landed)" in text
    assert f"expected rows: {12 * len(sessions):,}" in text
    # 5 calls a minute: 12 calls need two full windows after the first five.
    assert "at least 2m 00s" in text
    assert "no client-side limit" in "\n".join(describe(plan, UNLIMITED, 8, 0))


def test_a_plan_needs_symbols_and_sessions() -> None:
    with pytest.raises(ValueError, match="at least one symbol"):
        plan_load([], _sessions("2025-06-02", "2025-06-06"), "day", market_size=1)
    with pytest.raises(ValueError, match="at least one symbol"):
        plan_load(["AAPL"], [], "day", market_size=1)
