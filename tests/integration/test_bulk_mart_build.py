"""`replace_by_key` rebuilds a mart's indexes for a bulk load and keeps them up otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from extract.polygon.endpoint import PolygonEndpoint
from kernel.market_calendar import TradingCalendar
from kernel.warehouse import export_connection_env, query
from orchestration.jobs.loads import land_polygon
from orchestration.runtime.dbt_runner import run_dbt
from orchestration.runtime.endpoints import SANDBOX_API_KEY
from sandbox.market import SandboxMarket
from sandbox.server import SandboxServer
from tests.support.databases import throwaway_database

pytestmark = pytest.mark.integration

SESSIONS = TradingCalendar().session_dates(date(2025, 5, 1), date(2025, 5, 31))
INDEXES = """
    select indexrelid::regclass::text, pg_get_indexdef(indexrelid), indexrelid::bigint
    from pg_index where indrelid = 'marts.ohlcv_daily'::regclass
"""


Indexes = dict[str, tuple[str, int]]  # name -> (definition, oid)
Build = tuple[Indexes, tuple[int, int, int]]  # the mart's indexes and its bar counts


def _indexes(url: str) -> Indexes:
    return {name: (definition, oid) for name, definition, oid in query(url, INDEXES)}


def _bars(url: str) -> tuple[int, int, int]:
    """Bars, distinct (symbol, date) keys and sessions in the mart."""
    [counts] = query(
        url,
        "select count(*), count(distinct (symbol, date)), count(distinct date)"
        " from marts.ohlcv_daily",
    )
    return counts


@pytest.fixture(scope="module")
def builds(servers) -> Iterator[list[Build]]:
    """ohlcv_daily built from 2 sessions, then grown by 10 (a bulk load), then by 1."""
    with (
        SandboxServer(SandboxMarket(seed=42)) as sandbox,
        throwaway_database(servers.database_url) as url,
    ):
        export_connection_env(url)
        api = PolygonEndpoint(sandbox.base_url, SANDBOX_API_KEY, True)
        # ohlcv_daily reads both raw bar tables: one AAPL bar creates the other.
        land_polygon(
            url, api, ("aggs_daily",), symbols=["AAPL"], start=SESSIONS[0], end=SESSIONS[0]
        )
        states = []
        for sessions in (SESSIONS[:2], SESSIONS[2:12], SESSIONS[12:13]):
            land_polygon(url, api, ("grouped_daily",), sessions=sessions)
            run_dbt("run", "--select", "+ohlcv_daily", target="dev")
            states.append((_indexes(url), _bars(url)))
        yield states


def test_a_bulk_load_rebuilds_the_same_indexes(builds) -> None:
    (created, _), (bulk, (rows, keys, sessions)), _ = builds
    assert len(created) == 4
    assert {name: definition for name, (definition, _) in bulk.items()} == {
        name: definition for name, (definition, _) in created.items()
    }
    assert all(bulk[name][1] != oid for name, (_, oid) in created.items())  # built anew
    assert rows == keys > 0
    assert sessions == 12


def test_a_small_load_keeps_the_indexes_up(builds) -> None:
    _, (bulk, (rows_before, _, _)), (after, (rows, keys, sessions)) = builds
    assert after == bulk  # same names, definitions and oids: nothing dropped
    assert rows == keys > rows_before
    assert sessions == 13
