"""Sandbox market speed: `python -m benchmarks.bench_sandbox` prints one line per measurement.

Targets (issue 4): a full-market grouped-daily day under 200 ms, and one year
of minute bars for one symbol under 1 s. A full-size market generates each
year of prices for all its listings once (the "cold" first day of a year);
every later day of that year is read from memory ("warm"), which is what a
backfill walking the sessions sees for all days but the first of each year.

A per-symbol backfill asks for 5 years of daily bars of 500 symbols in ticker
order, so scattered over the catalog: measured against `tickstock sandbox serve
--size full` in its own process (as `bench_backfill` does), once cold (the
server generates every block it needs, once) and once repeated (the server
then answers from its response cache of past bars; target: a repeated 5-year
range under 10 ms).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from tempfile import TemporaryDirectory

import requests

from benchmarks import timed
from sandbox.market import SandboxMarket
from sandbox.server import SandboxServer
from tests.support.cli import sandbox_process

NOW = datetime(2026, 1, 15, 12, tzinfo=UTC)
TARGET_GROUPED_S = 0.200
TARGET_MINUTES_S = 1.0
TARGET_RANGE_S = 0.010
BACKFILL = (date(2020, 12, 1), date(2025, 12, 31))
BACKFILL_SYMBOLS = 500


def _report(label: str, seconds: float, detail: str, target: float | None = None) -> None:
    verdict = "" if target is None else ("  OK" if seconds < target else "  OVER TARGET")
    limit = "" if target is None else f" (target < {target * 1000:.0f} ms)"
    print(f"{label:<46} {seconds * 1000:9.1f} ms  {detail}{limit}{verdict}")


def main() -> None:
    """Measure and print catalog build, cold and warm grouped days, and a year of minutes."""
    seconds, market = timed(lambda: SandboxMarket(seed=42, size="full"))
    _report("full market: build catalog", seconds, f"{len(market.listings)} listings")
    seconds, bars = timed(lambda: market.grouped_daily(date(2025, 6, 2), NOW))
    _report("full grouped day, cold (generates 2015-2025)", seconds, f"{len(bars)} bars")
    seconds, bars = timed(lambda: market.grouped_daily(date(2025, 6, 3), NOW))
    _report("full grouped day, warm", seconds, f"{len(bars)} bars", TARGET_GROUPED_S)
    seconds, actions = timed(lambda: market.actions)
    detail = f"{len(actions.splits)} splits, {len(actions.dividends)} dividends"
    _report("full corporate actions, first use", seconds, detail)
    seconds, bars = timed(lambda: market.grouped_daily(date(2025, 6, 4), NOW, adjusted=False))
    _report("full grouped day, warm, adjusted=false", seconds, f"{len(bars)} bars")

    with SandboxServer(market, api_key="bench", clock=lambda: NOW) as server:
        url = f"{server.base_url}/v2/aggs/grouped/locale/us/market/stocks/2025-06-05"
        headers = {"Authorization": "Bearer bench"}
        seconds, response = timed(lambda: requests.get(url, headers=headers, timeout=60))
        _report("full grouped day over HTTP, warm", seconds, f"{len(response.content)} bytes")

    for size in ("dev", "full"):
        fresh = SandboxMarket(seed=42, size=size)
        seconds, minutes = timed(
            lambda fresh=fresh: fresh.minute_bars(
                "AAPL",
                int(datetime(2025, 1, 1, tzinfo=UTC).timestamp() * 1000),
                int(datetime(2026, 1, 1, tzinfo=UTC).timestamp() * 1000),
                NOW,
            )
        )
        label = f"one year of AAPL minutes, cold ({size})"
        _report(label, seconds, f"{len(minutes)} bars", TARGET_MINUTES_S)

    _per_symbol_ranges(market)


def _per_symbol_ranges(market: SandboxMarket) -> None:
    """5-year daily ranges of 500 symbols in ticker order, and a month of minutes, over HTTP."""
    first, last = BACKFILL
    symbols = [
        listing.ticker
        for listing in market.listings
        if listing.type in ("CS", "ETF") and listing.delisted is None
        if listing.list_date <= first
    ][:BACKFILL_SYMBOLS]
    with (
        TemporaryDirectory() as scratch,
        sandbox_process(Path(scratch) / "access.log", "--size", "full") as base_url,
        requests.Session() as session,
    ):
        session.headers["Authorization"] = "Bearer bench"

        def walk() -> int:
            size = 0
            for ticker in symbols:
                url = f"{base_url}/v2/aggs/ticker/{ticker}/range/1/day/{first}/{last}"
                size += len(session.get(url, timeout=120).content)
            return size

        for state in ("cold", "repeated"):
            seconds, size = timed(walk)
            label = f"{len(symbols)} 5-year daily ranges over HTTP, {state}"
            _report(label, seconds, f"{seconds / len(symbols) * 1000:.1f} ms each, {size} bytes")
        url = f"{base_url}/v2/aggs/ticker/{symbols[0]}/range/1/day/{first}/{last}"
        seconds, _ = timed(lambda: [session.get(url, timeout=60) for _ in range(20)])
        label = "one 5-year daily range over HTTP, repeated"
        _report(label, seconds / 20, symbols[0], TARGET_RANGE_S)
        url = f"{base_url}/v2/aggs/ticker/{symbols[0]}/range/1/day/2025-12-01/{last}"
        seconds, _ = timed(lambda: [session.get(url, timeout=60) for _ in range(20)])
        label = "one 1-month daily range over HTTP, repeated"
        _report(label, seconds / 20, "small answers on a kept-alive connection", TARGET_RANGE_S)
        url = f"{base_url}/v2/aggs/ticker/{symbols[0]}/range/1/minute/2025-06-01/2025-06-30"
        params = {"limit": 50_000}
        seconds, response = timed(lambda: session.get(url, params=params, timeout=60))
        _report("a month of minutes over HTTP", seconds, f"{len(response.content)} bytes")


if __name__ == "__main__":
    main()
