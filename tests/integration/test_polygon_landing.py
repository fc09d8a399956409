"""The extractor lands the responses recorded from the real API, value for value."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from extract.polygon.endpoint import PolygonEndpoint
from kernel.warehouse import connect
from orchestration.jobs.loads import land_polygon
from tests.support.replay import MOCKS_DIR, ReplayServer

pytestmark = pytest.mark.integration


def _recorded(relative: str) -> dict:
    return json.loads((MOCKS_DIR / relative).read_text(), parse_float=Decimal)


def _rows(database_url: str, sql: str) -> list[dict]:
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture
def landed(fresh_database: str) -> tuple[str, ReplayServer]:
    with ReplayServer() as replay:
        endpoint = PolygonEndpoint(replay.base_url, "recorded-key", synthetic=False)
        land_polygon(
            fresh_database,
            endpoint,
            resources=("tickers", "grouped_daily", "aggs_daily"),
            symbols=["AAPL"],
            sessions=[date(2005, 4, 4)],
            start=date(2005, 4, 1),
            end=date(2005, 4, 4),
        )
    return fresh_database, replay


def test_tickers_follow_next_url_and_keep_every_value(landed):
    database_url, replay = landed
    pages = [
        _recorded("v3/reference/tickers.json"),
        _recorded(
            "v3/reference/tickers&cursor=YWN0aXZlPXRydWUmZGF0ZT0yMDIyLTA0LTI3JmxpbWl0PTImb3JkZXI9"
            "YXNjJnBhZ2VfbWFya2VyPUFBJTdDZjEyMmJjYmY4YWQwNzRmZmJlMTZmNjkxOWQ0ZDc3NjZlMzA3MWNmNmU1"
            "Nzg3OGE0OGU1NjQ1YzQyM2U3NzJhOSZzb3J0PXRpY2tlcg.json"
        ),
    ]
    expected = {item["ticker"]: item for page in pages for item in page["results"]}
    rows = {row["ticker"]: row for row in _rows(database_url, "select * from raw_polygon.tickers")}
    assert rows.keys() == expected.keys()
    assert len(rows) == 4  # two pages of two: the second came through next_url
    # next_url names api.massive.com; it was followed on our base URL, without a key.
    assert any("cursor=" in path and "apiKey" not in path for path in replay.requests)
    for ticker, item in expected.items():
        row = rows[ticker]
        for field in (
            "name",
            "market",
            "locale",
            "primary_exchange",
            "type",
            "active",
            "currency_name",
            "composite_figi",
            "share_class_figi",
        ):
            assert row[field] == item.get(field), (ticker, field)
        assert row["cik"] == item.get("cik")
        assert (
            row["last_updated_utc"].isoformat().replace("+00:00", "Z") == item["last_updated_utc"]
        )


def _assert_bars_equal(rows: list[dict], recorded: list[dict], ticker_of) -> None:
    assert len(rows) == len(recorded)
    by_key = {(row["ticker"], row["t"]): row for row in rows}
    for bar in recorded:
        row = by_key[(ticker_of(bar), bar["t"])]
        for field in ("o", "h", "l", "c", "v", "vw"):
            assert row[field] == bar[field], (field, row[field], bar[field])
        assert row["n"] == bar.get("n")


def test_grouped_daily_lands_exact_decimals(landed):
    database_url, _ = landed
    recorded = _recorded("v2/aggs/grouped/locale/us/market/stocks/2005-04-04&adjusted=true.json")
    rows = _rows(database_url, "select * from raw_polygon.grouped_daily")
    _assert_bars_equal(rows, recorded["results"], lambda bar: bar["T"])
    assert {row["request_date"] for row in rows} == {date(2005, 4, 4)}


def test_ticker_range_lands_exact_decimals(landed):
    database_url, _ = landed
    recorded = _recorded("v2/aggs/ticker/AAPL/range/1/day/2005-04-01/2005-04-04.json")
    rows = _rows(database_url, "select * from raw_polygon.aggs_daily")
    _assert_bars_equal(rows, recorded["results"], lambda bar: recorded["ticker"])
    # The request asked for bars as traded, and says so in the landed flag.
    assert {row["adjusted"] for row in rows} == {False}


def test_landed_columns_are_typed(landed):
    database_url, _ = landed
    types = {
        (row["table_name"], row["column_name"]): row["data_type"]
        for row in _rows(
            database_url,
            "select table_name, column_name, data_type from information_schema.columns"
            " where table_schema = 'raw_polygon'",
        )
    }
    assert types[("grouped_daily", "c")] == "numeric"
    assert types[("grouped_daily", "t")] == "bigint"
    assert types[("grouped_daily", "request_date")] == "date"
    assert types[("tickers", "last_updated_utc")] == "timestamp with time zone"
    assert types[("tickers", "delisted_utc")] == "timestamp with time zone"


def test_landing_twice_appends_a_second_delivery(landed):
    """Raw bar tables log deliveries; ohlcv_daily keeps the newest of each bar."""
    database_url, _ = landed
    sql = (
        "select count(*) as n, count(distinct (ticker, t)) as bars,"
        " count(distinct _dlt_load_id) as loads from raw_polygon.aggs_daily"
    )
    (before,) = _rows(database_url, sql)
    with ReplayServer() as replay:
        endpoint = PolygonEndpoint(replay.base_url, "recorded-key", synthetic=False)
        land_polygon(
            database_url,
            endpoint,
            resources=("aggs_daily",),
            symbols=["AAPL"],
            start=date(2005, 4, 1),
            end=date(2005, 4, 4),
        )
    (after,) = _rows(database_url, sql)
    assert before["n"] == before["bars"] > 0 and before["loads"] == 1
    assert after == {"n": 2 * before["n"], "bars": before["bars"], "loads": 2}


def test_bar_load_files_carry_their_load_and_are_counted(fresh_database):
    """Bars reach dlt as finished CSV files: their rows name the dlt load that
    committed them (dbt reads bars by completed load) and are counted as landed."""
    with ReplayServer() as replay:
        endpoint = PolygonEndpoint(replay.base_url, "recorded-key", synthetic=False)
        landing = land_polygon(
            fresh_database,
            endpoint,
            resources=("grouped_daily", "aggs_daily"),
            symbols=["AAPL"],
            sessions=[date(2005, 4, 4)],
            start=date(2005, 4, 1),
            end=date(2005, 4, 4),
        )
    for table in ("grouped_daily", "aggs_daily"):
        (counts,) = _rows(
            fresh_database,
            f"select count(*) as rows, count(loads.load_id) as in_completed_loads"
            f" from raw_polygon.{table} as bars left join raw_polygon._dlt_loads as loads"
            f" on bars._dlt_load_id = loads.load_id and loads.status = 0",
        )
        assert counts["rows"] > 0
        assert counts == {"rows": landing.rows[table], "in_completed_loads": counts["rows"]}
