"""Deterministic synthetic prices for the sandbox market.

Each listing gets one seeded random walk that starts at ``sessions.ORIGIN`` and
steps once per XNYS session. The generator is seeded from ``(seed, ticker)``
through a stable hash and all draws come from one ``(sessions, DRAWS)`` matrix
filled row by row, so a session's bar depends only on the seed, the ticker
and the sessions before it: it never changes as time moves on, and two
markets with the same seed produce identical bars.

Daily bars are the coarsest level of detail and the one that is stored.
Minute bars are refined *from* a daily bar, never the other way round (see
``minutes``), which keeps every daily bar unchanged and makes the minutes
aggregate to it exactly. Prices are whole cents so a minute path can hit the
high and low exactly.

Bars are split-adjusted; ``adjusted=False`` multiplies prices before a split
by its ratio and divides volume by it (rounded to whole shares), and minute
bars are then refined from those as-traded daily bars. A listing has bars
only from its list date to its last trading day.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np

from extract.sandbox.actions import unadjust_factor
from extract.sandbox.minutes import MINUTE_MS, DayBlock, MinuteBars, refine
from extract.sandbox.sessions import Sessions, xnys_sessions
from extract.sandbox.universe import DEFAULT_UNIVERSE, Listing

DRAWS = 6
"""Standard-normal draws per session: return, gap, up wick, down wick, VWAP, volume."""

LOG_DRIFT = 0.0003
"""Median daily log return (about 7.5 % a year)."""

MIN_PRICE = 0.01


@dataclass(frozen=True, slots=True)
class DailyBar:
    """One symbol's OHLCV bar for one regular trading session.

    Attributes:
        ticker: Symbol the bar belongs to.
        session: Trading date (America/New_York).
        start_ms: Midnight America/New_York of ``session``, epoch milliseconds.
        open: First price, in cents precision.
        high: Highest price, ``>= max(open, close)``.
        low: Lowest price, ``<= min(open, close)``, ``> 0``.
        close: Last price.
        volume: Shares traded.
        vwap: Volume-weighted average price (4 decimals), within ``[low, high]``.
        transactions: Number of trades, ``> 0``.
    """

    ticker: str
    session: date
    start_ms: int
    open: float
    high: float
    low: float
    close: float
    volume: int
    vwap: float
    transactions: int


@dataclass(frozen=True)
class _DailySeries:
    """All bars of one listing, one array element per session from the origin."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    vwap: np.ndarray
    transactions: np.ndarray


def _stable_key(ticker: str) -> int:
    """64-bit key for ``ticker`` that is the same in every process (unlike ``hash``)."""
    return int.from_bytes(hashlib.blake2b(ticker.encode(), digest_size=8).digest(), "big")


def _generate_daily(listing: Listing, seed: int, sessions: int) -> _DailySeries:
    """Generate the first ``sessions`` daily bars of ``listing`` for ``seed``.

    Args:
        listing: The symbol and its walk parameters.
        seed: Market seed (non-negative).
        sessions: Number of sessions from the origin to generate.

    Returns:
        Arrays of prices (cents; VWAP 4 decimals), volumes and trade counts.
    """
    rng = np.random.default_rng([seed, _stable_key(listing.ticker)])
    z = rng.standard_normal((sessions, DRAWS))
    vol = listing.daily_vol

    close_raw = listing.start_price * np.exp(np.cumsum(LOG_DRIFT + vol * z[:, 0]))
    prev_close = np.concatenate(([listing.start_price], close_raw[:-1]))
    open_raw = prev_close * np.exp(0.3 * vol * z[:, 1])
    high_raw = np.maximum(open_raw, close_raw) * np.exp(0.6 * vol * np.abs(z[:, 2]))
    low_raw = np.minimum(open_raw, close_raw) * np.exp(-0.6 * vol * np.abs(z[:, 3]))

    open_ = np.maximum(np.round(open_raw, 2), MIN_PRICE)
    close = np.maximum(np.round(close_raw, 2), MIN_PRICE)
    high = np.maximum(np.round(high_raw, 2), np.maximum(open_, close))
    low = np.maximum(np.minimum(np.round(low_raw, 2), np.minimum(open_, close)), MIN_PRICE)

    typical = (high + low + close) / 3 + 0.15 * (high - low) * np.tanh(z[:, 4])
    vwap = np.clip(np.round(typical, 4), low, high)

    volume = np.round(listing.base_volume * np.exp(0.35 * z[:, 5] + 8 * np.abs(z[:, 0]) * vol))
    volume = volume.astype(np.int64)
    avg_trade = 60 + 40 * np.exp(0.2 * z[:, 4])
    transactions = np.maximum(np.round(volume / avg_trade), 1).astype(np.int64)
    return _DailySeries(open_, high, low, close, volume, vwap, transactions)


