"""Units of extraction work: each is fetched whole (every page) or not at all.

A unit's `key` names it in the load ledger, so a resumed backfill can skip the
units that already landed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

Timespan = Literal["day", "minute"]


@dataclass(frozen=True)
class BarRange:
    """One ticker's bars of one timespan from `start` to `end` (one range request)."""

    ticker: str
    timespan: Timespan
    start: date
    end: date

    @property
    def key(self) -> str:
        return f"aggs/{self.timespan}/{self.ticker}/{self.start}/{self.end}"


@dataclass(frozen=True)
class GroupedSession:
    """The whole market's daily bars for one session (one grouped-daily request)."""

    session: date

    @property
    def key(self) -> str:
        return f"grouped/{self.session}"
