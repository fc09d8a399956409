"""`tickstock load` against a plain pandas script: `python -m benchmarks.bench_load_vs_pandas`.

Targets (issue 18): at 50 symbols x 5 years `tickstock load` (fetch, land,
marts built and tested) is at least 3x faster than a per-symbol script that
fetches the same ranges from the same sandbox and writes them with pandas
`DataFrame.to_sql`; at 500 symbols x 5 years at least 10x. Both run in this
process's run, against one full-size sandbox served over HTTP, each into a
throw-away database of the configured (or embedded) Postgres. The load
starts from a warehouse one EOD bootstrapped (its calendar, symbols and
groups), as a developer's would; the bootstrap is not timed.

Arguments: symbol counts to measure (default: 50 500).
"""

from __future__ import annotations

import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import requests
import sqlalchemy

from benchmarks import timed
from kernel.settings import read_settings
from orchestration.runtime.services import Endpoints, resolve_endpoints
from tests.support.cli import cli_env, run_cli, sandbox_process
from tests.support.databases import throwaway_database

SESSION = date(2025, 6, 13)
YEARS = 5
KEY = "bench-key"
TARGETS = {50: 3.0, 500: 10.0}


def common_stocks(base_url: str, count: int) -> list[str]:
    """The first `count` active common stocks the sandbox lists."""
    symbols: list[str] = []
    url: str | None = f"{base_url}/v3/reference/tickers?type=CS&active=true&limit=1000"
    while url and len(symbols) < count:
        page = requests.get(url, headers={"Authorization": f"Bearer {KEY}"}, timeout=60).json()
        symbols += [row["ticker"] for row in page["results"]]
        url = page.get("next_url")
    return symbols[:count]


def sandbox_env(database_url: str, redis_url: str, base_url: str) -> dict[str, str]:
    """A CLI environment on these servers and the sandbox at `base_url`, on a paid plan."""
    return cli_env(
        database_url, redis_url, POLYGON_API_KEY=KEY, POLYGON_BASE_URL=base_url, POLYGON_PLAN="paid"
    )


def _pandas_script(base_url: str, database_url: str, symbols: list[str]) -> int:
    """Fetch each symbol's range and append it with `to_sql`: what a quick script does."""
    # psycopg2, the driver the project ships (SQLAlchemy 2.1 defaults to psycopg 3).
    engine = sqlalchemy.create_engine(
        database_url.replace("postgresql://", "postgresql+psycopg2://", 1)
    )
    first = SESSION - timedelta(days=round(365.25 * YEARS))
    rows = 0
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {KEY}"
        for symbol in symbols:
            url = f"{base_url}/v2/aggs/ticker/{symbol}/range/1/day/{first}/{SESSION}"
            bars = http.get(url, params={"adjusted": "false", "limit": 50000}, timeout=60).json()
            frame = pd.DataFrame(bars.get("results", []))
            frame["ticker"] = symbol
            frame.to_sql("daily_bars", engine, if_exists="append", index=False)
            rows += len(frame)
    engine.dispose()
    return rows


def _compare(base_url: str, server: Endpoints, count: int) -> None:
    """Time the script and the load for `count` symbols; print both and the speed-up."""
    symbols = common_stocks(base_url, count)
    with throwaway_database(server.database_url) as database_url:
        script_s, rows = timed(lambda: _pandas_script(base_url, database_url, symbols))
    with throwaway_database(server.database_url) as database_url:
        env = sandbox_env(database_url, server.redis_url, base_url)
        booted = run_cli("eod", "--date", SESSION.isoformat(), env=env)
        assert booted.returncode == 0, booted.stdout + booted.stderr
        args = ["load", "--symbols", ",".join(symbols), "--years", str(YEARS)]
        load_s, loaded = timed(lambda: run_cli(*args, "--to", str(SESSION), env=env))
        assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    speedup = script_s / load_s
    target = TARGETS.get(count, 1.0)
    print(
        f"{count} symbols x {YEARS} years: pandas to_sql script {script_s:.1f} s "
        f"({rows:,} rows, no marts, no tests); tickstock load {load_s:.1f} s "
        f"(marts built and tested): {speedup:.2f}x (target >= {target:g}x) "
        f"{'OK' if speedup >= target else 'UNDER TARGET'}",
        flush=True,
    )


def main() -> None:
    counts = [int(arg) for arg in sys.argv[1:]] or [50, 500]
    server = resolve_endpoints(read_settings())
    log = Path(tempfile.mkdtemp()) / "sandbox.log"
    with sandbox_process(log, "--size", "full") as base_url:
        for count in counts:
            _compare(base_url, server, count)


if __name__ == "__main__":
    main()
