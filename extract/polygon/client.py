"""HTTP to a Polygon-compatible API: bearer auth, rate limit, retries, next_url.

The session retries 429, 5xx, timeouts and dropped connections with
exponential backoff plus random jitter, honouring `Retry-After` (tenacity).
requests-ratelimiter keeps us under the plan's request rate so we rarely meet
a 429 in the first place. dlt's RESTClient follows the pages; response hooks
check each page's status and parse its body once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import orjson
import requests
from dlt.common.jsonpath import compile_path
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator
from dlt.sources.helpers.rest_client.typing import HookFunction, Hooks
from requests import HTTPError, PreparedRequest, Response
from requests.adapters import HTTPAdapter
from requests.exceptions import ChunkedEncodingError, ConnectionError, Timeout
from requests_ratelimiter import LimiterAdapter
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    retry_if_exception_type,
    retry_if_result,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)
from tenacity.wait import wait_base

from extract.polygon.bars import parse_bar_page

# Compiled once: dlt compiles a selector given as text on every page it reads.
RESULTS = compile_path("results")

RETRY_STATUS = frozenset({429, *range(500, 600)})
# A dropped connection is a ConnectionError before the answer, a
# ChunkedEncodingError in the middle of its body.
RETRY_ERRORS = (ConnectionError, Timeout, ChunkedEncodingError)
# Connections kept per host: enough for every worker of a paid-plan backfill.
POOL_SIZE = 50


@dataclass(frozen=True)
class RequestPolicy:
    """How hard we may call the API, and how patiently we retry."""

    per_minute: float | None = None  # None: no client-side limit
    per_second: float | None = None
    max_attempts: int = 6
    backoff_factor: float = 1.0
    max_retry_delay_s: float = 60.0
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 60.0
    # Pages one request may follow through `next_url` (TICKSTOCK_POLYGON_MAX_PAGES).
    max_pages: int = 10_000


def _failed_response(state: RetryCallState) -> Response | None:
    """The response an attempt ended with, raised (by a hook) or returned."""
    if state.outcome is None:
        return None
    error = state.outcome.exception()
    if error is not None:
        return error.response if isinstance(error, HTTPError) else None
    result = state.outcome.result()
    return result if isinstance(result, Response) else None


def _retry_after_s(value: str | None) -> float | None:
    """`Retry-After` in seconds (given as seconds or as an HTTP date); None if absent or past."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return seconds if seconds > 0 else None


class wait_retry_after(wait_base):
    """The server's `Retry-After` (at most `longest`) when it sent one, else `otherwise`."""

    def __init__(self, otherwise: wait_base, longest: float) -> None:
        self.otherwise = otherwise
        self.longest = longest

    def __call__(self, retry_state: RetryCallState) -> float:
        response = _failed_response(retry_state)
        header = response.headers.get("Retry-After") if response is not None else None
        seconds = _retry_after_s(header)
        return self.otherwise(retry_state) if seconds is None else min(seconds, self.longest)


def backoff(policy: RequestPolicy) -> wait_base:
    """The wait before a retry: `Retry-After`, else factor * 2^(attempt - 1), plus jitter.

    The jitter (up to one factor) keeps workers that failed together from all
    retrying in the same instant.
    """
    exponential = wait_exponential(multiplier=policy.backoff_factor, max=policy.max_retry_delay_s)
    jitter = wait_random(0, policy.backoff_factor)
    return wait_retry_after(exponential, policy.max_retry_delay_s) + jitter


def _retry_status_raised(error: BaseException) -> bool:
    return (
        isinstance(error, HTTPError)
        and error.response is not None
        and error.response.status_code in RETRY_STATUS
    )


def _retry_status_returned(result: Any) -> bool:
    return isinstance(result, Response) and result.status_code in RETRY_STATUS


def _give_up(state: RetryCallState) -> Any:
    """After the last attempt: its response, or its error raised again."""
    assert state.outcome is not None
    return state.outcome.result()


class RetryingSession(requests.Session):
    """A requests session that retries every request as `policy` says.

    The whole send is retried, the rate limiter's wait included: every
    attempt takes its own slot in the window.
    """

    def __init__(self, policy: RequestPolicy) -> None:
        super().__init__()
        self.timeout = (policy.connect_timeout_s, policy.read_timeout_s)
        self.retrying = Retrying(
            retry=retry_if_exception_type(RETRY_ERRORS)
            | retry_if_exception(_retry_status_raised)
            | retry_if_result(_retry_status_returned),
            wait=backoff(policy),
            stop=stop_after_attempt(policy.max_attempts),
            retry_error_callback=_give_up,
        )
        adapter = HTTPAdapter(pool_maxsize=POOL_SIZE)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def send(self, request: PreparedRequest, **kwargs: Any) -> Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        # A copy per call: the session is shared by the fetch threads.
        response: Response = self.retrying.copy()(super().send, request, **kwargs)
        return response


class ParsedResponse(Response):
    """A response whose body was parsed once: dlt's paginator and selector both read it."""

    def __init__(self, response: Response, body: Any) -> None:
        super().__init__()
        vars(self).update(vars(response))
        self.body = body

    def json(self, **kwargs: Any) -> Any:
        return self.body


