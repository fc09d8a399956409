"""The history audit at scale: `python -m benchmarks.bench_history_audit [symbols] [years]`.

Target (issue 16): the history audit over 500 symbols x 20 years of daily
bars takes under 60 s. The tickers come from the full-size sandbox (so the
symbols mart and coverage rules are the real ones); the bars are generated
in SQL on the calendar's sessions straight into `marts.ohlcv_daily` (the
extractor's speed is bench_backfill's business), with one missing bar per
symbol somewhere in its history, which the audit must find: printed is the
audit's time and how many of the planted gaps it reported.
"""

from __future__ import annotations

import sys
from datetime import date

from benchmarks import timed
from extract.polygon.endpoint import PolygonEndpoint
from kernel.market_calendar import TradingCalendar
from kernel.settings import read_settings
from kernel.warehouse import connect, export_connection_env
from orchestration.jobs import loads
from orchestration.jobs.quality import run_quality
from orchestration.runtime.dbt_runner import run_dbt
from orchestration.runtime.endpoints import SANDBOX_API_KEY
from orchestration.runtime.services import resolve_endpoints
from sandbox.market import SandboxMarket
from sandbox.server import SandboxServer
from tests.support.databases import throwaway_database

SESSION = date(2025, 6, 13)
TARGET_SECONDS = 60
BARS = """
with picked as (
    select symbol, row_number() over (order by symbol) as n
    from quality.symbol_coverage
    order by symbol
    limit %(symbols)s
),
sessions as (
    select session_date, row_number() over (order by session_date) as n
    from quality.trading_sessions
    where session_date between %(first)s and %(last)s
)
insert into marts.ohlcv_daily (
    symbol, date, open, high, low, close, volume, vwap, transactions, source, loaded_at,
    data_source, split_factor, total_factor
)
select
    picked.symbol, sessions.session_date, 100, 101, 99, 100 + mod(sessions.n, 7), 1000000,
    100, 1000, 'polygon.aggs', now(), 'sandbox', 1, 1
from picked cross join sessions
-- one planted gap per symbol, at a different session each
where sessions.n <> 10 + mod(picked.n * 37, (select count(*) from sessions) - 20);
analyze marts.ohlcv_daily;
"""


def main() -> None:
    symbols = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    years = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    settings = read_settings()
    target = settings.dbt_target
    first = date(SESSION.year - years, SESSION.month, SESSION.day)
    calendar = TradingCalendar()
    with (
        SandboxServer(SandboxMarket(seed=42, size="full")) as sandbox,
        throwaway_database(resolve_endpoints(settings).database_url) as database_url,
    ):
        export_connection_env(database_url)
        loads.land_calendar(database_url, calendar, SESSION)
        run_dbt("seed", target=target)
        api = PolygonEndpoint(sandbox.base_url, SANDBOX_API_KEY, True)
        loads.land_polygon(
            database_url, api, resources=("tickers", "grouped_daily"), sessions=[SESSION]
        )
        run_dbt("run", "--select", "+tag:quality", target=target, variables={
            "quality_session": str(SESSION)})  # fmt: skip
        with connect(database_url) as connection, connection.cursor() as cursor:
            cursor.execute("truncate marts.ohlcv_daily")
            cursor.execute(BARS, {"symbols": symbols, "first": first, "last": SESSION})
            cursor.execute("select count(*), count(distinct symbol) from marts.ohlcv_daily")
            bars, loaded = cursor.fetchone()
        audit_s, checked = timed(
            lambda: run_quality(database_url, SESSION, target, None, lambda _: None, first)
        )
        found = sum(len(gap.missing_sessions) for gap in checked.report.gaps)
        print(
            f"quality --all-history over {bars:,} bars ({loaded} symbols x {years} years): "
            f"{audit_s:.1f} s, {found} gaps reported of {loaded} planted "
            f"(target < {TARGET_SECONDS} s): {'OK' if audit_s < TARGET_SECONDS else 'OVER TARGET'}"
        )


if __name__ == "__main__":
    main()
