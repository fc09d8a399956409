"""Malformed records a vendor sometimes sends, served only by a market built with glitches.

Each kind breaks one record of a page the way a real feed has: a bar
without its ticker or timestamp, a price that is NaN, Infinity or 1e400, a
25-digit volume, a fractional trade count, text where a number belongs, and
empty or impossible dates in dividends and ticker events. The rest of the
page is served as usual, so an extractor can be checked to set the one
record aside and land the others.

NaN, Infinity and 1e400 are not numbers orjson writes: a value is written as
a `raw` placeholder string and `unquote_raw` puts the text itself in the body.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import numpy as np

from sandbox.actions import CorporateActions

BAR_KINDS = (
    "missing_ticker",
    "missing_timestamp",
    "nan_price",
    "infinite_price",
    "overflow_price",
    "huge_volume",
    "fractional_transactions",
    "text_price",
)
"""Kinds served in grouped daily bars (one record of the whole market's page)."""

DIVIDEND_KINDS = ("empty_dividend_date", "bad_dividend_date")
EVENT_KINDS = ("empty_event_date",)
KINDS = BAR_KINDS + DIVIDEND_KINDS + EVENT_KINDS

_RAW = "__sandbox_raw__:"
_RAW_PATTERN = re.compile(rb'"__sandbox_raw__:([^"]*)"')


def raw(text: str) -> str:
    """A value written into the JSON body as `text` itself (NaN, Infinity, 1e400)."""
    return _RAW + text


def unquote_raw(payload: bytes) -> bytes:
    """The body with every `raw` placeholder replaced by its text."""
    if _RAW.encode() not in payload:
        return payload
    return _RAW_PATTERN.sub(rb"\1", payload)


def poison_bar(row: dict[str, Any], kind: str) -> dict[str, Any]:
    """A grouped-daily result row broken the way `kind` says."""
    row = dict(row)
    if kind == "missing_ticker":
        del row["T"]
    elif kind == "missing_timestamp":
        del row["t"]
    elif kind == "nan_price":
        row["c"] = raw("NaN")
    elif kind == "infinite_price":
        row["h"] = raw("Infinity")
    elif kind == "overflow_price":
        row["o"] = raw("1e400")
    elif kind == "huge_volume":
        row["v"] = raw("1234567890123456789012345")
    elif kind == "fractional_transactions":
        row["n"] = row["n"] + 0.5
    elif kind == "text_price":
        row["vw"] = "n/a"
    return row


def poison_dividend(record: dict[str, Any], kind: str) -> dict[str, Any]:
    record = dict(record)
    if kind == "empty_dividend_date":
        record["pay_date"] = ""
    elif kind == "bad_dividend_date":
        record["record_date"] = "2021-02-30"
    return record


def poison_event(event: dict[str, Any], kind: str) -> dict[str, Any]:
    return {**event, "date": ""} if kind == "empty_event_date" else event


def bar_targets(seed: int, days: np.ndarray, candidates: list[str]) -> list[tuple[date, str, str]]:
    """(session, ticker, kind): each bar kind once a year from 2016 on."""
    years = days.astype("datetime64[Y]").astype(int) + 1970
    rng = np.random.default_rng([seed, 0x9015])
    out = []
    for year in range(2016, int(years[-1]) + 1):
        in_year = days[years == year]
        for kind in BAR_KINDS:
            day = in_year[int(rng.integers(0, len(in_year)))].astype(object)
            out.append((day, candidates[int(rng.integers(0, len(candidates)))], kind))
    return out


def reference_targets(seed: int, actions: CorporateActions) -> list[tuple[date, str, str]]:
    """(date, ticker, kind): a dividend (by ex-date) per dividend kind, and the
    oldest ticker change of a renamed listing (by its date)."""
    rng = np.random.default_rng([seed, 0xD1F])
    out = []
    # Dividends paid from 2016 to 2025: declared by now, whatever the clock of a test.
    dividends = [d for d in actions.dividends if 2016 <= d.ex_dividend_date.year <= 2025]
    if dividends:
        for kind in DIVIDEND_KINDS:
            div = dividends[int(rng.integers(0, len(dividends)))]
            out.append((div.ex_dividend_date, div.ticker, kind))
    renamed = sorted(t for t, history in actions.ticker_history.items() if len(history) > 1)
    if renamed:
        oldest = actions.ticker_history[renamed[0]][0]
        out.append((oldest.date, renamed[0], "empty_event_date"))
    return out
