"""Malformed source records, kept one by one with the reason instead of failing their page.

A record is rejected when it lacks a key (a bar's ticker `T` or timestamp
`t`), carries a number that is not finite or does not fit its landed column
(NaN, inf, 1e400, a 25-digit volume), a fractional count, a bad date, or a
value of the wrong type. The rest of its page lands.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from dlt.common.normalizers.naming.snake_case import NamingConvention

# numeric(38, 18) keeps 20 digits before the point.
DECIMAL_LIMIT = Decimal(10) ** 20
BIGINT_LIMIT = 2**63


@dataclass(frozen=True)
class RejectedRecord:
    """One record the extractor refused, and why."""

    endpoint: str  # the path template, e.g. /v3/reference/dividends
    request: str  # the URL it came from, without any API key
    raw: str  # the record's JSON text as received
    reason: str
    session: date | None = None  # the trading session the record was for, when known


class Number(str):
    """A JSON number (or NaN/Infinity constant) kept as its own text."""


def loads_keeping_numbers(body: bytes | str) -> Any:
    """Parse JSON leniently: every number stays text (`Number`), NaN and Infinity too.

    Raises ValueError on text that is not JSON at all.
    """
    return json.loads(body, parse_float=Number, parse_int=Number, parse_constant=Number)


def raw_json(value: Any) -> str:
    """`value` as JSON text, numbers written exactly as they were received."""
    if isinstance(value, Number):
        return str(value)
    if isinstance(value, dict):
        items = (f"{json.dumps(key)}:{raw_json(item)}" for key, item in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(raw_json(item) for item in value) + "]"
    return json.dumps(value)


def without_key(url: str) -> str:
    """`url` with any `apiKey` parameter removed (the key normally travels in a header)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "apiKey"]
    return urlunsplit(parts._replace(query=urlencode(query)))


class Invalid(ValueError):
    """A field of a record that cannot be landed; the message is the rejection reason."""


def decimal_field(record: dict[str, Any], name: str) -> Decimal | None:
    """A finite number that fits numeric(38, 18), or None when absent or null."""
    value = record.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Number | int | float):
        raise Invalid(f"`{name}` is not a number: {raw_json(value)[:40]}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise Invalid(f"`{name}` is not a number: {str(value)[:40]}") from None
    if not number.is_finite():
        raise Invalid(f"`{name}` is not finite: {value}")
    if abs(number) >= DECIMAL_LIMIT:
        raise Invalid(f"`{name}` is out of range (more than 20 digits before the point)")
    return number


def integer_field(
    record: dict[str, Any], name: str, low: int = 0, high: int = BIGINT_LIMIT
) -> int | None:
    """A whole number in [low, high), or None when absent or null."""
    number = decimal_field(record, name)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise Invalid(f"`{name}` is not a whole number: {record[name]}")
    if not low <= number < high:
        raise Invalid(f"`{name}` is out of range: {record[name]}")
    return int(number)


def text_field(record: dict[str, Any], name: str, required: bool = False) -> str | None:
    value = record.get(name)
    if required and (value is None or value == ""):
        raise Invalid(f"missing `{name}`")
    if value is None:
        return None
    if isinstance(value, Number) or not isinstance(value, str):
        raise Invalid(f"`{name}` is not a string: {raw_json(value)[:40]}")
    return str(value)


def bool_field(record: dict[str, Any], name: str) -> bool | None:
    value = record.get(name)
    if value is None or isinstance(value, bool):
        return value
    raise Invalid(f"`{name}` is not a boolean: {raw_json(value)[:40]}")


def date_field(record: dict[str, Any], name: str, required: bool = False) -> date | None:
    """An ISO date (YYYY-MM-DD), or None when absent or null (unless `required`)."""
    value = record.get(name)
    if isinstance(value, date):
        return value
    if value is None and not required:
        return None
    if value is None or value == "":
        raise Invalid(f"missing date `{name}`" if value is None else f"empty date `{name}`")
    if isinstance(value, Number) or not isinstance(value, str):
        raise Invalid(f"`{name}` is not a date: {raw_json(value)[:40]}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"`{name}` is not a date: {value[:40]!r}") from None


def timestamp_field(record: dict[str, Any], name: str, required: bool = False) -> Any:
    """An ISO timestamp (kept as received for dlt to parse), or None when absent or null."""
    value = record.get(name)
    if isinstance(value, datetime) or (value is None and not required):
        return value
    if value is None or value == "":
        raise Invalid(
            f"missing timestamp `{name}`" if value is None else f"empty timestamp `{name}`"
        )
    if isinstance(value, Number) or not isinstance(value, str):
        raise Invalid(f"`{name}` is not a timestamp: {raw_json(value)[:40]}")
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(f"`{name}` is not a timestamp: {value[:40]!r}") from None
    return value


@lru_cache(maxsize=4096)
def _column_name(key: str) -> str:
    """The column dlt lands a JSON key in (`serverTime` -> `server_time`)."""
    return _NAMING.normalize_identifier(key)


_NAMING = NamingConvention()


def typed_row(row: dict[str, Any], columns: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """`row` with each value its column hint names checked and typed, or Invalid.

    Hints name dlt's columns (`server_time` for the key `serverTime`).
    Numbers become exact decimals or whole numbers, dates become dates;
    non-null columns (a resource's key) must be present. Values without a
    hint pass through.
    """
    typed = dict(row)
    keys = {_column_name(key): key for key in row}
    for name, hint in columns.items():
        key = keys.get(name, name)
        required = not hint.get("nullable", True)
        if key not in row and not required:
            continue
        kind = hint["data_type"]
        if kind == "text":
            typed[key] = text_field(row, key, required)
        elif kind == "decimal":
            typed[key] = decimal_field(row, key)
        elif kind == "bigint":
            typed[key] = integer_field(row, key, -BIGINT_LIMIT)
        elif kind == "bool":
            typed[key] = bool_field(row, key)
        elif kind == "date":
            typed[key] = date_field(row, key, required)
        elif kind == "timestamp":
            typed[key] = timestamp_field(row, key, required)
        if required and typed.get(key) is None:
            raise Invalid(f"missing `{key}`")
    return typed


def checked_rows(
    endpoint: str,
    page: Any,
    records: Iterable[Any],
    typed: Callable[[Any], dict[str, Any]],
    rejected: list[RejectedRecord],
) -> list[dict[str, Any]]:
    """`typed(record)` for each record of `page` (dlt PageData); the malformed ones
    (Invalid) appended to `rejected` with the page's request."""
    rows = []
    for record in records:
        try:
            if not isinstance(record, dict):
                raise Invalid("a record that is not a JSON object")
            rows.append(typed(record))
        except Invalid as invalid:
            request = without_key(page.response.url)
            rejected.append(RejectedRecord(endpoint, request, raw_json(record), str(invalid)))
    return rows
