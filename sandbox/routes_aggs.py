"""Aggregate bars: ``/v2/aggs/grouped/...`` and ``/v2/aggs/ticker/{t}/range/1/{day|minute}/...``."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from urllib.parse import quote

from sandbox.context import Call
from sandbox.market import DailyBar
from sandbox.minutes import MinuteBars
from sandbox.params import (
    DATE,
    MILLIS,
    NEW_YORK,
    ApiError,
    Body,
    bool_param,
    choice,
    encode_cursor,
    int_param,
    parse_time,
    resume,
)
from sandbox.poison import poison_bar

TIMESPANS = frozenset({"second", "minute", "hour", "day", "week", "month", "quarter", "year"})
AGGS_LIMIT = (5000, 50_000)
GROUPED_T_OFFSET_MS = 16 * 3_600_000
"""Grouped-daily bars carry ``t`` at 16:00 New York, not midnight.

That is what the live API returns (recorded mock ``2005-04-04&adjusted=true``
and the spec example both show ``t=1602705600000`` = 2020-10-14 16:00 EDT;
polygon-io/issues#250) while the per-ticker range endpoint uses midnight.
"""


def grouped(call: Call, day: str) -> Body:
    """``GET /v2/aggs/grouped/locale/us/market/stocks/{date}``."""
    session = parse_time(day, "date")
    adjusted = bool_param(call.params, "adjusted", True)
    bool_param(call.params, "include_otc", False)  # validated; the sandbox lists no OTC names
    bars = call.market.grouped_daily(session, call.now, adjusted)
    rows = _daily_rows(bars, GROUPED_T_OFFSET_MS)
    results = [{"T": bar.ticker, **row} for bar, row in zip(bars, rows, strict=True)]
    if marks := call.market.poison_map():
        results = [_poisoned(row, marks.get((session, row["T"]))) for row in results]
    return _aggregate_body({}, results, adjusted)


def _poisoned(row: Body, kind: str | None) -> Body:
    return row if kind is None else poison_bar(row, kind)


def ticker_range(
    call: Call, ticker: str, multiplier: str, timespan: str, start: str, end: str
) -> Body:
    """``GET /v2/aggs/ticker/{ticker}/range/1/{day,minute}/{from}/{to}``."""
    params = resume(call.params)
    if not MILLIS.fullmatch(multiplier) or int(multiplier) < 1:
        raise ApiError(400, f"Could not parse the multiplier: '{multiplier}'")
    if timespan not in TIMESPANS:
        raise ApiError(400, f"Invalid timespan: '{timespan}'")
    if int(multiplier) != 1 or timespan not in ("day", "minute"):
        raise ApiError(
            400,
            f"The sandbox market serves 1/day and 1/minute aggregates only, "
            f"not {multiplier}/{timespan}",
        )
    adjusted = bool_param(params, "adjusted", True)
    sort = choice(params, "sort", ("asc", "desc"), "asc")
    limit = min(int_param(params, "limit", AGGS_LIMIT[0], 1, None), AGGS_LIMIT[1])
    if timespan == "day":
        first, last = parse_time(start, "from"), parse_time(end, "to")
        if last < first:
            raise ApiError(400, "The parameter 'to' cannot be a time that occurs before 'from'")
        bars = call.market.daily_bars(ticker, first, last, call.now, adjusted)
        rows = _daily_rows(bars)
        times = [row["t"] for row in rows]
    else:
        lo, hi = _instant(start, "from", end_of_day=False), _instant(end, "to", end_of_day=True)
        if hi < lo:
            raise ApiError(400, "The parameter 'to' cannot be a time that occurs before 'from'")
        minutes = call.market.minute_bars(ticker, lo, hi, call.now, adjusted)
        if sort == "desc":
            minutes = minutes.select(slice(None, None, -1))
        times = minutes.t[: limit + 1].tolist()
        rows = _minute_rows(minutes.select(slice(0, limit)))
    if sort == "desc" and timespan == "day":
        rows.reverse()
        times.reverse()
    body = _aggregate_body({"ticker": ticker}, rows[:limit], adjusted)
    if len(times) > limit:
        edge = str(times[limit])
        start, end = (edge, end) if sort == "asc" else (start, edge)
        cursor = encode_cursor(
            {"adjusted": str(adjusted).lower(), "limit": str(limit), "sort": sort}
        )
        body["next_url"] = (
            f"{call.base_url}/v2/aggs/ticker/{quote(ticker, safe='')}/range/1/{timespan}/"
            f"{start}/{end}?cursor={cursor}"
        )
    return body


def _instant(text: str, name: str, end_of_day: bool) -> int:
    """A minute-range bound in epoch ms: exact for ms, the New York day's edge for dates."""
    if MILLIS.fullmatch(text) and not DATE.fullmatch(text):
        return int(text)
    day = parse_time(text, name)
    edge = datetime.combine(day, time(0), NEW_YORK) + (
        timedelta(days=1) if end_of_day else timedelta()
    )
    return int(edge.timestamp() * 1000) - (1 if end_of_day else 0)


def _aggregate_body(head: Body, results: list[Body], adjusted: bool) -> Body:
    body: Body = {
        **head,
        "queryCount": len(results),
        "resultsCount": len(results),
        "adjusted": adjusted,
    }
    if results:
        body["results"] = results
    body["status"] = "OK"
    body["count"] = len(results)
    return body


def _daily_rows(bars: list[DailyBar], t_offset: int = 0) -> list[Body]:
    """Polygon's result rows, ``t`` the bar's start plus ``t_offset``: one dict display per
    bar (a 5-year range has over a thousand, a grouped day twelve thousand)."""
    return [
        {"v": v, "vw": vw, "o": o, "c": c, "h": h, "l": low, "t": start + t_offset, "n": n}
        for _, _, start, o, h, low, c, v, vw, n in bars
    ]


def _minute_rows(bars: MinuteBars) -> list[Body]:
    columns = zip(
        bars.volume.tolist(),
        bars.vwap.tolist(),
        bars.open.tolist(),
        bars.close.tolist(),
        bars.high.tolist(),
        bars.low.tolist(),
        bars.t.tolist(),
        bars.transactions.tolist(),
        strict=True,
    )
    return [
        {"v": v, "vw": vw, "o": o, "c": c, "h": h, "l": low, "t": t, "n": n}
        for v, vw, o, c, h, low, t, n in columns
    ]
