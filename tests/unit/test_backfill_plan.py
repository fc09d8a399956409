"""The backfill plan asks for exactly the missing sessions, in as few requests as it can."""

from __future__ import annotations

from datetime import date

from orchestration.jobs.backfill import plan_backfill


def _gaps(*pairs: tuple[str, date, int]) -> dict[str, list[tuple[date, int]]]:
    gaps: dict[str, list[tuple[date, int]]] = {}
    for symbol, session, number in pairs:
        gaps.setdefault(symbol, []).append((session, number))
    return gaps


MON, TUE, WED, FRI = date(2025, 6, 9), date(2025, 6, 10), date(2025, 6, 11), date(2025, 6, 13)


def test_consecutive_sessions_form_one_range_and_a_hole_splits_it() -> None:
    # Session numbers, not dates, decide what is consecutive: 101 -> 103 skips Thursday.
    plan = plan_backfill(
        _gaps(("AAPL", MON, 99), ("AAPL", TUE, 100), ("AAPL", WED, 101), ("AAPL", FRI, 103)),
        expected={MON: 10, TUE: 10, WED: 10, FRI: 10},
    )
    assert plan.grouped_sessions == ()
    assert [(r.symbols, r.start, r.end) for r in plan.ranges] == [
        (("AAPL",), MON, WED),
        (("AAPL",), FRI, FRI),
    ]


def test_symbols_with_the_same_range_share_one_request() -> None:
    plan = plan_backfill(_gaps(("MSFT", TUE, 100), ("AAPL", TUE, 100)), expected={TUE: 10})
    assert [(r.symbols, r.start, r.end) for r in plan.ranges] == [(("AAPL", "MSFT"), TUE, TUE)]


def test_a_session_missing_as_a_whole_is_fetched_once_for_the_market() -> None:
    everyone = [(s, TUE, 100) for s in ("A", "B", "C", "D")]
    plan = plan_backfill(_gaps(*everyone, ("A", WED, 101)), expected={TUE: 4, WED: 4})
    assert plan.grouped_sessions == (TUE,)
    assert [(r.symbols, r.start, r.end) for r in plan.ranges] == [(("A",), WED, WED)]
    assert plan.missing_bars == 5


def test_a_session_most_but_not_all_symbols_miss_is_fetched_per_ticker() -> None:
    # Grouped bars would give symbols listed later an isolated bar, hence new gaps.
    most = [(s, TUE, 100) for s in ("A", "B", "C")]
    plan = plan_backfill(_gaps(*most), expected={TUE: 4})
    assert plan.grouped_sessions == ()
    assert [r.symbols for r in plan.ranges] == [("A", "B", "C")]


def test_no_gaps_no_requests() -> None:
    assert plan_backfill({}, expected={}).empty
