"""Bars the API confirmed it does not have are not asked for again."""

from __future__ import annotations

from datetime import date

import pytest

from extract.polygon import FetchFailure
from orchestration.jobs.backfill import (
    BackfillPlan,
    BackfillResult,
    record_confirmed_absent,
    without_confirmed_absent,
)

pytestmark = pytest.mark.integration

MON, TUE, WED = date(2025, 6, 9), date(2025, 6, 10), date(2025, 6, 11)


def test_only_bars_missing_after_a_successful_request_are_skipped(fresh_database: str) -> None:
    gaps = {"THIN": [(MON, 1), (TUE, 2)], "DOWN": [(WED, 3)], "BACK": [(MON, 1)]}
    plan = BackfillPlan(
        gaps={symbol: [day for day, _ in sessions] for symbol, sessions in gaps.items()},
        grouped_sessions=(),
        ranges=(),
    )
    failures = [
        # An empty range: the API answered, it has no bar (THIN did not trade on Monday).
        FetchFailure(
            "/v2/aggs/ticker/{ticker}/range", "THIN", f"no bars from {MON} to {MON}", answered=True
        ),
        # A request that failed: nothing is known about DOWN's bar.
        FetchFailure("/v2/aggs/ticker/{ticker}/range", "DOWN", "HTTP 503 after retries"),
    ]
    # After the backfill: BACK's bar came back, THIN's Monday and DOWN's bar did not.
    remaining = {"THIN": [(MON, 1)], "DOWN": [(WED, 3)]}

    result = BackfillResult(plan, {}, failures)
    recorded = record_confirmed_absent(fresh_database, result, remaining)

    assert recorded == 1
    assert without_confirmed_absent(fresh_database, gaps) == {
        "THIN": [(TUE, 2)],
        "DOWN": [(WED, 3)],
        "BACK": [(MON, 1)],
    }
