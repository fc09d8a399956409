"""Replays the responses recorded from the real Polygon API over HTTP.

File names follow the client-python convention (tests/data/shared/polygon_mocks/INDEX.md):
the path under the folder is the URL path, the first `&` stands for `?`, `;`
for `:`, and `index.json` for a bare directory URL.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.support.loopback import JsonHandler, LoopbackServer
from tests.support.shared import MOCKS_DIR

REPLAYED_FOR_ANY = frozenset({"adjusted"})
"""Recorded parameters a request need not repeat: the extractor asks for bars as
traded (`adjusted=false`) and the only grouped-daily recording was made with
`adjusted=true`; these landing tests check exact decimals and columns, which
the flag does not change."""


def _recorded() -> dict[str, list[tuple[dict[str, str], Path]]]:
    """URL path -> [(recorded query, file)] for every mock."""
    by_path: dict[str, list[tuple[dict[str, str], Path]]] = {}
    for file in MOCKS_DIR.rglob("*.json"):
        relative = file.relative_to(MOCKS_DIR).as_posix().removesuffix(".json")
        relative = relative.removesuffix("/index")
        path, _, query = relative.partition("&")
        url_path = "/" + path.replace(";", ":", 1)
        by_path.setdefault(url_path, []).append((dict(parse_qsl(unquote(query))), file))
    return by_path


class ReplayServer(LoopbackServer):
    """Serves the recorded responses; requests must carry a bearer key.

    Records what was asked (`requests`), with which `Authorization` header
    (`authorizations`), and which recorded files were answered (`served`).
    """

    def __init__(self) -> None:
        recorded = _recorded()
        self.requests: list[str] = []
        self.authorizations: list[str] = []
        self.served: list[Path] = []
        requests, authorizations, served = self.requests, self.authorizations, self.served

        class Handler(JsonHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                requests.append(self.path)
                authorizations.append(self.headers.get("Authorization", ""))
                if not self.headers.get("Authorization", "").startswith("Bearer "):
                    self.send_json(401, b'{"status":"ERROR","error":"API Key was not provided"}')
                    return
                asked = dict(parse_qsl(url.query))
                candidates = [
                    (query, file)
                    for query, file in recorded.get(unquote(url.path), [])
                    if all(
                        asked.get(key) == value
                        for key, value in query.items()
                        if key not in REPLAYED_FOR_ANY
                    )
                    and ("cursor" not in asked or query.get("cursor") == asked["cursor"])
                ]
                if not candidates:
                    self.send_json(404, b'{"status":"NOT_FOUND"}')
                    return
                _, file = max(candidates, key=lambda candidate: len(candidate[0]))
                served.append(file)
                self.send_json(200, file.read_bytes())

        super().__init__(Handler)
