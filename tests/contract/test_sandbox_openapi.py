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
from typing import Any

import pytest
import requests
from jsonschema import Draft202012Validator, FormatChecker

from sandbox.market import SandboxMarket
from sandbox.server import SandboxServer
from tests.support.shared import MOCKS_DIR, OPENAPI_SPEC

SPEC_PATH = OPENAPI_SPEC
MOCKS = MOCKS_DIR

TICKERS = "/v3/reference/tickers"
GROUPED = "/v2/aggs/grouped/locale/us/market/stocks/{date}"
RANGE = "/v2/aggs/ticker/{stocksTicker}/range/{multiplier}/{timespan}/{from}/{to}"
DETAILS = "/v3/reference/tickers/{ticker}"
TYPES = "/v3/reference/tickers/types"
EVENTS = "/vX/reference/tickers/{id}/events"
SPLITS = "/v3/reference/splits"
DIVIDENDS = "/v3/reference/dividends"
SNAPSHOT = "/v2/snapshot/locale/us/markets/stocks/tickers"
STATUS_NOW = "/v1/marketstatus/now"
UPCOMING = "/v1/marketstatus/upcoming"
ENDPOINTS = (
    TICKERS, GROUPED, RANGE, DETAILS, TYPES, EVENTS, SPLITS, DIVIDENDS, SNAPSHOT, STATUS_NOW,
    UPCOMING,
)  # fmt: skip


def _add_count(schema: dict[str, Any]) -> None:
    schema["properties"]["count"] = {"type": "integer"}


def _events_as_recorded(schema: dict[str, Any]) -> None:
    results = schema["properties"]["results"]
    results["properties"].update(cik={"type": "string"}, composite_figi={"type": "string"})
    (event,) = results["properties"]["events"]["items"].pop("oneOf")
    event["properties"]["type"] = {"type": "string"}
    event["required"] = ["type", "date"]
    results["properties"]["events"]["items"] = event


def _id_optional(schema: dict[str, Any]) -> None:
    item = schema["properties"]["results"]["items"]
    item["required"] = [name for name in item["required"] if name != "id"]


# Where spec and recorded responses disagree, the recorded responses win:
# * every recorded 200 of the two aggregate endpoints carries a top-level
#   integer `count` that the spec's schemas do not declare;
# * the recorded ticker events carry `cik` and `composite_figi` and name the
#   event kind `type`, where the spec says `event_type`;
# * the recorded splits and dividends predate the `id` the spec requires (the
#   sandbox sends it, which test_sandbox_actions_carry_ids checks).
RECORDED_PATCHES: dict[str, Any] = {
    GROUPED: _add_count,
    RANGE: _add_count,
    EVENTS: _events_as_recorded,
    SPLITS: _id_optional,
    DIVIDENDS: _id_optional,
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
    for path in ENDPOINTS:
        response = spec["paths"][path]["get"]["responses"]["200"]
        schema = _merge_all_of(_resolve(response["content"]["application/json"]["schema"], spec))
        schema = copy.deepcopy(schema)
        if path in RECORDED_PATCHES:
            RECORDED_PATCHES[path](schema)
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
        (DETAILS, "v3/reference/tickers/AAPL.json"),
        (DETAILS, "v3/reference/tickers/AAPL&date=2020-10-01.json"),
        (TYPES, "v3/reference/tickers/types.json"),
        (EVENTS, "vX/reference/tickers/META/events&types=ticker_change.json"),
        (SPLITS, "v3/reference/splits.json"),
        (DIVIDENDS, "v3/reference/dividends.json"),
        (SNAPSHOT, "v2/snapshot/locale/us/markets/stocks/tickers/index.json"),
        (STATUS_NOW, "v1/marketstatus/now.json"),
        (UPCOMING, "v1/marketstatus/upcoming.json"),
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
        (DETAILS, lambda b: b["results"].pop("active")),
        (SNAPSHOT, lambda b: b["tickers"][0]["day"].pop("vw")),
        (SNAPSHOT, lambda b: b["tickers"][0].update(fmv="20.5")),
        (EVENTS, lambda b: b["results"]["events"][0].pop("date")),
        (SPLITS, lambda b: b["results"][0].update(split_to="20")),
        (DIVIDENDS, lambda b: b["results"][0].update(dividend_type="XX")),
        (UPCOMING, lambda b: b[0].update(extra=1)),
        (STATUS_NOW, lambda b: b.update(earlyHours="no")),
    ],
)
def test_strict_schemas_reject_broken_bodies(
    validators: dict[str, Draft202012Validator], endpoint: str, breakage: Any
) -> None:
    mock = {
        TICKERS: "v3/reference/tickers.json",
        GROUPED: "v2/aggs/grouped/locale/us/market/stocks/2005-04-04&adjusted=true.json",
        RANGE: "v2/aggs/ticker/AAPL/range/1/day/2005-04-01/2005-04-04.json",
        DETAILS: "v3/reference/tickers/AAPL.json",
        SNAPSHOT: "v2/snapshot/locale/us/markets/stocks/tickers/index.json",
        EVENTS: "vX/reference/tickers/META/events&types=ticker_change.json",
        SPLITS: "v3/reference/splits.json",
        DIVIDENDS: "v3/reference/dividends.json",
        UPCOMING: "v1/marketstatus/upcoming.json",
        STATUS_NOW: "v1/marketstatus/now.json",
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
        (RANGE, "/v2/aggs/ticker/AAPL/range/1/minute/2025-07-01/2025-07-03?limit=400"),
        (RANGE, "/v2/aggs/ticker/NVDA/range/1/minute/2024-06-07/2024-06-10?adjusted=false"),
        (TICKERS, "/v3/reference/tickers?active=false"),
        (TICKERS, "/v3/reference/tickers?type=ADRC"),
        (DETAILS, "/v3/reference/tickers/AAPL"),
        (DETAILS, "/v3/reference/tickers/CRMC?date=2019-01-02"),
        (DETAILS, "/v3/reference/tickers/KSFpA"),
        (DETAILS, "/v3/reference/tickers/SPY"),
        (TYPES, "/v3/reference/tickers/types"),
        (EVENTS, "/vX/reference/tickers/META/events?types=ticker_change"),
        (EVENTS, "/vX/reference/tickers/AAPL/events"),
        (SPLITS, "/v3/reference/splits"),
        (DIVIDENDS, "/v3/reference/dividends"),
        (DIVIDENDS, "/v3/reference/dividends?ticker=JPM&ex_dividend_date.gte=2024-01-01&limit=3"),
        (SNAPSHOT, "/v2/snapshot/locale/us/markets/stocks/tickers"),
        (SNAPSHOT, "/v2/snapshot/locale/us/markets/stocks/tickers?tickers=AAPL,NVDA"),
        (STATUS_NOW, "/v1/marketstatus/now"),
        (UPCOMING, "/v1/marketstatus/upcoming"),
    ],
)
def test_sandbox_responses_satisfy_the_strict_schemas(
    validators: dict[str, Draft202012Validator], base_url: str, endpoint: str, path: str
) -> None:
    response = _fetch(base_url + path)
    assert response.status_code == 200
    body = response.json()
    assert _errors(validators[endpoint], body) == []
    if (
        isinstance(body, dict) and "next_url" in body
    ):  # the page behind next_url obeys the contract too
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


