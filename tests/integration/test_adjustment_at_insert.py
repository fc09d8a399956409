"""A backfill under known corporate actions writes each bar once, with its factors.

ohlcv_daily inserts new bars with the factors of the actions dated on their
sessions; int_adjustment_factors' post-hook rewrites only what the insert
could not know. Measured by the rows' `xmin`: a bar the post-hook updated is
a new row version written by a later transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from extract.polygon.endpoint import PolygonEndpoint
from kernel.warehouse import export_connection_env, query
from orchestration.jobs.loads import land_polygon
from orchestration.jobs.reference import land_reference
from orchestration.runtime.dbt_runner import run_dbt
from orchestration.runtime.endpoints import SANDBOX_API_KEY
from sandbox.market import SandboxMarket
from sandbox.server import SandboxServer
from tests.support.databases import throwaway_database

pytestmark = pytest.mark.integration

SPLIT = date(2024, 6, 10)  # NVDA's 10-for-1 in the sandbox, as in the real market
LATEST = date(2025, 1, 2)
BACKFILL = (date(2024, 1, 2), date(2024, 12, 31))
SYMBOLS = ["NVDA", "AAPL"]
MODELS = ("run", "--select", "+ohlcv_daily", "+int_adjustment_factors")

BARS_VS_RANGES = """
    select
        count(*),
        count(*) filter (
            where (bars.split_factor, bars.total_factor)
            is distinct from (ranges.split_factor, ranges.total_factor)
        ),
        count(*) filter (where bars.split_factor = 0.1),
        count(*) filter (where bars.total_factor < bars.split_factor),
        count(distinct bars.xmin::text)
    from marts.ohlcv_daily as bars
    inner join intermediate.int_adjustment_factors as ranges
        on bars.symbol = ranges.symbol
        and bars.date >= ranges.valid_from and bars.date < ranges.valid_until
    where bars.symbol in ('NVDA', 'AAPL') and bars.date between %s and %s
"""


@pytest.fixture(scope="module")
def backfilled(servers) -> Iterator[str]:
    """NVDA's and AAPL's newest bars built first, then a year of older bars
    across NVDA's split and AAPL's four dividends."""
    with (
        SandboxServer(SandboxMarket(seed=42)) as sandbox,
        throwaway_database(servers.database_url) as url,
    ):
        export_connection_env(url)
        api = PolygonEndpoint(sandbox.base_url, SANDBOX_API_KEY, True)
        land_reference(url, api, resources=("splits", "dividends"), action_symbols=SYMBOLS)
        land_polygon(url, api, ("aggs_daily",), symbols=SYMBOLS, start=LATEST, end=LATEST)
        run_dbt(*MODELS, target="dev")
        land_polygon(url, api, ("aggs_daily",), symbols=SYMBOLS, start=BACKFILL[0], end=BACKFILL[1])
        run_dbt(*MODELS, target="dev")
        yield url


def test_backfilled_bars_carry_their_factors_from_the_insert(backfilled) -> None:
    bars, differing, before_split, with_dividends, versions = query(
        backfilled, BARS_VS_RANGES, BACKFILL
    )[0]
    assert bars > 2 * 240
    assert differing == 0  # the factors are the ranges' ...
    assert before_split > 100  # ... the split's 0.1 on every bar before it ...
    assert with_dividends > 0  # ... and the dividends on top in total_factor
    assert versions == 1  # written once, by the insert: the post-hook updated none


def test_the_split_is_applied_on_its_session_not_before(backfilled) -> None:
    rows = query(
        backfilled,
        "select date, split_factor from marts.ohlcv_daily"
        " where symbol = 'NVDA' and date in (%s, %s) order by date",
        (date(2024, 6, 7), SPLIT),
    )
    assert [(day, float(factor)) for day, factor in rows] == [
        (date(2024, 6, 7), 0.1),
        (SPLIT, 1.0),
    ]
