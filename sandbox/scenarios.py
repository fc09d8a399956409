"""Named market scenarios: a fixed market-factor path over a fixed window of sessions.

A scenario replaces the market factor's daily log returns over its window
(one calendar year each) with a designed shape plus a little noise. The noise
is demeaned within every segment, so each segment's total move is exactly the
designed one; SPY (market beta 1, tiny tracking error) then shows the
outcomes below within a percentage point or two, and every listing moves with
the market by its beta. Outside the window the market is the ordinary one.

=====================  ==========  ==================================================
name                   window      expected outcome for SPY's daily closes
=====================  ==========  ==================================================
``crash_2020``         2020        normal 60 % of sessions, crash 10 %, recovery 30 %;
                                   max drawdown about -35 %
``growth_2021``        2021        steady rise, about +25 % over the year
``volatility_periods`` 2022        sideways, mean-reverting; high/low range about 30 %,
                                   ends within a few % of where it started
``trend_changes``      2023        quarters: up +15 %, down -15 %, up +15 %, sideways
``high_low_events``    2024        a new 20-session high or low every 5-6 sessions
=====================  ==========  ==================================================
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np


@dataclass(frozen=True)
class Scenario:
    """A named market shape over the sessions from ``first`` to ``last``."""

    name: str
    first: date
    last: date
    description: str
    shape: Callable[[int, np.random.Generator], tuple[np.ndarray, np.ndarray]]
    """``(sessions, rng) -> (market log returns, market daily volatility)``."""


def _wiggles(lengths: list[int], scales: list[float], rng: np.random.Generator) -> list:
    """Noise for each segment, demeaned so it leaves the segment's total unchanged."""
    out = []
    for length, scale in zip(lengths, scales, strict=True):
        wiggle = rng.standard_normal(length) * scale
        out.append(wiggle - wiggle.mean())
    return out


def _segments(lengths: list[int], totals: list[float], wiggles: list) -> np.ndarray:
    """Log returns: each segment sums exactly to its total, with its wiggle on top."""
    return np.concatenate(
        [total / n + w for n, total, w in zip(lengths, totals, wiggles, strict=True)]
    )


def _split(sessions: int, shares: list[float]) -> list[int]:
    lengths = [round(sessions * share) for share in shares[:-1]]
    return [*lengths, sessions - sum(lengths)]


def _max_drawdown(returns: np.ndarray) -> float:
    level = np.cumsum(np.concatenate(([0.0], returns)))
    return float(np.min(level - np.maximum.accumulate(level)))


def _crash(sessions: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    lengths = _split(sessions, [0.6, 0.1, 0.3])
    wiggles = _wiggles(lengths, [0.008, 0.025, 0.015], rng)
    target = math.log(1 - 0.35)
    crash = target
    for _ in range(4):  # the wiggles move the peak and trough: settle the depth on -35 %
        crash += target - _max_drawdown(_segments(lengths, [0.06, crash, 0.30], wiggles))
    returns = _segments(lengths, [0.06, crash, 0.30], wiggles)
    vol = np.repeat([0.009, 0.04, 0.018], lengths)
    return returns, vol


def _growth(sessions: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    returns = _segments([sessions], [math.log(1.25)], _wiggles([sessions], [0.007], rng))
    return returns, np.full(sessions, 0.008)


def _sideways(sessions: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # An Ornstein-Uhlenbeck level pulled back to zero, tied to zero at both ends,
    # scaled so that its highest close is 30 % above its lowest.
    level = np.zeros(sessions + 1)
    shocks = rng.standard_normal(sessions)
    for i in range(sessions):
        level[i + 1] = 0.88 * level[i] + shocks[i]
    level -= np.linspace(0, level[-1], sessions + 1)
    level *= math.log(1.30) / (level.max() - level.min())
    return np.diff(level), np.full(sessions, 0.014)


def _trends(sessions: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    lengths = _split(sessions, [0.25, 0.25, 0.25, 0.25])
    up, down = math.log(1.15), math.log(0.85)
    returns = _segments(lengths, [up, down, up, 0.0], _wiggles(lengths, [0.007] * 4, rng))
    return returns, np.full(sessions, 0.01)


def _stairs(sessions: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # Legs of 5 and 6 sessions: a 5.5 % jump, then a pullback that keeps 1.1 % of it.
    # Six legs up, then six down: every jump is a new 20-session high (or low),
    # and no pullback day is one.
    returns: list[float] = []
    leg, direction = 0, 1.0
    while len(returns) < sessions:
        length = 5 + leg % 2
        if leg and leg % 6 == 0:
            direction = -direction
        jump = direction * 0.055
        back = -direction * (0.055 - 0.011) / (length - 1)
        wiggle = rng.standard_normal(length - 1) * 0.002
        returns += [jump, *(back + wiggle - wiggle.mean())]
        leg += 1
    return np.array(returns[:sessions]), np.full(sessions, 0.012)


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("crash_2020", date(2020, 1, 1), date(2020, 12, 31),
                 "normal 60% -> crash 10% -> recovery 30%, max drawdown about -35%", _crash),
        Scenario("growth_2021", date(2021, 1, 1), date(2021, 12, 31),
                 "steady growth, about +25% over the year", _growth),
        Scenario("volatility_periods", date(2022, 1, 1), date(2022, 12, 31),
                 "sideways with mean reversion, about 30% high-low range", _sideways),
        Scenario("trend_changes", date(2023, 1, 1), date(2023, 12, 31),
                 "quarters up 15%, down 15%, up 15%, sideways", _trends),
        Scenario("high_low_events", date(2024, 1, 1), date(2024, 12, 31),
                 "a new 20-session high or low every 5-6 sessions", _stairs),
    )
}  # fmt: skip
"""Every scenario by name."""


def scenario(name: str | None) -> Scenario | None:
    """The scenario called ``name`` (``None`` for none); a clear error for unknown names."""
    if name is None:
        return None
    if name not in SCENARIOS:
        known = ", ".join(SCENARIOS)
        raise ValueError(f"unknown sandbox scenario {name!r}; choose one of: {known}")
    return SCENARIOS[name]
