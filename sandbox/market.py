"""The sandbox market: listings, their daily and minute bars, corporate actions and glitches.

Prices come from ``prices`` (a factor model with GARCH volatility and fat
tails), generated per calendar year and chunk of listings and cached, so a
session's bar depends only on the seed, the listing's catalog position and
the sessions before it: it never changes as time moves on, and two markets
with the same seed (and size and scenario) produce identical bars.

Daily bars are the coarsest level of detail and the one that is stored.
Minute bars are refined *from* a daily bar, never the other way round (see
``minutes``), which keeps every daily bar unchanged and makes the minutes
aggregate to it exactly. Prices are whole cents so a minute path can hit the
high and low exactly.

Bars are generated split-adjusted. As traded (``adjusted=False``), prices
before a split are multiplied by its ratio (whole cents) and volume divided by
it (whole shares). ``adjusted=True`` as of an instant starts from those traded
bars and divides out only the splits executed by that (UTC) day, as the real
API did that day: prices to 4 decimals, volume times the same ratios. Minute
bars are refined from the daily bars of the view asked for. A listing has bars
only from its list date to its last trading day; a thin listing also skips
some sessions and trades only in some minutes. Vendor glitches (a duplicated
bar, a missing day, a 25 % bad print) appear only when asked for.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import repeat
from typing import Any, NamedTuple

import numpy as np

from sandbox import poison
from sandbox.actions import CorporateActions, corporate_actions
from sandbox.minutes import (
    AFTER_HOURS_MINUTES,
    MINUTE_MS,
    POST_MAX,
    PRE_MARKET_MINUTES,
    PRE_MAX,
    DayBlock,
    MinuteBars,
    refine,
)
from sandbox.prices import (
    CHUNK,
    Block,
    Carry,
    Exposures,
    Factors,
    advance,
    first_carry,
    make_block,
    make_factors,
)
from sandbox.scenarios import Scenario
from sandbox.scenarios import scenario as scenario_named
from sandbox.sectors import SECTORS
from sandbox.sessions import Sessions, xnys_sessions
from sandbox.universe import DEFAULT_UNIVERSE, Listing

SIZES = ("dev", "full")

BLOCK_BUDGET = 576 * 2**20
"""Bytes of generated bars kept in memory, least recently used (year, chunk) blocks
dropped first. A full-size year is 47 blocks of about 1.8 MB (stored as int32 where
exact), so this holds about seven full-size years: a 5-year backfill (six calendar
years) walking its symbols in any order generates each block once."""

GENERATE_BATCH = 8
"""Chunks generated side by side: bounds the memory a full-size year takes to make."""

GLITCH_KINDS = ("duplicate_bar", "missing_day", "bad_print")
BAD_PRINT = 1.25
"""A bad print's close (and, when needed, high) is 25 % above the true close."""


@dataclass(frozen=True, slots=True)
class Glitch:
    """A vendor glitch in the daily bars of one symbol on one session."""

    session: date
    ticker: str
    kind: str


class DailyBar(NamedTuple):
    """One symbol's OHLCV bar for one regular trading session.

    A named tuple rather than a dataclass: a 5-year range makes over a thousand
    of them per request, and a tuple is several times cheaper to create.

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
    """Bars of one listing over consecutive sessions, one array element per session."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    vwap: np.ndarray
    transactions: np.ndarray


_PRICE_FIELDS = ("open", "high", "low", "close", "volume", "vwap", "transactions")

_SCALES = {"open": 100, "high": 100, "low": 100, "close": 100, "vwap": 10_000,
           "volume": 1, "transactions": 1, "traded": 0}  # fmt: skip
"""How each block field is narrowed: prices are whole cents (VWAP whole 1/10,000s), counts
whole numbers; 0 keeps the field as generated."""


class _Packed:
    """One block field as kept in memory: int32 when that restores the generated values
    exactly (halves a block), else the generated array itself. Index it like the array."""

    __slots__ = ("scale", "values")

    def __init__(self, values: np.ndarray, scale: int) -> None:
        # a copy, not a view, so the arrays of the batch generated with it can be freed
        self.values, self.scale = np.ascontiguousarray(values), 0
        if scale and values.size and np.abs(values).max() * scale < 2**31 - 1:
            narrow = np.rint(values * scale).astype(np.int32)
            if np.array_equal(self._restore(narrow, scale), values):
                self.values, self.scale = narrow, scale

    @staticmethod
    def _restore(part: np.ndarray, scale: int) -> np.ndarray:
        if scale == 0:
            return part
        return part.astype(np.int64) if scale == 1 else part / scale

    def __getitem__(self, key: Any) -> np.ndarray:
        return self._restore(self.values[key], self.scale)


