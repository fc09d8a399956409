"""The sandbox keeps the responses of past bars: computed once, served byte for byte."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest

from sandbox.api import SandboxApi
from sandbox.market import SandboxMarket
from sandbox.response_cache import ResponseCache
from tests.support.sandbox_client import AUTH, KEY, NOW

PAST_RANGE = "/v2/aggs/ticker/AAPL/range/1/day/2025-06-02/2025-12-31"
QUERY = "adjusted=true&sort=asc&limit=50000"


@pytest.fixture
def counted(market: SandboxMarket, monkeypatch: pytest.MonkeyPatch) -> tuple[SandboxApi, list]:
    """An API accepting only KEY, whose `handle` records each request it computes."""
    api = SandboxApi(market, KEY, lambda: NOW)
    computed: list[str] = []
    handle = api.handle

    def counting(path: str, *args):
        computed.append(path)
        return handle(path, *args)

    monkeypatch.setattr(api, "handle", counting)
    return api, computed


def test_past_bars_are_computed_once_and_served_byte_for_byte(counted) -> None:
    api, computed = counted
    first = api.handle_json(PAST_RANGE, QUERY, AUTH, "http://sandbox")
    second = api.handle_json(PAST_RANGE, QUERY, AUTH, "http://sandbox")
    assert first == second
    status, payload, _ = first
    assert status == 200 and len(orjson.loads(payload)["results"]) > 100
    assert computed == [PAST_RANGE]
    other_page = api.handle_json(PAST_RANGE, "adjusted=false", AUTH, "http://sandbox")
    assert other_page[1] != payload and len(computed) == 2


def test_a_refused_key_is_never_served_from_the_cache(counted) -> None:
    api, _ = counted
    assert api.handle_json(PAST_RANGE, QUERY, AUTH, "http://sandbox")[0] == 200
    wrong = {"Authorization": "Bearer not-the-key"}
    status, payload, _ = api.handle_json(PAST_RANGE, QUERY, wrong, "http://sandbox")
    assert status == 401 and b"results" not in payload


def test_bars_up_to_today_are_computed_every_time(counted) -> None:
    api, computed = counted
    today = NOW.date().isoformat()
    path = f"/v2/aggs/ticker/AAPL/range/1/day/2025-12-01/{today}"
    grouped = f"/v2/aggs/grouped/locale/us/market/stocks/{(NOW + timedelta(days=1)).date()}"
    for _ in range(2):
        api.handle_json(path, QUERY, AUTH, "http://sandbox")
        api.handle_json(grouped, "", AUTH, "http://sandbox")
    assert computed == [path, grouped] * 2


def test_the_cache_drops_the_least_recently_used_beyond_its_budget() -> None:
    cache = ResponseCache(budget_bytes=10)
    cache.put("a", b"aaaa")
    cache.put("b", b"bbbb")
    assert cache.get("a") == b"aaaa"  # now the most recently used
    cache.put("c", b"cccc")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (b"aaaa", None, b"cccc")
    cache.put("huge", b"x" * 11)
    assert cache.get("huge") is None and len(cache) == 2
