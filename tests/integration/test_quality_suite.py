"""The GX suite, run for real, passes clean bars and catches broken ones."""

from __future__ import annotations

from datetime import date

import pytest

from expectations.ohlcv_daily import validate_session
from kernel.warehouse import connect, export_connection_env

pytestmark = pytest.mark.integration

SESSION = date(2025, 6, 13)
CLEAN = [
    ("AAPL", SESSION, 10, 11, 9, 10.5, 1000),
    ("MSFT", SESSION, 20, 21, 19, 20.5, 2000),
    ("AAPL", date(2025, 6, 12), 10, 9, 11, 10, -5),  # broken, but not this session
]


KNOWN_SYMBOLS = ("AAPL", "MSFT", "NVDA", "TSLA")


def _ohlcv(database_url: str, rows: list[tuple]) -> None:
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "create schema marts; create table marts.ohlcv_daily (symbol text, date date,"
            " open numeric, high numeric, low numeric, close numeric, volume numeric);"
            "create table marts.symbols (symbol text)"
        )
        cursor.executemany("insert into marts.ohlcv_daily values (%s,%s,%s,%s,%s,%s,%s)", rows)
        cursor.executemany("insert into marts.symbols values (%s)", [(s,) for s in KNOWN_SYMBOLS])


def test_clean_session_passes(fresh_database: str) -> None:
    _ohlcv(fresh_database, CLEAN)
    export_connection_env(fresh_database)
    result = validate_session(SESSION)
    assert result.success, result.failed
    assert result.rows == 2
    assert result.data_docs_index.exists()


def test_broken_bars_fail_the_expectations_they_break(fresh_database: str) -> None:
    _ohlcv(
        fresh_database,
        [
            *CLEAN,
            ("NVDA", SESSION, 10, 9.5, 9, 10, 100),  # high below open
            ("MSFT", SESSION, 20, 21, 19, 20.5, 2000),  # duplicate (symbol, date)
            ("TSLA", SESSION, 5, 6, 4, 5, -1),  # negative volume
            ("ZZZZ", SESSION, 0, 1, 0, 1, 10),  # unknown symbol, zero open and low
        ],
    )
    export_connection_env(fresh_database)
    result = validate_session(SESSION)
    assert not result.success
    assert sorted(result.failed) == [
        "expect_column_pair_values_a_to_be_greater_than_b(high,close)",
        "expect_column_pair_values_a_to_be_greater_than_b(high,open)",
        "expect_column_values_to_be_between(low)",
        "expect_column_values_to_be_between(open)",
        "expect_column_values_to_be_between(volume)",
        "expect_compound_columns_to_be_unique(symbol,date)",
        "unexpected_rows_expectation(bars whose symbol is not in marts.symbols)",
    ]
