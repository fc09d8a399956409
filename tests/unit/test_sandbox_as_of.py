"""The sandbox as of a day: what the API would have answered then, and nothing after it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from sandbox.market import SandboxMarket
from sandbox.server import SandboxServer
from tests.support.sandbox_client import KEY, get

NY = ZoneInfo("America/New_York")
SPLIT_DAY = date(2024, 6, 10)  # NVDA 10-for-1
REVERSE_DAY = date(2024, 6, 11)  # XLF 1-for-2
DAILY = "/v2/aggs/ticker/{}/range/1/day/2024-06-03/2024-06-14"


@pytest.fixture(scope="module")
def as_of(market: SandboxMarket) -> Iterator[dict[date, str]]:
    """A server per day, each frozen at 17:00 New York that day."""
    days = (date(2024, 6, 7), SPLIT_DAY, REVERSE_DAY, date(2024, 6, 12))
    servers = {
        day: SandboxServer(market, api_key=KEY, clock=_at(datetime.combine(day, time(17), NY)))
        for day in days
    }
    for server in servers.values():
        server.start()
    yield {day: server.base_url for day, server in servers.items()}
    for server in servers.values():
        server.stop()


def _at(instant: datetime):
    return lambda: instant


def _bars(base_url: str, ticker: str, adjusted: str = "true") -> dict[str, dict]:
    body = get(base_url + DAILY.format(ticker), adjusted=adjusted).json()
    return {
        datetime.fromtimestamp(row["t"] / 1000, NY).date().isoformat(): row
        for row in body.get("results", [])
    }


def test_bars_before_and_after_the_split_differ_by_exactly_its_ratio(as_of) -> None:
    before = _bars(as_of[SPLIT_DAY - timedelta(days=3)], "NVDA")
    after = _bars(as_of[SPLIT_DAY], "NVDA")
    assert sorted(before) == ["2024-06-03", "2024-06-04", "2024-06-05", "2024-06-06", "2024-06-07"]
    assert max(after) == SPLIT_DAY.isoformat()  # nothing after the as-of day exists
    for day, bar in before.items():
        for price in ("o", "h", "l", "c", "vw"):
            assert Decimal(str(bar[price])) == Decimal(str(after[day][price])) * 10
        assert bar["v"] * 10 == after[day]["v"]
    # adjusted=true as of the day before is what was traded
    assert before == _bars(as_of[SPLIT_DAY - timedelta(days=3)], "NVDA", "false")
    # sessions from the split on are identical as of later days
    later = _bars(as_of[REVERSE_DAY], "NVDA")
    assert later[SPLIT_DAY.isoformat()] == after[SPLIT_DAY.isoformat()]
    assert {day: later[day] for day in after} == after


def test_a_reverse_split_multiplies_earlier_prices(as_of) -> None:
    before = _bars(as_of[SPLIT_DAY], "XLF")
    after = _bars(as_of[REVERSE_DAY], "XLF")
    for day, bar in before.items():
        assert Decimal(str(after[day]["c"])) == Decimal(str(bar["c"])) * 2
    assert (
        after[REVERSE_DAY.isoformat()]
        == _bars(as_of[REVERSE_DAY], "XLF", "false")[REVERSE_DAY.isoformat()]
    )


def test_actions_are_those_known_that_day(as_of) -> None:
    def splits(day: date) -> list[tuple[str, str]]:
        rows = get(as_of[day] + "/v3/reference/splits", limit=1000).json()["results"]
        return sorted((row["ticker"], row["execution_date"]) for row in rows)

    assert splits(date(2024, 6, 7)) == []
    assert splits(SPLIT_DAY) == [("NVDA", "2024-06-10")]
    assert splits(REVERSE_DAY) == [("NVDA", "2024-06-10"), ("XLF", "2024-06-11")]
    url = as_of[date(2024, 6, 12)] + "/v3/reference/dividends"
    spy = get(url, ticker="SPY", ex_dividend_date="2024-06-12").json()["results"]
    assert [(row["cash_amount"], row["dividend_type"]) for row in spy] == [(1.7402, "CD")]
    declared = get(url, **{"declaration_date.gt": "2024-06-12"}).json()["results"]
    assert declared == []


def test_grouped_daily_adjusts_like_the_ranges(as_of) -> None:
    path = "/v2/aggs/grouped/locale/us/market/stocks/2024-06-07"
    for day in (date(2024, 6, 7), SPLIT_DAY):
        grouped = {row["T"]: row for row in get(as_of[day] + path).json()["results"]}
        assert grouped["NVDA"]["c"] == _bars(as_of[day], "NVDA")["2024-06-07"]["c"]
    later = get(as_of[date(2024, 6, 7)] + "/v2/aggs/grouped/locale/us/market/stocks/2024-06-10")
    assert later.json().get("results") is None  # not closed yet as of the day before
