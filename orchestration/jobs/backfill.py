"""Auto-backfill: re-fetch exactly the sessions `quality.daily_bar_gaps` lists.

A session (nearly) every tracked symbol misses is fetched once for the whole
market (grouped daily bars); every other gap is fetched per ticker, one date
range per run of consecutive missing sessions, so no session outside a gap is
requested. Runs with the same range share one request batch.

Grouped bars come for every symbol of the market, so they are used only for
a session missing as a whole: a symbol whose history starts later would
otherwise get one isolated bar, and with it new gaps.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from extract.polygon import FetchFailure
from extract.polygon.endpoint import PolygonEndpoint
from extract.polygon.work import BarRange
from kernel.warehouse import connect, query
from orchestration.jobs import loads
from orchestration.runtime.ops_schema import ensure_ops_schema

# A session missing for at least this share of its expected symbols (and at
# least GROUPED_SESSION_MIN_SYMBOLS of them) is fetched whole-market.
WHOLE_SESSION_MISSING_SHARE = 0.95
GROUPED_SESSION_MIN_SYMBOLS = 3


@dataclass(frozen=True)
class RangeRequest:
    """Per-ticker daily bars for `symbols` over consecutive sessions `start`..`end`."""

    symbols: tuple[str, ...]
    start: date
    end: date


@dataclass(frozen=True)
class BackfillPlan:
    """What to fetch to close the gaps."""

    gaps: dict[str, list[date]]
    grouped_sessions: tuple[date, ...] = ()
    ranges: tuple[RangeRequest, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.grouped_sessions and not self.ranges

    @property
    def missing_bars(self) -> int:
        return sum(len(sessions) for sessions in self.gaps.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "grouped_sessions": [s.isoformat() for s in self.grouped_sessions],
            "ranges": [
                {"symbols": list(r.symbols), "from": r.start.isoformat(), "to": r.end.isoformat()}
                for r in self.ranges
            ],
        }


@dataclass
class BackfillResult:
    """Rows landed by the backfill and the requests that failed."""

    plan: BackfillPlan
    rows: dict[str, int] = field(default_factory=dict)
    failures: list[FetchFailure] = field(default_factory=list)


def read_gaps(database_url: str) -> dict[str, list[tuple[date, int]]]:
    """Missing (session, session number) pairs per symbol, in session order."""
    gaps: dict[str, list[tuple[date, int]]] = defaultdict(list)
    rows = query(
        database_url,
        "select symbol, session_date, session_number from quality.daily_bar_gaps"
        " order by symbol, session_number",
    )
    for symbol, session, number in rows:
        gaps[symbol].append((session, number))
    return dict(gaps)


def without_confirmed_absent(
    database_url: str, gaps: dict[str, list[tuple[date, int]]]
) -> dict[str, list[tuple[date, int]]]:
    """`gaps` less the bars an earlier backfill asked for and the API did not have.

    A thin fund that did not trade, or a symbol halted for a day, has no bar
    to fetch: asking again every day would only cost calls.
    """
    ensure_ops_schema(database_url)
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("select symbol, session_date from ops.bars_confirmed_absent")
        absent = set(cursor.fetchall())
    wanted = {
        symbol: [(day, number) for day, number in sessions if (symbol, day) not in absent]
        for symbol, sessions in gaps.items()
    }
    return {symbol: sessions for symbol, sessions in wanted.items() if sessions}


def record_confirmed_absent(
    database_url: str, result: BackfillResult, remaining: dict[str, list[tuple[date, int]]]
) -> int:
    """Remember the planned bars still missing although their requests succeeded.

    An empty range is reported as a failure the API `answered`: for a gap that
    is the API confirming the bar does not exist, not a failed request.
    """
    ensure_ops_schema(database_url)
    failed = {failure.subject for failure in result.failures if not failure.answered}
    asked = {(symbol, day) for symbol, days in result.plan.gaps.items() for day in days}
    absent = [
        (symbol, day)
        for symbol, sessions in remaining.items()
        if symbol not in failed
        for day, _ in sessions
        if (symbol, day) in asked and day.isoformat() not in failed
    ]
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.executemany(
            "insert into ops.bars_confirmed_absent (symbol, session_date) values (%s, %s)"
            " on conflict do nothing",
            absent,
        )
    return len(absent)


def read_expected(database_url: str) -> dict[date, int]:
    """Symbols expected per session, for the sessions that have gaps."""
    rows = query(
        database_url,
        "select session_date, symbols_expected from quality.session_completeness"
        " where symbols_missing > 0",
    )
    return dict(rows)


def plan_backfill(
    gaps: dict[str, list[tuple[date, int]]], expected: dict[date, int]
) -> BackfillPlan:
    """Group the gaps into as few requests as fetch exactly the missing sessions.

    Args:
        gaps: missing (session, session number) pairs per symbol.
        expected: symbols expected per session (from quality.session_completeness).
    """
    missing_by_session: dict[date, int] = defaultdict(int)
    for sessions in gaps.values():
        for session, _ in sessions:
            missing_by_session[session] += 1
    grouped = {
        session
        for session, count in missing_by_session.items()
        if count >= GROUPED_SESSION_MIN_SYMBOLS
        and count >= WHOLE_SESSION_MISSING_SHARE * expected.get(session, count)
    }

    ranges: dict[tuple[date, date], list[str]] = defaultdict(list)
    for symbol, sessions in gaps.items():
        run: list[tuple[date, int]] = []
        for session, number in sessions:
            if session in grouped:
                continue
            if run and number != run[-1][1] + 1:
                ranges[(run[0][0], run[-1][0])].append(symbol)
                run = []
            run.append((session, number))
        if run:
            ranges[(run[0][0], run[-1][0])].append(symbol)

    return BackfillPlan(
        gaps={symbol: [s for s, _ in sessions] for symbol, sessions in gaps.items()},
        grouped_sessions=tuple(sorted(grouped)),
        ranges=tuple(
            RangeRequest(tuple(sorted(symbols)), start, end)
            for (start, end), symbols in sorted(ranges.items())
        ),
    )


def run_backfill(
    database_url: str, endpoint: PolygonEndpoint, plan: BackfillPlan
) -> BackfillResult:
    """Land the planned bars into `raw_polygon` in one dlt load (the caller rebuilds the models)."""
    resources = []
    if plan.grouped_sessions:
        resources.append("grouped_daily")
    if plan.ranges:
        resources.append("aggs_daily")
    landing = loads.land_polygon(
        database_url,
        endpoint,
        resources=resources,
        sessions=list(plan.grouped_sessions),
        ranges=[
            BarRange(symbol, "day", request.start, request.end)
            for request in plan.ranges
            for symbol in request.symbols
        ],
    )
    return BackfillResult(plan, rows=landing.rows, failures=landing.failures)
