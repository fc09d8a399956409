"""Contract: every recorded response of an endpoint we use lands value for value.

The responses recorded from the real API (tests/data/shared/polygon_mocks) are served
by the replay server, the real dlt resources land them into a throw-away
Postgres database, and each landed field is compared with the JSON parsed
with exact decimals. The tickers list, the grouped daily mock and the first
AAPL range are compared in tests/integration/test_polygon_landing.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from extract.polygon.endpoint import PolygonEndpoint
from kernel.warehouse import connect, export_connection_env
from orchestration.jobs.loads import land_polygon
from orchestration.jobs.reference import REFERENCE_RESOURCES, land_reference
from orchestration.runtime.dbt_runner import run_dbt, summarise
from tests.support.databases import throwaway_database
from tests.support.replay import MOCKS_DIR, ReplayServer

pytestmark = pytest.mark.integration

KEY = "recorded-key-0123"
DETAILS = "v3/reference/tickers/AAPL.json"
DETAILS_AS_OF = "v3/reference/tickers/AAPL&date=2020-10-01.json"
TYPES = "v3/reference/tickers/types.json"
EVENTS = "vX/reference/tickers/META/events&types=ticker_change.json"
SPLITS = "v3/reference/splits.json"
DIVIDENDS = "v3/reference/dividends.json"
SNAPSHOT = "v2/snapshot/locale/us/markets/stocks/tickers/index.json"
STATUS_NOW = "v1/marketstatus/now.json"
UPCOMING = "v1/marketstatus/upcoming.json"
SECOND_RANGE = "v2/aggs/ticker/AAPL/range/1/day/2005-04-02/2005-04-04.json"
# Compared value for value in tests/integration/test_polygon_landing.py.
LANDED_BY_BARS_TESTS = {
    "v3/reference/tickers.json",
    "v2/aggs/grouped/locale/us/market/stocks/2005-04-04&adjusted=true.json",
    "v2/aggs/ticker/AAPL/range/1/day/2005-04-01/2005-04-04.json",
}
# URL paths of every endpoint the extractor calls.
USED_ENDPOINTS = [
    re.compile(pattern)
    for pattern in (
        r"/v3/reference/tickers",
        r"/v3/reference/tickers/[^/]+",
        r"/vX/reference/tickers/[^/]+/events",
        r"/v3/reference/(splits|dividends)",
        r"/v2/aggs/ticker/[^/]+/range/1/(day|minute)/[^/]+/[^/]+",
        r"/v2/aggs/grouped/locale/us/market/stocks/[^/]+",
        r"/v2/snapshot/locale/us/markets/stocks/tickers",
        r"/v1/marketstatus/(now|upcoming)",
    )
]
# The snapshot quote's ask `P`/`S` and bid `p`/`s` would collide in snake_case
# (they land as last_quote__ask_price and so on).
SNAPSHOT_RENAMES = {
    "lastQuote.P": "ask_price",
    "lastQuote.S": "ask_size",
    "lastQuote.p": "bid_price",
    "lastQuote.s": "bid_size",
}


def _recorded(relative: str) -> Any:
    return json.loads((MOCKS_DIR / relative).read_text(), parse_float=Decimal)


def _rows(database_url: str, sql: str) -> list[dict[str, Any]]:
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _flatten(record: dict[str, Any], renames: dict[str, str], path: str = "") -> dict[str, Any]:
    """{landed column: JSON value}: nested objects become `parent__child` columns."""
    columns: dict[str, Any] = {}
    for key, value in record.items():
        dotted = f"{path}.{key}" if path else key
        if isinstance(value, dict):
            for inner, inner_value in _flatten(value, renames, dotted).items():
                columns[f"{_snake(key)}__{inner}"] = inner_value
        else:
            columns[renames.get(dotted, _snake(key))] = value
    return columns


def _same(landed: Any, recorded: Any) -> bool:
    """Landed value equals the JSON value: ISO text compares as date or instant."""
    if isinstance(landed, datetime):
        return landed == datetime.fromisoformat(recorded.replace("Z", "+00:00"))
    if isinstance(landed, date):
        return landed == date.fromisoformat(recorded)
    if isinstance(recorded, Decimal | int) and not isinstance(recorded, bool):
        return isinstance(landed, Decimal | int) and landed == recorded
    return landed == recorded


def _assert_landed(
    row: dict[str, Any], record: dict[str, Any], renames: dict[str, str] | None = None
) -> None:
    for column, value in _flatten(record, renames or {}).items():
        assert column in row, f"{column} was not landed"
        assert _same(row[column], value), (column, row[column], value)


@dataclass
class Landed:
    database_url: str
    replay: ReplayServer
    failures: list


@pytest.fixture(scope="module")
def landed(servers) -> Iterator[Landed]:
    """Every reference mock (and the second AAPL range) landed into one database."""
    with throwaway_database(servers.database_url) as url, ReplayServer() as replay:
        endpoint = PolygonEndpoint(replay.base_url, KEY, synthetic=False)
        no_events = [name for name in REFERENCE_RESOURCES if name != "ticker_events"]
        failures = land_reference(url, endpoint, ["AAPL"], resources=no_events).failures
        failures += land_reference(url, endpoint, ["META"], resources=["ticker_events"]).failures
        failures += land_polygon(
            url,
            endpoint,
            resources=("aggs_daily",),
            symbols=["AAPL"],
            start=date(2005, 4, 2),
            end=date(2005, 4, 4),
        ).failures
        yield Landed(url, replay, failures)


def test_every_request_succeeded_with_the_bearer_key(landed):
    assert landed.failures == []
    assert set(landed.replay.authorizations) == {f"Bearer {KEY}"}
    assert not any(KEY in path or "apikey" in path.lower() for path in landed.replay.requests)


def test_every_mock_of_an_endpoint_we_use_is_compared(landed):
    used = set()
    for file in MOCKS_DIR.rglob("*.json"):
        relative = file.relative_to(MOCKS_DIR).as_posix()
        url_path = "/" + re.sub(r"(/index)?\.json$", "", relative.partition("&")[0])
        if any(pattern.fullmatch(url_path) for pattern in USED_ENDPOINTS):
            used.add(relative)
    served = {file.relative_to(MOCKS_DIR).as_posix() for file in landed.replay.served}
    # The tickers list's second page is reached through the first page's next_url.
    second_page = {name for name in used if name.startswith("v3/reference/tickers&cursor=")}
    assert len(second_page) == 1
    assert used - second_page - LANDED_BY_BARS_TESTS - {DETAILS_AS_OF} == served
    assert len(used) == 14


def test_ticker_details_keep_every_field(landed):
    (row,) = _rows(landed.database_url, "select * from raw_polygon.ticker_details")
    _assert_landed(row, _recorded(DETAILS)["results"])
    assert row["as_of_date"] is None
    assert row["market_cap"] == Decimal("2488795282370")


def test_point_in_time_ticker_details_keep_every_field(servers):
    with throwaway_database(servers.database_url) as url, ReplayServer() as replay:
        endpoint = PolygonEndpoint(replay.base_url, KEY, synthetic=False)
        landing = land_reference(url, endpoint, ["AAPL"], ["ticker_details"], date(2020, 10, 1))
        (row,) = _rows(url, "select * from raw_polygon.ticker_details")
    assert landing.failures == []
    _assert_landed(row, _recorded(DETAILS_AS_OF)["results"])
    assert row["as_of_date"] == date(2020, 10, 1)
    assert row["market_cap"] == Decimal("1916103105630")


def test_ticker_types_keep_every_field(landed):
    rows = _rows(landed.database_url, "select * from raw_polygon.ticker_types")
    recorded = _recorded(TYPES)["results"]
    by_code = {row["code"]: row for row in rows}
    assert len(rows) == len(recorded) == 15
    for record in recorded:
        _assert_landed(by_code[record["code"]], record)


def test_ticker_events_one_row_per_change(landed):
    rows = _rows(landed.database_url, "select * from raw_polygon.ticker_events order by date")
    results = _recorded(EVENTS)["results"]
    events = sorted(results["events"], key=lambda event: event["date"])
    assert (
        [(row["date"].isoformat(), row["ticker"]) for row in rows]
        == [(event["date"], event["ticker_change"]["ticker"]) for event in events]
        == [("2012-05-18", "FB"), ("2022-06-11", "META")]
    )
    for row in rows:
        assert row["queried_id"] == "META"
        assert row["type"] == "ticker_change"
        for field in ("name", "composite_figi", "cik"):
            assert row[field] == results[field]


@pytest.mark.parametrize(
    ("table", "mock", "key"),
    [
        ("splits", SPLITS, ("ticker", "execution_date")),
        ("dividends", DIVIDENDS, ("ticker", "ex_dividend_date", "dividend_type")),
        ("market_holidays", UPCOMING, ("exchange", "date")),
    ],
)
def test_listed_records_keep_every_field(landed, table, mock, key):
    recorded = _recorded(mock)
    records = recorded if isinstance(recorded, list) else recorded["results"]
    rows = _rows(landed.database_url, f"select * from raw_polygon.{table}")
    by_key = {tuple(str(row[name]) for name in key): row for row in rows}
    assert len(rows) == len(records) > 0
    for record in records:
        _assert_landed(by_key[tuple(str(record[name]) for name in key)], record)


def test_snapshot_flattens_every_field(landed):
    rows = _rows(landed.database_url, "select * from raw_polygon.snapshot")
    (record,) = _recorded(SNAPSHOT)["tickers"]
    (row,) = rows
    _assert_landed(row, record, SNAPSHOT_RENAMES)
    assert row["fmv"] == Decimal("20.5")
    assert row["last_quote__ask_price"] == Decimal("20.6")
    assert row["last_quote__bid_price"] == Decimal("20.5")
    assert row["last_trade__t"] == 1605192894630916600  # nanoseconds, exact
    assert abs(row["snapshot_at"] - datetime.now(UTC)) < timedelta(minutes=10)


def test_market_status_keeps_every_field(landed):
    (row,) = _rows(landed.database_url, "select * from raw_polygon.market_status")
    _assert_landed(row, _recorded(STATUS_NOW))
    assert row["server_time"] == datetime.fromisoformat("2022-04-28T20:48:08+00:00")


def test_second_range_lands_exact_bars(landed):
    recorded = _recorded(SECOND_RANGE)
    rows = {
        row["t"]: row for row in _rows(landed.database_url, "select * from raw_polygon.aggs_daily")
    }
    assert len(rows) == len(recorded["results"])
    for bar in recorded["results"]:
        _assert_landed(rows[bar["t"]], bar)


def test_landed_columns_are_typed(landed):
    types = {
        (row["table_name"], row["column_name"]): row["data_type"]
        for row in _rows(
            landed.database_url,
            "select table_name, column_name, data_type from information_schema.columns"
            " where table_schema = 'raw_polygon'",
        )
    }
    expected = {
        ("ticker_details", "market_cap"): "numeric",
        ("ticker_details", "list_date"): "date",
        ("ticker_details", "delisted_utc"): "timestamp with time zone",
        ("ticker_details", "share_class_shares_outstanding"): "numeric",
        ("ticker_events", "date"): "date",
        ("splits", "execution_date"): "date",
        ("splits", "split_to"): "numeric",
        ("dividends", "pay_date"): "date",
        ("dividends", "cash_amount"): "numeric",
        ("snapshot", "fmv"): "numeric",
        ("snapshot", "last_quote__t"): "bigint",
        ("snapshot", "last_trade__c"): "jsonb",
        ("market_status", "server_time"): "timestamp with time zone",
        ("market_holidays", "date"): "date",
        ("market_holidays", "close"): "timestamp with time zone",
    }
    assert {column: types.get(column) for column in expected} == expected


def test_landing_again_changes_nothing(landed):
    count = "select count(*) as n from raw_polygon.{}"
    tables = [name for name in REFERENCE_RESOURCES if name != "ticker_events"]
    before = {table: _rows(landed.database_url, count.format(table)) for table in tables}
    with ReplayServer() as replay:
        endpoint = PolygonEndpoint(replay.base_url, KEY, synthetic=False)
        land_reference(landed.database_url, endpoint, ["AAPL"], resources=tables)
    after = {table: _rows(landed.database_url, count.format(table)) for table in tables}
    assert after == before


def test_staging_models_build_and_pass_their_tests(landed):
    export_connection_env(landed.database_url)
    models = [f"stg_polygon__{name}" for name in REFERENCE_RESOURCES]
    results = run_dbt("build", "--select", *models, target="dev")
    assert summarise(results).keys() <= {"success", "pass"}
    (details,) = _rows(landed.database_url, "select * from staging.stg_polygon__ticker_details")
    assert (details["symbol"], details["list_date"], details["city"]) == (
        "AAPL",
        date(1980, 12, 12),
        "CUPERTINO",
    )
    (snapshot,) = _rows(landed.database_url, "select * from staging.stg_polygon__snapshot")
    assert snapshot["ask_price"] == Decimal("20.6")
    assert snapshot["minute_start_at"] == datetime.fromtimestamp(1684428600, UTC)
