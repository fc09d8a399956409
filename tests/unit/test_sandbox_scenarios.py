"""Named scenarios, checked on the daily aggregates a sandbox server serves over HTTP.

Tolerances: SPY has market beta 1 and a tiny tracking error, so its closes
show each scenario's designed outcome within a few percentage points.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from sandbox.market import SandboxMarket
from sandbox.scenarios import SCENARIOS
from sandbox.server import SandboxServer
from tests.support.sandbox_client import KEY, NOW, get

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(scope="module")
def served() -> Iterator[dict[str, str]]:
    """One server per scenario, all at once."""
    servers = {
        name: SandboxServer(SandboxMarket(seed=42, scenario=name), api_key=KEY, clock=lambda: NOW)
        for name in SCENARIOS
    }
    try:
        yield {name: server.start() for name, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()


def closes(url: str, name: str, ticker: str = "SPY") -> np.ndarray:
    """Closes of ``ticker`` from the last session before the window to its end."""
    chosen = SCENARIOS[name]
    start = chosen.first - timedelta(days=10)
    rows = get(f"{url}/v2/aggs/ticker/{ticker}/range/1/day/{start}/{chosen.last}").json()
    opening = datetime.combine(chosen.first, time(), NEW_YORK).timestamp() * 1000
    before = [r["c"] for r in rows["results"] if r["t"] < opening]
    inside = [r["c"] for r in rows["results"] if r["t"] >= opening]
    return np.array([before[-1], *inside])


def max_drawdown(prices: np.ndarray) -> float:
    return float(np.min(prices / np.maximum.accumulate(prices) - 1))


def test_crash_2020(served: dict[str, str]) -> None:
    prices = closes(served["crash_2020"], "crash_2020")
    assert -0.40 <= max_drawdown(prices) <= -0.30
    n = len(prices) - 1
    calm, crash = prices[: int(0.6 * n)], prices[int(0.6 * n) : int(0.7 * n) + 1]
    assert max_drawdown(calm) > -0.12  # the normal part has no crash
    assert crash[-1] / crash[0] - 1 < -0.28  # the crash is in the 10 % after it
    assert prices[-1] / crash[-1] - 1 > 0.25  # and the last 30 % recover


def test_growth_2021(served: dict[str, str]) -> None:
    prices = closes(served["growth_2021"], "growth_2021")
    assert 0.20 <= prices[-1] / prices[0] - 1 <= 0.30
    assert max_drawdown(prices) > -0.10


def test_volatility_periods(served: dict[str, str]) -> None:
    prices = closes(served["volatility_periods"], "volatility_periods")
    assert 0.24 <= prices.max() / prices.min() - 1 <= 0.36
    assert abs(prices[-1] / prices[0] - 1) < 0.05  # sideways
    centred = np.sign(np.log(prices) - np.log(prices).mean())
    assert np.count_nonzero(np.diff(centred)) >= 4  # reverts to its mean again and again


def test_trend_changes(served: dict[str, str]) -> None:
    prices = closes(served["trend_changes"], "trend_changes")
    n = len(prices) - 1
    edges = [0, round(n * 0.25), round(n * 0.5), round(n * 0.75), n]
    moves = [prices[b] / prices[a] - 1 for a, b in itertools.pairwise(edges)]
    up, down, up_again, flat = moves
    assert up > 0.10 and down < -0.10 and up_again > 0.10 and abs(flat) < 0.05


def test_high_low_events(served: dict[str, str]) -> None:
    prices = closes(served["high_low_events"], "high_low_events")
    events = [
        i for i in range(20, len(prices))
        if prices[i] > prices[i - 20 : i].max() or prices[i] < prices[i - 20 : i].min()
    ]  # fmt: skip
    gaps = np.diff(events)
    assert 5.0 <= gaps.mean() <= 6.0 and gaps.max() <= 8


def test_scenarios_leave_other_years_alone(market: SandboxMarket) -> None:
    crash = SandboxMarket(seed=42, scenario="crash_2020")
    before = (date(2019, 1, 1), date(2019, 12, 31))
    assert crash.daily_bars("AAPL", *before, NOW) == market.daily_bars("AAPL", *before, NOW)
    inside = (date(2020, 3, 1), date(2020, 3, 31))
    assert crash.daily_bars("AAPL", *inside, NOW) != market.daily_bars("AAPL", *inside, NOW)


def test_unknown_scenario_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="crash_2020, growth_2021"):
        SandboxMarket(seed=42, scenario="moon_2030")
