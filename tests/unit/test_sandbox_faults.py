"""Sandbox fault injection and rate limiting: deterministic, measurable, data-safe."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime

import pytest
import requests

from sandbox.faults import Fault, FaultPlan, RateLimiter
from sandbox.market import SandboxMarket
from sandbox.server import SandboxServer

KEY = "fault-test-key"
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
PATH = "/v2/aggs/ticker/AAPL/range/1/day/2025-01-02/2025-01-10"


@pytest.fixture(scope="module")
def market() -> SandboxMarket:
    return SandboxMarket(seed=42)


def test_fault_rate_is_roughly_as_configured_and_every_kind_occurs() -> None:
    plan = FaultPlan(fault_rate=0.1, fault_seed=3)
    faults = [plan.decide(n) for n in range(20_000)]
    hit = [f for f in faults if f is not None]
    assert 0.09 < len(hit) / len(faults) < 0.11
    kinds = Counter(hit)
    assert set(kinds) == set(Fault)
    assert all(abs(count / len(hit) - 1 / 6) < 0.03 for count in kinds.values())


def test_same_seed_same_sequence_other_seed_differs() -> None:
    first = [FaultPlan(0.3, fault_seed=11).decide(n) for n in range(500)]
    again = [FaultPlan(0.3, fault_seed=11).decide(n) for n in range(500)]
    other = [FaultPlan(0.3, fault_seed=12).decide(n) for n in range(500)]
    assert first == again and first != other
    assert [FaultPlan(0.0).decide(n) for n in range(500)] == [None] * 500


def test_invalid_options_are_rejected(market: SandboxMarket) -> None:
    with pytest.raises(ValueError, match="fault_rate"):
        SandboxServer(market, fault_rate=1.5)
    with pytest.raises(ValueError, match="latency_ms"):
        SandboxServer(market, latency_ms=-1)
    with pytest.raises(ValueError, match="rate_limit"):
        SandboxServer(market, rate_limit=0)


def test_sliding_window_limiter_with_a_fake_clock() -> None:
    now = [1000.0]
    limiter = RateLimiter(3, clock=lambda: now[0])
    assert [limiter.admit("a") for _ in range(3)] == [None, None, None]
    assert limiter.admit("a") == 60
    assert limiter.admit("b") is None  # per key
    now[0] += 59.5
    assert limiter.admit("a") == 1  # the oldest request leaves the window in 0.5 s
    now[0] += 0.5  # all three early requests have left the window
    assert [limiter.admit("a") for _ in range(3)] == [None, None, None]
    assert limiter.admit("a") == 60


def _outcome(url: str) -> str:
    try:
        response = requests.get(url, headers={"Authorization": f"Bearer {KEY}"}, timeout=5)
    except requests.ConnectionError:
        return "drop"
    return str(response.status_code)


def _server(market: SandboxMarket, **options: object) -> SandboxServer:
    return SandboxServer(market, api_key=KEY, clock=lambda: NOW, **options)  # type: ignore[arg-type]


def test_server_fault_sequence_is_deterministic_and_faults_never_change_data(
    market: SandboxMarket,
) -> None:
    runs: list[list[str]] = []
    bodies: set[bytes] = set()
    for _ in range(2):
        with _server(market, fault_rate=0.5, fault_seed=0) as server:
            outcomes = []
            for _ in range(24):
                try:
                    response = requests.get(
                        server.base_url + PATH,
                        headers={"Authorization": f"Bearer {KEY}"},
                        timeout=5,
                    )
                except requests.ConnectionError:
                    outcomes.append("drop")
                    continue
                outcomes.append(str(response.status_code))
                if response.status_code == 200:
                    bodies.add(response.content)
                else:
                    body = response.json()
                    assert body["status"] == "ERROR" and set(body) == {
                        "status",
                        "request_id",
                        "error",
                    }
                if response.status_code == 429:
                    assert response.headers["Retry-After"] == "1"
                    assert "exceeded the maximum requests per minute" in body["error"]
            runs.append(outcomes)
    assert runs[0] == runs[1]
    assert {"200", "429", "500", "502", "503", "drop"} <= set(runs[0])
    expected = [
        {Fault.DROP: "drop", Fault.SLOW: "200", None: "200"}.get(
            fault, fault.value if fault else ""
        )
        for fault in (FaultPlan(0.5, fault_seed=0).decide(n) for n in range(24))
    ]
    assert runs[0] == expected
    assert len(bodies) == 1  # every successful answer is the same data


def test_latency_and_slow_faults_delay_responses(market: SandboxMarket) -> None:
    with _server(market, latency_ms=60) as server:
        started = time.perf_counter()
        assert _outcome(server.base_url + PATH) == "200"
        assert time.perf_counter() - started >= 0.06
    plan = FaultPlan(1.0, latency_ms=10, fault_seed=0)
    slow = next(n for n in range(100) if plan.decide(n) is Fault.SLOW)
    assert plan.delay_s(Fault.SLOW) == 0.25 and plan.delay_s(None) == 0.01
    with _server(market, fault_rate=1.0, latency_ms=10) as server:
        for _ in range(slow):
            _outcome(server.base_url + PATH)
        started = time.perf_counter()
        assert _outcome(server.base_url + PATH) == "200"
        assert time.perf_counter() - started >= 0.25


def test_rate_limit_is_enforced_per_key_with_retry_after(market: SandboxMarket) -> None:
    with SandboxServer(market, clock=lambda: NOW, rate_limit=5) as server:
        url = server.base_url + PATH
        codes = [requests.get(url, params={"apiKey": "k1"}, timeout=5) for _ in range(7)]
        other = requests.get(url, params={"apiKey": "k2"}, timeout=5)
    assert [r.status_code for r in codes] == [200] * 5 + [429] * 2
    assert 1 <= int(codes[-1].headers["Retry-After"]) <= 60
    assert codes[-1].json()["status"] == "ERROR"
    assert "k1" not in codes[-1].text
    assert other.status_code == 200


def test_no_faults_by_default(market: SandboxMarket) -> None:
    with _server(market) as server:
        assert {_outcome(server.base_url + PATH) for _ in range(30)} == {"200"}
