"""Same seed, same bytes: the sandbox's responses are reproducible and the past never changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests

from sandbox.market import SandboxMarket
from sandbox.server import SandboxServer
from tests.support.sandbox_client import AUTH, KEY, NOW

PATHS = (
    "/v3/reference/tickers?limit=1000",
    "/v3/reference/tickers/AAPL",
    "/v2/aggs/grouped/locale/us/market/stocks/2024-06-10?adjusted=false",
    "/v2/aggs/ticker/NVDA/range/1/day/2020-01-01/2025-12-31",
    "/v2/aggs/ticker/SPY/range/1/minute/2025-07-01/2025-07-03",
    "/v2/snapshot/locale/us/markets/stocks/tickers",
    "/v3/reference/dividends?limit=1000",
    "/vX/reference/tickers/META/events",
)
LATER = datetime(2026, 9, 1, 21, 0, tzinfo=UTC)


def fetch_all(market: SandboxMarket, now: datetime, paths: tuple[str, ...] = PATHS) -> list:
    with SandboxServer(market, api_key=KEY, clock=lambda: now) as server:
        return [requests.get(server.base_url + p, headers=AUTH, timeout=30).content for p in paths]


@pytest.mark.parametrize(
    "options",
    [{}, {"scenario": "crash_2020"}, {"glitches": True}],
    ids=["plain", "scenario", "glitches"],
)
def test_same_seed_gives_byte_identical_responses(options: dict) -> None:
    first = fetch_all(SandboxMarket(seed=7, **options), NOW)
    again = fetch_all(SandboxMarket(seed=7, **options), NOW)
    assert first == again
    other = fetch_all(SandboxMarket(seed=8, **options), NOW)
    assert first[3] != other[3]  # the prices do depend on the seed


def test_a_past_date_never_changes_as_the_clock_moves() -> None:
    history = (
        "/v2/aggs/grouped/locale/us/market/stocks/2025-03-14",
        "/v2/aggs/ticker/AAPL/range/1/day/2015-01-01/2025-12-31",
        "/v2/aggs/ticker/QQQ/range/1/minute/2025-12-01/2025-12-02",
    )
    market = SandboxMarket(seed=7)
    assert fetch_all(market, NOW, history) == fetch_all(SandboxMarket(seed=7), LATER, history)


def test_full_size_history_is_stable_too() -> None:
    path = ("/v2/aggs/ticker/GLD/range/1/day/2015-01-01/2016-12-31",)
    first = fetch_all(SandboxMarket(seed=7, size="full"), NOW, path)
    assert first == fetch_all(SandboxMarket(seed=7, size="full"), LATER, path)
    assert b'"results"' in first[0]
