"""Polygon-compatible request handling for the sandbox market, free of HTTP plumbing.

``SandboxApi.handle`` takes a decoded request (path, query string, headers),
authenticates it, routes it to a handler of one endpoint family (``routes_*``)
and returns the status and JSON body Polygon's REST API would return. Shapes
follow Polygon's published OpenAPI spec and its recorded responses: empty
aggregate responses leave ``results`` out, identifiers Polygon does not know
are left out rather than ``null``, ``next_url`` never carries the key, and
endpoints whose recorded responses carry no ``request_id`` get none.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlencode

import orjson

from sandbox import routes_actions, routes_aggs, routes_market, routes_reference
from sandbox.context import Call
from sandbox.market import SandboxMarket
from sandbox.params import NEW_YORK, ApiError, Body, NotFound
from sandbox.poison import unquote_raw
from sandbox.response_cache import ResponseCache


class Headers(Protocol):
    """A request's headers: http.server's message, or a plain dict in tests."""

    def get(self, name: str, default: None = None, /) -> str | None: ...


Handler = Callable[..., Any]

_ROUTES: tuple[tuple[re.Pattern[str], Handler, bool], ...] = (
    # (path pattern, handler, whether the body carries a request_id)
    (re.compile(r"/v3/reference/tickers/?"), routes_reference.tickers, True),
    (re.compile(r"/v3/reference/tickers/types/?"), routes_reference.ticker_types, True),
    (re.compile(r"/v3/reference/tickers/([^/]+)/?"), routes_reference.ticker_details, True),
    (re.compile(r"/vX/reference/tickers/([^/]+)/events/?"), routes_reference.ticker_events, True),
    (re.compile(r"/v3/reference/splits/?"), routes_actions.splits, True),
    (re.compile(r"/v3/reference/dividends/?"), routes_actions.dividends_route, True),
    (re.compile(r"/v2/aggs/grouped/locale/us/market/stocks/([^/]+)/?"), routes_aggs.grouped, True),
    (
        re.compile(r"/v2/aggs/ticker/([^/]+)/range/([^/]+)/([^/]+)/([^/]+)/([^/]+)/?"),
        routes_aggs.ticker_range,
        True,
    ),
    (re.compile(r"/v2/snapshot/locale/us/markets/stocks/tickers/?"), routes_market.snapshot, False),
    (re.compile(r"/v1/marketstatus/now/?"), routes_market.status_now, False),
    (re.compile(r"/v1/marketstatus/upcoming/?"), routes_market.status_upcoming, False),
)


# Aggregates whose last day (a range's `to`, a grouped day) is named by a date.
_BARS_UP_TO = re.compile(
    r"/v2/aggs/(?:grouped/locale/us/market/stocks|ticker/[^/]+/range/[^/]+/[^/]+/[^/]+)"
    r"/(\d{4}-\d{2}-\d{2})/?"
)


@dataclass(frozen=True, slots=True)
class Response:
    """What to send back: an HTTP status, a JSON value and the request id."""

    status: int
    body: Body | list[Body]
    request_id: str


def request_key(query: str, headers: Headers) -> str | None:
    """The API key of a request: ``apiKey`` query parameter or ``Authorization: Bearer``."""
    key = next((v for k, v in parse_qsl(query, keep_blank_values=True) if k == "apiKey"), None)
    return key or _bearer(headers)


class SandboxApi:
    """Serves Polygon's stock endpoints from a ``SandboxMarket``.

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
        self._past_bars = ResponseCache()

    def handle_json(
        self, path: str, query: str, headers: Headers, base_url: str
    ) -> tuple[int, bytes, str]:
        """`handle`, with the body serialized: status, JSON bytes and request id.

        Bars of days before today (in New York) are served from a cache: they
        no longer change. The key holds the request's API key, so a refused
        key never reads what an accepted one was answered, and today's date,
        so a new day (and its corporate actions) starts afresh.
        """
        params = _params(query)
        key = self._past_bars_key(path, params, request_key(query, headers), base_url)
        if key is not None and (cached := self._past_bars.get(key)) is not None:
            return 200, cached, self.request_id(path, params)
        response = self.handle(path, query, headers, base_url)
        payload = unquote_raw(orjson.dumps(response.body))
        if key is not None and response.status == 200:
            self._past_bars.put(key, payload)
        return response.status, payload, response.request_id

    def _past_bars_key(
        self, path: str, params: Mapping[str, str], api_key: str | None, base_url: str
    ) -> tuple | None:
        """The cache key of a request for bars of past days only, else None."""
        match = _BARS_UP_TO.fullmatch(path)
        if match is None:
            return None
        today = self._clock().astimezone(NEW_YORK).date()
        if date.fromisoformat(match.group(1)) >= today:
            return None
        return path, tuple(sorted(params.items())), base_url, api_key, today

    def handle(self, path: str, query: str, headers: Headers, base_url: str) -> Response:
        """Answer one GET request.

        Args:
            path: URL path, still percent-encoded.
            query: Raw query string (may hold ``apiKey``).
            headers: Request headers; ``Authorization: Bearer KEY`` is honoured.
            base_url: Scheme and authority to build absolute ``next_url`` links on.

        Returns:
            Status and body: 200 with data, 400/401/404 with Polygon's error shape.
        """
        params = _params(query)
        request_id = self.request_id(path, params)
        try:
            self._authenticate(request_key(query, headers))
            for pattern, handler, with_id in _ROUTES:
                match = pattern.fullmatch(path)
                if match:
                    args = [unquote(group) for group in match.groups()]
                    call = Call(self._market, self._clock(), params, base_url)
                    body = handler(call, *args)
                    if with_id:
                        body = _with_request_id(body, request_id)
                    return Response(200, body, request_id)
            raise NotFound("Not Found")
        except NotFound as exc:
            body = {"status": "NOT_FOUND", "request_id": request_id, "message": exc.message}
            return Response(404, body, request_id)
        except ApiError as exc:
            body = {"status": "ERROR", "request_id": request_id, "error": exc.message}
            return Response(exc.status, body, request_id)

    def _authenticate(self, key: str | None) -> None:
        if not key:
            raise ApiError(401, "API Key was not provided")
        expected = self._api_key
        if expected is not None and not hmac.compare_digest(key.encode(), expected.encode()):
            raise ApiError(401, "Unknown API Key")

    def request_id(self, path: str, params: Mapping[str, str]) -> str:
        """Deterministic id, so equal requests get byte-identical responses."""
        text = f"{self._market.seed}|{path}|{urlencode(sorted(params.items()))}"
        return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _params(query: str) -> dict[str, str]:
    """The query's parameters but the key, each name's first value."""
    params: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name != "apiKey":
            params.setdefault(name, value)
    return params


def _bearer(headers: Headers) -> str | None:
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
