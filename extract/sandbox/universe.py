"""The listings the sandbox market trades.

Names, exchanges and identifiers are real; the prices the sandbox invents for
them are not. Identifiers we could not vouch for are ``None`` and, like
Polygon does for missing values, are left out of API responses.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Listing:
    """One tradable symbol and the parameters of its synthetic price path.

    Attributes:
        ticker: Exchange symbol, case-sensitive like Polygon's.
        name: Registered name as Polygon spells it.
        type: Polygon ticker type code (``CS`` common stock, ``ETF``, ...).
        primary_exchange: ISO MIC of the primary listing exchange.
        cik: SEC Central Index Key, zero-padded to 10 digits.
        composite_figi: Composite OpenFIGI identifier.
        share_class_figi: Share-class OpenFIGI identifier.
        start_price: Close of the session before the sandbox origin date.
        daily_vol: Standard deviation of the daily log return.
        base_volume: Typical shares traded per session.
    """

    ticker: str
    name: str
    type: str
    primary_exchange: str
    cik: str | None
    composite_figi: str | None
    share_class_figi: str | None
    start_price: float
    daily_vol: float
    base_volume: int


_Row = tuple[str, str, str, str, str | None, str | None, str | None, float, float, int]

# fmt: off
_ROWS: tuple[_Row, ...] = (
    # ticker, name, type, exchange, cik, composite_figi, share_class_figi,
    # start_price, daily_vol, base_volume
    ("AAPL", "Apple Inc.", "CS", "XNAS", "0000320193", "BBG000B9XRY4", "BBG001S5N8V8",
     110.0, 0.016, 60_000_000),
    ("MSFT", "Microsoft Corp", "CS", "XNAS", "0000789019", "BBG000BPH459", "BBG001S5TD05",
     46.0, 0.015, 30_000_000),
    ("NVDA", "NVIDIA Corp", "CS", "XNAS", "0001045810", "BBG000BBJQV0", "BBG001S5TZJ6",
     20.0, 0.028, 45_000_000),
    ("AMZN", "Amazon.com Inc", "CS", "XNAS", "0001018724", "BBG000BVPV84", "BBG001S5PQL7",
     310.0, 0.019, 40_000_000),
    ("GOOGL", "Alphabet Inc. Class A", "CS", "XNAS", "0001652044", "BBG009S39JX6", "BBG009S39JY5",
     530.0, 0.017, 28_000_000),
    ("META", "Meta Platforms Inc. Class A", "CS", "XNAS", "0001326801", "BBG000MM2P62", None,
     78.0, 0.022, 20_000_000),
    ("TSLA", "Tesla Inc", "CS", "XNAS", "0001318605", "BBG000N9MNX3", "BBG001SQKGD7",
     220.0, 0.033, 90_000_000),
    ("JPM", "JPMorgan Chase & Co.", "CS", "XNYS", "0000019617", "BBG000DMBXR2", None,
     62.0, 0.014, 10_000_000),
    ("JNJ", "Johnson & Johnson", "CS", "XNYS", "0000200406", "BBG000BMHYD1", None,
     104.0, 0.010, 7_000_000),
    ("XOM", "Exxon Mobil Corp", "CS", "XNYS", "0000034088", "BBG000GZQ728", None,
     92.0, 0.015, 15_000_000),
    ("SPY", "SPDR S&P 500 ETF Trust", "ETF", "ARCX", "0000884394", "BBG000BDTBL9", "BBG001S72SM3",
     205.0, 0.010, 80_000_000),
    ("QQQ", "Invesco QQQ Trust, Series 1", "ETF", "XNAS", "0001067839", "BBG000BSWKH7", None,
     103.0, 0.012, 40_000_000),
    ("IWM", "iShares Russell 2000 ETF", "ETF", "ARCX", "0001100663", "BBG000CGC9C4", None,
     119.0, 0.013, 30_000_000),
    ("XLK", "Technology Select Sector SPDR Fund", "ETF", "ARCX", "0001064641", None, None,
     41.0, 0.012, 8_000_000),
    ("XLF", "Financial Select Sector SPDR Fund", "ETF", "ARCX", "0001064641", None, None,
     24.5, 0.012, 35_000_000),
)
# fmt: on

DEFAULT_UNIVERSE: tuple[Listing, ...] = tuple(Listing(*row) for row in _ROWS)
"""Ten large US stocks and five ETFs; grow the table (or pass another universe) for more."""
