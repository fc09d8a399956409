"""The Polygon-compatible API an extraction talks to (resolved by the caller)."""

from __future__ import annotations

from dataclasses import dataclass

from extract.polygon.client import UNLIMITED, RequestPolicy


@dataclass(frozen=True)
class PolygonEndpoint:
    """A Polygon-compatible API to extract from."""

    base_url: str
    api_key: str
    synthetic: bool
    policy: RequestPolicy = UNLIMITED