@dataclass(frozen=True, slots=True)
class _StoredBlock:
    """A generated ``Block`` as cached: its fields packed (see ``_Packed``)."""

    open: _Packed
    high: _Packed
    low: _Packed
    close: _Packed
    volume: _Packed
    vwap: _Packed
    transactions: _Packed
    traded: _Packed

    @classmethod
    def pack(cls, block: Block, columns: slice) -> _StoredBlock:
        return cls(*(_Packed(getattr(block, name)[:, columns], _SCALES[name])
                     for name in Block.__dataclass_fields__))  # fmt: skip

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, name).values.nbytes for name in Block.__dataclass_fields__)


def _empty_block() -> DayBlock:
    ints, floats = np.empty(0, dtype=np.int64), np.empty(0)
    return DayBlock(
        ints, ints, ints, floats, floats, floats, floats, ints, floats, ints, ints, ints
    )


def _universe(size: str) -> tuple[Listing, ...]:
    if size not in SIZES:
        raise ValueError(f"sandbox size must be one of {', '.join(SIZES)}, not {size!r}")
    if size == "dev":
        return DEFAULT_UNIVERSE
    from sandbox.catalog import full_universe

    return full_universe()


class SandboxMarket:
    """A synthetic US stock market: listings, bars, corporate actions.

    Bars exist only for XNYS sessions from ``sessions.ORIGIN`` on, and a
    session's bar is visible only once that session has closed at the
    ``as_of`` instant the caller passes in.

    Args:
        seed: Seed of every price path; equal seeds give identical markets.
        universe: Listings to trade, in catalog order (overrides ``size``).
        size: ``"dev"`` (20 listings) or ``"full"`` (about 12,000).
        scenario: Name of a market scenario (``scenarios.SCENARIOS``) or ``None``.
        glitches: Serve the vendor glitches of ``glitch_list`` in daily bars.
        extended_hours: Minute bars also before the open (from 04:00) and after
            the close (four hours); the daily bar then aggregates all of them.
    """

    def __init__(
        self,
        seed: int = 42,
        universe: Iterable[Listing] | None = None,
        *,
        size: str = "dev",
        scenario: str | None = None,
        glitches: bool = False,
        extended_hours: bool = False,
    ) -> None:
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        self._seed = seed
        self._scenario = scenario_named(scenario)
        self._order = tuple(universe if universe is not None else _universe(size))
        self._listings = {listing.ticker: listing for listing in self._order}
        self._position = {listing.ticker: i for i, listing in enumerate(self._order)}
        self._by_ticker = tuple(sorted(self._order, key=lambda listing: listing.ticker))
        self._ticker_order = np.array([self._position[lst.ticker] for lst in self._by_ticker])
        self._life: tuple[np.ndarray, np.ndarray] | None = None
        self._sessions: Sessions = xnys_sessions()
        self._years = self._sessions.days.astype("datetime64[Y]").astype(int) + 1970
        self._glitches = _glitches(seed, self._order) if glitches else ()
        self._poison_bars = _poison_bars(seed, self._order) if glitches else ()
        self._poison_reference: tuple[Glitch, ...] | None = None if glitches else ()
        self._extended_hours = extended_hours
        self._factors: Factors | None = None
        self._actions: CorporateActions | None = None
        self._carries: dict[tuple[int, int], Carry] = {}
        self._blocks: OrderedDict[tuple[int, int], _StoredBlock] = OrderedDict()
        self._block_bytes = 0
        self._lock = threading.RLock()

    @property
    def seed(self) -> int:
        """The seed this market was built with."""
        return self._seed

    @property
    def scenario(self) -> Scenario | None:
        """The scenario shaping the market factor, if any."""
        return self._scenario

    @property
    def sessions(self) -> Sessions:
        """The XNYS session table the market trades on."""
        return self._sessions

    @property
    def listings(self) -> tuple[Listing, ...]:
        """All listings, ordered by ticker."""
        return self._by_ticker

    @property
    def actions(self) -> CorporateActions:
        """Splits, dividends and ticker histories of the listings (built on first use)."""
        if self._actions is None:
            self._actions = corporate_actions(self._order)
        return self._actions

    def listing(self, ticker: str) -> Listing | None:
        """The listing for ``ticker`` (case-sensitive), or ``None`` if it is not traded."""
        return self._listings.get(ticker)

    def glitch_list(self) -> tuple[Glitch, ...]:
        """The glitches this market serves (empty unless built with ``glitches=True``).

        Beside the glitches in bar values (``GLITCH_KINDS``) come malformed
        records (``poison.KINDS``), served in the JSON of grouped daily bars,
        dividends and ticker events.
        """
        return tuple(
            sorted(
                (*self._glitches, *self._poison_bars, *self._reference_poison()),
                key=lambda g: (g.session, g.ticker, g.kind),
            )
        )

    def poison_map(self) -> dict[tuple[date, str], str]:
        """{(date, ticker): kind} of the malformed records served (see ``sandbox.poison``)."""
        if not self._poison_bars:
            return {}
        return {
            (g.session, g.ticker): g.kind for g in (*self._poison_bars, *self._reference_poison())
        }

    def _reference_poison(self) -> tuple[Glitch, ...]:
        if self._poison_reference is None:
            targets = poison.reference_targets(self._seed, self.actions)
            self._poison_reference = tuple(Glitch(*target) for target in targets)
        return self._poison_reference

    def fair_value(self, ticker: str, as_of: datetime) -> float | None:
        """The model price of ``ticker`` at the latest close by ``as_of``, traded or not.

        What a thin listing is worth when its last trade is stale: the close
        its factors and own moves have carried it to (split-adjusted).
        """
        listing = self._listings.get(ticker)
        closed = self._sessions.closed_count(as_of)
        if listing is None or closed == 0:
            return None
        span = self._life_span(listing, slice(closed - 1, closed))
        if span.stop <= span.start:
            return None
        series, _ = self._series(ticker, span)
        return float(series.close[0])

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
        if span.stop <= span.start:
            return []
        return self._with_glitches(self._bars(ticker, span, _view(adjusted, as_of)))

    def minute_bars(
        self, ticker: str, start_ms: int, end_ms: int, as_of: datetime, adjusted: bool = True
    ) -> MinuteBars:
        """Minute bars of ``ticker`` starting from ``start_ms`` to ``end_ms``.

        Args:
            ticker: Symbol (case-sensitive).
            start_ms: Earliest minute start, epoch ms (inclusive).
            end_ms: Latest minute start, epoch ms (inclusive).
            as_of: Aware "now"; only minutes that have ended by then are returned.
            adjusted: Split-adjusted (default) or as traded.

        Returns:
            Bars ascending by minute start; they aggregate exactly to ``daily_bars``
            (glitches aside: those are daily-bar vendor errors).
        """
        end_ms = min(end_ms, int(as_of.timestamp() * 1000) - MINUTE_MS)
        sessions = self._sessions
        before, after = (
            (PRE_MARKET_MINUTES, AFTER_HOURS_MINUTES) if self._extended_hours else (0, 0)
        )
        first = int(np.searchsorted(sessions.close_ms + after * MINUTE_MS, start_ms, side="right"))
        last = int(np.searchsorted(sessions.open_ms - before * MINUTE_MS, end_ms, side="right"))
        listing = self._listings.get(ticker)
        if listing is None or last <= first:
            return refine(_empty_block(), self._seed, 0)
        span = self._life_span(listing, slice(first, last))
        bars = self._minutes(listing, span, _view(adjusted, as_of))
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
            One bar per listing that traded, or an empty list on non-sessions
            and for sessions not yet closed.
        """
        index = self._sessions.index_of(session)
        if index is None or index >= self._sessions.closed_count(as_of):
            return []
        row = self._day_row(index)
        start_ms = int(self._sessions.start_ms[index])
        day64 = self._sessions.days[index : index + 1]
        life = self._life_rows()
        live = row.pop("traded") & (life[0] <= index) & (index < life[1])
        chosen = self._ticker_order[live[self._ticker_order]].tolist()
        columns = [row[name][chosen].tolist() for name in _PRICE_FIELDS]
        view = _view(adjusted, as_of)
        bars = []
        for position, *bar in zip(chosen, *columns, strict=True):
            ticker = self._order[position].ticker
            last_split = self.actions.last_split(ticker)
            if last_split is not None and session < last_split:
                series = _DailySeries(*(np.array([value]) for value in bar))
                bar = [column[0] for column in _astuple(self._viewed(ticker, series, day64, view))]
            bars.append(DailyBar(ticker, session, start_ms, *bar))
        return self._with_glitches(bars)

    # ---- spans -----------------------------------------------------------------------------

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

    # ---- bars ------------------------------------------------------------------------------

    def _columns(
        self, ticker: str, span: slice, view: date | None
    ) -> tuple[_DailySeries, np.ndarray]:
        """The daily series over ``span`` in ``view`` (see ``_view``) and the session
        indexes it covers: sessions a thin listing did not trade are left out."""
        series, traded = self._series(ticker, span)
        index = np.arange(span.start, span.stop)[traded]
        cut = _DailySeries(*(getattr(series, f)[traded] for f in _PRICE_FIELDS))
        if not self.actions.has_splits(ticker):
            return cut, index
        return self._viewed(ticker, cut, self._sessions.days[index], view), index

    def _viewed(
        self, ticker: str, series: _DailySeries, days: np.ndarray, view: date | None
    ) -> _DailySeries:
        """``series`` (generated, adjusted for every split) as traded when ``view`` is
        None, else adjusted for the splits executed on or before ``view``."""
        factor = self.actions.unadjust_factor(ticker, days)
        traded = _DailySeries(
            open=np.round(series.open * factor, 2),
            high=np.round(series.high * factor, 2),
            low=np.round(series.low * factor, 2),
            close=np.round(series.close * factor, 2),
            volume=np.round(series.volume / factor).astype(np.int64),
            vwap=np.round(series.vwap * factor, 4),
            transactions=series.transactions,
        )
        if view is None:
            return traded
        known = self.actions.unadjust_factor(ticker, days, through=view)
        volume = traded.volume * known
        whole = np.array_equal(volume, np.round(volume))
        return _DailySeries(
            open=np.round(traded.open / known, 4),
            high=np.round(traded.high / known, 4),
            low=np.round(traded.low / known, 4),
            close=np.round(traded.close / known, 4),
            volume=np.round(volume).astype(np.int64) if whole else np.round(volume, 4),
            vwap=np.round(traded.vwap / known, 4),
            transactions=traded.transactions,
        )

    def _bars(self, ticker: str, span: slice, view: date | None) -> list[DailyBar]:
        series, index = self._columns(ticker, span, view)
        sessions = self._sessions
        rows = zip(
            repeat(ticker),
            sessions.days[index].tolist(),
            sessions.start_ms[index].tolist(),
            series.open.tolist(),
            series.high.tolist(),
            series.low.tolist(),
            series.close.tolist(),
            series.volume.tolist(),
            series.vwap.tolist(),
            series.transactions.tolist(),
            strict=False,  # ``repeat`` is endless; the columns have equal lengths
        )
        return list(map(DailyBar._make, rows))

    def _minutes(self, listing: Listing, span: slice, view: date | None) -> MinuteBars:
        series, index = self._columns(listing.ticker, span, view)
        sessions = self._sessions
        open_ms = sessions.open_ms[index]
        session_minutes = ((sessions.close_ms[index] - open_ms) // MINUTE_MS).astype(np.int64)
        # A thin listing trades in one minute per trade at most: the other minutes have no bar.
        minutes = (
            np.minimum(session_minutes, series.transactions) if listing.thin else session_minutes
        )
        no_minutes = np.zeros(len(index), dtype=np.int64)
        extended = self._extended_hours and not listing.thin
        block = DayBlock(
            index=index,
            open_ms=open_ms,
            minutes=minutes,
            open=series.open,
            high=series.high,
            low=series.low,
            close=series.close,
            volume=series.volume,
            vwap=series.vwap,
            transactions=series.transactions,
            # busier listings trade in more extended-hours minutes
            pre=np.clip(series.transactions // 4000, 5, PRE_MAX) if extended else no_minutes,
            post=np.clip(series.transactions // 6000, 3, POST_MAX) if extended else no_minutes,
        )
        key = _stable_key(listing.ticker)
        bars = refine(block, self._seed, key)
        if listing.thin:
            bars = _spread_thin_minutes(bars, block, session_minutes, self._seed, key)
        return bars

    def _with_glitches(self, bars: list[DailyBar]) -> list[DailyBar]:
        if not self._glitches or not bars:
            return bars
        marked = {(g.session, g.ticker): g.kind for g in self._glitches}
        out = []
        for bar in bars:
            kind = marked.get((bar.session, bar.ticker))
            if kind == "missing_day":
                continue
            if kind == "bad_print":
                close = round(bar.close * BAD_PRINT, 2)
                bar = DailyBar(bar.ticker, bar.session, bar.start_ms, bar.open,
                               max(bar.high, close), bar.low, close, bar.volume, bar.vwap,
                               bar.transactions)  # fmt: skip
            out.append(bar)
            if kind == "duplicate_bar":
                out.append(bar)
        return out

    # ---- generation ------------------------------------------------------------------------

    def _series(self, ticker: str, span: slice) -> tuple[_DailySeries, np.ndarray]:
        """Split-adjusted bars of ``ticker`` over ``span`` and whether each session traded."""
        position = self._position[ticker]
        chunk, column = divmod(position, CHUNK)
        parts: list[_StoredBlock] = []
        cuts: list[slice] = []
        cursor = span.start
        while cursor < span.stop:
            year = int(self._years[cursor])
            rows = self._year_rows(year)
            stop = min(span.stop, rows.stop)
            parts.append(self._block(year, chunk))
            cuts.append(slice(cursor - rows.start, stop - rows.start))
            cursor = stop

        def gather(name: str) -> np.ndarray:
            pieces = [getattr(b, name)[cut, column] for b, cut in zip(parts, cuts, strict=True)]
            return np.concatenate(pieces) if pieces else np.empty(0)

        series = _DailySeries(*(gather(name) for name in _PRICE_FIELDS))
        return series, gather("traded").astype(bool)

    def _day_row(self, index: int) -> dict[str, np.ndarray]:
        """Every listing's split-adjusted bar on session ``index``, by catalog position."""
        year = int(self._years[index])
        offset = index - self._year_rows(year).start
        blocks = self._blocks_of(year, list(range(self._chunks())))
        return {
            name: np.concatenate([getattr(b, name)[offset] for b in blocks])
            for name in (*_PRICE_FIELDS, "traded")
        }

    def _life_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """First and past-last session index of every listing's life, by catalog position."""
        if self._life is None:
            spans = [
                self._life_span(listing, slice(0, len(self._sessions))) for listing in self._order
            ]
            self._life = (
                np.array([span.start for span in spans]),
                np.array([span.stop for span in spans]),
            )
        return self._life

    def _chunks(self) -> int:
        return -(-len(self._order) // CHUNK)

    def _year_rows(self, year: int) -> slice:
        lo = int(np.searchsorted(self._years, year, side="left"))
        hi = int(np.searchsorted(self._years, year, side="right"))
        return slice(lo, hi)

    def _block(self, year: int, chunk: int) -> _StoredBlock:
        return self._blocks_of(year, [chunk])[0]

    def _blocks_of(self, year: int, chunks: list[int]) -> list[_StoredBlock]:
        """The blocks of ``chunks`` in ``year``, generating the missing ones (and the
        years before them, for the carried state) a batch of chunks at a time."""
        with self._lock:
            missing = [chunk for chunk in chunks if (year, chunk) not in self._blocks]
            for batch in range(0, len(missing), GENERATE_BATCH):
                self._generate(year, missing[batch : batch + GENERATE_BATCH])
            out = []
            for chunk in chunks:
                self._blocks.move_to_end((year, chunk))
                out.append(self._blocks[(year, chunk)])
            while self._block_bytes > BLOCK_BUDGET and len(self._blocks) > len(chunks):
                _, dropped = self._blocks.popitem(last=False)
                self._block_bytes -= dropped.nbytes
            return out

    def _generate(self, year: int, chunks: list[int]) -> None:
        first_year = int(self._years[0])
        start = year
        while start > first_year and any((start, c) not in self._carries for c in chunks):
            start -= 1
        parts = [self._exposures(chunk) for chunk in chunks]
        exposures = Exposures(*(
            np.concatenate([getattr(p, f) for p in parts]) for f in Exposures.__dataclass_fields__
        ))  # fmt: skip
        if start > first_year:  # the loop above stopped where every chunk has a carry
            carry = Carry(*(
                np.concatenate([getattr(self._carries[(start, c)], f) for c in chunks])
                for f in Carry.__dataclass_fields__
            ))  # fmt: skip
        else:
            carry = first_carry(exposures)
        edges = np.cumsum([0, *(len(p.beta) for p in parts)])
        factors = self._market_factors()
        for each in range(start, year + 1):
            rows = self._year_rows(each)
            if each < year:  # only the closing path, for the state it hands on
                carry = advance(self._seed, each, chunks, rows, factors, exposures, carry)
            else:
                block, carry = make_block(self._seed, each, chunks, rows, factors, exposures, carry)
            for number, chunk in enumerate(chunks):
                cut = slice(int(edges[number]), int(edges[number + 1]))
                self._carries[(each + 1, chunk)] = Carry(carry.log_close[cut], carry.variance[cut])
        for number, chunk in enumerate(chunks):
            stored = _StoredBlock.pack(block, slice(int(edges[number]), int(edges[number + 1])))
            self._blocks[(year, chunk)] = stored
            self._block_bytes += stored.nbytes

    def _market_factors(self) -> Factors:
        if self._factors is None:
            self._factors = make_factors(self._seed, self._sessions, self._scenario)
        return self._factors

    def _exposures(self, chunk: int) -> Exposures:
        members = self._order[chunk * CHUNK : (chunk + 1) * CHUNK]
        sector_index = {name: i for i, name in enumerate(SECTORS)}

        def column(values: Iterable[float], dtype: type = float) -> np.ndarray:
            return np.array(list(values), dtype=dtype)

        return Exposures(
            start_price=column(m.start_price for m in members),
            idio_vol=column(m.daily_vol for m in members),
            base_volume=column(m.base_volume for m in members),
            beta=column(m.beta for m in members),
            sector_beta=column(m.sector_beta if m.sector else 0.0 for m in members),
            sector=column((sector_index.get(m.sector or "", -1) for m in members), int),
            size=column(m.size for m in members),
            thin=column((m.thin for m in members), bool),
        )


def _stable_key(ticker: str) -> int:
    """64-bit key for ``ticker`` that is the same in every process (unlike ``hash``)."""
    return int.from_bytes(hashlib.blake2b(ticker.encode(), digest_size=8).digest(), "big")


def _view(adjusted: bool, as_of: datetime) -> date | None:
    """Which prices a request sees: None for as traded, else the (UTC) day whose
    known splits ``adjusted=true`` divides out."""
    return as_of.astimezone(UTC).date() if adjusted else None


def _astuple(series: _DailySeries) -> list[list]:
    """The fields of ``series`` in ``_PRICE_FIELDS`` order, as Python lists (one
    value per session); the same rounding as per-ticker bars, so both agree."""
    return [getattr(series, name).tolist() for name in _PRICE_FIELDS]


def _spread_thin_minutes(
    bars: MinuteBars, block: DayBlock, session_minutes: np.ndarray, seed: int, key: int
) -> MinuteBars:
    """Move a thin listing's few minute bars onto distinct minutes spread over the session."""
    t = bars.t.copy()
    cursor = 0
    for index, count, length, open_ms in zip(
        block.index.tolist(), block.minutes.tolist(), session_minutes.tolist(),
        block.open_ms.tolist(), strict=True,
    ):  # fmt: skip
        rng = np.random.default_rng([seed, key, index, 2])
        chosen = np.sort(rng.choice(length, size=count, replace=False))
        t[cursor : cursor + count] = open_ms + chosen * MINUTE_MS
        cursor += count
    return MinuteBars(t, bars.open, bars.high, bars.low, bars.close, bars.volume, bars.vwap,
                      bars.transactions)  # fmt: skip


def _candidates(listings: tuple[Listing, ...]) -> list[str]:
    """Active dev stocks and ETFs listed before 2015: the symbols glitches touch."""
    return sorted(
        lst.ticker for lst in listings[: len(DEFAULT_UNIVERSE)]
        if lst.type in ("CS", "ETF") and lst.delisted is None and lst.list_date.year < 2015
    )  # fmt: skip


def _poison_bars(seed: int, listings: tuple[Listing, ...]) -> tuple[Glitch, ...]:
    """One malformed grouped-daily record of each kind per year from 2016 on."""
    targets = poison.bar_targets(seed, xnys_sessions().days, _candidates(listings))
    return tuple(Glitch(*target) for target in targets)


def _glitches(seed: int, listings: tuple[Listing, ...]) -> tuple[Glitch, ...]:
    """One glitch of each kind per year from 2016 on, on active dev stocks and ETFs."""
    candidates = _candidates(listings)
    days = xnys_sessions().days
    years = days.astype("datetime64[Y]").astype(int) + 1970
    rng = np.random.default_rng([seed, 0x611C])
    out = []
    for year in range(2016, int(years[-1]) + 1):
        in_year = days[years == year]
        for kind in GLITCH_KINDS:
            day = in_year[int(rng.integers(0, len(in_year)))].astype(object)
            out.append(Glitch(day, candidates[int(rng.integers(0, len(candidates)))], kind))
    return tuple(sorted(out, key=lambda g: (g.session, g.ticker)))