def _empty_block() -> DayBlock:
    ints, floats = np.empty(0, dtype=np.int64), np.empty(0)
    return DayBlock(ints, ints, ints, floats, floats, floats, floats, ints, floats, ints)


class SandboxMarket:
    """A synthetic US stock market: listings and their daily bars.

    Bars exist only for XNYS sessions from ``sessions.ORIGIN`` on, and a
    session's bar is visible only once that session has closed at the
    ``as_of`` instant the caller passes in.

    Args:
        seed: Seed of every price path; equal seeds give identical markets.
        universe: Listings to trade; defaults to ``DEFAULT_UNIVERSE``.
    """

    def __init__(self, seed: int = 42, universe: Iterable[Listing] = DEFAULT_UNIVERSE) -> None:
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        self._seed = seed
        self._listings = {listing.ticker: listing for listing in universe}
        self._sessions: Sessions = xnys_sessions()
        self._series: dict[str, _DailySeries] = {}
        self._lock = threading.Lock()

    @property
    def seed(self) -> int:
        """The seed this market was built with."""
        return self._seed

    @property
    def sessions(self) -> Sessions:
        """The XNYS session table the market trades on."""
        return self._sessions

    @property
    def listings(self) -> tuple[Listing, ...]:
        """All listings, ordered by ticker."""
        return tuple(sorted(self._listings.values(), key=lambda listing: listing.ticker))

    def listing(self, ticker: str) -> Listing | None:
        """The listing for ``ticker`` (case-sensitive), or ``None`` if it is not traded."""
        return self._listings.get(ticker)

    def daily_bars(
        self, ticker: str, first: date, last: date, as_of: datetime, adjusted: bool = True
    ) -> list[DailyBar]:
        """Daily bars of ``ticker`` for sessions dated ``first`` to ``last`` inclusive.

        Args:
            ticker: Symbol (case-sensitive). Unknown symbols have no bars.
            first: First calendar date of the window.
            last: Last calendar date of the window.
            as_of: Aware "now"; sessions that have not closed by then are left out.
            adjusted: Split-adjusted (default) or as traded.

        Returns:
            The bars in ascending session order; empty for unknown symbols.
        """
        span = self._closed_span(ticker, first, last, as_of)
        return self._bars(ticker, span, adjusted) if span.stop > span.start else []

    def minute_bars(
        self, ticker: str, start_ms: int, end_ms: int, as_of: datetime, adjusted: bool = True
    ) -> MinuteBars:
        """Regular-hours minute bars of ``ticker`` starting from ``start_ms`` to ``end_ms``.

        Args:
            ticker: Symbol (case-sensitive).
            start_ms: Earliest minute start, epoch ms (inclusive).
            end_ms: Latest minute start, epoch ms (inclusive).
            as_of: Aware "now"; only minutes that have ended by then are returned.
            adjusted: Split-adjusted (default) or as traded.

        Returns:
            Bars ascending by minute start; they aggregate exactly to ``daily_bars``.
        """
        end_ms = min(end_ms, int(as_of.timestamp() * 1000) - MINUTE_MS)
        sessions = self._sessions
        first = int(np.searchsorted(sessions.close_ms, start_ms, side="right"))
        last = int(np.searchsorted(sessions.open_ms, end_ms, side="right"))
        listing = self._listings.get(ticker)
        if listing is None or last <= first:
            return refine(_empty_block(), self._seed, 0)
        span = self._life_span(listing, slice(first, last))
        bars = self._minutes(ticker, span, adjusted)
        return bars.select((bars.t >= start_ms) & (bars.t <= end_ms))

    def grouped_daily(
        self, session: date, as_of: datetime, adjusted: bool = True
    ) -> list[DailyBar]:
        """Bars of every listing trading on one session, ordered by ticker.

        Args:
            session: The trading date.
            as_of: Aware "now"; nothing is returned before the session has closed.
            adjusted: Split-adjusted (default) or as traded.

        Returns:
            One bar per listing, or an empty list on non-sessions and for
            sessions not yet closed.
        """
        index = self._sessions.index_of(session)
        if index is None or index >= self._sessions.closed_count(as_of):
            return []
        return [
            self._bars(lst.ticker, slice(index, index + 1), adjusted)[0]
            for lst in self.listings
            if lst.trades_on(session)
        ]

    def _closed_span(self, ticker: str, first: date, last: date, as_of: datetime) -> slice:
        """Session indexes of ``ticker``'s bars in the window that have closed by ``as_of``."""
        listing = self._listings.get(ticker)
        if listing is None:
            return slice(0, 0)
        span = self._sessions.span(first, last)
        span = slice(span.start, min(span.stop, self._sessions.closed_count(as_of)))
        return self._life_span(listing, span)

    def _life_span(self, listing: Listing, span: slice) -> slice:
        """``span`` narrowed to the sessions ``listing`` traded on."""
        life = self._sessions.span(listing.list_date, listing.delisted or date.max)
        return slice(max(span.start, life.start), max(min(span.stop, life.stop), span.start))

    def _columns(self, ticker: str, span: slice, adjusted: bool) -> _DailySeries:
        """The daily series over ``span``, as traded when not ``adjusted``."""
        series = self._daily_series(ticker)
        cut = _DailySeries(*(getattr(series, f)[span] for f in _DailySeries.__dataclass_fields__))
        if adjusted:
            return cut
        factor = unadjust_factor(ticker, self._sessions.days[span])
        return _DailySeries(
            open=np.round(cut.open * factor, 2),
            high=np.round(cut.high * factor, 2),
            low=np.round(cut.low * factor, 2),
            close=np.round(cut.close * factor, 2),
            volume=np.round(cut.volume / factor).astype(np.int64),
            vwap=np.round(cut.vwap * factor, 4),
            transactions=cut.transactions,
        )

    def _bars(self, ticker: str, span: slice, adjusted: bool = True) -> list[DailyBar]:
        series = self._columns(ticker, span, adjusted)
        sessions = self._sessions
        columns = zip(
            sessions.days[span].tolist(),
            sessions.start_ms[span].tolist(),
            series.open.tolist(),
            series.high.tolist(),
            series.low.tolist(),
            series.close.tolist(),
            series.volume.tolist(),
            series.vwap.tolist(),
            series.transactions.tolist(),
            strict=True,
        )
        return [DailyBar(ticker, *row) for row in columns]

    def _minutes(self, ticker: str, span: slice, adjusted: bool) -> MinuteBars:
        series = self._columns(ticker, span, adjusted)
        sessions = self._sessions
        open_ms = sessions.open_ms[span]
        block = DayBlock(
            index=np.arange(span.start, span.stop),
            open_ms=open_ms,
            minutes=((sessions.close_ms[span] - open_ms) // MINUTE_MS).astype(np.int64),
            open=series.open,
            high=series.high,
            low=series.low,
            close=series.close,
            volume=series.volume,
            vwap=series.vwap,
            transactions=series.transactions,
        )
        return refine(block, self._seed, _stable_key(ticker))

    def _daily_series(self, ticker: str) -> _DailySeries:
        series = self._series.get(ticker)
        if series is None:
            with self._lock:
                series = self._series.get(ticker)
                if series is None:
                    listing = self._listings[ticker]
                    series = _generate_daily(listing, self._seed, len(self._sessions))
                    self._series[ticker] = series
        return series
