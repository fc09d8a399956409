"""Sandbox market speed: `python -m benchmarks.bench_sandbox` prints one line per measurement.

Targets (issue 4): a full-market grouped-daily day under 200 ms, and one year
of minute bars for one symbol under 1 s. A full-size market generates each
year of prices for all its listings once (the "cold" first day of a year);
every later day of that year is read from memory ("warm"), which is what a
backfill walking the sessions sees for all days but the first of each year.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime

from extract.sandbox.market import SandboxMarket
from extract.sandbox.server import SandboxServer

NOW = datetime(2026, 1, 15, 12, tzinfo=UTC)
TARGET_GROUPED_S = 0.200
TARGET_MINUTES_S = 1.0


def _timed(action: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def _report(label: str, seconds: float, detail: str, target: float | None = None) -> None:
    verdict = "" if target is None else ("  OK" if seconds < target else "  OVER TARGET")
    limit = "" if target is None else f" (target < {target * 1000:.0f} ms)"
    print(f"{label:<46} {seconds * 1000:9.1f} ms  {detail}{limit}{verdict}")


def main() -> None:
    """Measure and print catalog build, cold and warm grouped days, and a year of minutes."""
    seconds, market = _timed(lambda: SandboxMarket(seed=42, size="full"))
    _report("full market: build catalog", seconds, f"{len(market.listings)} listings")
    seconds, bars = _timed(lambda: market.grouped_daily(date(2025, 6, 2), NOW))
    _report("full grouped day, cold (generates 2015-2025)", seconds, f"{len(bars)} bars")
    seconds, bars = _timed(lambda: market.grouped_daily(date(2025, 6, 3), NOW))
    _report("full grouped day, warm", seconds, f"{len(bars)} bars", TARGET_GROUPED_S)
    seconds, actions = _timed(lambda: market.actions)
    detail = f"{len(actions.splits)} splits, {len(actions.dividends)} dividends"
    _report("full corporate actions, first use", seconds, detail)
    seconds, bars = _timed(lambda: market.grouped_daily(date(2025, 6, 4), NOW, adjusted=False))
    _report("full grouped day, warm, adjusted=false", seconds, f"{len(bars)} bars")

    with SandboxServer(market, api_key="bench", clock=lambda: NOW) as server:
        import requests

        url = f"{server.base_url}/v2/aggs/grouped/locale/us/market/stocks/2025-06-05"
        headers = {"Authorization": "Bearer bench"}
        seconds, response = _timed(lambda: requests.get(url, headers=headers, timeout=60))
        _report("full grouped day over HTTP, warm", seconds, f"{len(response.content)} bytes")

    for size in ("dev", "full"):
        fresh = SandboxMarket(seed=42, size=size)
        seconds, minutes = _timed(
            lambda fresh=fresh: fresh.minute_bars(
                "AAPL",
                int(datetime(2025, 1, 1, tzinfo=UTC).timestamp() * 1000),
                int(datetime(2026, 1, 1, tzinfo=UTC).timestamp() * 1000),
                NOW,
            )
        )
        label = f"one year of AAPL minutes, cold ({size})"
        _report(label, seconds, f"{len(minutes)} bars", TARGET_MINUTES_S)


if __name__ == "__main__":
    main()
