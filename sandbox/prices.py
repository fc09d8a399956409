"""Daily prices of the sandbox market: a factor model with GARCH volatility and fat tails.

A listing's daily log return is

    drift + beta * market + sector_beta * sector + size * small_minus_big + idiosyncratic

* The market, the eleven sector factors and the size factor are market-wide
  series (one per seed), each a GARCH(1, 1) process driven by Student-t
  shocks: calm and stormy periods cluster and big moves are more common than
  under a normal law. A scenario (``scenarios``) replaces the market factor
  over its window.
* The idiosyncratic part is a GARCH(1, 1) of its own per listing, with the
  listing's ``daily_vol`` as long-run level and rare jumps on top.
* ETFs carry the average exposures of their holdings and a tiny tracking
  error, so a sector ETF tracks its sector's stocks, SPY the large caps
  (negative size loading) and IWM the small caps (positive size loading).
* Volume follows the day's move and the market's volatility, with rare spikes.

Listings are generated in *chunks* of ``CHUNK`` consecutive catalog
positions and *blocks* of one calendar year; each (block, chunk) draws a
full chunk's worth from its own generator seeded by ``(seed, year, chunk)``,
so a listing's draws depend only on the seed, the year and its catalog
position (the dev listings are the first positions in both sizes), never on
how many listings follow it or on how far the session table reaches. The GARCH state
and the last close carry from one year to the next.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sandbox.scenarios import Scenario
from sandbox.sectors import SECTORS
from sandbox.sessions import Sessions

CHUNK = 256
"""Listings per generator."""

DRAWS = 7
"""Normal draws per listing and session: shock, jump size (the path planes), then gap,
up wick, down wick, VWAP and trade size, volume."""

UNIFORMS = 4
"""Uniform draws per listing and session: jump, wide shock (the path planes), then volume
spike, thin-day skip."""

PATH_NORMALS = 2
PATH_UNIFORMS = 2

LOG_DRIFT = 0.0003
"""Median daily log return of the market (about 7.5 % a year)."""

MARKET_VOL = 0.0095
SECTOR_VOL = 0.006
SIZE_VOL = 0.005
GARCH_ALPHA = 0.10
GARCH_BETA = 0.88
T_DOF = 5.0
"""Degrees of freedom of the Student-t shocks (fat tails)."""

WIDE_CHANCE = 0.1
WIDE_SCALE = 2.2
"""One idiosyncratic shock in ten is 2.2 times wider (a normal scale mixture: fat tails)."""

JUMP_CHANCE = 0.002
SPIKE_CHANCE = 0.015
THIN_SKIP = 0.15
"""Share of sessions a thin listing has no trade at all."""

MIN_PRICE = 0.01


@dataclass(frozen=True)
class Factors:
    """Market-wide daily log returns, one row per session of the session table.

    Attributes:
        market: Market factor return.
        market_vol: The market factor's conditional daily volatility.
        sectors: One column per sector in ``SECTORS`` order.
        size: Small-minus-big factor return.
    """

    market: np.ndarray
    market_vol: np.ndarray
    sectors: np.ndarray
    size: np.ndarray


@dataclass(frozen=True)
class Exposures:
    """Price parameters of the listings of one chunk, one element per listing."""

    start_price: np.ndarray
    idio_vol: np.ndarray
    base_volume: np.ndarray
    beta: np.ndarray
    sector_beta: np.ndarray
    sector: np.ndarray
    """Column in ``Factors.sectors``, or -1 for none."""
    size: np.ndarray
    thin: np.ndarray


@dataclass(frozen=True)
class Block:
    """Daily bars of one chunk over one year: arrays shaped (sessions, listings)."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    vwap: np.ndarray
    transactions: np.ndarray
    traded: np.ndarray
    """False where a thin listing had no trade that session."""


@dataclass(frozen=True)
class Carry:
    """What one year hands to the next: last close (log) and GARCH variance per listing."""

    log_close: np.ndarray
    variance: np.ndarray