@pytest.mark.parametrize("path", ["/v3/reference/splits", "/v3/reference/dividends?limit=50"])
def test_sandbox_actions_carry_ids(base_url: str, path: str) -> None:
    results = _fetch(base_url + path).json()["results"]
    assert results and all(row["id"].startswith("E") for row in results)


def test_unknown_ticker_details_has_polygons_not_found_shape(base_url: str) -> None:
    response = _fetch(base_url + "/v3/reference/tickers/NOPE")
    assert response.status_code == 404
    assert response.json() == {
        "status": "NOT_FOUND",
        "request_id": response.json()["request_id"],
        "message": "Ticker not found.",
    }


@pytest.fixture(scope="module")
def full_market() -> SandboxMarket:
    return SandboxMarket(seed=42, size="full", glitches=True)


@pytest.fixture(scope="module")
def full_url(full_market: SandboxMarket) -> Iterator[str]:
    with SandboxServer(full_market, api_key=KEY, clock=lambda: NOW) as server:
        yield server.base_url


@pytest.fixture(scope="module")
def full_paths(full_market: SandboxMarket) -> dict[str, str]:
    """Paths that reach the full-size market's extra types, lifecycle events and thin ETFs."""
    market = full_market
    thin = next(lst for lst in market.listings if lst.thin and lst.delisted is None)
    renamed = next(t for t in market.actions.ticker_history if t != "META")
    split = next(s for s in market.actions.splits if s.split_from > s.split_to)
    gone = next(lst for lst in market.listings if lst.type == "CS" and lst.delisted)
    kinds = {f"type {kind}": f"/v3/reference/tickers?type={kind}&limit=5" for kind in FULL_TYPES}
    return {
        **kinds,
        "inactive": "/v3/reference/tickers?active=false&limit=1000",
        "delisted details": f"/v3/reference/tickers/{gone.ticker}",
        "thin details": f"/v3/reference/tickers/{thin.ticker}",
        "constituent details": "/v3/reference/tickers/MMM",
        "rename events": f"/vX/reference/tickers/{renamed}/events",
        "reverse split": f"/v3/reference/splits?ticker={split.ticker}",
        "dividends": "/v3/reference/dividends?limit=1000",
        "grouped": "/v2/aggs/grouped/locale/us/market/stocks/2015-03-02",
        "thin days": f"/v2/aggs/ticker/{thin.ticker}/range/1/day/2025-01-01/2025-12-31",
        "thin minutes": f"/v2/aggs/ticker/{thin.ticker}/range/1/minute/2025-12-01/2025-12-05",
        "as traded": f"/v2/aggs/ticker/{split.ticker}/range/1/day/2015-01-01/2025-12-31"
        "?adjusted=false",
        "glitchy range": "/v2/aggs/ticker/AAPL/range/1/day/2016-01-01/2025-12-31",
        "thin snapshot": f"/v2/snapshot/locale/us/markets/stocks/tickers?tickers={thin.ticker},SPY",
    }


FULL_TYPES = ("WARRANT", "PFD", "ADRC", "UNIT", "RIGHT", "FUND", "SP", "ETN")
FULL_ENDPOINTS = {
    **{f"type {kind}": TICKERS for kind in FULL_TYPES},
    "inactive": TICKERS,
    "delisted details": DETAILS,
    "thin details": DETAILS,
    "constituent details": DETAILS,
    "rename events": EVENTS,
    "reverse split": SPLITS,
    "dividends": DIVIDENDS,
    "grouped": GROUPED,
    "thin days": RANGE,
    "thin minutes": RANGE,
    "as traded": RANGE,
    "glitchy range": RANGE,
    "thin snapshot": SNAPSHOT,
}


@pytest.mark.parametrize("case", FULL_ENDPOINTS)
def test_full_size_responses_satisfy_the_strict_schemas(
    validators: dict[str, Draft202012Validator],
    full_url: str,
    full_paths: dict[str, str],
    case: str,
) -> None:
    response = _fetch(full_url + full_paths[case])
    assert response.status_code == 200
    body = response.json()
    assert _errors(validators[FULL_ENDPOINTS[case]], body) == []
    assert body.get("results") or body.get("tickers")
