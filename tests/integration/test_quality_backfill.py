"""Gaps found by the quality run are re-fetched, exactly, and close.

Bars of known sessions are deleted from the raw, intermediate and mart tables;
the quality run must then ask the (sandbox) API for those sessions and nothing
else — counted on a recording proxy in front of the sandbox — and the report
must show the gaps closed. Real Postgres, dbt, GX and sandbox over HTTP.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests

from extract.polygon.endpoint import PolygonEndpoint
from kernel.market_calendar import TradingCalendar
from kernel.warehouse import connect, export_connection_env, query
from orchestration.jobs import loads
from orchestration.jobs.backfill import plan_backfill, read_expected, read_gaps
from orchestration.jobs.quality import run_quality
from orchestration.runtime.dbt_runner import run_dbt
from orchestration.runtime.endpoints import SANDBOX_API_KEY
from orchestration.runtime.services import Endpoints
from sandbox.market import SandboxMarket
from sandbox.server import SandboxServer
from tests.support.contracts import schema_errors
from tests.support.databases import throwaway_database
from tests.support.loopback import JsonHandler, LoopbackServer

pytestmark = pytest.mark.integration

SESSION = date(2025, 6, 13)
WHOLE_SESSION = date(2025, 6, 5)
# Two consecutive AAPL sessions and one MSFT session (fetched per ticker), and
# a session every symbol misses (fetched once for the whole market).
PER_TICKER = [
    ("AAPL", date(2025, 6, 10)),
    ("AAPL", date(2025, 6, 11)),
    ("MSFT", date(2025, 5, 22)),
]
EXPECTED_REQUESTS = sorted(
    [
        "/v2/aggs/grouped/locale/us/market/stocks/2025-06-05",
        "/v2/aggs/ticker/AAPL/range/1/day/2025-06-10/2025-06-11",
        "/v2/aggs/ticker/MSFT/range/1/day/2025-05-22/2025-05-22",
    ]
)


class RecordingProxy:
    """Forwards GETs to the sandbox and records each request's path."""

    def __init__(self, upstream: str) -> None:
        self.paths: list[str] = []
        lock = threading.Lock()
        paths = self.paths

        class Forward(JsonHandler):
            def do_GET(self) -> None:
                with lock:
                    paths.append(self.path.split("?")[0])
                answer = requests.get(
                    upstream + self.path,
                    headers={"Authorization": self.headers.get("Authorization", "")},
                    timeout=30,
                )
                self.send_json(answer.status_code, answer.content)

        self.server = LoopbackServer(Forward)


def _delete_bars(url: str, bars: list[tuple[str, date]]) -> None:
    with connect(url) as connection, connection.cursor() as cursor:
        for symbol, day in bars:
            for table, key in (
                ("raw_polygon.aggs_daily", "ticker"),
                ("raw_polygon.grouped_daily", "ticker"),
            ):
                cursor.execute(
                    f"delete from {table} where {key} = %s and"
                    " (to_timestamp(t / 1000.0) at time zone 'America/New_York')::date = %s",
                    (symbol, day),
                )
            cursor.execute(
                "delete from marts.ohlcv_daily where symbol = %s and date = %s", (symbol, day)
            )


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxMarket(seed=42)) as server:
        yield server


@pytest.fixture(scope="module")
def warehouse(servers: Endpoints, sandbox: SandboxServer) -> Iterator[str]:
    """Two months of whole-market sandbox bars, as daily EOD runs land them."""
    calendar = TradingCalendar()
    with throwaway_database(servers.database_url) as url:
        export_connection_env(url)
        loads.land_calendar(url, calendar, SESSION)
        run_dbt("seed", target="dev")
        api = PolygonEndpoint(sandbox.base_url, SANDBOX_API_KEY, True)
        sessions = calendar.session_dates(SESSION - timedelta(days=60), SESSION)
        loads.land_polygon(url, api, resources=("tickers", "grouped_daily"), sessions=sessions)
        # The bootstrap's per-ticker history, which creates the aggs table too.
        loads.land_polygon(
            url, api, resources=("aggs_daily",), symbols=["AAPL"], start=sessions[0], end=SESSION
        )
        # The models the quality ones read (their tests are other suites' business);
        # the quality run builds and tests its own models.
        run_dbt("run", "--select", "+tag:quality", target="dev")
        symbols = [s for (s,) in query(url, "select distinct symbol from marts.ohlcv_daily")]
        _delete_bars(url, PER_TICKER + [(symbol, WHOLE_SESSION) for symbol in symbols])
        yield url


