"""The full-size sandbox market: a realistic catalog and prices that move like a market."""

from __future__ import annotations

from collections import Counter
from datetime import date

import numpy as np
import pytest

from sandbox.catalog import REAL_ETFS, full_universe, real_tickers
from sandbox.market import SandboxMarket
from sandbox.sectors import SIC_BY_SECTOR
from sandbox.universe import DEFAULT_UNIVERSE
from tests.support.sandbox_client import NOW

TWO_YEARS = (date(2015, 1, 1), date(2016, 12, 31))
LARGE_CAPS = ["AAPL", "MSFT", "AMZN", "GOOGL", "JPM", "JNJ", "XOM", "META"]


def log_returns(market: SandboxMarket, ticker: str, first: date, last: date) -> np.ndarray:
    closes = np.array([bar.close for bar in market.daily_bars(ticker, first, last, NOW)])
    return np.diff(np.log(closes))


def mean_returns(market: SandboxMarket, tickers: list[str]) -> np.ndarray:
    return np.mean([log_returns(market, t, *TWO_YEARS) for t in tickers], axis=0)


def corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1])


def test_full_size_has_realistic_type_shares(full_market: SandboxMarket) -> None:
    kinds = Counter(listing.type for listing in full_market.listings)
    assert 11_500 <= sum(kinds.values()) <= 12_500
    assert 5_500 <= kinds["CS"] <= 6_500 and 2_500 <= kinds["ETF"] <= 3_500
    assert kinds["PFD"] >= 500 and kinds["WARRANT"] >= 500 and kinds["ADRC"] >= 300
    assert {"ETN", "UNIT", "RIGHT", "FUND", "SP"} <= set(kinds)
    assert len({listing.ticker for listing in full_market.listings}) == sum(kinds.values())


def test_dev_listings_come_first_and_trade_identically_in_both_sizes(
    market: SandboxMarket, full_market: SandboxMarket
) -> None:
    assert full_universe()[: len(DEFAULT_UNIVERSE)] == DEFAULT_UNIVERSE
    assert len(market.listings) == len(DEFAULT_UNIVERSE)
    for ticker in ("AAPL", "SPY", "NVDA"):
        window = (date(2024, 6, 1), date(2024, 6, 30))
        assert full_market.daily_bars(ticker, *window, NOW) == market.daily_bars(
            ticker, *window, NOW
        )
        assert full_market.daily_bars(ticker, *window, NOW, adjusted=False) == (
            market.daily_bars(ticker, *window, NOW, adjusted=False)
        )


def test_index_constituents_and_well_known_etfs_have_real_names(
    full_market: SandboxMarket,
) -> None:
    names = {listing.ticker: listing.name for listing in full_market.listings}
    assert names["MMM"] == "3M" and names["KO"] == "The Coca-Cola Company"
    assert names["XLE"] == "Energy Select Sector SPDR Fund" and names["TLT"].startswith("iShares")
    real = real_tickers()
    assert len(real) > 1_200 and {"MMM", "KO", "GLD", "VTV", "EFA"} <= real
    etfs = [lst for lst in full_market.listings if lst.type == "ETF"]
    themes = Counter(
        name.split()[-2] for name in (lst.name for lst in etfs if lst.ticker not in real)
    )
    assert len(REAL_ETFS) >= 120 and sum(themes.values()) >= 200


def test_stocks_carry_sic_codes_consistent_with_their_sector(full_market: SandboxMarket) -> None:
    stocks = [lst for lst in full_market.listings if lst.type in ("CS", "ADRC")]
    missing = sum(1 for lst in stocks if lst.sic_code is None)
    assert missing / len(stocks) < 0.135
    for listing in stocks:
        if listing.sic_code is not None and listing.sector is not None:
            assert (listing.sic_code, listing.sic_description) in SIC_BY_SECTOR[listing.sector]
    assert all(lst.shares_outstanding and lst.primary_exchange for lst in stocks)


def test_ipos_and_delistings_spread_over_the_sandbox_years(full_market: SandboxMarket) -> None:
    listed_later = [lst for lst in full_market.listings if lst.list_date > date(2015, 1, 2)]
    gone = [lst for lst in full_market.listings if lst.delisted is not None]
    assert len(listed_later) > 1_000 and len(gone) > 500
    assert {lst.list_date.year for lst in listed_later} >= set(range(2015, 2027))
    sessions = full_market.sessions
    assert all(sessions.index_of(lst.list_date) is not None for lst in listed_later)
    assert all(lst.delisted > lst.list_date for lst in gone if lst.delisted)


def test_etfs_track_their_holdings(full_market: SandboxMarket) -> None:
    universe = full_universe()[:256]  # one generated chunk: cheap to compute
    tech = [lst.ticker for lst in universe if lst.type == "CS"
            and lst.sector == "Information Technology"]  # fmt: skip
    banks = [lst.ticker for lst in universe if lst.type == "CS" and lst.sector == "Financials"]
    xlk, xlf = (log_returns(full_market, t, *TWO_YEARS) for t in ("XLK", "XLF"))
    tech_mean, bank_mean = mean_returns(full_market, tech), mean_returns(full_market, banks)
    assert corr(xlk, tech_mean) > 0.85 and corr(xlf, bank_mean) > 0.85
    assert corr(xlk, tech_mean) > corr(xlk, bank_mean) + 0.15
    assert corr(xlf, bank_mean) > corr(xlf, tech_mean) + 0.15


def test_spy_follows_large_caps_and_iwm_small_caps(full_market: SandboxMarket) -> None:
    small = [lst.ticker for lst in full_universe() if lst.size >= 0.8 and lst.type == "CS"
             and lst.list_date < date(2015, 1, 1) and lst.delisted is None][:40]  # fmt: skip
    large, small_mean = mean_returns(full_market, LARGE_CAPS), mean_returns(full_market, small)
    spy, iwm = (log_returns(full_market, t, *TWO_YEARS) for t in ("SPY", "IWM"))
    assert corr(spy, large) > corr(spy, small_mean)
    assert corr(iwm, small_mean) > corr(iwm, large)
    assert corr(spy, large) > 0.75 and corr(iwm, small_mean) > 0.75


def test_returns_have_fat_tails_and_volatility_clusters(market: SandboxMarket) -> None:
    ten_years = (date(2015, 1, 1), date(2025, 12, 31))
    kurtosis, clustering = [], []
    for ticker in ("SPY", *LARGE_CAPS):
        r = log_returns(market, ticker, *ten_years)
        r = r - r.mean()
        kurtosis.append(float((r**4).mean() / r.var() ** 2))
        squared = r**2
        clustering.append(corr(squared[:-1], squared[1:]))
    assert np.median(kurtosis) > 4.0  # a normal law has 3
    assert np.median(clustering) > 0.05 and min(clustering) > 0.0  # i.i.d. returns give ~0


def test_volume_spikes_and_follows_big_moves(market: SandboxMarket) -> None:
    bars = market.daily_bars("MSFT", date(2015, 1, 1), date(2025, 12, 31), NOW)
    volume = np.array([bar.volume for bar in bars], dtype=float)
    moves = np.abs(np.diff(np.log([bar.close for bar in bars])))
    assert volume.max() > 4 * np.median(volume)
    assert corr(np.log(volume[1:]), moves) > 0.2


@pytest.mark.parametrize("size", ["tiny", "FULL"])
def test_unknown_size_is_refused(size: str) -> None:
    with pytest.raises(ValueError, match="sandbox size"):
        SandboxMarket(seed=1, size=size)
