"""Plan a backfill: grouped daily or per-ticker ranges, whichever needs fewer calls.

Grouped daily costs one call per session and brings the whole market; a
per-ticker range costs one call per 50,000 bars of one symbol. The planner
counts both and picks the cheaper one, so a short window for many symbols
goes by session and a long history for a few goes by ticker.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby

from extract.polygon.client import RequestPolicy
from extract.polygon.settings import AGGS_PAGE_LIMIT
from extract.polygon.work import BarRange, GroupedSession, Timespan
from kernel.market_calendar import Session


@dataclass(frozen=True)
class LoadPlan:
    """The requests a backfill will make, and what they should bring."""

    timespan: Timespan
    strategy: str  # "ranges" or "grouped"
    units: tuple[BarRange | GroupedSession, ...]
    calls: int
    expected_rows: int
    other_strategy_calls: int | None  # None: grouped daily does not exist for minutes

    def seconds_at(self, policy: RequestPolicy) -> float | None:
        """Least time the calls take under the client-side rate limit; None: no limit."""
        if policy.per_second:
            return self.calls / policy.per_second
        if policy.per_minute:
            # The first `per_minute` calls go at once, then one window per batch.
            return max(0, math.ceil(self.calls / policy.per_minute) - 1) * 60.0
        return None


def _minutes(session: Session) -> int:
    return int((session.close - session.open).total_seconds() // 60)


def _month_chunks(sessions: Sequence[Session]) -> list[list[Session]]:
    """Sessions split by calendar month: a minute unit stays far below 50,000 bars."""
    by_month = groupby(sessions, key=lambda session: (session.date.year, session.date.month))
    return [list(chunk) for _, chunk in by_month]


def _range_calls(bars: int) -> int:
    return max(1, math.ceil(bars / AGGS_PAGE_LIMIT))


def plan_load(
    symbols: Sequence[str], sessions: Sequence[Session], timespan: Timespan, market_size: int
) -> LoadPlan:
    """The cheaper way to fetch `timespan` bars of `symbols` over `sessions`.

    `market_size` is the number of tickers a grouped-daily call returns (the
    active tickers of the reference), used for its expected rows.
    """
    if not symbols or not sessions:
        raise ValueError("a load needs at least one symbol and one session")
    first, last = sessions[0].date, sessions[-1].date
    if timespan == "minute":
        chunks = _month_chunks(sessions)
        units: tuple[BarRange | GroupedSession, ...] = tuple(
            BarRange(symbol, "minute", chunk[0].date, chunk[-1].date)
            for symbol in symbols
            for chunk in chunks
        )
        bars_per_chunk = [sum(_minutes(session) for session in chunk) for chunk in chunks]
        calls = len(symbols) * sum(_range_calls(bars) for bars in bars_per_chunk)
        rows = len(symbols) * sum(bars_per_chunk)
        return LoadPlan(timespan, "ranges", units, calls, rows, None)

    range_calls = len(symbols) * _range_calls(len(sessions))
    grouped_calls = len(sessions)
    if grouped_calls < range_calls:
        units = tuple(GroupedSession(session.date) for session in sessions)
        rows = len(sessions) * max(market_size, len(symbols))
        return LoadPlan(timespan, "grouped", units, grouped_calls, rows, range_calls)
    units = tuple(BarRange(symbol, "day", first, last) for symbol in symbols)
    rows = len(symbols) * len(sessions)
    return LoadPlan(timespan, "ranges", units, range_calls, rows, grouped_calls)


def describe(plan: LoadPlan, policy: RequestPolicy, concurrency: int, done: int) -> list[str]:
    """The plan as lines for `--dry-run` and the start of a load."""
    how = (
        "grouped daily (one call per session, whole market)"
        if plan.strategy == "grouped"
        else f"per-ticker {plan.timespan} ranges (one call per up to {AGGS_PAGE_LIMIT:,} bars)"
    )
    lines = [f"strategy: {how}"]
    if plan.other_strategy_calls is not None:
        other = "per-ticker ranges" if plan.strategy == "grouped" else "grouped daily"
        lines.append(f"  ({other} would need {plan.other_strategy_calls:,} calls)")
    lines.append(f"calls: {plan.calls:,} in {len(plan.units):,} units ({done:,} already landed)")
    lines.append(f"expected rows: {plan.expected_rows:,}")
    seconds = plan.seconds_at(policy)
    if seconds is None:
        lines.append(f"time at the configured rate: no client-side limit, {concurrency} in flight")
    else:
        lines.append(f"time at the configured rate: at least {_duration(seconds)}")
    return lines


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"
