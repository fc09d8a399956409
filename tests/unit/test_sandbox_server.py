"""The sandbox server over real loopback HTTP: auth, pagination, errors, clock."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from sandbox.market import SandboxMarket
from sandbox.server import SandboxServer, redact
from tests.support.sandbox_client import AUTH, KEY, NOW, get

RANGE = "/v2/aggs/ticker/{}/range/1/day/{}/{}"
GROUPED = "/v2/aggs/grouped/locale/us/market/stocks/{}"


def test_missing_key_is_401_with_polygons_body(base_url: str) -> None:
    response = requests.get(f"{base_url}/v3/reference/tickers", timeout=5)
    assert response.status_code == 401
    body = response.json()
    assert body["status"] == "ERROR" and body["error"] == "API Key was not provided"
    assert isinstance(body["request_id"], str) and len(body["request_id"]) == 32


def test_wrong_key_is_401_unknown_and_never_echoed(base_url: str) -> None:
    response = requests.get(f"{base_url}/v3/reference/tickers?apiKey=wrong-secret", timeout=5)
    assert response.status_code == 401
    assert response.json()["error"] == "Unknown API Key"
    assert "wrong-secret" not in response.text


@pytest.mark.parametrize("how", ["query", "header"])
def test_key_in_query_or_bearer_header_is_accepted(base_url: str, how: str) -> None:
    url = f"{base_url}/v3/reference/tickers"
    if how == "query":
        response = requests.get(url, params={"apiKey": KEY}, timeout=5)
    else:
        response = requests.get(url, headers=AUTH, timeout=5)
    assert response.status_code == 200
    assert response.json()["count"] == 17  # 15 core + 2 listed in late 2025


def test_any_key_is_accepted_when_none_is_configured(market: SandboxMarket) -> None:
    with SandboxServer(market, clock=lambda: NOW) as server:
        ok = requests.get(f"{server.base_url}/v3/reference/tickers?apiKey=anything", timeout=5)
        missing = requests.get(f"{server.base_url}/v3/reference/tickers?apiKey=", timeout=5)
    assert ok.status_code == 200
    assert missing.status_code == 401


def test_access_log_never_shows_the_key(base_url: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="sandbox.server"):
        requests.get(f"{base_url}{GROUPED.format('2025-07-03')}?apiKey={KEY}", timeout=5)
        requests.get(f"{base_url}/v3/reference/tickers?apiKey=other-secret", timeout=5)
    assert "/v2/aggs/grouped/locale/us/market/stocks/2025-07-03 200" in caplog.text
    assert KEY not in caplog.text and "other-secret" not in caplog.text
    assert redact(f"GET /x?apiKey={KEY}&a=1 Bearer {KEY}") == (
        "GET /x?apiKey=REDACTED&a=1 Bearer REDACTED"
    )


def test_ticker_cursor_pagination_walks_all_17_active_once(base_url: str) -> None:
    response = get(f"{base_url}/v3/reference/tickers", limit=2)
    tickers, pages = [], 0
    while True:
        assert response.status_code == 200
        body = response.json()
        pages += 1
        assert body["count"] == len(body["results"]) <= 2
        tickers += [row["ticker"] for row in body["results"]]
        if "next_url" not in body:
            break
        next_url = body["next_url"]
        assert next_url.startswith(f"{base_url}/v3/reference/tickers?cursor=")
        assert "apikey" not in next_url.lower() and KEY not in next_url
        response = requests.get(next_url, headers=AUTH, timeout=5)
    assert pages == 9
    assert tickers == sorted(tickers) and len(set(tickers)) == 17


def test_ticker_filters_and_order(base_url: str) -> None:
    etfs = get(f"{base_url}/v3/reference/tickers", type="ETF", order="desc").json()["results"]
    assert [row["ticker"] for row in etfs] == ["XLK", "XLF", "SPY", "QQQ", "IWM"]
    assert {row["primary_exchange"] for row in etfs} == {"ARCX", "XNAS"}
    (aapl,) = get(f"{base_url}/v3/reference/tickers", ticker="AAPL").json()["results"]
    assert aapl == {
        "ticker": "AAPL",
        "name": "Apple Inc.",
        "market": "stocks",
        "locale": "us",
        "primary_exchange": "XNAS",
        "type": "CS",
        "active": True,
        "currency_name": "usd",
        "cik": "0000320193",
        "composite_figi": "BBG000B9XRY4",
        "share_class_figi": "BBG001S5N8V8",
        "last_updated_utc": "2026-01-15T00:00:00Z",
    }
    assert get(f"{base_url}/v3/reference/tickers", market="crypto").json()["results"] == []
    assert get(f"{base_url}/v3/reference/tickers", limit=1001).status_code == 400


@pytest.mark.parametrize("sort", ["asc", "desc"])
def test_range_pagination_returns_the_same_bars_as_one_request(base_url: str, sort: str) -> None:
    url = base_url + RANGE.format("NVDA", "2025-01-01", "2025-06-30")
    whole = get(url, sort=sort).json()
    assert whole["resultsCount"] == whole["queryCount"] == whole["count"] == 122
    assert "next_url" not in whole

    response, paged, pages = get(url, sort=sort, limit=10), [], 0
    while True:
        body = response.json()
        pages += 1
        paged += body["results"]
        if "next_url" not in body:
            break
        assert body["next_url"].startswith(f"{base_url}/v2/aggs/ticker/NVDA/range/1/day/")
        assert "apikey" not in body["next_url"].lower()
        response = requests.get(body["next_url"], headers=AUTH, timeout=5)
    assert pages == 13
    assert paged == whole["results"]
    times = [bar["t"] for bar in paged]
    assert times == sorted(times, reverse=sort == "desc")


def test_range_accepts_millisecond_bounds(base_url: str) -> None:
    by_date = get(base_url + RANGE.format("AAPL", "2025-03-03", "2025-03-07")).json()
    by_ms = get(base_url + RANGE.format("AAPL", 1740978000000, 1741323600000)).json()
    assert by_ms["results"] == by_date["results"] and by_date["resultsCount"] == 5


def test_grouped_has_15_bars_on_a_session_and_none_on_a_holiday(base_url: str) -> None:
    session = get(base_url + GROUPED.format("2025-07-03")).json()
    assert session["resultsCount"] == session["queryCount"] == 15
    assert sorted(bar["T"] for bar in session["results"]) == sorted(
        lst.ticker for lst in SandboxMarket().listings if lst.trades_on(date(2025, 7, 3))
    )
    holiday = get(base_url + GROUPED.format("2025-07-04")).json()
    assert (holiday["status"], holiday["resultsCount"], holiday["queryCount"]) == ("OK", 0, 0)
    assert "results" not in holiday


def test_grouped_and_range_agree_on_the_bar(base_url: str) -> None:
    grouped = get(base_url + GROUPED.format("2025-03-03")).json()["results"]
    (spy_grouped,) = [bar for bar in grouped if bar["T"] == "SPY"]
    (spy_range,) = get(base_url + RANGE.format("SPY", "2025-03-03", "2025-03-03")).json()["results"]
    assert spy_range["t"] == 1740978000000  # midnight New York
    assert spy_grouped["t"] == 1740978000000 + 16 * 3_600_000  # 16:00 New York, as Polygon
    assert {k: v for k, v in spy_grouped.items() if k not in ("T", "t")} == {
        k: v for k, v in spy_range.items() if k != "t"
    }


def test_clock_hides_sessions_that_have_not_closed(market: SandboxMarket) -> None:
    now = [datetime(2025, 7, 7, 19, 59, tzinfo=UTC)]  # 15:59 New York
    with SandboxServer(market, api_key=KEY, clock=lambda: now[0]) as server:
        before = get(server.base_url + GROUPED.format("2025-07-07")).json()
        now[0] = datetime(2025, 7, 7, 20, 0, tzinfo=UTC)
        after = get(server.base_url + GROUPED.format("2025-07-07")).json()
        future = get(server.base_url + RANGE.format("AAPL", "2025-07-08", "2025-12-31")).json()
    assert (before["resultsCount"], after["resultsCount"], future["resultsCount"]) == (0, 15, 0)


def test_unknown_ticker_has_zero_results(base_url: str) -> None:
    body = get(base_url + RANGE.format("NOPE", "2025-01-01", "2025-02-01")).json()
    assert (body["ticker"], body["status"], body["resultsCount"]) == ("NOPE", "OK", 0)
    assert "results" not in body


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (RANGE.format("AAPL", "2025-13-01", "2025-12-31"), "Could not parse the time parameter"),
        (RANGE.format("AAPL", "2025-02-01", "yesterday"), "Could not parse the time parameter"),
        (RANGE.format("AAPL", "2025-02-01", "2025-01-01"), "cannot be a time that occurs before"),
        ("/v2/aggs/ticker/AAPL/range/1/fortnight/2025-01-01/2025-02-01", "Invalid timespan"),
        ("/v2/aggs/ticker/AAPL/range/5/minute/2025-01-01/2025-02-01", "1/minute aggregates only"),
        ("/v2/aggs/ticker/AAPL/range/1/hour/2025-01-01/2025-02-01", "1/minute aggregates only"),
        ("/v2/aggs/ticker/AAPL/range/x/day/2025-01-01/2025-02-01", "multiplier"),
        (GROUPED.format("2025-7-4"), "Could not parse the time parameter"),
    ],
)
def test_malformed_requests_are_400_with_polygons_error_body(
    base_url: str, path: str, message: str
) -> None:
    response = get(base_url + path)
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"status", "request_id", "error"} and body["status"] == "ERROR"
    assert message in body["error"]


def test_bad_query_parameters_are_400(base_url: str) -> None:
    url = base_url + RANGE.format("AAPL", "2025-01-01", "2025-02-01")
    assert get(url, sort="sideways").status_code == 400
    assert get(url, adjusted="maybe").status_code == 400
    assert get(url, limit="ten").status_code == 400
    assert get(url, cursor="%%%").status_code == 400


def test_unknown_path_is_404_json(base_url: str) -> None:
    response = get(f"{base_url}/v2/does/not/exist")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["status"] == "NOT_FOUND"


def test_equal_requests_get_byte_identical_responses(market: SandboxMarket) -> None:
    path = RANGE.format("TSLA", "2024-01-01", "2024-12-31")
    bodies = []
    for seed_market in (market, SandboxMarket(seed=42)):
        with SandboxServer(seed_market, api_key=KEY, clock=lambda: NOW) as server:
            bodies.append(get(server.base_url + path).content)
    assert bodies[0] == bodies[1]


def test_server_stops_and_frees_its_port(market: SandboxMarket) -> None:
    server = SandboxServer(market)
    base_url = server.start()
    assert urlsplit(base_url).hostname == "127.0.0.1" and server.start() == base_url
    server.stop()
    server.stop()
    with pytest.raises(RuntimeError):
        _ = server.base_url
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{base_url}/v3/reference/tickers", timeout=1)


def test_serve_announces_synthetic_data_and_answers() -> None:
    code = "from sandbox.server import serve; serve('127.0.0.1', 0, 7)"
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=repo, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "SYNTHETIC" in line
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match, line
        response = requests.get(f"{match.group(0)}/v3/reference/tickers?apiKey=any", timeout=5)
        assert response.status_code == 200 and response.json()["count"] == 17
    finally:
        proc.terminate()
        proc.wait(timeout=5)
