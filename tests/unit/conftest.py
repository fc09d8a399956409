"""A sandbox market served over loopback HTTP, shared by the sandbox tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.market import SandboxMarket
from sandbox.server import SandboxServer
from tests.support.sandbox_client import KEY, NOW


@pytest.fixture(scope="module")
def market() -> SandboxMarket:
    return SandboxMarket(seed=42)


@pytest.fixture(scope="module")
def base_url(market: SandboxMarket) -> Iterator[str]:
    with SandboxServer(market, api_key=KEY, clock=lambda: NOW) as server:
        yield server.base_url


@pytest.fixture(scope="session")
def full_market() -> SandboxMarket:
    """The full-size market (about 12,000 listings); its catalog takes a second or two."""
    return SandboxMarket(seed=42, size="full")
