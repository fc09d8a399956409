"""An HTTP server that answers each path from a script, for failure tests.

It stands in for the outside API misbehaving: each path has a list of
responses served in order (the last one repeats).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

Response = tuple[int, bytes, dict[str, str]]


class ScriptedServer:
    def __init__(self, script: dict[str, list[Response]]) -> None:
        self.hits: dict[str, int] = defaultdict(int)
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                answers = script.get(path, [(404, b'{"status":"NOT_FOUND"}', {})])
                status, body, headers = answers[min(hits[path], len(answers) - 1)]
                hits[path] += 1
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> ScriptedServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