def _json_page(response: Response, *args: Any, **kwargs: Any) -> Response:
    # A hook runs inside the retried send: a 429 or 5xx raised here is retried.
    response.raise_for_status()
    try:
        # orjson: faster than requests' parser.
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        # orjson refuses NaN, Infinity and 1e400 anywhere in a page; Python's
        # parser keeps them, so the records holding them are set aside one by
        # one (see `reference`). Not JSON at all: a ValueError, as before.
        body = json.loads(response.content)
    return ParsedResponse(response, body)


def _bar_page(response: Response, *args: Any, **kwargs: Any) -> Response:
    response.raise_for_status()
    return ParsedResponse(response, parse_bar_page(response.content))


def _grouped_bar_page(response: Response, *args: Any, **kwargs: Any) -> Response:
    response.raise_for_status()
    return ParsedResponse(response, parse_bar_page(response.content, require_ticker=True))


def json_pages() -> Hooks:
    """Response hooks for `RESTClient.paginate`: status checked, JSON parsed once."""
    # requests lets a response hook return the response that replaces it;
    # dlt's `Hooks` type admits only hooks returning None.
    return {"response": [cast(HookFunction, _json_page)]}


def bar_pages(require_ticker: bool = False) -> Hooks:
    """Response hooks for pages of bars: each page's `results` is one Arrow table.

    dlt's record selector and `next_url` paginator work on it unchanged; the
    records set aside are under the page's `rejected`. `require_ticker`:
    every bar names its ticker `T` (grouped daily pages).
    """
    return {"response": [cast(HookFunction, _grouped_bar_page if require_ticker else _bar_page)]}


class PaginationError(ValueError):
    """The API's `next_url` chain cannot be trusted to end: the request's records are dropped."""


class NextUrlOnBaseUrl(JSONLinkPaginator):
    """Follows `next_url`, but always on the configured base URL, and never forever.

    `next_url` carries no API key (the bearer header re-applies it) and names
    the API's public host, which a replay server or proxy must not be sent to.

    The pages of one request are bounded: a `next_url` naming a page already
    read (a loop, however long) or a chain past `max_pages` raises
    `PaginationError` rather than stopping quietly, since the pages after it
    are unknown: the request fails as a whole and is reported (a fetch
    failure), and what it did read is not landed as if it were complete.
    """

    def __init__(self, base_url: str, max_pages: int = RequestPolicy.max_pages) -> None:
        super().__init__(next_url_path="next_url")
        self.base = urlsplit(base_url)
        self.max_pages = max_pages
        self.visited: set[tuple[str, str]] = set()

    def init_request(self, request: Any) -> None:
        super().init_request(request)
        self.visited = set()

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        super().update_state(response, data)
        self.visited.add(_page_key(response.url))
        if not self.has_next_page or self._next_reference is None:
            return
        following = _page_key(self._next_reference)
        read = len(self.visited)
        if following in self.visited:
            raise PaginationError(
                f"next_url points back to a page already read ({following[0]}, after"
                f" {read} page(s)): pagination stopped"
            )
        if read >= self.max_pages:
            raise PaginationError(
                f"more than {self.max_pages} pages for {following[0]}"
                " (TICKSTOCK_POLYGON_MAX_PAGES): pagination stopped"
            )

    def update_request(self, request: Any) -> None:
        super().update_request(request)
        if request.url:
            target = urlsplit(request.url)
            request.url = urlunsplit(
                (self.base.scheme, self.base.netloc, target.path, target.query, "")
            )


def _page_key(url: str) -> tuple[str, str]:
    """A page's path and query: the host is always the base URL's (and no key is in it)."""
    parts = urlsplit(url)
    return parts.path, parts.query


UNLIMITED = RequestPolicy()

# The free plan allows 5 requests a minute; paid plans have no limit, and we
# stay under 100 requests a second.
PLANS = {"free": RequestPolicy(per_minute=5), "paid": RequestPolicy(per_second=100)}


def request_policy(plan: str | None, requests_per_minute: float | None) -> RequestPolicy:
    """The policy for a plan name, or for an explicit requests-per-minute budget."""
    if requests_per_minute:
        return RequestPolicy(per_minute=requests_per_minute)
    if plan not in PLANS:
        raise ValueError(f"POLYGON_PLAN must be one of {', '.join(PLANS)}, not {plan!r}")
    return PLANS[plan]


def polygon_client(base_url: str, api_key: str, policy: RequestPolicy) -> RESTClient:
    """A REST client for one extraction run; its session may be shared by threads.

    Page through it with `json_pages()` or `bar_pages()` as the hooks.
    """
    session = RetryingSession(policy)
    if policy.per_minute or policy.per_second:
        # Every attempt, retries included, waits for a slot in the window.
        limiter = LimiterAdapter(
            per_minute=policy.per_minute or 0,
            per_second=policy.per_second or 0,
            per_host=False,
            pool_maxsize=POOL_SIZE,
        )
        session.mount(base_url, limiter)
    return RESTClient(
        base_url=base_url,
        auth=BearerTokenAuth(token=api_key),
        paginator=NextUrlOnBaseUrl(base_url, policy.max_pages),
        data_selector=RESULTS,
        session=session,
    )
