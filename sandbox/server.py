"""HTTP front of the sandbox market: a local, Polygon-compatible REST server.

The server speaks plain HTTP on loopback by default and answers the
endpoints ``SandboxApi`` implements. Optionally it misbehaves like a busy
real API: a per-key sliding-window rate limit, added latency and injected
faults (429, 5xx, slow answers, dropped connections) chosen deterministically
by ``faults.FaultPlan``. Its access log shows method, path and status only:
query strings (which may carry ``apiKey``) are never logged.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

import orjson

from sandbox.api import SandboxApi, request_key
from sandbox.faults import (
    ERROR_MESSAGES,
    FAULT_RETRY_AFTER_S,
    HTTP_STATUS,
    RATE_LIMIT_MESSAGE,
    Counter,
    Fault,
    FaultPlan,
    RateLimiter,
)
from sandbox.market import SandboxMarket

logger = logging.getLogger(__name__)

_SECRET = re.compile(r"(apiKey=)[^&\s'\"]*|(Bearer\s+)\S+", re.IGNORECASE)


def redact(text: str) -> str:
    """Blank out API keys in ``text`` (``apiKey=...`` values and bearer tokens)."""
    return _SECRET.sub(lambda m: f"{m.group(1) or m.group(2)}REDACTED", text)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        api: SandboxApi,
        plan: FaultPlan,
        limiter: RateLimiter | None,
    ) -> None:
        super().__init__(address, _Handler)
        self.api = api
        self.plan = plan
        self.limiter = limiter
        self.counter = Counter()


class _Handler(BaseHTTPRequestHandler):
    server: _HttpServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: send both at once
    server_version = "TickStockSandbox/0"

    def do_GET(self) -> None:
        server = self.server
        url = urlsplit(self.path)
        if server.limiter is not None:
            wait = server.limiter.admit(request_key(url.query, self.headers) or "")
            if wait is not None:
                self._error(429, RATE_LIMIT_MESSAGE, "rate-limit", retry_after=wait)
                return
        number = server.counter.take()
        fault = server.plan.decide(number)
        delay = server.plan.delay_s(fault)
        if delay:
            time.sleep(delay)
        if fault is Fault.DROP:
            self.close_connection = True  # hang up without a response
            logger.info("%s %s dropped", self.command, url.path)
            return
        if fault in HTTP_STATUS:
            status = HTTP_STATUS[fault]
            retry = FAULT_RETRY_AFTER_S if status == 429 else None
            message = RATE_LIMIT_MESSAGE if status == 429 else ERROR_MESSAGES[status]
            self._error(status, message, f"fault-{number}", retry_after=retry)
            return
        host = self.headers.get("Host") or "{}:{}".format(*server.server_address[:2])
        status, payload, request_id = server.api.handle_json(
            url.path, url.query, self.headers, f"http://{host}"
        )
        if server.plan.loop_next_url and status == 200:
            payload = _pointing_at_itself(payload, f"http://{host}{url.path}", url.query)
        self._send(status, payload, request_id)

    def _error(self, status: int, message: str, salt: str, retry_after: int | None) -> None:
        """Polygon's error body; ``Retry-After`` (seconds) when given."""
        request_id = hashlib.md5(salt.encode(), usedforsecurity=False).hexdigest()
        body = {"status": "ERROR", "request_id": request_id, "error": message}
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self._send(status, orjson.dumps(body), request_id, headers)

    def _send(
        self, status: int, payload: bytes, request_id: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Request-Id", request_id)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        logger.info("%s %s %s", self.command, urlsplit(self.path).path, code)

    def log_message(self, format: str, *args: object) -> None:
        logger.warning("%s", redact(format % args))


def _pointing_at_itself(payload: bytes, page_url: str, query: str) -> bytes:
    """A list page whose ``next_url`` is its own URL (without any ``apiKey``)."""
    body = orjson.loads(payload)
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        return payload
    kept = "&".join(p for p in query.split("&") if p and not p.lower().startswith("apikey="))
    body["next_url"] = f"{page_url}?{kept}" if kept else page_url
    return orjson.dumps(body)


class SandboxServer:
    """Runs a ``SandboxMarket`` behind Polygon's REST paths in a background thread.

    Args:
        market: The market to serve.
        host: Interface to bind.
        port: TCP port; 0 picks a free one.
        api_key: Accept only this key, or any non-empty key when ``None``.
        clock: Returns the aware current time (default: real UTC now); only
            sessions closed by then have bars.
        fault_rate: Share of requests, in ``[0, 1]``, answered with an injected
            fault: 429 (``Retry-After: 1``), 500, 502, 503, a slow answer or a
            dropped connection, equally likely.
        latency_ms: Delay added to every response.
        rate_limit: Requests per minute and API key (sliding window) before
            429 with ``Retry-After``; ``None`` for no limit.
        fault_seed: Seed of the fault sequence; equal seeds and request
            sequences get equal faults.
        loop_next_url: Answer every list page with a ``next_url`` naming
            itself (a pagination glitch a client must stop on).

    Example:
        >>> with SandboxServer(SandboxMarket(seed=7)) as server:  # doctest: +SKIP
        ...     requests.get(f"{server.base_url}/v3/reference/tickers?apiKey=x")
    """

    def __init__(
        self,
        market: SandboxMarket,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        clock: Callable[[], datetime] | None = None,
        *,
        fault_rate: float = 0.0,
        latency_ms: int = 0,
        rate_limit: int | None = None,
        fault_seed: int = 0,
        loop_next_url: bool = False,
    ) -> None:
        self._api = SandboxApi(market, api_key, clock or _utc_now)
        self._plan = FaultPlan(fault_rate, latency_ms, fault_seed, loop_next_url)
        self._rate_limit = rate_limit
        if rate_limit is not None:
            RateLimiter(rate_limit)  # validate now rather than at start()
        self._address = (host, port)
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://host:port`` the server listens on; raises if it is not running."""
        if self._httpd is None:
            raise RuntimeError("SandboxServer is not running; call start() first")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> str:
        """Bind and serve in a daemon thread.

        Returns:
            The base URL, e.g. ``http://127.0.0.1:54321``.
        """
        if self._httpd is None:
            limiter = RateLimiter(self._rate_limit) if self._rate_limit is not None else None
            self._httpd = _HttpServer(self._address, self._api, self._plan, limiter)
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},  # how long stop() may wait
                name="sandbox-market",
                daemon=True,
            )
            self._thread.start()
        return self.base_url

    def stop(self) -> None:
        """Stop serving and release the port. Safe to call twice."""
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()
        self._httpd = None
        self._thread = None

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve(
    host: str,
    port: int,
    seed: int,
    fault_rate: float = 0.0,
    latency_ms: int = 0,
    rate_limit: int | None = None,
    fault_seed: int = 0,
    market: SandboxMarket | None = None,
    as_of: datetime | None = None,
    loop_next_url: bool = False,
) -> None:
    """Serve the sandbox market in the foreground until interrupted (``tickstock sandbox serve``).

    Any non-empty API key is accepted.

    Args:
        host: Interface to bind.
        port: TCP port (0 picks a free one).
        seed: Seed of the synthetic prices.
        fault_rate: Share of requests answered with an injected fault.
        latency_ms: Delay added to every response.
        rate_limit: Requests per minute and key, or ``None`` for no limit.
        fault_seed: Seed of the fault sequence.
        market: The market to serve (default: the dev-size market of ``seed``).
        as_of: Serve the market as it was at this aware instant (a frozen
            clock: nothing after it exists); ``None`` for the real clock.
        loop_next_url: Every list page's ``next_url`` names the page itself.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    server = SandboxServer(
        market or SandboxMarket(seed=seed),
        host=host,
        port=port,
        fault_rate=fault_rate,
        latency_ms=latency_ms,
        rate_limit=rate_limit,
        fault_seed=fault_seed,
        clock=(lambda: as_of) if as_of is not None else None,
        loop_next_url=loop_next_url,
    )
    base_url = server.start()
    chaos = ""
    if fault_rate or latency_ms or rate_limit:
        chaos = (
            f" Faults: rate {fault_rate}, latency {latency_ms} ms, "
            f"rate limit {rate_limit or 'none'}/min, fault seed {fault_seed}."
        )
    if loop_next_url:
        chaos += " Every list page's next_url names the page itself."
    if as_of is not None:
        chaos += f" As of {as_of.isoformat()}: later bars, listings and actions do not exist."
    print(
        f"Sandbox market serving SYNTHETIC data (not real prices, seed {seed}) "
        f"at {base_url} - Polygon-compatible; any non-empty API key is accepted.{chaos} "
        "Ctrl-C stops.",
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
