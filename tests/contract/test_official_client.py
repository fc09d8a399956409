"""Contract: the API's official Python client (`massive`) works unchanged against the sandbox.

Only the base URL and the key are configured. Each call's values are compared
with the JSON the sandbox serves for the same request, so the client parsed
what Polygon's fields mean (ask is `P`, bid is `p`, ...) from a faithful body.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from massive import RESTClient
from massive.exceptions import BadResponse

from sandbox.market import SandboxMarket
from sandbox.server import SandboxServer
from tests.support.replay import ReplayServer
from tests.support.sandbox_client import KEY, NOW, get

SESSION = "2026-01-14"  # the last session before NOW
AGG = {
    "open": "o",
    "high": "h",
    "low": "l",
    "close": "c",
    "volume": "v",
    "vwap": "vw",
    "timestamp": "t",
    "transactions": "n",
}
SNAPSHOT_BAR = {name: key for name, key in AGG.items() if key in ("o", "h", "l", "c", "v", "vw")}
SNAPSHOT_PARTS: dict[str, tuple[str, dict[str, str]]] = {
    "day": ("day", SNAPSHOT_BAR),
    "prev_day": ("prevDay", SNAPSHOT_BAR),
    "min": ("min", {**AGG, "accumulated_volume": "av"}),
    "last_quote": (
        "lastQuote",
        {
            "ask_price": "P",
            "ask_size": "S",
            "bid_price": "p",
            "bid_size": "s",
            "sip_timestamp": "t",
        },
    ),
    "last_trade": (
        "lastTrade",
        {
            "conditions": "c",
            "id": "i",
            "price": "p",
            "size": "s",
            "sip_timestamp": "t",
            "exchange": "x",
        },
    ),
}
SNAPSHOT_TOP = {
    "ticker": "ticker",
    "todays_change": "todaysChange",
    "todays_change_percent": "todaysChangePerc",
    "updated": "updated",
    "fair_market_value": "fmv",
}


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with SandboxServer(SandboxMarket(seed=42), api_key=KEY, clock=lambda: NOW) as server:
        yield server.base_url


@pytest.fixture(scope="module")
def client(base_url: str) -> RESTClient:
    return RESTClient(api_key=KEY, base=base_url, retries=0)


def _served(base_url: str, path: str, **params: Any) -> Any:
    response = get(base_url + path, **params)
    response.raise_for_status()
    return response.json()


def _assert_same_names(model: Any, record: dict[str, Any], required: set[str]) -> None:
    """Every field the model knows equals the JSON value; `required` fields must be set."""
    known = {key for key in record if hasattr(model, key)}
    assert required <= known, required - known
    for key in known:
        assert getattr(model, key) == record[key], (key, getattr(model, key), record[key])


def _assert_mapped(model: Any, record: dict[str, Any], fields: dict[str, str]) -> None:
    """model.<name> equals record[<key>] for each mapped field the JSON carries."""
    present = {name: key for name, key in fields.items() if key in record}
    assert present, f"none of {sorted(fields.values())} in {record}"
    for name, key in present.items():
        assert getattr(model, name) == record[key], (name, getattr(model, name), record[key])


def test_client_sends_the_key_as_a_bearer_header_only():
    with ReplayServer() as replay:
        status = RESTClient(api_key=KEY, base=replay.base_url, retries=0).get_market_status()
    assert status.server_time == "2022-04-28T16:48:08-04:00"
    assert replay.authorizations == [f"Bearer {KEY}"]
    assert KEY not in replay.requests[0]


def test_a_wrong_key_is_refused(base_url):
    with pytest.raises(BadResponse, match="Unknown API Key"):
        RESTClient(api_key="wrong-key", base=base_url, retries=0).get_market_status()


@pytest.mark.parametrize("active", [True, False])
def test_list_tickers_follows_every_page(client, base_url, active):
    tickers = list(client.list_tickers(market="stocks", active=active, limit=2))
    served = _served(
        base_url, "/v3/reference/tickers", market="stocks", active=str(active).lower(), limit=1000
    )["results"]
    first_page = _served(
        base_url, "/v3/reference/tickers", market="stocks", active=str(active).lower(), limit=2
    )
    assert "next_url" in first_page
    assert "apiKey" not in first_page["next_url"]
    assert len(tickers) == len(served) > 2
    for ticker, record in zip(tickers, served, strict=True):
        _assert_same_names(ticker, record, {"ticker", "name", "type", "active", "market"})


def test_get_ticker_details(client, base_url):
    details = client.get_ticker_details("AAPL")
    record = _served(base_url, "/v3/reference/tickers/AAPL")["results"]
    required = {
        "market_cap",
        "sic_code",
        "sic_description",
        "share_class_shares_outstanding",
        "list_date",
        "primary_exchange",
        "composite_figi",
        "type",
    }
    _assert_same_names(details, record, required)
    assert details.market_cap > 0


def test_get_ticker_types(client, base_url):
    types = client.get_ticker_types(asset_class="stocks", locale="us")
    served = _served(base_url, "/v3/reference/tickers/types")["results"]
    assert len(types) == len(served) > 10
    for kind, record in zip(types, served, strict=True):
        _assert_same_names(kind, record, {"code", "description", "asset_class", "locale"})


def test_get_ticker_events(client, base_url):
    events = client.get_ticker_events("META", types="ticker_change")
    record = _served(base_url, "/vX/reference/tickers/META/events", types="ticker_change")
    _assert_same_names(events, record["results"], {"name", "composite_figi", "events"})
    assert [event["ticker_change"]["ticker"] for event in events.events] == ["META", "FB"]


@pytest.mark.parametrize(
    ("method", "path", "required"),
    [
        ("list_splits", "/v3/reference/splits", {"ticker", "execution_date", "split_to"}),
        ("list_dividends", "/v3/reference/dividends", {"ticker", "cash_amount", "pay_date"}),
    ],
)
def test_corporate_actions_follow_every_page(client, base_url, method, path, required):
    actions = list(getattr(client, method)(limit=7))
    served = _served(base_url, path, limit=1000)["results"]
    assert len(actions) == len(served) > 0
    for action, record in zip(actions, served, strict=True):
        _assert_same_names(action, record, required)


@pytest.mark.parametrize(
    ("timespan", "start", "end", "page"),
    [("day", "2025-01-01", "2025-12-31", 50), ("minute", "2026-01-13", SESSION, 500)],
)
def test_list_aggs_follows_every_page(client, base_url, timespan, start, end, page):
    bars = list(client.list_aggs("AAPL", 1, timespan, start, end, limit=page))
    path = f"/v2/aggs/ticker/AAPL/range/1/{timespan}/{start}/{end}"
    served = _served(base_url, path, limit=50_000)["results"]
    assert len(bars) == len(served) > page
    for bar, record in zip(bars, served, strict=True):
        _assert_mapped(bar, record, AGG)


def test_get_grouped_daily_aggs(client, base_url):
    bars = client.get_grouped_daily_aggs(SESSION)
    path = f"/v2/aggs/grouped/locale/us/market/stocks/{SESSION}"
    served = _served(base_url, path)["results"]
    assert len(bars) == len(served) > 10
    for bar, record in zip(bars, served, strict=True):
        _assert_mapped(bar, record, {"ticker": "T", **AGG})


def test_get_snapshot_all(client, base_url):
    snapshots = client.get_snapshot_all("stocks")
    served = _served(base_url, "/v2/snapshot/locale/us/markets/stocks/tickers")["tickers"]
    assert len(snapshots) == len(served) > 10
    for snapshot, record in zip(snapshots, served, strict=True):
        _assert_mapped(snapshot, record, SNAPSHOT_TOP)
        assert snapshot.fair_market_value is not None
        for name, (key, fields) in SNAPSHOT_PARTS.items():
            _assert_mapped(getattr(snapshot, name), record[key], fields)


def test_get_market_status(client, base_url):
    status = client.get_market_status()
    record = _served(base_url, "/v1/marketstatus/now")
    _assert_mapped(
        status,
        record,
        {
            "market": "market",
            "early_hours": "earlyHours",
            "after_hours": "afterHours",
            "server_time": "serverTime",
        },
    )
    _assert_same_names(status.exchanges, record["exchanges"], {"nyse", "nasdaq", "otc"})
    _assert_same_names(status.currencies, record["currencies"], {"fx", "crypto"})


def test_get_market_holidays(client, base_url):
    holidays = client.get_market_holidays()
    served = _served(base_url, "/v1/marketstatus/upcoming")
    assert len(holidays) == len(served) > 0
    for holiday, record in zip(holidays, served, strict=True):
        _assert_same_names(holiday, record, {"exchange", "name", "date", "status"})
