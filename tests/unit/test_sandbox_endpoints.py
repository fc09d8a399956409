"""The sandbox's reference, corporate-action, minute, snapshot and market-status endpoints."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import requests

from sandbox.events import list_events
from sandbox.market import SandboxMarket
from sandbox.server import SandboxServer
from tests.support.sandbox_client import AUTH, KEY, NOW, get

NY = ZoneInfo("America/New_York")
MINUTES = "/v2/aggs/ticker/{}/range/1/minute/{}/{}"


def walk(first: requests.Response) -> tuple[list[dict], int]:
    """All results behind a first page and its next_url chain, and the page count."""
    rows, pages, response = [], 0, first
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        rows += body.get("results", [])
        pages += 1
        if "next_url" not in body:
            return rows, pages
        assert "apikey" not in body["next_url"].lower() and KEY not in body["next_url"]
        response = requests.get(body["next_url"], headers=AUTH, timeout=10)


# ---- tickers, details, types, events --------------------------------------------


def test_active_and_type_filters(base_url: str) -> None:
    url = f"{base_url}/v3/reference/tickers"
    core = [get(url, type=kind).json()["results"] for kind in ("CS", "ETF")]
    assert sum(len(rows) for rows in core) == 15
    inactive = get(url, active="false").json()["results"]
    assert [(r["ticker"], r["type"], r["active"]) for r in inactive] == [
        ("BWACW", "WARRANT", False),
        ("CRMC", "CS", False),
        ("KSFpA", "PFD", False),
    ]
    assert [r["delisted_utc"] for r in inactive] == [
        "2021-12-16T00:00:00Z",
        "2019-08-31T00:00:00Z",
        "2023-03-16T00:00:00Z",
    ]
    for kind, ticker in (("ADRC", "NWSDY"), ("ETN", "SVXN")):
        assert [r["ticker"] for r in get(url, type=kind).json()["results"]] == [ticker]
    # point in time: before the ADR listed, while CRMC still traded
    then = get(url, date="2019-01-02").json()["results"]
    assert "CRMC" in {r["ticker"] for r in then} and "NWSDY" not in {r["ticker"] for r in then}


def test_ticker_details(base_url: str, market: SandboxMarket) -> None:
    body = get(f"{base_url}/v3/reference/tickers/AAPL").json()
    assert body["status"] == "OK" and len(body["request_id"]) == 32
    aapl = body["results"]
    (last,) = market.daily_bars("AAPL", date(2026, 1, 14), date(2026, 1, 14), NOW)
    assert aapl["market_cap"] == round(last.close * 15_204_137_000, 2)
    assert (aapl["sic_code"], aapl["list_date"], aapl["active"]) == ("3571", "1980-12-12", True)
    assert aapl["share_class_shares_outstanding"] == aapl["weighted_shares_outstanding"]
    dated = get(f"{base_url}/v3/reference/tickers/AAPL", date="2020-03-02").json()["results"]
    (bar,) = market.daily_bars("AAPL", date(2020, 3, 2), date(2020, 3, 2), NOW)
    assert dated["market_cap"] == round(bar.close * 15_204_137_000, 2)
    gone = get(f"{base_url}/v3/reference/tickers/CRMC").json()["results"]
    assert (gone["active"], gone["delisted_utc"]) == (False, "2019-08-31T00:00:00Z")
    assert "sic_code" not in get(f"{base_url}/v3/reference/tickers/SPY").json()["results"]


@pytest.mark.parametrize("path", ["/v3/reference/tickers/NOPE", "/v3/reference/tickers/NWSDY"])
def test_unknown_ticker_details_is_polygons_404(base_url: str, path: str) -> None:
    response = get(base_url + path, date="2025-01-02")
    assert response.status_code == 404
    body = response.json()
    assert body["status"] == "NOT_FOUND" and body["message"] == "Ticker not found."
    assert set(body) == {"status", "request_id", "message"}


def test_ticker_types(base_url: str) -> None:
    body = get(f"{base_url}/v3/reference/tickers/types").json()
    assert body["count"] == len(body["results"]) == 15
    assert {"CS", "ETF", "ETN", "ADRC", "PFD", "WARRANT"} <= {r["code"] for r in body["results"]}
    crypto = get(f"{base_url}/v3/reference/tickers/types", asset_class="crypto").json()
    assert crypto["count"] == 0
    assert get(f"{base_url}/v3/reference/tickers/types", locale="mars").status_code == 400


@pytest.mark.parametrize("ident", ["META", "FB", "BBG000MM2P62"])
def test_ticker_change_events(base_url: str, ident: str) -> None:
    results = get(f"{base_url}/vX/reference/tickers/{ident}/events").json()["results"]
    assert results["name"] == "Meta Platforms Inc. Class A"
    assert results["events"] == [
        {"ticker_change": {"ticker": "META"}, "type": "ticker_change", "date": "2022-06-09"},
        {"ticker_change": {"ticker": "FB"}, "type": "ticker_change", "date": "2012-05-18"},
    ]
    assert get(f"{base_url}/vX/reference/tickers/NOPE/events").status_code == 404


# ---- splits and dividends ----------------------------------------------------------


def test_splits_and_filters(base_url: str) -> None:
    url = f"{base_url}/v3/reference/splits"
    reverse, split = get(url).json()["results"]  # newest first
    assert (reverse["ticker"], reverse["split_from"], reverse["split_to"]) == ("XLF", 2, 1)
    assert {k: split[k] for k in ("ticker", "execution_date", "split_from", "split_to")} == {
        "ticker": "NVDA",
        "execution_date": "2024-06-10",
        "split_from": 1,
        "split_to": 10,
    }
    assert split["id"].startswith("E") and len(split["id"]) == 65
    assert get(url, **{"execution_date.gt": "2024-06-11"}).json()["results"] == []
    assert (
        len(get(url, ticker="NVDA", **{"execution_date.lte": "2024-06-10"}).json()["results"]) == 1
    )
    assert get(url, reverse_split="true").json()["results"] == [reverse]
    assert get(url, **{"execution_date.gte": "June"}).status_code == 400


def test_dividends_filters_order_and_pagination(base_url: str) -> None:
    url = f"{base_url}/v3/reference/dividends"
    year = {"ex_dividend_date.gte": "2025-01-01", "ex_dividend_date.lte": "2025-12-31"}
    aapl = get(url, ticker="AAPL", **year).json()["results"]
    assert len(aapl) == 4 and [d["ex_dividend_date"] for d in aapl] == sorted(
        (d["ex_dividend_date"] for d in aapl), reverse=True
    )
    for div in aapl:
        assert div["frequency"] == 4 and div["dividend_type"] == "CD" and div["currency"] == "USD"
        assert div["declaration_date"] < div["ex_dividend_date"] <= div["record_date"]
        assert div["record_date"] < div["pay_date"]
    everything, _ = walk(get(url, limit=1000, **year))
    assert {d["ticker"] for d in everything} == {"AAPL", "MSFT", "JPM", "JNJ", "XOM", "SPY"}
    paged, pages = walk(get(url, limit=3, **year))
    assert paged == everything and pages == 8 and len(everything) == 24
    # only dividends declared by the server's "now" are known
    future = get(url, **{"ex_dividend_date.gte": "2026-03-01"}).json()["results"]
    assert future == []


def test_adjusted_false_returns_as_traded_prices_around_the_split(base_url: str) -> None:
    path = base_url + "/v2/aggs/ticker/NVDA/range/1/day/2024-06-06/2024-06-11"
    adjusted = get(path).json()["results"]
    raw = get(path, adjusted="false").json()["results"]
    assert len(adjusted) == len(raw) == 4
    for a, r in zip(adjusted[:2], raw[:2], strict=True):  # 06-06, 06-07: before the split
        assert r["c"] == round(a["c"] * 10, 2) and r["o"] == round(a["o"] * 10, 2)
        assert r["v"] == round(a["v"] / 10) and r["n"] == a["n"]
    assert adjusted[2:] == raw[2:]  # from the execution date on, nothing to adjust
    aapl = base_url + "/v2/aggs/ticker/AAPL/range/1/day/2024-06-06/2024-06-11"
    assert get(aapl).json()["results"] == get(aapl, adjusted="false").json()["results"]


# ---- minute bars -------------------------------------------------------------------


def _by_session(rows: list[dict]) -> dict[date, list[dict]]:
    out: dict[date, list[dict]] = {}
    for row in rows:
        out.setdefault(datetime.fromtimestamp(row["t"] / 1000, NY).date(), []).append(row)
    return out


@pytest.mark.parametrize(("ticker", "adjusted"), [("AAPL", "true"), ("NVDA", "false")])
def test_minutes_aggregate_exactly_to_the_daily_bars(
    base_url: str, ticker: str, adjusted: str
) -> None:
    first, last = "2024-05-20", "2024-07-10"  # spans the NVDA split and the 07-03 early close
    daily = get(
        base_url + f"/v2/aggs/ticker/{ticker}/range/1/day/{first}/{last}", adjusted=adjusted
    )
    minutes, _ = walk(
        get(base_url + MINUTES.format(ticker, first, last), adjusted=adjusted, limit=50000)
    )
    sessions = _by_session(minutes)
    assert len(sessions) == len(daily.json()["results"]) == 35
    for bar in daily.json()["results"]:
        day = datetime.fromtimestamp(bar["t"] / 1000, NY).date()
        rows = sessions[day]
        opening = datetime.combine(day, datetime.min.time().replace(hour=9, minute=30), NY)
        assert rows[0]["t"] == int(opening.timestamp() * 1000)
        assert len(rows) == (210 if day == date(2024, 7, 3) else 390)
        assert [r["t"] for r in rows] == [rows[0]["t"] + 60_000 * i for i in range(len(rows))]
        assert rows[0]["o"] == bar["o"] and rows[-1]["c"] == bar["c"]
        assert max(r["h"] for r in rows) == bar["h"] and min(r["l"] for r in rows) == bar["l"]
        assert sum(r["v"] for r in rows) == bar["v"] and sum(r["n"] for r in rows) == bar["n"]
        assert abs(sum(r["v"] * r["vw"] for r in rows) / bar["v"] - bar["vw"]) <= 1e-4
        for r in rows:
            assert r["l"] <= min(r["o"], r["c"]) and max(r["o"], r["c"]) <= r["h"]
            assert r["l"] <= r["vw"] <= r["h"] and r["v"] >= 1 and r["n"] >= 1


def test_minute_pagination_and_bounds(base_url: str) -> None:
    url = base_url + MINUTES.format("MSFT", "2025-03-03", "2025-03-07")
    whole = get(url, limit=50000).json()
    assert whole["resultsCount"] == 5 * 390 and "next_url" not in whole
    for sort in ("asc", "desc"):
        paged, pages = walk(get(url, limit=500, sort=sort))
        assert pages == 4
        expected = whole["results"] if sort == "asc" else whole["results"][::-1]
        assert paged == expected
    start = whole["results"][10]["t"]
    end = whole["results"][19]["t"]
    window = get(base_url + MINUTES.format("MSFT", start, end)).json()["results"]
    assert window == whole["results"][10:20]
    assert get(url, limit=50001).json()["resultsCount"] == 5 * 390  # capped like Polygon


def test_minutes_stop_at_the_clock(market: SandboxMarket) -> None:
    now = datetime(2025, 7, 7, 14, 0, 30, tzinfo=UTC)  # 10:00:30 New York
    with SandboxServer(market, api_key=KEY, clock=lambda: now) as server:
        rows = get(server.base_url + MINUTES.format("AAPL", "2025-07-07", "2025-07-07")).json()
    assert rows["resultsCount"] == 30  # 09:30 .. 09:59 have ended


def test_a_year_of_minutes_generates_well_under_a_second(market: SandboxMarket) -> None:
    fresh = SandboxMarket(seed=9)
    started = time.perf_counter()
    bars = fresh.minute_bars("TSLA", 1_735_689_600_000, 1_767_225_600_000, NOW)  # 2025
    elapsed = time.perf_counter() - started
    assert len(bars) == 247 * 390 + 3 * 210 and elapsed < 0.5
    assert np.all(np.diff(bars.t) > 0)


# ---- snapshot and market status ----------------------------------------------------


def test_snapshot_mid_session_and_after_close(market: SandboxMarket) -> None:
    url = "/v2/snapshot/locale/us/markets/stocks/tickers"
    mid = datetime(2025, 7, 7, 17, 0, tzinfo=UTC)  # 13:00 New York
    with SandboxServer(market, api_key=KEY, clock=lambda: mid) as server:
        body = get(server.base_url + url, tickers="AAPL,MSFT,NOPE").json()
    assert (body["status"], body["count"]) == ("OK", 2)
    aapl = body["tickers"][0]
    minutes = market.minute_bars("AAPL", 0, 1_751_918_400_000, mid)
    today = minutes.select(minutes.t >= 1_751_895_000_000)  # from 09:30 New York
    assert len(today) == 210
    assert aapl["day"]["v"] == int(today.volume.sum()) == aapl["min"]["av"]
    assert aapl["day"]["o"] == today.open[0] and aapl["lastTrade"]["p"] == today.close[-1]
    assert aapl["min"]["t"] == today.t[-1]
    (prev,) = market.daily_bars("AAPL", date(2025, 7, 3), date(2025, 7, 3), mid)
    assert aapl["prevDay"]["c"] == prev.close
    assert aapl["todaysChange"] == round(today.close[-1] - prev.close, 4)
    assert aapl["lastQuote"]["p"] < aapl["lastQuote"]["P"] and "fmv" in aapl
    after = datetime(2025, 7, 7, 21, 0, tzinfo=UTC)
    with SandboxServer(market, api_key=KEY, clock=lambda: after) as server:
        closed = get(server.base_url + url).json()
    (bar,) = market.daily_bars("SPY", date(2025, 7, 7), date(2025, 7, 7), after)
    spy = next(t for t in closed["tickers"] if t["ticker"] == "SPY")
    assert spy["day"] == {"c": bar.close, "h": bar.high, "l": bar.low, "o": bar.open,
                          "v": bar.volume, "vw": bar.vwap}  # fmt: skip
    assert closed["count"] == 15


@pytest.mark.parametrize(
    ("instant", "market_state", "early", "late"),
    [
        (datetime(2025, 7, 7, 15, 0, tzinfo=UTC), "open", False, False),
        (datetime(2025, 7, 7, 12, 0, tzinfo=UTC), "extended-hours", True, False),
        (datetime(2025, 7, 3, 18, 0, tzinfo=UTC), "extended-hours", False, True),  # early close
        (datetime(2025, 7, 4, 15, 0, tzinfo=UTC), "closed", False, False),  # holiday
        (datetime(2025, 7, 5, 15, 0, tzinfo=UTC), "closed", False, False),  # Saturday
    ],
)
def test_market_status_now_follows_the_clock(
    market: SandboxMarket, instant: datetime, market_state: str, early: bool, late: bool
) -> None:
    with SandboxServer(market, api_key=KEY, clock=lambda: instant) as server:
        body = get(server.base_url + "/v1/marketstatus/now").json()
    assert (body["market"], body["earlyHours"], body["afterHours"]) == (market_state, early, late)
    assert body["exchanges"]["nyse"] == body["exchanges"]["nasdaq"] == market_state
    assert datetime.fromisoformat(body["serverTime"]) == instant


def test_upcoming_holidays_and_early_closes(base_url: str) -> None:
    body = get(f"{base_url}/v1/marketstatus/upcoming").json()
    assert isinstance(body, list)
    closed = {(r["date"], r["name"]) for r in body if r["status"] == "closed"}
    assert ("2026-01-19", "Martin Luther King, Jr. Day") in closed
    assert ("2026-11-26", "Thanksgiving") in closed and ("2026-12-25", "Christmas") in closed
    early = [r for r in body if r["status"] == "early-close" and r["exchange"] == "NYSE"]
    assert [(r["date"], r["close"]) for r in early] == [
        ("2026-11-27", "2026-11-27T18:00:00.000Z"),
        ("2026-12-24", "2026-12-24T18:00:00.000Z"),
    ]
    assert all(r["date"] >= "2026-01-15" for r in body)
    assert len(body) == 2 * len({r["date"] for r in body})  # NYSE and NASDAQ each


def test_list_events(market: SandboxMarket) -> None:
    events = list_events(market)
    kinds = {e["kind"] for e in events}
    assert kinds == {"split", "dividend", "ticker_change", "delisting", "ipo"}
    assert [e["date"] for e in events] == sorted(e["date"] for e in events)
    assert {"date": "2024-06-10", "symbol": "NVDA", "kind": "split",
            "detail": "10-for-1 split"} in events  # fmt: skip
    window = list_events(market, date(2019, 8, 1), date(2019, 8, 31))
    assert {"date": "2019-08-30", "symbol": "CRMC", "kind": "delisting",
            "detail": "last trading day"} in window  # fmt: skip
    assert all("2019-08-01" <= e["date"] <= "2019-08-31" for e in window)
