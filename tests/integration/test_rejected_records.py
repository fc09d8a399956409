"""Malformed source records are set aside row by row; the rest of their page lands.

The sandbox built with glitches serves one malformed record of each kind
(`sandbox.poison`); each test lands the page holding it from a real HTTP
server into a real Postgres.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import dlt
import pytest

from extract.pipelines import LoadAborted, make_pipeline, run_and_count
from extract.polygon.endpoint import PolygonEndpoint
from extract.polygon.reference import DIVIDENDS_PATH, TICKER_EVENTS_PATH
from extract.polygon.settings import GROUPED_DAILY_PATH, TICKERS_PATH
from kernel.warehouse import connect
from orchestration.jobs.loads import land_polygon
from orchestration.jobs.reference import land_reference
from orchestration.jobs.rejections import rejected_count
from sandbox.market import SandboxMarket
from sandbox.params import NEW_YORK
from sandbox.poison import BAR_KINDS
from sandbox.server import SandboxServer
from tests.support.scripted import ScriptedServer

pytestmark = pytest.mark.integration

NOW = datetime(2026, 1, 15, 18, 0, tzinfo=NEW_YORK)
BAR_REASONS = {
    "missing_ticker": "missing `T`",
    "missing_timestamp": "missing `t`",
    "nan_price": "`c` is not finite: NaN",
    "infinite_price": "`h` is not finite: Infinity",
    "overflow_price": "`o` is out of range (more than 20 digits before the point)",
    "huge_volume": "`v` is out of range (more than 20 digits before the point)",
    "fractional_transactions": "`n` is not a whole number: ",
    "text_price": '`vw` is not a number: "n/a"',
}


@pytest.fixture(scope="module")
def market() -> SandboxMarket:
    return SandboxMarket(seed=42, glitches=True)


@pytest.fixture(scope="module")
def api(market: SandboxMarket) -> Iterator[PolygonEndpoint]:
    with SandboxServer(market, clock=lambda: NOW) as server:
        yield PolygonEndpoint(server.base_url, "sandbox-key", synthetic=True)


def _rows(database_url: str, sql: str, params: Any = None) -> list[tuple]:
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _glitch(market: SandboxMarket, kind: str) -> Any:
    """A malformed record of `kind` from 2016-2025, the only glitch on its date."""
    glitches = market.glitch_list()
    return next(
        g
        for g in glitches
        if g.kind == kind
        and 2016 <= g.session.year <= 2025
        and sum(other.session == g.session for other in glitches) == 1
    )


@pytest.mark.parametrize("kind", BAR_KINDS)
def test_a_malformed_grouped_bar_is_set_aside_and_the_market_lands(
    fresh_database: str, market: SandboxMarket, api: PolygonEndpoint, kind: str
) -> None:
    glitch = _glitch(market, kind)
    landing = land_polygon(
        fresh_database, api, resources=("grouped_daily",), sessions=[glitch.session], run_id="r1"
    )
    ((endpoint, request, raw, reason, session, run_id),) = _rows(
        fresh_database,
        "select endpoint, request, raw_record, reason, session_date, run_id"
        " from ops.rejected_records",
    )
    assert (endpoint, session, run_id) == (GROUPED_DAILY_PATH, glitch.session, "r1")
    assert reason.startswith(BAR_REASONS[kind]), reason
    assert request.endswith(f"/stocks/{glitch.session}?adjusted=false") and "key" not in request
    if kind != "missing_ticker":
        assert f'"T":"{glitch.ticker}"' in raw
    # Every other bar of the page landed; the malformed one did not.
    traded = {bar.ticker for bar in market.grouped_daily(glitch.session, NOW)}
    landed = {t for (t,) in _rows(fresh_database, "select ticker from raw_polygon.grouped_daily")}
    assert landed == traded - {glitch.ticker} and len(traded) > 10
    assert landing.failures == [] and landing.rows["grouped_daily"] == len(traded) - 1
    assert rejected_count(fresh_database, run_id="r1") == 1
    assert rejected_count(fresh_database, session=glitch.session) == 1


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("empty_dividend_date", "empty date `pay_date`"),
        ("bad_dividend_date", "`record_date` is not a date: '2021-02-30'"),
    ],
)
def test_a_dividend_with_a_bad_date_is_set_aside_and_the_others_land(
    fresh_database: str, market: SandboxMarket, api: PolygonEndpoint, kind: str, reason: str
) -> None:
    glitch = _glitch(market, kind)
    landing = land_reference(
        fresh_database, api, resources=["dividends"], action_symbols=[glitch.ticker]
    )
    ((endpoint, raw, why),) = _rows(
        fresh_database, "select endpoint, raw_record, reason from ops.rejected_records"
    )
    assert (endpoint, why) == (DIVIDENDS_PATH, reason)
    assert f'"ex_dividend_date":"{glitch.session}"' in raw
    declared = {
        d.ex_dividend_date
        for d in market.actions.dividends
        if d.ticker == glitch.ticker and d.declaration_date <= NOW.date()
    }
    landed = {
        day
        for (day,) in _rows(fresh_database, "select ex_dividend_date from raw_polygon.dividends")
    }
    assert landed == declared - {glitch.session} and len(declared) > 4
    assert landing.failures == []


def test_a_ticker_event_with_an_empty_date_is_set_aside_and_the_others_land(
    fresh_database: str, market: SandboxMarket, api: PolygonEndpoint
) -> None:
    glitch = next(g for g in market.glitch_list() if g.kind == "empty_event_date")
    land_reference(fresh_database, api, symbols=[glitch.ticker], resources=["ticker_events"])
    ((endpoint, raw, reason),) = _rows(
        fresh_database, "select endpoint, raw_record, reason from ops.rejected_records"
    )
    assert (endpoint, reason) == (TICKER_EVENTS_PATH, "empty date `date`")
    assert '"date":""' in raw
    landed = _rows(fresh_database, "select ticker, date from raw_polygon.ticker_events")
    history = market.actions.ticker_history[glitch.ticker]
    assert landed == [(change.ticker, change.date) for change in history[1:]]


_COLUMNS = {"a": {"data_type": "bigint", "nullable": False}}


def _csv_rows(text_by_load: str) -> Any:
    """A resource importing one CSV load file (what the bars path does), `{load}` filled in."""

    columns = {**_COLUMNS, "_dlt_load_id": {"data_type": "text", "nullable": False}}

    @dlt.resource(name="numbers", columns=columns)
    def numbers() -> Iterator[Any]:
        load_id = dlt.current.load_package_state()["load_id"]
        path = Path(tempfile.mkdtemp()) / "rows.csv"
        path.write_text(text_by_load.format(load=load_id))
        yield dlt.mark.with_file_import(str(path), "csv", items_count=1)

    return numbers()


def test_a_package_failing_terminally_is_aborted_not_replayed(fresh_database: str) -> None:
    pipeline = make_pipeline("poison_check", "raw_poison", fresh_database)
    with pytest.raises(LoadAborted, match="failed terminally"):
        # A NULL in a NOT NULL column: every replay of this package would fail the same way.
        run_and_count(pipeline, _csv_rows("a,_dlt_load_id\n,{load}\n"))
    assert not pipeline.has_pending_data
    # The next run lands its own data instead of replaying the broken package.
    assert run_and_count(pipeline, _csv_rows("a,_dlt_load_id\n7,{load}\n")) == {"numbers": 1}
    assert _rows(fresh_database, "select a from raw_poison.numbers") == [(7,)]


def test_a_broken_package_left_by_an_earlier_run_is_dropped_and_reported(
    fresh_database: str,
) -> None:
    pipeline = make_pipeline("poison_left", "raw_poison", fresh_database)
    run_and_count(pipeline, dlt.resource([{"a": 7}], name="numbers", columns=_COLUMNS))
    # A run killed after extracting leaves its package pending (it cannot normalize).
    pipeline.extract(dlt.resource([{"a": None}], name="numbers", columns=_COLUMNS))
    assert pipeline.has_pending_data
    aborted: list[str] = []
    good = dlt.resource([{"a": 8}], name="numbers", columns=_COLUMNS)
    rows = run_and_count(pipeline, good, aborted)
    assert rows == {"numbers": 1} and len(aborted) == 1
    assert "failed terminally at normalize and was aborted" in aborted[0]
    assert _rows(fresh_database, "select a from raw_poison.numbers order by a") == [(7,), (8,)]
    assert not pipeline.has_pending_data


def test_tickers_without_a_ticker_or_with_wrong_types_are_set_aside(fresh_database: str) -> None:
    page = (
        b'{"status":"OK","results":['
        b'{"ticker":"AAPL","name":"Apple Inc.","active":true},'
        b'{"name":"No Ticker Corp","active":true},'
        b'{"ticker":"MSFT","name":"Microsoft","active":"yes"}]}'
    )
    with ScriptedServer({TICKERS_PATH: [(200, page, {})]}) as scripted:
        endpoint = PolygonEndpoint(scripted.base_url, "k", synthetic=False)
        landing = land_polygon(fresh_database, endpoint, resources=("tickers",), run_id="r2")
    assert _rows(fresh_database, "select ticker from raw_polygon.tickers") == [("AAPL",)]
    rejected = _rows(
        fresh_database, "select endpoint, reason from ops.rejected_records order by reason"
    )
    assert rejected == [
        (TICKERS_PATH, '`active` is not a boolean: "yes"'),
        (TICKERS_PATH, "missing `ticker`"),
    ]
    assert landing.failures == [] and rejected_count(fresh_database, run_id="r2") == 2
