"""HTTP front of the sandbox market: a local, Polygon-compatible REST server.

The server speaks plain HTTP on loopback by default and answers the three
endpoints ``SandboxApi`` implements. Its access log shows method, path and
status only: query strings (which may carry ``apiKey``) are never logged.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

import orjson

from extract.sandbox.api import SandboxApi
from extract.sandbox.market import SandboxMarket

logger = logging.getLogger(__name__)

_SECRET = re.compile(r"(apiKey=)[^&\s'\"]*|(Bearer\s+)\S+", re.IGNORECASE)


def redact(text: str) -> str:
    """Blank out API keys in ``text`` (``apiKey=...`` values and bearer tokens)."""
    return _SECRET.sub(lambda m: f"{m.group(1) or m.group(2)}REDACTED", text)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], api: SandboxApi) -> None:
        super().__init__(address, _Handler)
        self.api = api


class _Handler(BaseHTTPRequestHandler):
    server: _HttpServer
    protocol_version = "HTTP/1.1"
    server_version = "TickStockSandbox/0"

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        response = self.server.api.handle(url.path, url.query, self.headers, f"http://{host}")
        payload = orjson.dumps(response.body)
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Request-Id", response.request_id)
        self.end_headers()
        self.wfile.write(payload)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        logger.info("%s %s %s", self.command, urlsplit(self.path).path, code)

    def log_message(self, format: str, *args: object) -> None:
        logger.warning("%s", redact(format % args))


class SandboxServer:
    """Runs a ``SandboxMarket`` behind Polygon's REST paths in a background thread.

    Args:
        market: The market to serve.
        host: Interface to bind.
        port: TCP port; 0 picks a free one.
        api_key: Accept only this key, or any non-empty key when ``None``.
        clock: Returns the aware current time (default: real UTC now); only
            sessions closed by then have bars.

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
    ) -> None:
        self._api = SandboxApi(market, api_key, clock or _utc_now)
        self._address = (host, port)
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://host:port`` the server listens on; raises if it is not running."""
        if self._httpd is None:
            raise RuntimeError("SandboxServer is not running; call start() first")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        """Bind and serve in a daemon thread.

        Returns:
            The base URL, e.g. ``http://127.0.0.1:54321``.
        """
        if self._httpd is None:
            self._httpd = _HttpServer(self._address, self._api)
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


def serve(host: str, port: int, seed: int) -> None:
    """Serve the sandbox market in the foreground until interrupted (``tickstock sandbox serve``).

    Any non-empty API key is accepted.

    Args:
        host: Interface to bind.
        port: TCP port (0 picks a free one).
        seed: Seed of the synthetic prices.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    server = SandboxServer(SandboxMarket(seed=seed), host=host, port=port)
    base_url = server.start()
    print(
        f"Sandbox market serving SYNTHETIC data (not real prices, seed {seed}) "
        f"at {base_url} - Polygon-compatible; any non-empty API key is accepted. Ctrl-C stops.",
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
