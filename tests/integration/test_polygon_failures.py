"""Retries, failure isolation and clear errors when the API misbehaves."""

from __future__ import annotations

import json
from datetime import date

import pytest

from extract.polygon import PolygonAuthError
from extract.polygon.client import RequestPolicy
from extract.polygon.endpoint import PolygonEndpoint
from extract.polygon.settings import AGGS_RANGE_PATH
from kernel.warehouse import connect
from orchestration.jobs.loads import Landing, land_polygon
from tests.support.scripted import ScriptedServer

pytestmark = pytest.mark.integration

FAST_RETRIES = RequestPolicy(backoff_factor=0.01, max_retry_delay_s=0.1)
RANGE = "/v2/aggs/ticker/{}/range/1/day/2025-06-02/2025-06-03"


def _bars(ticker: str, next_url: str | None = None) -> bytes:
    body = {
        "ticker": ticker,
        "adjusted": True,
        "status": "OK",
        "request_id": "r",
        "queryCount": 1,
        "resultsCount": 1,
        "count": 1,
        "results": [
            {
                "o": 1.5,
                "h": 2.25,
                "l": 1.25,
                "c": 2,
                "v": 100,
                "vw": 1.75,
                "t": 1748836800000,
                "n": 3,
            }
        ],
    }
    if next_url:
        body["results"][0]["t"] = 1748923200000
        body["next_url"] = next_url
    return json.dumps(body).encode()


EMPTY = json.dumps(
    {
        "ticker": "NOPE",
        "adjusted": True,
        "status": "OK",
        "request_id": "r",
        "queryCount": 0,
        "resultsCount": 0,
        "count": 0,
    }
).encode()


def _landed(database_url: str) -> dict[str, int]:
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("select ticker, count(*) from raw_polygon.aggs_daily group by ticker")
        return dict(cursor.fetchall())


def _land_ranges(database_url: str, api: ScriptedServer, symbols: list[str]) -> Landing:
    """The daily bars of `symbols` over RANGE's two sessions, from the scripted API."""
    endpoint = PolygonEndpoint(api.base_url, "k", False, FAST_RETRIES)
    return land_polygon(
        database_url,
        endpoint,
        resources=("aggs_daily",),
        symbols=symbols,
        start=date(2025, 6, 2),
        end=date(2025, 6, 3),
    )


def test_retries_then_isolates_what_still_fails(fresh_database: str) -> None:
    script = {
        RANGE.format("AAPL"): [
            (503, b"{}", {}),
            (429, b'{"status":"ERROR"}', {"Retry-After": "0"}),
            (200, _bars("AAPL"), {}),
        ],
        RANGE.format("BROKEN"): [(200, b'{"results": [', {})],
        RANGE.format("NOPE"): [(200, EMPTY, {})],
        # The first page arrives, the second never does: nothing may land.
        RANGE.format("HALF"): [(200, _bars("HALF", next_url="/v2/aggs/page2"), {})],
        "/v2/aggs/page2": [(500, b"{}", {})],
    }
    with ScriptedServer(script) as api:
        landing = _land_ranges(fresh_database, api, ["AAPL", "BROKEN", "NOPE", "HALF"])
        assert api.hits[RANGE.format("AAPL")] == 3
        assert api.hits["/v2/aggs/page2"] == FAST_RETRIES.max_attempts

    assert _landed(fresh_database) == {"AAPL": 1}
    reasons = {failure.subject: failure.reason for failure in landing.failures}
    assert reasons.keys() == {"BROKEN", "NOPE", "HALF"}
    assert reasons["BROKEN"].startswith("malformed JSON")
    assert reasons["NOPE"] == "no bars from 2025-06-02 to 2025-06-03"
    assert reasons["HALF"] == "HTTP 500 after retries"
    assert {failure.endpoint for failure in landing.failures} == {
        "/v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{start}/{end}"
    }


def test_a_refused_key_stops_the_run_without_echoing_it(fresh_database: str) -> None:
    script = {RANGE.format("AAPL"): [(401, b'{"status":"ERROR","error":"Unknown API Key"}', {})]}
    with ScriptedServer(script) as api:
        endpoint = PolygonEndpoint(api.base_url, "secret-key-123", False, FAST_RETRIES)
        with pytest.raises(PolygonAuthError) as raised:
            land_polygon(
                fresh_database,
                endpoint,
                resources=("aggs_daily",),
                symbols=["AAPL"],
                start=date(2025, 6, 2),
                end=date(2025, 6, 3),
            )
    assert "HTTP 401" in str(raised.value)
    assert "secret-key-123" not in str(raised.value)


def test_bars_keep_digits_a_float_would_lose_and_set_wrong_types_aside(
    fresh_database: str,
) -> None:
    """Bars are read from the JSON text itself: 20 significant digits land as sent."""
    precise = _bars("PRECISE").replace(b'"o": 1.5', b'"o": 123.45678901234567891')
    precise = precise.replace(b'"v": 100', b'"v": 12345678901234567891')
    script = {
        RANGE.format("PRECISE"): [(200, precise, {})],
        RANGE.format("TEXT"): [(200, _bars("TEXT").replace(b'"c": 2', b'"c": "two"'), {})],
    }
    with ScriptedServer(script) as api:
        landing = _land_ranges(fresh_database, api, ["PRECISE", "TEXT"])
    with connect(fresh_database) as connection, connection.cursor() as cursor:
        cursor.execute("select ticker, o::text, v::text from raw_polygon.aggs_daily")
        landed = cursor.fetchall()
        cursor.execute("select endpoint, reason, raw_record from ops.rejected_records")
        rejected = cursor.fetchall()
    assert landed == [
        ("PRECISE", "123.456789012345678910", "12345678901234567891.000000000000000000")
    ]
    # The bar with a text close is kept aside; TEXT is not taken for a symbol without data.
    assert landing.failures == []
    ((endpoint, reason, raw),) = rejected
    assert endpoint == AGGS_RANGE_PATH and reason == '`c` is not a number: "two"'
    assert '"c":"two"' in raw
