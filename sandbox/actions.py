"""Corporate actions of the sandbox market: splits, cash dividends and ticker changes.

All of it is fixed or derived from a formula, never random, so every market
(whatever its price seed) has the same actions. Bars are generated
split-adjusted for every split; ``unadjust_factor`` turns them into the prices
that were actually traded (whole cents), and ``adjusted=true`` bars as of a
day are those traded prices adjusted for the splits executed by then, as the
real API derives them.

The dev listings have a handful of real-looking actions; ``corporate_actions``
adds, for the other listings of a full-size market, splits (some reverse),
quarterly dividends and ticker changes on dates derived from a hash of the
ticker.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from sandbox.sessions import xnys_sessions
from sandbox.universe import DEFAULT_UNIVERSE, Listing


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


SPLITS: tuple[Split, ...] = (
    Split("NVDA", date(2024, 6, 10), 1, 10),
    Split("XLF", date(2024, 6, 11), 2, 1),
)
"""NVDA split 10-for-1 effective 2024-06-10, as it really did; XLF's 1-for-2
reverse split the next session is invented, so the days around NVDA's split
also hold a reverse split (and SPY's dividend of 2024-06-12)."""

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
    "SPY": (1.03, 0.06, (3, 6, 9, 12), 12),
}
# fmt: on


def _event_id(ticker: str, kind: str, day: date) -> str:
    digest = hashlib.sha256(f"{ticker}|{kind}|{day.isoformat()}".encode()).hexdigest()
    return f"E{digest}"


@functools.cache
def _session_on_or_after(day: date) -> date:
    days = xnys_sessions().days
    index = int(np.searchsorted(days, np.datetime64(day, "D"), side="left"))
    return days[min(index, len(days) - 1)].astype(object)


@functools.cache
def _session_before(day: date) -> date:
    days = xnys_sessions().days
    index = int(np.searchsorted(days, np.datetime64(day, "D"), side="left"))
    return days[max(index - 1, 0)].astype(object)


def _quarterly(
    ticker: str, amount: float, growth: float, months: tuple[int, ...], day: int, years: range
) -> list[Dividend]:
    """Ex-dates are the first session on or after a fixed day of the payer's months;
    declarations come about three weeks earlier, payment two weeks later; the
    amount rises once a year."""
    out = []
    for year in years:
        cash = round(amount * (1 + growth) ** (year - 2015), 4)
        for month in months:
            ex = _session_on_or_after(date(year, month, day))
            record = ex if ex >= T_PLUS_ONE else _session_on_or_after(ex + timedelta(1))
            pay = _session_on_or_after(ex + timedelta(14))
            declared = _session_before(ex - timedelta(20))
            out.append(Dividend(ticker, declared, ex, record, pay, cash))
    return out


@functools.cache
def dividends() -> tuple[Dividend, ...]:
    """Every dev dividend from 2015 to the sessions horizon, by ex-date then ticker."""
    last_year = int(xnys_sessions().days[-1].astype(object).year)
    out = []
    for ticker, (amount, growth, months, day) in _PAYERS.items():
        out += _quarterly(ticker, amount, growth, months, day, range(2015, last_year))
    return tuple(sorted(out, key=lambda d: (d.ex_dividend_date, d.ticker)))


@dataclass(frozen=True)
class CorporateActions:
    """The splits, dividends and ticker histories of one market's listings."""

    splits: tuple[Split, ...]
    dividends: tuple[Dividend, ...]
    ticker_history: dict[str, tuple[TickerChange, ...]]

    def unadjust_factor(
        self, ticker: str, days: np.ndarray, through: date | None = None
    ) -> np.ndarray:
        """Per-session factor from split-adjusted to as-traded prices.

        Args:
            ticker: The symbol.
            days: Session dates, ``datetime64[D]``.
            through: Count only splits executed on or before this day (the
                splits known then); ``None`` counts every split.

        Returns:
            For each session, the product of ``split_to / split_from`` over the
            ticker's (counted) splits executed after it (1.0 when none).
        """
        factor = np.ones(len(days))
        for split in self._splits_by_ticker.get(ticker, ()):
            if through is not None and split.execution_date > through:
                continue
            before = days < np.datetime64(split.execution_date, "D")
            factor[before] *= split.split_to / split.split_from
        return factor

    def last_split(self, ticker: str) -> date | None:
        """Execution date of ``ticker``'s latest split (bars from then on are as traded)."""
        splits = self._splits_by_ticker.get(ticker)
        return max(split.execution_date for split in splits) if splits else None

    def has_splits(self, ticker: str) -> bool:
        """Whether ``ticker`` ever split (its as-traded prices differ from adjusted ones)."""
        return ticker in self._splits_by_ticker

    @functools.cached_property
    def _splits_by_ticker(self) -> dict[str, list[Split]]:
        out: dict[str, list[Split]] = {}
        for split in self.splits:
            out.setdefault(split.ticker, []).append(split)
        return out


