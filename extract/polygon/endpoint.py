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
    # What every landed row records as its `data_source` (never the key).
    source: str = ""

    @property
    def data_source(self) -> str:
        """The source label: the one given, else the sandbox or the API's base URL."""
        return self.source or ("sandbox" if self.synthetic else f"api:{self.base_url}")
