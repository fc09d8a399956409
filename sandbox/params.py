"""Query and path parameter parsing shared by the sandbox routes, with Polygon's errors."""

from __future__ import annotations

import base64
import binascii
import operator
import re
from collections.abc import Callable, Collection, Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

Body = dict[str, Any]

NEW_YORK = ZoneInfo("America/New_York")

DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MILLIS = re.compile(r"\d{1,15}")
RANGE_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


class ApiError(Exception):
    """A request Polygon would refuse; carries the HTTP status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class NotFound(Exception):
    """A resource that does not exist: Polygon answers 404 with ``status: NOT_FOUND``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_time(text: str, name: str) -> date:
    """A path date: ``YYYY-MM-DD`` or epoch milliseconds (read as a New York date)."""
    try:
        if DATE.fullmatch(text):
            return date.fromisoformat(text)
        if MILLIS.fullmatch(text):
            return datetime.fromtimestamp(int(text) / 1000, tz=NEW_YORK).date()
    except (ValueError, OverflowError, OSError):
        pass
    raise ApiError(
        400, f"Could not parse the time parameter: '{name}'. Use YYYY-MM-DD or Unix MS Timestamps"
    )


def date_param(params: Mapping[str, str], name: str) -> date | None:
    """An optional ``YYYY-MM-DD`` query parameter."""
    value = params.get(name)
    if not value:
        return None
    try:
        if DATE.fullmatch(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise ApiError(400, f"Invalid value for parameter '{name}': expected YYYY-MM-DD")


def bool_param(params: Mapping[str, str], name: str, default: bool) -> bool:
    """An optional ``true``/``false`` query parameter."""
    value = params.get(name, "").lower()
    if value in ("", "true", "false"):
        return default if not value else value == "true"
    raise ApiError(400, f"Invalid value for parameter '{name}': expected true or false")


def int_param(
    params: Mapping[str, str], name: str, default: int, low: int, high: int | None
) -> int:
    """An optional integer query parameter within ``[low, high]``."""
    value = params.get(name, "")
    if not value:
        return default
    if not MILLIS.fullmatch(value) or int(value) < low or (high is not None and int(value) > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ApiError(400, f"Invalid value for parameter '{name}': must be an integer {bound}")
    return int(value)


def choice(params: Mapping[str, str], name: str, allowed: Collection[str], default: str) -> str:
    """An optional query parameter restricted to ``allowed`` values."""
    value = params.get(name) or default
    if value not in allowed:
        raise ApiError(400, f"Invalid value for parameter '{name}': '{value}'")
    return value


def date_filter(params: Mapping[str, str], name: str) -> Callable[[date], bool]:
    """Predicate for ``name`` and its ``.gt/.gte/.lt/.lte`` variants (all ANDed)."""
    checks: list[tuple[Callable[[Any, Any], bool], date]] = []
    exact = date_param(params, name)
    if exact is not None:
        checks.append((operator.eq, exact))
    for suffix, op in RANGE_OPERATORS.items():
        bound = date_param(params, f"{name}.{suffix}")
        if bound is not None:
            checks.append((op, bound))
    return lambda value: all(op(value, bound) for op, bound in checks)


def ticker_filter(params: Mapping[str, str]) -> Callable[[str], bool]:
    """Predicate for ``ticker`` and its ``.gt/.gte/.lt/.lte`` variants (all ANDed)."""
    checks = [(operator.eq, params["ticker"])] if params.get("ticker") else []
    checks += [
        (op, params[f"ticker.{suffix}"])
        for suffix, op in RANGE_OPERATORS.items()
        if params.get(f"ticker.{suffix}")
    ]
    return lambda value: all(op(value, bound) for op, bound in checks)


def encode_cursor(state: Mapping[str, str]) -> str:
    """Opaque cursor carrying a query's state (never the key)."""
    raw = urlencode(sorted(state.items())).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, str]:
    """The query state inside ``cursor``; 400 when it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
        return dict(parse_qsl(raw, keep_blank_values=True, strict_parsing=True))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ApiError(400, "Invalid cursor") from None


def resume(params: dict[str, str]) -> dict[str, str]:
    """The parameters of a request, or those inside its ``cursor`` when it has one."""
    return decode_cursor(params["cursor"]) if "cursor" in params else params


def offset_page(
    records: list[Any], params: Mapping[str, str], url: str, limits: tuple[int, int]
) -> tuple[list[Any], str | None]:
    """One page of ``records`` by ``offset``/``limit`` and the ``next_url`` after it.

    Args:
        records: All matching records, already sorted.
        params: Request parameters (after cursor decoding).
        url: Absolute endpoint URL, without query, to hang the cursor on.
        limits: ``(default, maximum)`` page size.
    """
    offset = int_param(params, "offset", 0, 0, None)
    limit = int_param(params, "limit", limits[0], 1, limits[1])
    page = records[offset : offset + limit]
    if offset + limit >= len(records):
        return page, None
    state = {k: v for k, v in params.items() if k != "cursor"}
    state.update(offset=str(offset + limit), limit=str(limit))
    return page, f"{url}?cursor={encode_cursor(state)}"
