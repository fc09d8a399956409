"""`quality --since` audits the whole loaded history, not only the daily windows.

Nine months of sandbox bars for two symbols, with one bar deleted about 150
sessions back and a 25% bad print about 120 sessions back: the daily run
(a quarter of gaps, 30 sessions of flags) sees neither, the audit sees both,
with the same rules and the same calendar, and fetches nothing unless asked.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from extract.polygon.endpoint import PolygonEndpoint
from kernel.market_calendar import TradingCalendar
from kernel.warehouse import connect, export_connection_env, query
from orchestration.jobs import loads
from orchestration.jobs.quality import run_quality
from orchestration.runtime.dbt_runner import run_dbt
from orchestration.runtime.endpoints import SANDBOX_API_KEY
from orchestration.runtime.services import Endpoints
from sandbox.market import SandboxMarket
from sandbox.server import SandboxServer
from tests.support.cli import cli_env, run_cli
from tests.support.databases import throwaway_database

pytestmark = pytest.mark.integration

SESSION = date(2025, 6, 13)
CALENDAR = TradingCalendar()
SESSIONS = CALENDAR.session_dates(SESSION - timedelta(days=270), SESSION)
OLD_GAP = ("AAPL", SESSIONS[-150])
OLD_BAD_PRINT = ("MSFT", SESSIONS[-120])


@pytest.fixture(scope="module")
def warehouse(servers: Endpoints) -> Iterator[str]:
    with (
        SandboxServer(SandboxMarket(seed=42)) as sandbox,
        throwaway_database(servers.database_url) as url,
    ):
        export_connection_env(url)
        loads.land_calendar(url, CALENDAR, SESSION)
        run_dbt("seed", target="dev")
        api = PolygonEndpoint(sandbox.base_url, SANDBOX_API_KEY, True)
        loads.land_polygon(url, api, resources=("tickers", "grouped_daily"), sessions=[SESSION])
        loads.land_polygon(
            url,
            api,
            resources=("aggs_daily",),
            symbols=["AAPL", "MSFT"],
            start=SESSIONS[0],
            end=SESSION,
        )
        run_dbt("run", "--select", "+tag:quality", target="dev")
        with connect(url) as connection, connection.cursor() as cursor:
            cursor.execute("delete from marts.ohlcv_daily where (symbol, date) = (%s, %s)", OLD_GAP)
            cursor.execute(
                "update marts.ohlcv_daily set close = close * 1.25 where (symbol, date) = (%s, %s)",
                OLD_BAD_PRINT,
            )
        yield url


def _gaps(report_gaps: list) -> set[tuple[str, date]]:
    return {(gap.symbol, day) for gap in report_gaps for day in gap.missing_sessions}


def test_the_daily_run_looks_at_its_windows_only(warehouse: str) -> None:
    report = run_quality(warehouse, SESSION, "dev", endpoint=None).report
    assert report.since is None
    assert OLD_GAP not in _gaps(report.gaps)
    assert all(anomaly.date == SESSION for anomaly in report.anomalies)


def test_the_audit_reports_every_old_gap_and_anomaly(warehouse: str) -> None:
    checked = run_quality(warehouse, SESSION, "dev", endpoint=None, since=SESSIONS[0])
    report = checked.report
    assert report.since == SESSIONS[0]
    assert _gaps(report.gaps) == {OLD_GAP}
    jumps = {(a.symbol, a.date) for a in report.anomalies if a.kind == "price_jump"}
    # (The way back down, -20%, is at the threshold, not above it.)
    assert OLD_BAD_PRINT in jumps
    assert checked.paths.quality_json.endswith(f"audit-{SESSIONS[0]}-{SESSION}/quality_report.json")
    # The same calendar as the daily run: special closures owe nothing.
    closures = [date(2001, 9, 11), date(2012, 10, 29), date(2018, 12, 5)]
    assert not query(
        warehouse,
        "select session_date from quality.trading_sessions where session_date = any(%s)",
        (closures,),
    )


def test_the_cli_audits_all_history_without_fetching(warehouse: str, servers: Endpoints) -> None:
    env = cli_env(warehouse, servers.redis_url)
    # An API nobody listens on: the audit must not need it.
    env["POLYGON_BASE_URL"] = "http://127.0.0.1:9"
    env["POLYGON_API_KEY"] = "not-used"
    done = run_cli("quality", "--date", SESSION.isoformat(), "--all-history", env=env)
    assert f"auditing the history from {SESSIONS[0]} to {SESSION}" in done.stdout
    assert f"gap AAPL: {OLD_GAP[1]}" in done.stdout
    refused = run_cli("quality", "--since", "2030-01-02", "--date", SESSION.isoformat(), env=env)
    assert (
        refused.returncode == 2
        and "is after the session checked" in refused.stdout + refused.stderr
    )
