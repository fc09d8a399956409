"""With injected faults, retries still land every bar of a backfill."""

from __future__ import annotations

from datetime import date

import pytest

from extract.polygon.client import RequestPolicy
from extract.polygon.endpoint import PolygonEndpoint
from kernel.market_calendar import TradingCalendar
from kernel.warehouse import connect
from orchestration.jobs.loads import land_polygon
from sandbox.market import SandboxMarket
from sandbox.server import SandboxServer

pytestmark = pytest.mark.integration

SYMBOLS = ["AAPL", "MSFT", "NVDA", "JPM", "XOM", "SPY", "QQQ", "IWM"]
START, END = date(2025, 3, 3), date(2025, 3, 31)
PATIENT = RequestPolicy(backoff_factor=0.05, max_retry_delay_s=1.0, max_attempts=8)


def test_twenty_percent_faults_still_land_everything(fresh_database: str) -> None:
    market = SandboxMarket()
    with SandboxServer(market, fault_rate=0.2, fault_seed=3) as server:
        endpoint = PolygonEndpoint(server.base_url, "k", synthetic=True, policy=PATIENT)
        landing = land_polygon(
            fresh_database,
            endpoint,
            resources=("aggs_daily",),
            symbols=SYMBOLS,
            start=START,
            end=END,
        )
    assert landing.failures == []
    sessions = len(TradingCalendar().session_dates(START, END))
    with connect(fresh_database) as connection, connection.cursor() as cursor:
        cursor.execute("select count(*), count(distinct (ticker, t)) from raw_polygon.aggs_daily")
        assert cursor.fetchone() == (len(SYMBOLS) * sessions, len(SYMBOLS) * sessions)
