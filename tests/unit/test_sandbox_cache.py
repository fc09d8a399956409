"""The sandbox block cache: bars kept compact, equal whether cached or regenerated."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from sandbox import market as market_module
from sandbox.market import SandboxMarket, _Packed
from sandbox.prices import CHUNK
from tests.support.sandbox_client import NOW

ALL_YEARS = (date(2015, 1, 1), date(2025, 12, 31))
SAMPLE = ("AAPL", "NVDA", "SPY", "CRMC", "KSFpA")


def test_bars_regenerated_after_eviction_equal_the_cached_ones(
    market: SandboxMarket, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached = {t: market.daily_bars(t, *ALL_YEARS, NOW, adjusted=False) for t in SAMPLE}
    monkeypatch.setattr(market_module, "BLOCK_BUDGET", 0)  # keep only the block in hand
    starved = SandboxMarket(seed=42)
    for ticker in SAMPLE:
        assert starved.daily_bars(ticker, *ALL_YEARS, NOW, adjusted=False) == cached[ticker]
    assert len(starved._blocks) == 1


def test_grouped_day_equals_each_tickers_range_bar_under_a_starved_cache(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(market_module, "BLOCK_BUDGET", 0)
    starved = SandboxMarket(seed=42)
    day = date(2024, 6, 7)  # before NVDA's 10-for-1 split: unadjusted prices differ
    for adjusted in (True, False):
        grouped = starved.grouped_daily(day, NOW, adjusted)
        assert len(grouped) >= 15
        for bar in grouped:
            assert starved.daily_bars(bar.ticker, day, day, NOW, adjusted) == [bar]


def test_stored_blocks_take_about_half_the_generated_size(market: SandboxMarket) -> None:
    market.daily_bars("AAPL", *ALL_YEARS, NOW)
    sessions = sum(b.traded.values.shape[0] for b in market._blocks.values())
    generated = sessions * min(CHUNK, len(market.listings)) * (7 * 8 + 1)  # float64/int64, bool
    assert market._block_bytes < 0.55 * generated


def test_carried_state_and_stored_fields_hold_no_year_of_generated_arrays(
    market: SandboxMarket,
) -> None:
    market.daily_bars("AAPL", *ALL_YEARS, NOW)
    carried = [array for carry in market._carries.values() for array in vars(carry).values()]
    stored = [getattr(b, f).values for b in market._blocks.values() for f in ("open", "traded")]
    for array in carried + stored:
        owner = array if array.base is None else array.base
        assert owner.nbytes <= max(array.nbytes, CHUNK * 8)


@pytest.mark.parametrize(
    ("values", "scale", "narrowed"),
    [
        (np.array([[0.01, 123.45], [99999.99, 7.1]]), 100, True),
        (np.array([[12.3456, 0.0001]]), 10_000, True),
        (np.array([[12.345]]), 100, False),  # not whole cents
        (np.array([[30_000_000.0]]), 100, False),  # too many cents for int32
        (np.array([[5_000_000_000]], dtype=np.int64), 1, False),
        (np.array([[123_456_789]], dtype=np.int64), 1, True),
    ],
)
def test_packed_fields_restore_exactly_and_narrow_only_when_exact(
    values: np.ndarray, scale: int, narrowed: bool
) -> None:
    packed = _Packed(values, scale)
    restored = packed[:, :]
    assert restored.dtype == values.dtype and np.array_equal(restored, values)
    assert (packed.values.dtype == np.int32) is narrowed
