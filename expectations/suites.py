"""The code-first GX suites: row-level checks on the marts, and checks on the
outputs of the dbt quality models (`quality.*`), which hold the heavy logic.

Thresholds the suites share with dbt (e.g. the minimum completeness) are read
from the dbt vars in `dbt_project.yml`, so there is one place to change them.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from expectations.context import SuiteSpec
from kernel.settings import DBT_PROJECT_DIR

PRICE_COLUMNS = ("open", "high", "low", "close")


@cache
def dbt_var(name: str) -> float:
    """A quality threshold from the `vars:` of `dbt_project.yml`."""
    import yaml

    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    return project["vars"][name]


def _rows(description: str, query: str):
    """A row query that must return nothing; `description` names it in results."""
    import great_expectations as gx

    return gx.expectations.UnexpectedRowsExpectation(
        unexpected_rows_query=query, description=description
    )


def _bar_expectations(key: str) -> list:
    """Row-level checks shared by daily and minute bars keyed on (symbol, `key`)."""
    import great_expectations as gx

    expect = gx.expectations
    return [
        # Freshness: the session has bars at all.
        expect.ExpectTableRowCountToBeBetween(min_value=1),
        *(
            expect.ExpectColumnValuesToNotBeNull(column=column)
            for column in ("symbol", key, *PRICE_COLUMNS, "volume")
        ),
        # OHLC integrity: high >= greatest(open, close), low <= least(open, close).
        expect.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="high", column_B="open", or_equal=True
        ),
        expect.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="high", column_B="close", or_equal=True
        ),
        expect.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="open", column_B="low", or_equal=True
        ),
        expect.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="close", column_B="low", or_equal=True
        ),
        *(
            expect.ExpectColumnValuesToBeBetween(column=column, min_value=0, strict_min=True)
            for column in PRICE_COLUMNS
        ),
        expect.ExpectColumnValuesToBeBetween(column="volume", min_value=0),
        expect.ExpectCompoundColumnsToBeUnique(column_list=["symbol", key]),
        _rows(
            "bars whose symbol is not in marts.symbols",
            # GX substitutes `{batch}` with an aliased subquery: no alias of our own.
            "select symbol from {batch} where symbol not in (select symbol from marts.symbols)",
        ),
    ]


def _ohlcv_daily() -> list:
    return _bar_expectations("date")


def _ohlcv_1min() -> list:
    return _bar_expectations("ts")


def _symbols() -> list:
    import great_expectations as gx

    expect = gx.expectations
    return [
        expect.ExpectTableRowCountToBeBetween(min_value=1),
        expect.ExpectColumnValuesToNotBeNull(column="symbol"),
        expect.ExpectColumnValuesToBeUnique(column="symbol"),
        expect.ExpectColumnValuesToNotBeNull(column="initial_load_date"),
        _rows(
            "symbols of a type missing from marts.equity_types",
            "select symbol from {batch} where type is not null"
            " and type not in (select type_code from marts.equity_types)",
        ),
        _rows(
            "symbols delisted before they were listed",
            "select symbol from {batch} where delisted_at::date < list_date",
        ),
    ]


def _group_memberships() -> list:
    import great_expectations as gx

    expect = gx.expectations
    return [
        expect.ExpectTableRowCountToBeBetween(min_value=1),
        expect.ExpectColumnValuesToNotBeNull(column="symbol"),
        expect.ExpectColumnValuesToBeBetween(column="weight", min_value=0, max_value=100),
        # Issuer holdings and universe files may list symbols the warehouse does not
        # track (the report counts them); groups derived here may not.
        _rows(
            "derived-group members whose symbol is not in marts.symbols",
            "select symbol from {batch} where source not in ('holdings_file', 'universe_file')"
            " and symbol not in (select symbol from marts.symbols)",
        ),
    ]


def _cache_entries() -> list:
    import great_expectations as gx

    expect = gx.expectations
    return [
        expect.ExpectTableRowCountToBeBetween(min_value=1),
        *(expect.ExpectColumnValuesToNotBeNull(column=c) for c in ("type", "name", "key", "value")),
        expect.ExpectCompoundColumnsToBeUnique(column_list=["type", "name", "key"]),
    ]


def _session_completeness() -> list:
    import great_expectations as gx

    expect = gx.expectations
    return [
        # A trading session with tracked symbols has exactly one row.
        expect.ExpectTableRowCountToEqual(value=1),
        expect.ExpectColumnValuesToBeBetween(
            column="completeness_pct",
            min_value=dbt_var("quality_min_completeness_pct"),
            max_value=100,
        ),
    ]


def _daily_bar_gaps() -> list:
    import great_expectations as gx

    # Run after the auto-backfill: what is left could not be re-fetched.
    return [gx.expectations.ExpectTableRowCountToEqual(value=0)]


def _daily_bar_flags() -> list:
    import great_expectations as gx

    expect = gx.expectations
    return [
        expect.ExpectColumnValuesToBeInSet(
            column="kind",
            value_set=["price_jump", "volume_spike", "stale_price", "fmv_deviation"],
        ),
        expect.ExpectColumnValuesToNotBeNull(column="measured_value"),
        expect.ExpectCompoundColumnsToBeUnique(column_list=["symbol", "date", "kind"]),
        _rows(
            "flags on bars that do not exist",
            # An anti-join on the bars' (symbol, date) index: NOT IN over millions
            # of bars cannot be hashed and would rescan them for every flag.
            # GX leaves the alias of `{batch}` to a query with a join.
            "select flags.symbol from {batch} as flags"
            " left join marts.ohlcv_daily as bars"
            " on flags.symbol = bars.symbol and flags.date = bars.date"
            " where bars.symbol is null",
        ),
    ]


def _indicators_daily() -> list[Any]:
    import great_expectations as gx

    expect = gx.expectations

    def ordered(above: str, below: str) -> Any:
        # Warm-up rows are null on both sides: nothing to compare.
        return expect.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=above, column_B=below, or_equal=True, ignore_row_if="either_value_is_missing"
        )

    return [
        expect.ExpectColumnValuesToBeBetween(column="rsi_14", min_value=0, max_value=100),
        expect.ExpectColumnValuesToBeBetween(column="atr_14", min_value=0),
        ordered("bollinger_upper_20", "bollinger_middle_20"),
        ordered("bollinger_middle_20", "bollinger_lower_20"),
        ordered("high_252", "low_252"),
    ]


def _risk_daily() -> list[Any]:
    import great_expectations as gx

    expect = gx.expectations
    # A correlation is computed in exact numeric and rounded once, but the
    # bound keeps a hair of slack for that rounding.
    slack = 1e-12
    return [
        expect.ExpectColumnValuesToBeBetween(column="volatility_20", min_value=0),
        expect.ExpectColumnValuesToBeBetween(column="volatility_60", min_value=0),
        *(
            expect.ExpectColumnValuesToBeBetween(
                column=column, min_value=-1 - slack, max_value=1 + slack
            )
            for column in ("correlation_spy_252", "correlation_sector_252")
        ),
        expect.ExpectColumnValuesToBeBetween(column="max_drawdown_252", min_value=0, max_value=1),
    ]


OHLCV_DAILY = SuiteSpec(
    suite="ohlcv_daily__suite",
    schema="marts",
    table="ohlcv_daily",
    expectations=_ohlcv_daily,
    session_column="date",
    checkpoint="eod__checkpoint",
)

SUITES: tuple[SuiteSpec, ...] = (
    OHLCV_DAILY,
    SuiteSpec(
        suite="ohlcv_1min__suite",
        schema="marts",
        table="ohlcv_1min",
        expectations=_ohlcv_1min,
        session_column="ts",
        # Minute bars are loaded on demand (`tickstock load --timespan minute`).
        rows_required=False,
    ),
    SuiteSpec(suite="symbols__suite", schema="marts", table="symbols", expectations=_symbols),
    SuiteSpec(
        suite="group_memberships__suite",
        schema="marts",
        table="group_memberships",
        expectations=_group_memberships,
        columns=("symbol", "weight"),
    ),
    SuiteSpec(
        suite="cache_entries__suite",
        schema="marts",
        table="cache_entries",
        expectations=_cache_entries,
        columns=("type", "name", "key", "value"),
    ),
    # A session's rows; a warehouse whose analytics were never built skips them.
    SuiteSpec(
        suite="indicators_daily__suite",
        schema="marts",
        table="indicators_daily",
        expectations=_indicators_daily,
        session_column="date",
        columns=("rsi_14", "atr_14", "bollinger_upper_20", "high_252"),
        rows_required=False,
    ),
    SuiteSpec(
        suite="risk_daily__suite",
        schema="marts",
        table="risk_daily",
        expectations=_risk_daily,
        session_column="date",
        columns=("volatility_20", "correlation_spy_252", "max_drawdown_252"),
        rows_required=False,
    ),
    SuiteSpec(
        suite="session_completeness__suite",
        schema="quality",
        table="session_completeness",
        expectations=_session_completeness,
        session_column="session_date",
    ),
    SuiteSpec(
        suite="daily_bar_gaps__suite",
        schema="quality",
        table="daily_bar_gaps",
        expectations=_daily_bar_gaps,
    ),
    SuiteSpec(
        suite="daily_bar_flags__suite",
        schema="quality",
        table="daily_bar_flags",
        expectations=_daily_bar_flags,
    ),
)