def _student_t(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Student-t draws scaled to unit variance."""
    return rng.standard_t(T_DOF, shape) * math.sqrt((T_DOF - 2) / T_DOF)


def _garch(shocks: np.ndarray, long_run: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """GARCH(1, 1) returns (rows = sessions) from unit shocks, starting at ``variance``.

    Returns the conditional volatility per row; the caller multiplies.
    """
    omega = long_run**2 * (1 - GARCH_ALPHA - GARCH_BETA)
    sigma = np.empty_like(shocks)
    var = variance.copy()
    for row in range(len(shocks)):
        sigma[row] = np.sqrt(var)
        var = omega + GARCH_ALPHA * var * shocks[row] ** 2 + GARCH_BETA * var
    return sigma


def make_factors(seed: int, sessions: Sessions, chosen: Scenario | None) -> Factors:
    """The market, sector and size factors for ``seed`` (and ``chosen``'s market path)."""
    rng = np.random.default_rng([seed, 0xFAC7])
    count = len(sessions)
    shocks = _student_t(rng, (count, 2 + len(SECTORS)))
    long_run = np.array([MARKET_VOL, SIZE_VOL, *([SECTOR_VOL] * len(SECTORS))])
    sigma = _garch(shocks, long_run, long_run**2)
    returns = sigma * shocks
    market, market_vol = returns[:, 0] + LOG_DRIFT, sigma[:, 0]
    if chosen is not None:
        window = sessions.span(chosen.first, chosen.last)
        shaped, vol = chosen.shape(window.stop - window.start, np.random.default_rng([seed, 0x5CE]))
        market = market.copy()
        market_vol = market_vol.copy()
        market[window], market_vol[window] = shaped, vol
    return Factors(market, market_vol, returns[:, 2:], returns[:, 1])


def first_carry(exposures: Exposures) -> Carry:
    """The state before the first session: start price and long-run variance."""
    return Carry(np.log(exposures.start_price), exposures.idio_vol**2)


@dataclass(frozen=True)
class _Path:
    """A year's closing path: what both a block and a carried state are made from."""

    log_return: np.ndarray
    log_close: np.ndarray
    sigma: np.ndarray
    carry: Carry


def _draws(
    seed: int, year: int, chunks: list[int], width: int, length: int, normals: int, uniforms: int
) -> tuple[np.ndarray, np.ndarray]:
    """The first ``normals`` and ``uniforms`` planes of each chunk's draws, side by side.

    Each chunk always draws a full chunk's width, so a listing's draws do not
    depend on how many follow it; asking for fewer planes yields the same
    leading planes (generators fill arrays in order).
    """
    normal_parts, uniform_parts = [], []
    for number, chunk in enumerate(chunks):
        columns = min(CHUNK, width - number * CHUNK)
        rng = np.random.default_rng([seed, year, chunk])
        normal_parts.append(rng.standard_normal((normals, length, CHUNK))[:, :, :columns])
        spare = np.random.default_rng([seed, year, chunk, 0x0F])
        uniform_parts.append(spare.random((uniforms, length, CHUNK))[:, :, :columns])
    return np.concatenate(normal_parts, axis=2), np.concatenate(uniform_parts, axis=2)


def _path(
    normal: np.ndarray,
    uniform: np.ndarray,
    rows: slice,
    factors: Factors,
    exposures: Exposures,
    carry: Carry,
) -> _Path:
    """Log returns and closes from the path planes (normal 0-1, uniform 0-1)."""
    sector_moves = np.where(
        exposures.sector >= 0, factors.sectors[rows][:, np.maximum(exposures.sector, 0)], 0.0
    )
    common = (
        exposures.beta * (factors.market[rows][:, None] - LOG_DRIFT)
        + exposures.sector_beta * sector_moves
        + exposures.size * factors.size[rows][:, None]
    )
    wide = np.where(uniform[1] < WIDE_CHANCE, WIDE_SCALE, 1.0)
    shock = normal[0] * wide / math.sqrt(1 - WIDE_CHANCE + WIDE_CHANCE * WIDE_SCALE**2)
    sigma = _garch(shock, exposures.idio_vol, carry.variance)
    jumps = np.where(uniform[0] < JUMP_CHANCE, 3 * exposures.idio_vol * normal[1], 0)
    log_return = LOG_DRIFT + common + sigma * shock + jumps
    log_close = carry.log_close + np.cumsum(log_return, axis=0)
    omega = exposures.idio_vol**2 * (1 - GARCH_ALPHA - GARCH_BETA)
    last_var = omega + (GARCH_ALPHA * shock[-1] ** 2 + GARCH_BETA) * sigma[-1] ** 2
    # a copy: a view of the last row would keep the whole year's closes alive in the carries
    return _Path(log_return, log_close, sigma, Carry(log_close[-1].copy(), last_var))


def advance(
    seed: int,
    year: int,
    chunks: list[int],
    rows: slice,
    factors: Factors,
    exposures: Exposures,
    carry: Carry,
) -> Carry:
    """The state at the end of ``year`` without making its bars (see ``make_block``).

    Draws only the planes the closing path needs, so walking up to a late
    year costs a fraction of generating every year's bars.
    """
    normal, uniform = _draws(
        seed, year, chunks, len(exposures.beta), rows.stop - rows.start,
        PATH_NORMALS, PATH_UNIFORMS,
    )  # fmt: skip
    return _path(normal, uniform, rows, factors, exposures, carry).carry


def make_block(
    seed: int,
    year: int,
    chunks: list[int],
    rows: slice,
    factors: Factors,
    exposures: Exposures,
    carry: Carry,
) -> tuple[Block, Carry]:
    """Daily bars of some chunks over the sessions ``rows`` (one calendar year).

    The chunks are generated side by side (one GARCH pass for all of them),
    but each draws from its own generators, so the result for a chunk does
    not depend on which other chunks come with it.

    Args:
        seed: Market seed.
        year: Calendar year of the block (part of the generators' seeds).
        chunks: Chunk numbers (part of the generators' seeds), in column order.
        rows: Session-table rows of the year.
        factors: Market-wide factor returns.
        exposures: The chunks' listings, concatenated; every chunk is ``CHUNK``
            wide except possibly the last.
        carry: State at the end of the previous year, concatenated likewise.

    Returns:
        The year's bars (columns as in ``exposures``) and the state to carry
        into the next year.
    """
    normal, uniform = _draws(
        seed, year, chunks, len(exposures.beta), rows.stop - rows.start, DRAWS, UNIFORMS
    )
    path = _path(normal, uniform, rows, factors, exposures, carry)
    log_close, sigma = path.log_close, path.sigma

    day_vol = np.sqrt(
        (exposures.beta * factors.market_vol[rows][:, None]) ** 2
        + (exposures.sector_beta * SECTOR_VOL) ** 2 * (exposures.sector >= 0)
        + sigma**2
    )
    close_raw = np.exp(log_close)
    prev_close = np.exp(np.concatenate((carry.log_close[None, :], log_close[:-1])))
    open_raw = prev_close * np.exp(0.3 * day_vol * normal[2])
    high_raw = np.maximum(open_raw, close_raw) * np.exp(0.6 * day_vol * np.abs(normal[3]))
    low_raw = np.minimum(open_raw, close_raw) * np.exp(-0.6 * day_vol * np.abs(normal[4]))

    open_ = np.maximum(np.round(open_raw, 2), MIN_PRICE)
    close = np.maximum(np.round(close_raw, 2), MIN_PRICE)
    high = np.maximum(np.round(high_raw, 2), np.maximum(open_, close))
    low = np.maximum(np.minimum(np.round(low_raw, 2), np.minimum(open_, close)), MIN_PRICE)
    typical = (high + low + close) / 3 + 0.15 * (high - low) * np.tanh(normal[5])
    vwap = np.clip(np.round(typical, 4), low, high)

    calm = np.sqrt(exposures.beta**2 * MARKET_VOL**2 + exposures.idio_vol**2)
    surprise = np.abs(path.log_return - LOG_DRIFT) / np.maximum(day_vol, 1e-9)
    spike = np.where(uniform[2] < SPIKE_CHANCE, 2.5 + 150 * uniform[2], 1.0)
    volume = (
        exposures.base_volume
        * np.exp(0.3 * normal[6])
        * (0.6 + 0.4 * surprise)
        * (day_vol / np.maximum(calm, 1e-9)) ** 0.7
        * spike
    )
    volume = np.round(volume).astype(np.int64)
    avg_trade = 60 + 40 * np.exp(0.2 * normal[5])
    transactions = np.maximum(np.round(volume / avg_trade), 1).astype(np.int64)
    traded = ~(exposures.thin & (uniform[3] < THIN_SKIP))
    block = Block(open_, high, low, close, volume, vwap, transactions, traded)
    return block, path.carry
