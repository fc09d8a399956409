"""Corporate actions of the sandbox market: splits, cash dividends and ticker changes.

All of it is fixed or derived from a formula, never random, so every market
(whatever its price seed) has the same actions. Bars are stored split-adjusted
(what ``adjusted=true`` returns); ``unadjust_factor`` turns them back into the
prices that were actually traded.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from extract.sandbox.sessions import xnys_sessions


@dataclass(frozen=True, slots=True)
class Split:
    """A stock split: ``split_to`` new shares for every ``split_from`` old ones."""

    ticker: str
    execution_date: date
    split_from: int
    split_to: int

    @property
    def id(self) -> str:
        """Stable identifier in Polygon's style (``E`` + 64 hex digits)."""
        return _event_id(self.ticker, "split", self.execution_date)


@dataclass(frozen=True, slots=True)
class Dividend:
    """One regular quarterly cash dividend (``dividend_type`` CD, USD)."""

    ticker: str
    declaration_date: date
    ex_dividend_date: date
    record_date: date
    pay_date: date
    cash_amount: float
    frequency: int = 4
    dividend_type: str = "CD"

    @property
    def id(self) -> str:
        """Stable identifier in Polygon's style (``E`` + 64 hex digits)."""
        return _event_id(self.ticker, "dividend", self.ex_dividend_date)


@dataclass(frozen=True, slots=True)
class TickerChange:
    """From ``date`` on, the listing trades as ``ticker``."""

    ticker: str
    date: date


SPLITS: tuple[Split, ...] = (Split("NVDA", date(2024, 6, 10), 1, 10),)
"""NVDA split 10-for-1 effective 2024-06-10, as it really did."""

TICKER_HISTORY: dict[str, tuple[TickerChange, ...]] = {
    "META": (TickerChange("FB", date(2012, 5, 18)), TickerChange("META", date(2022, 6, 9))),
}
"""Symbols a listing has traded under, oldest first (keyed by the current symbol).

Only reference data: the sandbox serves a renamed listing's whole bar history
under its current symbol.
"""

T_PLUS_ONE = date(2024, 5, 28)
"""From this date on, US settlement is T+1 and the record date equals the ex-date."""

# Payer: first quarterly amount (2015), yearly raise, ex-dividend months, day of month.
# fmt: off
_PAYERS: dict[str, tuple[float, float, tuple[int, ...], int]] = {
    "AAPL": (0.1175, 0.07, (2, 5, 8, 11), 8),
    "MSFT": (0.31, 0.09, (2, 5, 8, 11), 15),
    "JPM": (0.40, 0.08, (1, 4, 7, 10), 5),
    "JNJ": (0.70, 0.05, (2, 5, 8, 11), 22),
    "XOM": (0.69, 0.03, (2, 5, 8, 11), 12),
}
# fmt: on


def _event_id(ticker: str, kind: str, day: date) -> str:
    digest = hashlib.sha256(f"{ticker}|{kind}|{day.isoformat()}".encode()).hexdigest()
    return f"E{digest}"


def _session_on_or_after(day: date) -> date:
    days = xnys_sessions().days
    index = int(np.searchsorted(days, np.datetime64(day, "D"), side="left"))
    return days[min(index, len(days) - 1)].astype(object)


def _session_before(day: date) -> date:
    days = xnys_sessions().days
    index = int(np.searchsorted(days, np.datetime64(day, "D"), side="left"))
    return days[max(index - 1, 0)].astype(object)


@functools.cache
def dividends() -> tuple[Dividend, ...]:
    """Every sandbox dividend from 2015 to the sessions horizon, by ex-date then ticker.

    Ex-dates are the first session on or after a fixed day of the payer's
    months; declarations come about three weeks earlier, payment two weeks
    later; the amount rises once a year.
    """
    out = []
    last_year = int(xnys_sessions().days[-1].astype(object).year)
    for ticker, (amount, growth, months, day) in _PAYERS.items():
        for year in range(2015, last_year):
            cash = round(amount * (1 + growth) ** (year - 2015), 4)
            for month in months:
                ex = _session_on_or_after(date(year, month, day))
                record = ex if ex >= T_PLUS_ONE else _session_on_or_after(ex + timedelta(1))
                pay = _session_on_or_after(ex + timedelta(14))
                declared = _session_before(ex - timedelta(20))
                out.append(Dividend(ticker, declared, ex, record, pay, cash))
    return tuple(sorted(out, key=lambda d: (d.ex_dividend_date, d.ticker)))


def unadjust_factor(ticker: str, days: np.ndarray) -> np.ndarray:
    """Per-session factor from split-adjusted to as-traded prices.

    Args:
        ticker: The symbol.
        days: Session dates, ``datetime64[D]``.

    Returns:
        For each session, the product of ``split_to / split_from`` over the
        ticker's splits executed after it (1.0 when none).
    """
    factor = np.ones(len(days))
    for split in SPLITS:
        if split.ticker == ticker:
            before = days < np.datetime64(split.execution_date, "D")
            factor[before] *= split.split_to / split.split_from
    return factor
