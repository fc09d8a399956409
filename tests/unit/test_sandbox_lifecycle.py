"""Lifecycle events of the full-size sandbox market on known dates, served over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sandbox.market import SandboxMarket
from sandbox.server import SandboxServer
from sandbox.universe import Listing
from tests.support.sandbox_client import KEY, NOW, get

YEAR = (date(2025, 1, 1), date(2025, 12, 31))
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(scope="module")
def full_url(full_market: SandboxMarket) -> Iterator[str]:
    with SandboxServer(full_market, api_key=KEY, clock=lambda: NOW) as server:
        yield server.base_url


def first(market: SandboxMarket, keep: Callable[[Listing], bool]) -> Listing:
    return next(listing for listing in market.listings if keep(listing))


def daily(url: str, ticker: str, start: date, end: date, **params: object) -> list[dict]:
    body = get(f"{url}/v2/aggs/ticker/{ticker}/range/1/day/{start}/{end}", **params).json()
    return body.get("results", [])


def ny_day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, NEW_YORK).date().isoformat()


def test_an_ipo_appears_from_its_list_date(full_market: SandboxMarket, full_url: str) -> None:
    ipo = first(full_market, lambda lst: lst.type == "CS" and date(2024, 3, 1) < lst.list_date
                < date(2025, 6, 1) and lst.delisted is None)  # fmt: skip
    before = ipo.list_date - timedelta(days=1)
    url = f"{full_url}/v3/reference/tickers"
    assert get(url, ticker=ipo.ticker, date=str(before)).json()["results"] == []
    (row,) = get(url, ticker=ipo.ticker, date=str(ipo.list_date)).json()["results"]
    assert row["active"] is True
    details = f"{full_url}/v3/reference/tickers/{ipo.ticker}"
    assert get(details, date=str(before)).status_code == 404
    assert get(details).json()["results"]["list_date"] == str(ipo.list_date)
    bars = daily(full_url, ipo.ticker, ipo.list_date - timedelta(days=30), ipo.list_date)
    assert [ny_day(bar["t"]) for bar in bars] == [str(ipo.list_date)]


def test_a_delisted_stock_is_inactive_with_delisted_utc(
    full_market: SandboxMarket, full_url: str
) -> None:
    gone = first(full_market, lambda lst: lst.type == "CS" and lst.delisted is not None
                 and date(2024, 1, 1) < lst.delisted < date(2025, 1, 1))  # fmt: skip
    url = f"{full_url}/v3/reference/tickers"
    (row,) = get(url, ticker=gone.ticker, active="false").json()["results"]
    assert row["active"] is False
    assert row["delisted_utc"] == f"{gone.delisted + timedelta(days=1)}T00:00:00Z"
    assert get(url, ticker=gone.ticker).json()["results"] == []  # not among the active
    bars = daily(full_url, gone.ticker, gone.delisted - timedelta(days=10), date(2025, 12, 31))
    assert bars and ny_day(bars[-1]["t"]) == str(gone.delisted)


def test_a_ticker_change_is_served_by_the_events_endpoint(
    full_market: SandboxMarket, full_url: str
) -> None:
    renamed, history = next(
        (ticker, history)
        for ticker, history in full_market.actions.ticker_history.items()
        if ticker != "META"
    )
    former, current = history
    for ident in (renamed, former.ticker):
        body = get(f"{full_url}/vX/reference/tickers/{ident}/events").json()
        changes = [(e["ticker_change"]["ticker"], e["date"]) for e in body["results"]["events"]]
        assert changes == [(renamed, str(current.date)), (former.ticker, str(former.date))]


def test_generated_splits_are_honoured_by_adjusted_false(
    full_market: SandboxMarket, full_url: str
) -> None:
    split = next(s for s in full_market.actions.splits if date(2022, 1, 1) < s.execution_date)
    listed = get(f"{full_url}/v3/reference/splits", ticker=split.ticker).json()["results"]
    assert [row["execution_date"] for row in listed] == [str(split.execution_date)]
    window = (split.execution_date - timedelta(days=7), split.execution_date + timedelta(days=7))
    adjusted = daily(full_url, split.ticker, *window)
    raw = daily(full_url, split.ticker, *window, adjusted="false")
    ratio = split.split_to / split.split_from
    for a, r in zip(adjusted, raw, strict=True):
        before = ny_day(a["t"]) < str(split.execution_date)
        assert r["c"] == pytest.approx(a["c"] * ratio if before else a["c"], abs=0.011)


def test_generated_dividends_are_listed(full_market: SandboxMarket, full_url: str) -> None:
    payer = next(d.ticker for d in full_market.actions.dividends if d.ticker not in ("AAPL",))
    rows = get(f"{full_url}/v3/reference/dividends", ticker=payer, limit=1000).json()["results"]
    assert rows and all(row["ticker"] == payer and row["cash_amount"] > 0 for row in rows)
    assert all(row["declaration_date"] <= str(NOW.date()) for row in rows)


def test_thin_etfs_miss_days_and_minutes_and_still_aggregate(
    full_market: SandboxMarket, full_url: str
) -> None:
    thin = first(full_market, lambda lst: lst.thin and lst.list_date.year < 2015
                 and lst.delisted is None)  # fmt: skip
    days = daily(full_url, thin.ticker, *YEAR)
    sessions = full_market.sessions.span(*YEAR)
    assert 0.7 * (sessions.stop - sessions.start) < len(days) < sessions.stop - sessions.start
    day = days[-1]
    minutes = get(
        f"{full_url}/v2/aggs/ticker/{thin.ticker}/range/1/minute/{ny_day(day['t'])}/"
        f"{ny_day(day['t'])}"
    ).json()["results"]
    assert 0 < len(minutes) < 390
    assert sum(m["v"] for m in minutes) == day["v"] and sum(m["n"] for m in minutes) == day["n"]
    assert (minutes[0]["o"], minutes[-1]["c"]) == (day["o"], day["c"])
    assert max(m["h"] for m in minutes) == day["h"] and min(m["l"] for m in minutes) == day["l"]
    assert len({m["t"] for m in minutes}) == len(minutes)


def test_grouped_daily_covers_the_full_market(full_market: SandboxMarket, full_url: str) -> None:
    body = get(f"{full_url}/v2/aggs/grouped/locale/us/market/stocks/2015-03-02").json()
    tickers = [row["T"] for row in body["results"]]
    listed = [lst for lst in full_market.listings if lst.trades_on(date(2015, 3, 2))]
    assert tickers == sorted(tickers) and len(set(tickers)) == len(tickers)
    thin = sum(1 for lst in listed if lst.thin)
    assert len(listed) - thin <= len(tickers) <= len(listed)
    assert len(tickers) > 7_000 and {"AAPL", "SPY", "MMM", "GLD"} <= set(tickers)


# ---- glitches (dev market, on request only) ---------------------------------------------


@pytest.fixture(scope="module")
def glitchy() -> SandboxMarket:
    return SandboxMarket(seed=42, glitches=True)


def test_no_glitches_unless_asked(market: SandboxMarket) -> None:
    assert market.glitch_list() == ()


@pytest.mark.parametrize("kind", ["duplicate_bar", "missing_day", "bad_print"])
def test_glitches_of_each_kind(market: SandboxMarket, glitchy: SandboxMarket, kind: str) -> None:
    glitch = next(g for g in glitchy.glitch_list() if g.kind == kind and g.session.year == 2025)
    day = glitch.session
    clean = market.daily_bars(glitch.ticker, day, day, NOW)
    served = glitchy.daily_bars(glitch.ticker, day, day, NOW)
    grouped = [b for b in glitchy.grouped_daily(day, NOW) if b.ticker == glitch.ticker]
    if kind == "duplicate_bar":
        assert served == clean * 2 and grouped == clean * 2
    elif kind == "missing_day":
        assert served == [] and grouped == [] and len(clean) == 1
    else:
        (bad,), (good,) = served, clean
        assert bad.close == pytest.approx(good.close * 1.25, abs=0.006)
        assert bad.high >= bad.close and grouped == served
    others = [b for b in glitchy.grouped_daily(day, NOW) if b.ticker != glitch.ticker]
    assert others == [b for b in market.grouped_daily(day, NOW) if b.ticker != glitch.ticker]


def test_a_thin_etf_without_a_trade_today_keeps_a_stale_trade_and_an_fmv(
    full_market: SandboxMarket,
) -> None:
    thin = first(full_market, lambda lst: lst.thin and lst.list_date.year < 2015
                 and lst.delisted is None)  # fmt: skip
    traded = {bar.session for bar in full_market.daily_bars(thin.ticker, *YEAR, NOW)}
    sessions = full_market.sessions.days[full_market.sessions.span(*YEAR)].astype(object)
    skipped = next(day for day in sessions[1:] if day not in traded)
    now = datetime.combine(skipped, datetime.min.time(), NEW_YORK).replace(hour=17)  # closed
    with SandboxServer(full_market, api_key=KEY, clock=lambda: now) as server:
        body = get(f"{server.base_url}/v2/snapshot/locale/us/markets/stocks/tickers",
                   tickers=f"{thin.ticker},SPY").json()  # fmt: skip
    snap = {row["ticker"]: row for row in body["tickers"]}
    stale = snap[thin.ticker]
    assert set(stale["day"].values()) == {0} and stale["min"]["av"] == 0
    last_traded = max(day for day in traded if day < skipped)
    assert ny_day(stale["min"]["t"]) == str(last_traded)
    assert stale["fmv"] == full_market.fair_value(thin.ticker, now)
    assert stale["fmv"] != stale["lastTrade"]["p"]
    assert snap["SPY"]["fmv"] == snap["SPY"]["lastTrade"]["p"]  # liquid: fmv is the last trade
