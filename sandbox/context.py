"""What every sandbox route handler receives: the market, "now" and the request's parameters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sandbox.market import SandboxMarket


@dataclass(frozen=True, slots=True)
class Call:
    """One authenticated request, decoded.

    Attributes:
        market: The market to answer from.
        now: Aware current time from the server clock.
        params: Query parameters without ``apiKey`` (first value of each name).
        base_url: Scheme and authority to build absolute ``next_url`` links on.
    """

    market: SandboxMarket
    now: datetime
    params: dict[str, str]
    base_url: str

    @property
    def today(self) -> date:
        """The UTC date of ``now``."""
        return self.now.astimezone(UTC).date()
