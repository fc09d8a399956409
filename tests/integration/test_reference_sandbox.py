"""The reference source against the sandbox: every resource lands; an unknown symbol is isolated."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import pytest

from extract.polygon.endpoint import PolygonEndpoint
from extract.polygon.reference import TICKER_DETAILS_PATH, TICKER_EVENTS_PATH
from kernel.warehouse import connect
from orchestration.jobs.reference import REFERENCE_RESOURCES, land_reference
from sandbox.market import SandboxMarket
from sandbox.server import SandboxServer
from tests.support.sandbox_client import KEY, NOW, get

pytestmark = pytest.mark.integration


def _scalar(database_url: str, sql: str) -> object:
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def test_unknown_symbol_is_recorded_and_the_rest_lands(fresh_database):
    with SandboxServer(SandboxMarket(seed=42), api_key=KEY, clock=lambda: NOW) as server:
        endpoint = PolygonEndpoint(server.base_url, KEY, synthetic=True)
        landing = land_reference(fresh_database, endpoint, symbols=["NOPE", "MSFT"])
        served = json.loads(
            get(f"{server.base_url}/v3/reference/tickers/MSFT").text, parse_float=Decimal
        )["results"]
        holidays = get(f"{server.base_url}/v1/marketstatus/upcoming").json()

    assert {(failure.endpoint, failure.subject) for failure in landing.failures} == {
        (TICKER_DETAILS_PATH, "NOPE"),
        (TICKER_EVENTS_PATH, "NOPE"),
    }
    assert set(landing.rows) == set(REFERENCE_RESOURCES)
    assert all(rows > 0 for rows in landing.rows.values())
    details = "select {} from raw_polygon.ticker_details where ticker = 'MSFT'"
    assert _scalar(fresh_database, details.format("market_cap")) == served["market_cap"]
    assert _scalar(fresh_database, details.format("list_date::text")) == served["list_date"]
    assert _scalar(fresh_database, "select count(*) from raw_polygon.ticker_details") == 1
    # Early closes carry their hours, landed as instants.
    early = [day for day in holidays if day["status"] == "early-close"]
    landed = _scalar(
        fresh_database,
        "select json_agg(json_build_array(exchange, date, open, close) order by date, exchange)"
        " from raw_polygon.market_holidays where status = 'early-close'",
    )
    expected = sorted((day["date"], day["exchange"], day["open"], day["close"]) for day in early)
    assert len(expected) > 0
    assert [
        [exchange, day, datetime.fromisoformat(opens), datetime.fromisoformat(closes)]
        for exchange, day, opens, closes in landed
    ] == [
        [exchange, day, datetime.fromisoformat(opens), datetime.fromisoformat(closes)]
        for day, exchange, opens, closes in expected
    ]
