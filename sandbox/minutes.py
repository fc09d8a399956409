"""Minute bars refined from daily bars, so that they aggregate to them exactly.

For each session a generator seeded by ``(seed, ticker, session index)`` draws
a Brownian bridge from the day's open to its close, maps it monotonically
into ``[low, high]`` and rounds it to cents. Then, per session:

* first minute ``o`` = daily open, last minute ``c`` = daily close, every
  other minute opens at the previous minute's close;
* ``max(h)`` = daily high and ``min(l)`` = daily low (one minute is stretched
  to touch each);
* ``sum(v)`` = daily volume and ``sum(n)`` = daily trade count exactly (largest
  remainder split over a U-shaped intraday profile; every minute gets at
  least one share and one trade whenever the day has at least one per minute);
* each minute ``vw`` lies in its ``[l, h]`` and the volume-weighted mean of the
  minute ``vw`` equals the daily ``vw`` to within 0.0001 (only 4-decimal
  rounding of each minute ``vw`` separates them).

Everything is vectorised over a block of sessions; only the seeding loops in
Python, so a year of one symbol (about 98,000 minutes) takes a few milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_MINUTES = 390
"""Minutes of a regular session, 09:30 to 16:00 New York (early closes have 210)."""

MINUTE_MS = 60_000

PRE_MARKET_MINUTES = 330
"""04:00 to 09:30 New York."""
AFTER_HOURS_MINUTES = 240
"""Four hours after the close (16:00 to 20:00; 13:00 to 17:00 on early closes)."""
PRE_MAX = 120
POST_MAX = 90
"""Most extended-hours minutes with a trade, before the open and after the close."""
EXTENDED_WEIGHT = 0.08
"""Volume weight of an extended-hours minute, against 1 to 4 for a regular one."""


@dataclass(frozen=True)
class DayBlock:
    """Daily bars of consecutive sessions of one symbol, the input of ``refine``."""

    index: np.ndarray
    open_ms: np.ndarray
    minutes: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    vwap: np.ndarray
    transactions: np.ndarray
    pre: np.ndarray
    """Pre-market minutes with a trade per session (zeros: regular hours only)."""
    post: np.ndarray
    """After-hours minutes with a trade per session."""


@dataclass(frozen=True)
class MinuteBars:
    """Minute bars as flat parallel arrays, ascending by ``t`` (minute start, epoch ms)."""

    t: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    vwap: np.ndarray
    transactions: np.ndarray

    def __len__(self) -> int:
        return len(self.t)

    def select(self, keep: np.ndarray | slice) -> MinuteBars:
        """The bars picked by a boolean mask or slice."""
        return MinuteBars(*(getattr(self, f)[keep] for f in _FIELDS))


_FIELDS = ("t", "open", "high", "low", "close", "volume", "vwap", "transactions")
_INTS = frozenset({"t", "volume", "transactions"})


def refine(days: DayBlock, seed: int, ticker_key: int) -> MinuteBars:
    """Minute bars of every session in ``days`` (see the module docstring for the guarantees).

    With extended hours (``days.pre``/``days.post`` above zero) each session
    also gets that many pre-market minutes (on distinct minutes from 04:00)
    and after-hours minutes (from the close, for four hours); they trade a
    few percent of the regular minutes' volume, and the day's path runs from
    the first pre-market open to the last after-hours close.

    Args:
        days: The daily bars to refine, with each session's open and length.
        seed: Market seed.
        ticker_key: Stable 64-bit key of the symbol.
    """
    rows = len(days.index)
    if rows == 0:
        empty = np.empty(0)
        return MinuteBars(*(empty.astype(np.int64) if f in _INTS else empty for f in _FIELDS))
    extended = bool(days.pre.any() or days.post.any())
    width = MAX_MINUTES + (PRE_MAX + POST_MAX if extended else 0)
    generators = [np.random.default_rng([seed, ticker_key, int(i), 1]) for i in days.index]
    z = np.stack([rng.standard_normal((4, width)) for rng in generators], axis=1)
    pre, post = days.pre[:, None], days.post[:, None]
    count = pre + days.minutes[:, None] + post
    cols = np.arange(width)[None, :]
    valid = cols < count
    o, h, l, c = (a[:, None] for a in (days.open, days.high, days.low, days.close))  # noqa: E741

    closes = _bridge_closes(z[0], valid, count, o, h, l, c)
    opens = np.concatenate([np.broadcast_to(o, (rows, 1)), closes[:, :-1]], axis=1)
    wick = (h - l) / np.sqrt(count) * 0.35
    highs = np.minimum(np.round(np.maximum(opens, closes) + wick * np.abs(z[1]), 2), h)
    lows = np.maximum(np.round(np.minimum(opens, closes) - wick * np.abs(z[2]), 2), l)
    highs[np.arange(rows), np.argmax(np.where(valid, highs, -np.inf), axis=1)] = days.high
    lows[np.arange(rows), np.argmin(np.where(valid, lows, np.inf), axis=1)] = days.low

    regular = (cols >= pre) & (cols < pre + days.minutes[:, None])
    x = (cols - pre + 0.5) / days.minutes[:, None]
    shape = np.where(regular, 1 + 3 * (2 * x - 1) ** 4, EXTENDED_WEIGHT)
    profile = np.where(valid, np.exp(0.4 * z[3]) * shape, 0.0)
    total = count[:, 0]
    volume = _split_integer(days.volume, profile, total)
    transactions = _split_integer(days.transactions, volume.astype(float), total)
    highs, lows, vwap = _fit_vwap(highs, lows, closes, volume, days.vwap, h, l)

    t = days.open_ms[:, None] + (cols - pre) * MINUTE_MS
    if extended:
        t = _extended_times(t, generators, days)
    return MinuteBars(
        t[valid], opens[valid], highs[valid], lows[valid], closes[valid],
        volume[valid], vwap[valid], transactions[valid],
    )  # fmt: skip


def _extended_times(
    t: np.ndarray, generators: list[np.random.Generator], days: DayBlock
) -> np.ndarray:
    """Start times of the extended-hours columns: distinct minutes in each window, in order."""
    t = t.copy()
    for row, rng in enumerate(generators):
        pre, minutes, post = int(days.pre[row]), int(days.minutes[row]), int(days.post[row])
        opening, closing = int(days.open_ms[row]), int(days.open_ms[row]) + minutes * MINUTE_MS
        early = np.sort(rng.choice(PRE_MARKET_MINUTES, size=pre, replace=False))
        late = np.sort(rng.choice(AFTER_HOURS_MINUTES, size=post, replace=False))
        t[row, :pre] = opening - (PRE_MARKET_MINUTES - early) * MINUTE_MS
        t[row, pre + minutes : pre + minutes + post] = closing + late * MINUTE_MS
    return t


def _bridge_closes(
    z: np.ndarray,
    valid: np.ndarray,
    count: np.ndarray,
    o: np.ndarray,
    h: np.ndarray,
    l: np.ndarray,  # noqa: E741 - OHLC naming
    c: np.ndarray,
) -> np.ndarray:
    """Minute closes: a bridge from open to close mapped monotonically into ``[l, h]``."""
    walk = np.cumsum(np.where(valid, z, 0.0), axis=1)
    frac = np.minimum((np.arange(z.shape[1])[None, :] + 1) / count, 1.0)
    end = np.take_along_axis(walk, count - 1, axis=1)
    path = o + (c - o) * frac + (walk - frac * end) * (h - l) / np.sqrt(count) * 0.5
    top = np.max(np.where(valid, path, -np.inf), axis=1, keepdims=True)
    bottom = np.min(np.where(valid, path, np.inf), axis=1, keepdims=True)
    upper, lower = np.maximum(o, c), np.minimum(o, c)
    above = upper + (path - upper) * (h - upper) / np.maximum(top - upper, 1e-12)
    below = lower - (lower - path) * (lower - l) / np.maximum(lower - bottom, 1e-12)
    closes = np.round(np.where(path > upper, above, np.where(path < lower, below, path)), 2)
    closes = np.clip(closes, l, h)
    closes[np.arange(len(closes)), count[:, 0] - 1] = c[:, 0]
    return closes


def _split_integer(total: np.ndarray, weight: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    """Split each row's integer ``total`` over its minutes in proportion to ``weight``.

    Largest-remainder rounding makes each row sum to its total exactly; every
    minute first gets 1 when the total allows one per minute.
    """
    floor = np.where(total >= minutes, 1, 0)
    rest = (total - floor * minutes).astype(float)[:, None]
    share = rest * weight / weight.sum(axis=1, keepdims=True)
    whole = np.floor(share)
    short = (rest[:, 0] - whole.sum(axis=1)).round().astype(np.int64)
    order = np.argsort(-(share - whole), axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(order.shape[1])[None, :], axis=1)
    valid = weight > 0
    return np.where(valid, floor[:, None] + whole + (rank < short[:, None]), 0).astype(np.int64)


def _fit_vwap(
    highs: np.ndarray,
    lows: np.ndarray,
    closes: np.ndarray,
    volume: np.ndarray,
    target: np.ndarray,
    h: np.ndarray,
    l: np.ndarray,  # noqa: E741 - OHLC naming
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Minute VWAPs inside each bar whose volume-weighted mean is the daily VWAP.

    Each minute's typical price is pulled toward its high (or low) by one
    common fraction per day. When even all highs (lows) could not reach the
    target, the highs (lows) are first stretched toward the daily high (low).
    """
    weight = volume / np.maximum(volume.sum(axis=1, keepdims=True), 1)
    goal = target[:, None]

    def mean(a: np.ndarray) -> np.ndarray:
        return (weight * a).sum(axis=1, keepdims=True)

    mean_high, mean_low = mean(highs), mean(lows)
    stretch_up = np.clip((goal - mean_high) / np.maximum(h - mean_high, 1e-12), 0, 1)
    highs = np.minimum(np.ceil(np.round((highs + stretch_up * (h - highs)) * 100, 6)) / 100, h)
    stretch_down = np.clip((mean_low - goal) / np.maximum(mean_low - l, 1e-12), 0, 1)
    lows = np.maximum(np.floor(np.round((lows - stretch_down * (lows - l)) * 100, 6)) / 100, l)

    typical = (highs + lows + closes) / 3
    mean_typ, mean_high, mean_low = mean(typical), mean(highs), mean(lows)
    up = (goal - mean_typ) / np.maximum(mean_high - mean_typ, 1e-12)
    down = (mean_typ - goal) / np.maximum(mean_typ - mean_low, 1e-12)
    vwap = np.where(
        goal >= mean_typ,
        typical + np.clip(up, 0, 1) * (highs - typical),
        typical - np.clip(down, 0, 1) * (typical - lows),
    )
    return highs, lows, np.clip(np.round(vwap, 4), lows, highs)
