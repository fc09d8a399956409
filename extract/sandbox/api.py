"""Polygon-compatible request handling for the sandbox market, free of HTTP plumbing.

``SandboxApi.handle`` takes a decoded request (path, query string, headers)
and returns the status and JSON body Polygon's REST API would return for it.
Shapes follow Polygon's published OpenAPI spec and its recorded responses:
empty aggregate responses leave ``results`` out, identifiers Polygon does not
know are left out rather than ``null``, ``next_url`` never carries the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import operator
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode
from zoneinfo import ZoneInfo

from extract.sandbox.market import DailyBar, SandboxMarket
from extract.sandbox.universe import Listing

Body = dict[str, Any]

NEW_YORK = ZoneInfo("America/New_York")
GROUPED_T_OFFSET_MS = 16 * 3_600_000
"""Grouped-daily bars carry ``t`` at 16:00 New York, not midnight.

That is what the live API returns (recorded mock ``2005-04-04&adjusted=true``
and the spec example both show ``t=1602705600000`` = 2020-10-14 16:00 EDT;
polygon-io/issues#250) while the per-ticker range endpoint uses midnight.
"""

# Enumerations of Polygon's OpenAPI spec for the parameters the sandbox validates.
# fmt: off
TICKER_TYPES = frozenset({
    "CS", "ADRC", "ADRP", "ADRR", "UNIT", "RIGHT", "PFD", "FUND", "SP", "WARRANT", "INDEX", "ETF",
    "ETN", "OS", "GDR", "OTHER", "NYRS", "AGEN", "EQLK", "BOND", "ADRW", "BASKET", "LT",
})
MARKETS = frozenset({"stocks", "crypto", "fx", "otc", "indices"})
TICKER_SORTS = (
    "ticker", "name", "market", "locale", "primary_exchange", "type", "currency_symbol",
    "currency_name", "base_currency_symbol", "base_currency_name", "cik", "composite_figi",
    "share_class_figi", "last_updated_utc", "delisted_utc",
)
# fmt: on
TIMESPANS = frozenset({"second", "minute", "hour", "day", "week", "month", "quarter", "year"})
TICKERS_LIMIT = (100, 1000)
AGGS_LIMIT = (5000, 50_000)

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MILLIS = re.compile(r"\d{1,15}")
_TICKER_RANGES = {
    "ticker.gt": operator.gt,
    "ticker.gte": operator.ge,
    "ticker.lt": operator.lt,
    "ticker.lte": operator.le,
}
_ROUTES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"/v3/reference/tickers/?"), "_tickers"),
    (re.compile(r"/v2/aggs/grouped/locale/us/market/stocks/([^/]+)/?"), "_grouped"),
    (re.compile(r"/v2/aggs/ticker/([^/]+)/range/([^/]+)/([^/]+)/([^/]+)/([^/]+)/?"), "_range"),
)


@dataclass(frozen=True, slots=True)
class Response:
    """What to send back: an HTTP status and a JSON object."""

    status: int
    body: Body


class ApiError(Exception):
    """A request Polygon would refuse; carries the HTTP status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class SandboxApi:
    """Serves three Polygon endpoints from a ``SandboxMarket``.

    Args:
        market: Source of listings and bars.
        api_key: The one key to accept, or ``None`` to accept any non-empty key.
        clock: Returns the aware current time; decides which sessions have closed.
    """

    def __init__(
        self,
        market: SandboxMarket,
        api_key: str | None,
        clock: Callable[[], datetime],
    ) -> None:
        self._market = market
        self._api_key = api_key
        self._clock = clock

    def handle(self, path: str, query: str, headers: Mapping[str, str], base_url: str) -> Response:
        """Answer one GET request.

        Args:
            path: URL path, still percent-encoded.
            query: Raw query string (may hold ``apiKey``).
            headers: Request headers; ``Authorization: Bearer KEY`` is honoured.
            base_url: Scheme and authority to build absolute ``next_url`` links on.

        Returns:
            Status and body: 200 with data, 400/401/404 with Polygon's error shape.
        """
        pairs = parse_qsl(query, keep_blank_values=True)
        key = next((v for k, v in pairs if k == "apiKey"), None) or _bearer(headers)
        params: dict[str, str] = {}
        for name, value in pairs:
            if name != "apiKey":
                params.setdefault(name, value)
        request_id = self._request_id(path, params)
        try:
            self._authenticate(key)
            for pattern, handler in _ROUTES:
                match = pattern.fullmatch(path)
                if match:
                    args = [unquote(group) for group in match.groups()]
                    body = getattr(self, handler)(*args, params=params, base_url=base_url)
                    return Response(200, _with_request_id(body, request_id))
            return Response(
                404, {"status": "NOT_FOUND", "request_id": request_id, "message": "Not Found"}
            )
        except ApiError as exc:
            body = {"status": "ERROR", "request_id": request_id, "error": exc.message}
            return Response(exc.status, body)

    def _authenticate(self, key: str | None) -> None:
        if not key:
            raise ApiError(401, "API Key was not provided")
        expected = self._api_key
        if expected is not None and not hmac.compare_digest(key.encode(), expected.encode()):
            raise ApiError(401, "Unknown API Key")

    def _request_id(self, path: str, params: Mapping[str, str]) -> str:
        """Deterministic id, so equal requests get byte-identical responses."""
        text = f"{self._market.seed}|{path}|{urlencode(sorted(params.items()))}"
        return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()

    # ---- GET /v3/reference/tickers ------------------------------------------------

    def _tickers(self, *, params: dict[str, str], base_url: str) -> Body:
        if "cursor" in params:
            params = _decode_cursor(params["cursor"])
        offset = _int_param(params, "offset", 0, 0, None)
        limit = _int_param(params, "limit", TICKERS_LIMIT[0], 1, TICKERS_LIMIT[1])
        sort = _choice(params, "sort", TICKER_SORTS, "ticker")
        order = _choice(params, "order", ("asc", "desc"), "asc")
        matches = _ticker_filter(params)
        as_of = self._clock()
        records = [_ticker_record(lst, as_of) for lst in self._market.listings if matches(lst)]
        records.sort(
            key=lambda r: (r.get(sort) is None, r.get(sort) or ""), reverse=order == "desc"
        )
        page = records[offset : offset + limit]
        body: Body = {"results": page, "status": "OK", "count": len(page)}
        if offset + limit < len(records):
            state = {k: v for k, v in params.items() if k != "cursor"}
            state.update(offset=str(offset + limit), limit=str(limit), sort=sort, order=order)
            body["next_url"] = f"{base_url}/v3/reference/tickers?cursor={_encode_cursor(state)}"
        return body

    # ---- GET /v2/aggs/grouped/locale/us/market/stocks/{date} ----------------------

    def _grouped(self, day: str, *, params: dict[str, str], base_url: str) -> Body:
        session = _parse_time(day, "date")
        adjusted = _bool_param(params, "adjusted", True)
        _bool_param(params, "include_otc", False)  # validated; the sandbox lists no OTC names
        bars = self._market.grouped_daily(session, self._clock())
        results = [
            {"T": bar.ticker, **_bar_fields(bar, bar.start_ms + GROUPED_T_OFFSET_MS)}
            for bar in bars
        ]
        return _aggregate_body({}, results, adjusted)

    # ---- GET /v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to} ----

    def _range(
        self,
        ticker: str,
        multiplier: str,
        timespan: str,
        start: str,
        end: str,
        *,
        params: dict[str, str],
        base_url: str,
    ) -> Body:
        if "cursor" in params:
            params = _decode_cursor(params["cursor"])
        if not _MILLIS.fullmatch(multiplier) or int(multiplier) < 1:
            raise ApiError(400, f"Could not parse the multiplier: '{multiplier}'")
        if timespan not in TIMESPANS:
            raise ApiError(400, f"Invalid timespan: '{timespan}'")
        if (int(multiplier), timespan) != (1, "day"):
            raise ApiError(
                400,
                f"The sandbox market serves 1/day aggregates only, not {multiplier}/{timespan}",
            )
        first, last = _parse_time(start, "from"), _parse_time(end, "to")
        if last < first:
            raise ApiError(400, "The parameter 'to' cannot be a time that occurs before 'from'")
        adjusted = _bool_param(params, "adjusted", True)
        sort = _choice(params, "sort", ("asc", "desc"), "asc")
        limit = min(_int_param(params, "limit", AGGS_LIMIT[0], 1, None), AGGS_LIMIT[1])

        bars = self._market.daily_bars(ticker, first, last, self._clock())
        if sort == "desc":
            bars.reverse()
        results = [_bar_fields(bar, bar.start_ms) for bar in bars[:limit]]
        body = _aggregate_body({"ticker": ticker}, results, adjusted)
        if len(bars) > limit:
            resume = str(bars[limit].start_ms)
            start, end = (resume, end) if sort == "asc" else (start, resume)
            cursor = _encode_cursor(
                {"adjusted": str(adjusted).lower(), "limit": str(limit), "sort": sort}
            )
            body["next_url"] = (
                f"{base_url}/v2/aggs/ticker/{quote(ticker, safe='')}/range/1/day/{start}/{end}"
                f"?cursor={cursor}"
            )
        return body


def _bearer(headers: Mapping[str, str]) -> str | None:
    scheme, _, token = (headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _with_request_id(body: Body, request_id: str) -> Body:
    """Place ``request_id`` right after ``status``, where Polygon puts it."""
    out: Body = {}
    for name, value in body.items():
        out[name] = value
        if name == "status":
            out["request_id"] = request_id
    return out


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


def _bar_fields(bar: DailyBar, t: int) -> Body:
    return {
        "v": bar.volume,
        "vw": bar.vwap,
        "o": bar.open,
        "c": bar.close,
        "h": bar.high,
        "l": bar.low,
        "t": t,
        "n": bar.transactions,
    }


def _ticker_record(listing: Listing, as_of: datetime) -> Body:
    record: Body = {
        "ticker": listing.ticker,
        "name": listing.name,
        "market": "stocks",
        "locale": "us",
        "primary_exchange": listing.primary_exchange,
        "type": listing.type,
        "active": True,
        "currency_name": "usd",
        "cik": listing.cik,
        "composite_figi": listing.composite_figi,
        "share_class_figi": listing.share_class_figi,
        "last_updated_utc": f"{as_of.astimezone(UTC).date().isoformat()}T00:00:00Z",
    }
    return {name: value for name, value in record.items() if value is not None}


def _ticker_filter(params: Mapping[str, str]) -> Callable[[Listing], bool]:
    """Predicate for the listings that match the tickers endpoint's filters."""
    kind = params.get("type") or None
    market = params.get("market") or None
    if kind is not None and kind not in TICKER_TYPES:
        raise ApiError(400, f"Invalid value for parameter 'type': '{kind}'")
    if market is not None and market not in MARKETS:
        raise ApiError(400, f"Invalid value for parameter 'market': '{market}'")
    active = _bool_param(params, "active", True)
    exact = {name: params[name] for name in ("ticker", "exchange", "cik") if params.get(name)}
    search = params.get("search", "").lower()
    bounds = [(op, params[name]) for name, op in _TICKER_RANGES.items() if params.get(name)]

    def matches(listing: Listing) -> bool:
        fields = {
            "ticker": listing.ticker,
            "exchange": listing.primary_exchange,
            "cik": listing.cik,
        }
        return (
            active  # every sandbox listing is active
            and market in (None, "stocks")
            and kind in (None, listing.type)
            and all(fields[name] == value for name, value in exact.items())
            and (search in listing.ticker.lower() or search in listing.name.lower())
            and all(op(listing.ticker, bound) for op, bound in bounds)
        )

    return matches


def _parse_time(text: str, name: str) -> date:
    """A path date: ``YYYY-MM-DD`` or epoch milliseconds (read as a New York date)."""
    try:
        if _DATE.fullmatch(text):
            return date.fromisoformat(text)
        if _MILLIS.fullmatch(text):
            return datetime.fromtimestamp(int(text) / 1000, tz=NEW_YORK).date()
    except (ValueError, OverflowError, OSError):
        pass
    raise ApiError(
        400, f"Could not parse the time parameter: '{name}'. Use YYYY-MM-DD or Unix MS Timestamps"
    )


def _bool_param(params: Mapping[str, str], name: str, default: bool) -> bool:
    value = params.get(name, "").lower()
    if value in ("", "true", "false"):
        return default if not value else value == "true"
    raise ApiError(400, f"Invalid value for parameter '{name}': expected true or false")


def _int_param(
    params: Mapping[str, str], name: str, default: int, low: int, high: int | None
) -> int:
    value = params.get(name, "")
    if not value:
        return default
    if not _MILLIS.fullmatch(value) or int(value) < low or (high is not None and int(value) > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ApiError(400, f"Invalid value for parameter '{name}': must be an integer {bound}")
    return int(value)


def _choice(params: Mapping[str, str], name: str, allowed: Collection[str], default: str) -> str:
    value = params.get(name) or default
    if value not in allowed:
        raise ApiError(400, f"Invalid value for parameter '{name}': '{value}'")
    return value


def _encode_cursor(state: Mapping[str, str]) -> str:
    raw = urlencode(sorted(state.items())).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> dict[str, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
        return dict(parse_qsl(raw, keep_blank_values=True, strict_parsing=True))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ApiError(400, "Invalid cursor") from None
