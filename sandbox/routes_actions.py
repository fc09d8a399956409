"""Corporate actions: ``/v3/reference/splits`` and ``/v3/reference/dividends``."""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import date
from typing import Any

from sandbox.actions import Dividend, Split
from sandbox.context import Call
from sandbox.params import (
    RANGE_OPERATORS,
    ApiError,
    Body,
    bool_param,
    choice,
    date_filter,
    offset_page,
    resume,
    ticker_filter,
)
from sandbox.poison import poison_dividend

ACTIONS_LIMIT = (10, 1000)
DIVIDEND_DATES = ("ex_dividend_date", "record_date", "declaration_date", "pay_date")


def _page(call: Call, params: dict[str, str], path: str, records: list[Body]) -> Body:
    page, next_url = offset_page(records, params, f"{call.base_url}{path}", ACTIONS_LIMIT)
    body: Body = {"results": page, "status": "OK"}
    if next_url:
        body["next_url"] = next_url
    return body


def _sorted(records: list[Body], params: dict[str, str], sorts: tuple[str, ...]) -> list[Body]:
    sort = choice(params, "sort", sorts, sorts[0])
    order = choice(params, "order", ("asc", "desc"), "desc")
    return sorted(records, key=lambda r: (r[sort], r["ticker"]), reverse=order == "desc")


def splits(call: Call) -> Body:
    """``GET /v3/reference/splits``: splits executed by now, with ticker and
    execution_date filters (with ranges)."""
    params = resume(call.params)
    symbol_ok = ticker_filter(params)
    date_ok = date_filter(params, "execution_date")
    reverse = params.get("reverse_split")
    wanted_reverse = bool_param(params, "reverse_split", False) if reverse else None

    def keep(split: Split) -> bool:
        is_reverse = split.split_to < split.split_from
        return (
            split.execution_date <= call.today
            and symbol_ok(split.ticker)
            and date_ok(split.execution_date)
            and wanted_reverse in (None, is_reverse)
        )

    records = [
        {
            "execution_date": str(split.execution_date),
            "id": split.id,
            "split_from": split.split_from,
            "split_to": split.split_to,
            "ticker": split.ticker,
        }
        for split in call.market.actions.splits
        if keep(split)
    ]
    records = _sorted(records, params, ("execution_date", "ticker"))
    return _page(call, params, "/v3/reference/splits", records)


def dividends_route(call: Call) -> Body:
    """``GET /v3/reference/dividends``: dividends declared by now, with Polygon's filters."""
    params = resume(call.params)
    symbol_ok = ticker_filter(params)
    date_checks = [(name, date_filter(params, name)) for name in DIVIDEND_DATES]
    cash_ok = _number_filter(params, "cash_amount")
    frequency = params.get("frequency")
    if frequency and frequency not in ("0", "1", "2", "4", "12"):
        raise ApiError(400, f"Invalid value for parameter 'frequency': '{frequency}'")
    kind = choice(params, "dividend_type", ("CD", "SC", "LT", "ST", ""), "")

    def keep(div: Dividend) -> bool:
        return (
            div.declaration_date <= call.today
            and symbol_ok(div.ticker)
            and all(ok(getattr(div, name)) for name, ok in date_checks)
            and cash_ok(div.cash_amount)
            and frequency in (None, "", str(div.frequency))
            and kind in ("", div.dividend_type)
        )

    records = [
        {
            "cash_amount": div.cash_amount,
            "currency": "USD",
            "declaration_date": str(div.declaration_date),
            "dividend_type": div.dividend_type,
            "ex_dividend_date": str(div.ex_dividend_date),
            "frequency": div.frequency,
            "id": div.id,
            "pay_date": str(div.pay_date),
            "record_date": str(div.record_date),
            "ticker": div.ticker,
        }
        for div in call.market.actions.dividends
        if keep(div)
    ]
    records = _sorted(records, params, (*DIVIDEND_DATES, "ticker", "cash_amount"))
    if marks := call.market.poison_map():
        records = [_poisoned(record, marks) for record in records]
    return _page(call, params, "/v3/reference/dividends", records)


def _poisoned(record: Body, marks: dict[tuple[date, str], str]) -> Body:
    kind = marks.get((date.fromisoformat(record["ex_dividend_date"]), record["ticker"]))
    return record if kind is None else poison_dividend(record, kind)


def _number_filter(params: dict[str, str], name: str) -> Callable[[float], bool]:
    checks: list[tuple[Callable[[Any, Any], bool], float]] = []
    for suffix, op in (("", operator.eq), *((f".{k}", v) for k, v in RANGE_OPERATORS.items())):
        text = params.get(f"{name}{suffix}")
        if text:
            try:
                checks.append((op, float(text)))
            except ValueError:
                raise ApiError(400, f"Invalid value for parameter '{name}{suffix}'") from None
    return lambda value: all(op(value, bound) for op, bound in checks)
