"""An HTTP server that answers each path from a script, for failure tests.

It stands in for the outside API misbehaving: each path has a list of
responses served in order (the last one repeats).
"""

from __future__ import annotations

from collections import defaultdict
from urllib.parse import urlsplit

from tests.support.loopback import JsonHandler, LoopbackServer

Response = tuple[int, bytes, dict[str, str]]


class ScriptedServer(LoopbackServer):
    def __init__(self, script: dict[str, list[Response]]) -> None:
        self.hits: dict[str, int] = defaultdict(int)
        hits = self.hits

        class Handler(JsonHandler):
            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                answers = script.get(path, [(404, b'{"status":"NOT_FOUND"}', {})])
                self.send_json(*answers[min(hits[path], len(answers) - 1)])
                hits[path] += 1

        super().__init__(Handler)
