"""Where extraction talks to: the real API when a key is set, else the sandbox.

This is the one place that wires the sandbox market in: the extractor only
ever sees a `PolygonEndpoint`, whichever is behind it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime

from extract.polygon.client import UNLIMITED, request_policy
from extract.polygon.endpoint import PolygonEndpoint
from kernel.settings import Settings

SANDBOX_NOTICE = (
    "POLYGON_API_KEY is not set: extracting from the built-in SANDBOX market. "
    "All prices are SYNTHETIC (deterministic test data), not real market data."
)
# The sandbox accepts any non-empty key; this one exists so the real auth path runs.
SANDBOX_API_KEY = "sandbox-key"
SANDBOX_SEED = 42


def data_source(settings: Settings) -> tuple[str, dict[str, str | int]]:
    """The data source these settings extract from: its label and its details.

    The sandbox is named by its seed and size (its port changes every run), the
    real API by its base URL; a key is never part of either.
    """
    if settings.polygon_api_key:
        return f"api:{settings.polygon_base_url}", {
            "kind": "api",
            "base_url": settings.polygon_base_url,
        }
    label = f"sandbox:seed={SANDBOX_SEED}:size={settings.sandbox_size}"
    return label, {"kind": "sandbox", "seed": SANDBOX_SEED, "size": settings.sandbox_size}


@contextlib.contextmanager
def polygon_endpoint(
    settings: Settings,
    announce: Callable[[str], None] = print,
    scenario: str | None = None,
    glitches: bool = False,
    as_of: datetime | None = None,
) -> Iterator[PolygonEndpoint]:
    """Yield the configured API, or start a sandbox market for the duration.

    Args:
        settings: Where the real API is (and whether there is a key); the
            sandbox's size comes from ``settings.sandbox_size``.
        announce: Told once that the data is synthetic, when the sandbox runs.
        scenario: Sandbox scenario name (``sandbox.scenarios.SCENARIOS``).
        glitches: Let the sandbox serve its vendor glitches.
        as_of: Serve the sandbox market as it was at this aware instant (the
            EOD of a past session sees what the API showed at its run time);
            None for now. The real API is always as of now.

    Raises:
        ValueError: A scenario or glitches were asked of the real API, or the
            scenario name is unknown.
    """
    if settings.polygon_api_key:
        if scenario is not None or glitches:
            raise ValueError(
                "scenarios and glitches exist only in the sandbox market; unset POLYGON_API_KEY"
            )
        policy = request_policy(settings.polygon_plan, settings.polygon_requests_per_minute)
        policy = replace(policy, max_pages=settings.bounds.polygon_max_pages)
        yield PolygonEndpoint(
            settings.polygon_base_url,
            settings.polygon_api_key,
            False,
            policy,
            data_source(settings)[0],
        )
        return
    from sandbox.market import SandboxMarket
    from sandbox.server import SandboxServer

    market = SandboxMarket(
        SANDBOX_SEED, size=settings.sandbox_size, scenario=scenario, glitches=glitches
    )
    announce(SANDBOX_NOTICE)
    clock = (lambda: as_of) if as_of is not None else None
    with SandboxServer(market, clock=clock) as server:
        policy = replace(UNLIMITED, max_pages=settings.bounds.polygon_max_pages)
        yield PolygonEndpoint(
            server.base_url, SANDBOX_API_KEY, True, policy, source=data_source(settings)[0]
        )
