"""HTTP to a Polygon-compatible API: bearer auth, rate limit, retries, next_url.

dlt's requests client retries 429, 5xx, timeouts and dropped connections with
exponential backoff and honours `Retry-After`; jitter is added here.
requests-ratelimiter keeps us under the plan's request rate so we rarely meet
a 429 in the first place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson
from dlt.common.jsonpath import compile_path
from dlt.sources.helpers.requests import Client
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator
from requests_ratelimiter import LimiterAdapter
from tenacity import wait_random

from extract.polygon.bars import parse_bar_page

# Compiled once: dlt compiles a selector given as text on every page it reads.
RESULTS = compile_path("results")


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


class NextUrlOnBaseUrl(JSONLinkPaginator):
    """Follows `next_url`, but always on the configured base URL.

    `next_url` carries no API key (the bearer header re-applies it) and names
    the API's public host, which a replay server or proxy must not be sent to.
    """

    def __init__(self, base_url: str) -> None:
        super().__init__(next_url_path="next_url")
        self._base = urlsplit(base_url)

    def update_request(self, request: Any) -> None:
        super().update_request(request)
        if request.url:
            target = urlsplit(request.url)
            request.url = urlunsplit(
                (self._base.scheme, self._base.netloc, target.path, target.query, "")
            )


class ParseOnceRESTClient(RESTClient):
    """dlt's REST client, with each response body parsed once, by orjson.

    dlt's paginator (for `next_url`) and its record selector each call
    `response.json()`; with requests' own parser that doubled the cost of
    every page of bars.
    """

    def _send_request(self, request: Any, **kwargs: Any) -> Any:
        response = super()._send_request(request, **kwargs)
        body = orjson.loads(response.content)  # a JSONDecodeError is a ValueError
        response.json = lambda **_: body
        return response


class BarPagesClient(RESTClient):
    """dlt's REST client for pages of bars, each parsed by Arrow into one table.

    A page's `results` is a list holding that table, so dlt's record
    selector and `next_url` paginator work on it unchanged.
    """

    def _send_request(self, request: Any, **kwargs: Any) -> Any:
        response = super()._send_request(request, **kwargs)
        page = parse_bar_page(response.content)
        response.json = lambda **_: page
        return response


def bar_pages_client(client: RESTClient) -> BarPagesClient:
    """A client for bars sharing `client`'s session: one rate limit for both."""
    return BarPagesClient(
        base_url=client.base_url,
        auth=client.auth,
        paginator=client.paginator,
        data_selector=RESULTS,
        session=client.session,
    )


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
    """A REST client for one extraction run (one thread)."""
    http = Client(
        request_timeout=(policy.connect_timeout_s, policy.read_timeout_s),
        raise_for_status=False,
        request_max_attempts=policy.max_attempts,
        request_backoff_factor=policy.backoff_factor,
        request_max_retry_delay=policy.max_retry_delay_s,
    )
    session = http.session
    # dlt waits exactly factor * 2^n (or Retry-After). Random jitter on top keeps
    # workers that failed together from all retrying in the same instant.
    retrying = session.send.retry
    retrying.wait = retrying.wait + wait_random(0, policy.backoff_factor)
    if policy.per_minute or policy.per_second:
        # Every attempt, retries included, waits for a slot in the window.
        limiter = LimiterAdapter(
            per_minute=policy.per_minute or 0, per_second=policy.per_second or 0, per_host=False
        )
        session.mount(base_url, limiter)
    return ParseOnceRESTClient(
        base_url=base_url,
        auth=BearerTokenAuth(token=api_key),
        paginator=NextUrlOnBaseUrl(base_url),
        data_selector=RESULTS,
        session=session,
    )