DEV_TICKERS = frozenset(listing.ticker for listing in DEFAULT_UNIVERSE)
"""The dev listings keep exactly their fixed actions, in both sizes."""

GENERATED_ACTIONS_END = 2028
"""Generated dividends run to the end of the year before this one (keeps the list small)."""
SPLIT_RATIOS = ((1, 2), (1, 3), (1, 4), (2, 3), (1, 5), (10, 1), (20, 1))
"""Split ``(from, to)`` choices: forward splits, and reverse splits for penny stocks."""


def _unit(ticker: str, salt: str) -> float:
    """A stable number in [0, 1) from ``(ticker, salt)``."""
    digest = hashlib.blake2b(f"{ticker}|{salt}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _day_between(first: date, last: date, unit: float) -> date:
    return _session_on_or_after(first + timedelta(days=int(unit * max((last - first).days, 1))))


def corporate_actions(listings: Iterable[Listing]) -> CorporateActions:
    """Actions of ``listings``: the fixed dev ones, plus generated ones for other common stocks.

    About 4 % of the other common stocks split once (some in reverse), a
    third pay a growing quarterly dividend and 1 % of the invented ones
    changed ticker (from a neighbouring symbol no listing uses).
    """
    from sandbox.catalog import real_tickers  # the full catalog, only when asked

    known = {listing.ticker: listing for listing in listings}
    real = real_tickers() if len(known) > len(DEV_TICKERS) else frozenset()
    splits = [split for split in SPLITS if split.ticker in known]
    divs = [div for div in dividends() if div.ticker in known]
    history = {t: h for t, h in TICKER_HISTORY.items() if t in known}
    for ticker, listing in known.items():
        if listing.type != "CS" or ticker in DEV_TICKERS:
            continue
        start = max(listing.list_date, date(2015, 3, 2))
        end = min(listing.delisted or date(2026, 10, 30), date(2026, 10, 30))
        if start >= end:
            continue
        if _unit(ticker, "split") < 0.04:
            ratio = SPLIT_RATIOS[int(_unit(ticker, "ratio") * len(SPLIT_RATIOS))]
            day = _day_between(start, end, _unit(ticker, "split-day"))
            splits.append(Split(ticker, day, *ratio))
        if _unit(ticker, "dividend") < 0.33:
            amount = round(listing.start_price * (0.002 + 0.006 * _unit(ticker, "yield")), 4)
            first_month = 1 + int(_unit(ticker, "month") * 3)
            years = range(max(start.year, 2015), min(end.year + 1, GENERATED_ACTIONS_END))
            divs += [
                d
                for d in _quarterly(ticker, amount, 0.05, tuple(range(first_month, 13, 3)),
                                    1 + int(_unit(ticker, "day") * 25), years)
                if start <= d.ex_dividend_date <= end
            ]  # fmt: skip
        former = f"{ticker[:-1]}{chr(65 + (ord(ticker[-1]) - 64) % 26)}"
        if _unit(ticker, "rename") < 0.01 and former not in known and ticker not in real:
            day = _day_between(start, end, _unit(ticker, "rename-day"))
            history[ticker] = (TickerChange(former, listing.list_date), TickerChange(ticker, day))
    return CorporateActions(
        tuple(sorted(splits, key=lambda s: (s.execution_date, s.ticker))),
        tuple(sorted(divs, key=lambda d: (d.ex_dividend_date, d.ticker))),
        history,
    )