def _deleted(url: str) -> set[tuple[str, str]]:
    """Every (symbol, session) the fixture deleted, as ISO dates."""
    symbols = [s for (s,) in query(url, "select symbol from quality.symbol_coverage")]
    return {(s, d.isoformat()) for s, d in PER_TICKER} | {
        (s, WHOLE_SESSION.isoformat()) for s in symbols
    }


def test_without_an_api_the_gaps_are_reported_and_flagged(warehouse: str) -> None:
    checked = run_quality(warehouse, SESSION, "dev", endpoint=None)
    report = checked.report
    missing = {(g.symbol, d.isoformat()) for g in report.gaps for d in g.missing_sessions}
    assert missing == _deleted(warehouse)
    assert len(missing) > len(PER_TICKER) + 10
    assert report.issues.flagged >= len(missing)
    assert report.expectations["daily_bar_gaps__suite"].failed == 1
    assert not checked.success


def test_the_plan_asks_for_exactly_the_missing_sessions(warehouse: str) -> None:
    plan = plan_backfill(read_gaps(warehouse), read_expected(warehouse))
    assert plan.grouped_sessions == (WHOLE_SESSION,)
    assert [(r.symbols, r.start, r.end) for r in plan.ranges] == [
        (("MSFT",), date(2025, 5, 22), date(2025, 5, 22)),
        (("AAPL",), date(2025, 6, 10), date(2025, 6, 11)),
    ]


def test_backfill_fetches_exactly_the_gaps_and_closes_them(
    warehouse: str, sandbox: SandboxServer
) -> None:
    proxy = RecordingProxy(sandbox.base_url)
    with proxy.server:
        api = PolygonEndpoint(proxy.server.base_url, SANDBOX_API_KEY, True)
        report = run_quality(warehouse, SESSION, "dev", endpoint=api).report
        assert sorted(proxy.paths) == EXPECTED_REQUESTS
        assert report.gaps == []
        assert report.backfill.resolved_bars == len(_deleted(warehouse))
        assert report.issues.resolved_or_flagged_pct >= 99
        assert report.completeness_pct == 100
        for symbol, day in PER_TICKER:
            assert query(
                warehouse,
                "select count(*) from marts.ohlcv_daily where symbol = %s and date = %s",
                (symbol, day),
            ) == [(1,)]

        # Nothing is missing any more: a second run asks for nothing.
        proxy.paths.clear()
        again = run_quality(warehouse, SESSION, "dev", endpoint=api)
        assert proxy.paths == []
        assert again.report.backfill.missing_bars == 0
        assert again.success, again.report.expectations


def test_the_report_files_carry_the_contract_fields(warehouse: str) -> None:
    checked = run_quality(warehouse, SESSION, "dev", endpoint=None)
    data = json.loads(Path(checked.paths.quality_json).read_text())
    assert schema_errors("quality_report", data) == []
    assert {"session_date", "completeness_pct", "gaps", "anomalies", "expectations"} <= set(data)
    assert data["session_date"] == SESSION.isoformat()
    assert data["expectations"]["ohlcv_daily__suite"] == {
        "passed": checked.report.expectations["ohlcv_daily__suite"].passed,
        "failed": 0,
        "failures": [],
    }
    assert {"auto_resolved", "flagged"} <= set(data["issues"])
    markdown = Path(checked.paths.quality_markdown).read_text()
    assert f"# Data quality — {SESSION}" in markdown
    html = Path(checked.paths.quality_html).read_text()
    assert "<h2>Expectation suites</h2>" in html and "ohlcv_daily__suite" in html
