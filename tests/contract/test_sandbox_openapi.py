"""Sandbox responses against Polygon's published OpenAPI spec and recorded responses.

The spec's schemas are open (no ``additionalProperties: false``), so they
would accept almost anything with the right required keys. To make the
contract bite, each schema is made strict here: ``$ref`` resolved, OpenAPI 3.0
``nullable`` translated, ``allOf`` merged and every object closed. The same
strict schemas must accept the recorded real responses, which proves the
validator itself is right.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from jsonschema import Draft202012Validator, FormatChecker

from extract.sandbox.market import SandboxMarket
from extract.sandbox.server import SandboxServer

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SPEC_PATH = SHARED / "polygon_openapi.json"
MOCKS = SHARED / "polygon_mocks"

TICKERS = "/v3/reference/tickers"
GROUPED = "/v2/aggs/grouped/locale/us/market/stocks/{date}"
RANGE = "/v2/aggs/ticker/{stocksTicker}/range/{multiplier}/{timespan}/{from}/{to}"

# Where spec and recorded responses disagree, the recorded responses win:
# every recorded 200 of the two aggregate endpoints carries a top-level
# integer `count` that the spec's schemas do not declare.
RECORDED_EXTRAS: dict[str, dict[str, Any]] = {
    GROUPED: {"count": {"type": "integer"}},
    RANGE: {"count": {"type": "integer"}},
}

# The spec documents 401 (and bad requests) by description only, without a
# schema; this is the body Polygon sends, e.g. polygon-io/issues#312.
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["status", "request_id", "error"],
    "properties": {
        "status": {"const": "ERROR"},
        "request_id": {"type": "string"},
        "error": {"type": "string"},
    },
    "additionalProperties": False,
}

KEY = "contract-key"
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def _resolve(node: Any, spec: dict[str, Any]) -> Any:
    """Inline every ``#/...`` ``$ref`` and translate OpenAPI 3.0 ``nullable``."""
    if isinstance(node, list):
        return [_resolve(item, spec) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return _resolve(target, spec)
    out = {key: _resolve(value, spec) for key, value in node.items()}
    if out.pop("nullable", False):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


def _merge_all_of(node: Any) -> Any:
    """Fold ``allOf`` object parts into one object schema so it can be closed."""
    if isinstance(node, list):
        return [_merge_all_of(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _merge_all_of(value) for key, value in node.items()}
    parts = node.pop("allOf", None)
    if parts is None:
        return node
    merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
    for part in parts:
        assert part.get("type", "object") == "object", part
        merged["properties"].update(part.get("properties", {}))
        merged["required"] += [r for r in part.get("required", []) if r not in merged["required"]]
    return {**node, **merged}


def _close(node: Any) -> None:
    """Forbid properties the schema does not declare, recursively."""
    if isinstance(node, list):
        for item in node:
            _close(item)
    elif isinstance(node, dict):
        if "properties" in node:
            node.setdefault("additionalProperties", False)
        for value in node.values():
            _close(value)


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text())


@pytest.fixture(scope="module")
def validators(spec: dict[str, Any]) -> dict[str, Draft202012Validator]:
    out = {}
    for path in (TICKERS, GROUPED, RANGE):
        response = spec["paths"][path]["get"]["responses"]["200"]
        schema = _merge_all_of(_resolve(response["content"]["application/json"]["schema"], spec))
        schema = copy.deepcopy(schema)
        schema["properties"].update(RECORDED_EXTRAS.get(path, {}))
        _close(schema)
        Draft202012Validator.check_schema(schema)
        out[path] = Draft202012Validator(schema, format_checker=FormatChecker())
    out["error"] = Draft202012Validator(ERROR_SCHEMA)
    return out


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with SandboxServer(SandboxMarket(seed=42), api_key=KEY, clock=lambda: NOW) as server:
        yield server.base_url


def _errors(validator: Draft202012Validator, body: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]


@pytest.mark.parametrize(
    ("endpoint", "mock"),
    [
        (TICKERS, "v3/reference/tickers.json"),
        (
            TICKERS,
            "v3/reference/tickers&cursor=YWN0aXZlPXRydWUmZGF0ZT0yMDIyLTA0LTI3JmxpbWl0PTImb3JkZXI9"
            "YXNjJnBhZ2VfbWFya2VyPUFBJTdDZjEyMmJjYmY4YWQwNzRmZmJlMTZmNjkxOWQ0ZDc3NjZlMzA3MWNmNmU1"
            "Nzg3OGE0OGU1NjQ1YzQyM2U3NzJhOSZzb3J0PXRpY2tlcg.json",
        ),
        (GROUPED, "v2/aggs/grouped/locale/us/market/stocks/2005-04-04&adjusted=true.json"),
        (RANGE, "v2/aggs/ticker/AAPL/range/1/day/2005-04-01/2005-04-04.json"),
        (RANGE, "v2/aggs/ticker/AAPL/range/1/day/2005-04-02/2005-04-04.json"),
    ],
)
def test_recorded_responses_satisfy_the_strict_schemas(
    validators: dict[str, Draft202012Validator], endpoint: str, mock: str
) -> None:
    body = json.loads((MOCKS / mock).read_text())
    assert _errors(validators[endpoint], body) == []


@pytest.mark.parametrize(
    ("endpoint", "breakage"),
    [
        (GROUPED, lambda b: b["results"][0].pop("T")),
        (GROUPED, lambda b: b.pop("queryCount")),
        (RANGE, lambda b: b["results"][0].update(o="1.5")),
        (RANGE, lambda b: b["results"][0].update(n=1.5)),
        (RANGE, lambda b: b.update(unexpected=True)),
        (TICKERS, lambda b: b["results"][0].pop("market")),
        (TICKERS, lambda b: b["results"][0].update(cik=None)),
    ],
)
def test_strict_schemas_reject_broken_bodies(
    validators: dict[str, Draft202012Validator], endpoint: str, breakage: Any
) -> None:
    mock = {
        TICKERS: "v3/reference/tickers.json",
        GROUPED: "v2/aggs/grouped/locale/us/market/stocks/2005-04-04&adjusted=true.json",
        RANGE: "v2/aggs/ticker/AAPL/range/1/day/2005-04-01/2005-04-04.json",
    }[endpoint]
    body = json.loads((MOCKS / mock).read_text())
    breakage(body)
    assert _errors(validators[endpoint], body) != []


def _fetch(url: str) -> requests.Response:
    return requests.get(url, headers={"Authorization": f"Bearer {KEY}"}, timeout=5)


@pytest.mark.parametrize(
    ("endpoint", "path"),
    [
        (TICKERS, "/v3/reference/tickers"),
        (TICKERS, "/v3/reference/tickers?type=ETF&limit=2&order=desc"),
        (TICKERS, "/v3/reference/tickers?market=fx"),
        (GROUPED, "/v2/aggs/grouped/locale/us/market/stocks/2025-07-03"),
        (GROUPED, "/v2/aggs/grouped/locale/us/market/stocks/2025-12-25?adjusted=false"),
        (RANGE, "/v2/aggs/ticker/AAPL/range/1/day/2025-01-01/2025-06-30"),
        (RANGE, "/v2/aggs/ticker/MSFT/range/1/day/2025-01-01/2025-06-30?limit=5&sort=desc"),
        (RANGE, "/v2/aggs/ticker/NOPE/range/1/day/2025-01-01/2025-06-30"),
        (RANGE, "/v2/aggs/ticker/SPY/range/1/day/1735707600000/1751342400000?adjusted=false"),
    ],
)
def test_sandbox_responses_satisfy_the_strict_schemas(
    validators: dict[str, Draft202012Validator], base_url: str, endpoint: str, path: str
) -> None:
    response = _fetch(base_url + path)
    assert response.status_code == 200
    body = response.json()
    assert _errors(validators[endpoint], body) == []
    if "next_url" in body:  # the page behind next_url obeys the contract too
        following = _fetch(body["next_url"])
        assert following.status_code == 200
        assert _errors(validators[endpoint], following.json()) == []


@pytest.mark.parametrize(
    ("path", "query", "status"),
    [
        ("/v3/reference/tickers", {}, 401),
        ("/v2/aggs/grouped/locale/us/market/stocks/2025-07-03", {"apiKey": "nope"}, 401),
        ("/v2/aggs/ticker/AAPL/range/1/day/2025-02-30/2025-03-01", {"apiKey": KEY}, 400),
    ],
)
def test_error_responses_have_polygons_error_shape(
    validators: dict[str, Draft202012Validator],
    base_url: str,
    path: str,
    query: dict[str, str],
    status: int,
) -> None:
    response = requests.get(base_url + path, params=query, timeout=5)
    assert response.status_code == status
    assert _errors(validators["error"], response.json()) == []
