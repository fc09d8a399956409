"""The listings the sandbox market trades.

Names, exchanges and identifiers are real; the prices the sandbox invents for
them are not. Identifiers we could not vouch for are ``None`` and, like
Polygon does for missing values, are left out of API responses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


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
        list_date: First day of trading (may precede the sandbox origin).
        delisted: Last day of trading, or ``None`` while the listing is active.
        sic_code: SEC Standard Industrial Classification code (operating companies only).
        sic_description: Polygon's upper-case SIC description.
        shares_outstanding: Share-class shares outstanding (approximate, constant).
        sector: Sector whose price factor moves the listing (``sectors.SECTORS``), if any.
        beta: Loading on the market factor.
        size: Loading on the size factor (small caps positive, mega caps negative).
        sector_beta: Loading on the sector factor (ETFs: their holdings' average).
        thin: Thinly traded: minutes only when it trades, and some sessions without a bar.
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
    list_date: date = date(2000, 1, 3)
    delisted: date | None = None
    sic_code: str | None = None
    sic_description: str | None = None
    shares_outstanding: int | None = None
    sector: str | None = None
    beta: float = 1.0
    size: float = 0.0
    sector_beta: float = 1.0
    thin: bool = False

    def trades_on(self, session: date) -> bool:
        """Whether the symbol is listed on ``session`` (its list and last trading day included)."""
        return self.list_date <= session and (self.delisted is None or session <= self.delisted)


_Row = tuple[str, str, str, str, str | None, str | None, str | None, float, float, int]

# fmt: off
_ROWS: tuple[_Row, ...] = (
    # ticker, name, type, exchange, cik, composite_figi, share_class_figi,
    # start_price, daily_vol, base_volume
    ("AAPL", "Apple Inc.", "CS", "XNAS", "0000320193", "BBG000B9XRY4", "BBG001S5N8V8",
     110.0, 0.012, 60_000_000),
    ("MSFT", "Microsoft Corp", "CS", "XNAS", "0000789019", "BBG000BPH459", "BBG001S5TD05",
     46.0, 0.011, 30_000_000),
    ("NVDA", "NVIDIA Corp", "CS", "XNAS", "0001045810", "BBG000BBJQV0", "BBG001S5TZJ6",
     20.0, 0.022, 45_000_000),
    ("AMZN", "Amazon.com Inc", "CS", "XNAS", "0001018724", "BBG000BVPV84", "BBG001S5PQL7",
     310.0, 0.015, 40_000_000),
    ("GOOGL", "Alphabet Inc. Class A", "CS", "XNAS", "0001652044", "BBG009S39JX6", "BBG009S39JY5",
     530.0, 0.013, 28_000_000),
    ("META", "Meta Platforms Inc. Class A", "CS", "XNAS", "0001326801", "BBG000MM2P62", None,
     78.0, 0.017, 20_000_000),
    ("TSLA", "Tesla Inc", "CS", "XNAS", "0001318605", "BBG000N9MNX3", "BBG001SQKGD7",
     220.0, 0.027, 90_000_000),
    ("JPM", "JPMorgan Chase & Co.", "CS", "XNYS", "0000019617", "BBG000DMBXR2", None,
     62.0, 0.010, 10_000_000),
    ("JNJ", "Johnson & Johnson", "CS", "XNYS", "0000200406", "BBG000BMHYD1", None,
     104.0, 0.008, 7_000_000),
    ("XOM", "Exxon Mobil Corp", "CS", "XNYS", "0000034088", "BBG000GZQ728", None,
     92.0, 0.011, 15_000_000),
    ("SPY", "SPDR S&P 500 ETF Trust", "ETF", "ARCX", "0000884394", "BBG000BDTBL9", "BBG001S72SM3",
     205.0, 0.0015, 80_000_000),
    ("QQQ", "Invesco QQQ Trust, Series 1", "ETF", "XNAS", "0001067839", "BBG000BSWKH7", None,
     103.0, 0.003, 40_000_000),
    ("IWM", "iShares Russell 2000 ETF", "ETF", "ARCX", "0001100663", "BBG000CGC9C4", None,
     119.0, 0.003, 30_000_000),
    ("XLK", "Technology Select Sector SPDR Fund", "ETF", "ARCX", "0001064641", None, None,
     41.0, 0.003, 8_000_000),
    ("XLF", "Financial Select Sector SPDR Fund", "ETF", "ARCX", "0001064641", None, None,
     24.5, 0.003, 35_000_000),
)
# fmt: on

_Profile = tuple[str, str | None, str | None, int]

# Reference figures: list date, SIC code and description, shares outstanding.
# Real where public and stable, rounded; the shares are a constant approximation.
# fmt: off
_PROFILES: dict[str, _Profile] = {
    "AAPL": ("1980-12-12", "3571", "ELECTRONIC COMPUTERS", 15_204_137_000),
    "MSFT": ("1986-03-13", "7372", "SERVICES-PREPACKAGED SOFTWARE", 7_433_038_000),
    "NVDA": ("1999-01-22", "3674", "SEMICONDUCTORS & RELATED DEVICES", 24_490_000_000),
    "AMZN": ("1997-05-15", "5961", "RETAIL-CATALOG & MAIL-ORDER HOUSES", 10_510_000_000),
    "GOOGL": ("2004-08-19", "7370", "SERVICES-COMPUTER PROGRAMMING, DATA PROCESSING, ETC.",
              5_833_000_000),
    "META": ("2012-05-18", "7370", "SERVICES-COMPUTER PROGRAMMING, DATA PROCESSING, ETC.",
             2_186_000_000),
    "TSLA": ("2010-06-29", "3711", "MOTOR VEHICLES & PASSENGER CAR BODIES", 3_216_000_000),
    "JPM": ("1969-03-05", "6021", "NATIONAL COMMERCIAL BANKS", 2_780_000_000),
    "JNJ": ("1944-09-25", "2834", "PHARMACEUTICAL PREPARATIONS", 2_407_000_000),
    "XOM": ("1920-01-02", "2911", "PETROLEUM REFINING", 4_322_000_000),
    "SPY": ("1993-01-29", None, None, 917_000_000),
    "QQQ": ("1999-03-10", None, None, 383_000_000),
    "IWM": ("2000-05-26", None, None, 301_000_000),
    "XLK": ("1998-12-22", None, None, 267_000_000),
    "XLF": ("1998-12-22", None, None, 1_010_000_000),
}
# fmt: on

# Factor exposures: sector, market beta, size loading, sector loading. The ETFs
# carry the average exposure of what they hold (QQQ: large caps, tech-heavy;
# IWM: small caps), so they track their holdings' common moves.
# fmt: off
_EXPOSURES: dict[str, tuple[str | None, float, float, float]] = {
    "AAPL": ("Information Technology", 1.1, -0.3, 1.0),
    "MSFT": ("Information Technology", 1.0, -0.3, 1.0),
    "NVDA": ("Information Technology", 1.5, -0.2, 1.2),
    "AMZN": ("Consumer Discretionary", 1.2, -0.3, 1.0),
    "GOOGL": ("Communication Services", 1.05, -0.3, 1.0),
    "META": ("Communication Services", 1.25, -0.3, 1.0),
    "TSLA": ("Consumer Discretionary", 1.6, -0.1, 1.0),
    "JPM": ("Financials", 1.05, -0.2, 1.0),
    "JNJ": ("Health Care", 0.6, -0.3, 1.0),
    "XOM": ("Energy", 0.85, -0.2, 1.0),
    "SPY": (None, 1.0, -0.1, 0.0),
    "QQQ": ("Information Technology", 1.1, -0.2, 0.6),
    "IWM": (None, 1.1, 1.0, 0.0),
    "XLK": ("Information Technology", 1.1, -0.2, 1.0),
    "XLF": ("Financials", 1.05, -0.1, 1.0),
}
# fmt: on


def _core_listing(row: _Row) -> Listing:
    list_date, sic_code, sic_description, shares = _PROFILES[row[0]]
    sector, beta, size, sector_beta = _EXPOSURES[row[0]]
    return Listing(
        *row,
        list_date=date.fromisoformat(list_date),
        sic_code=sic_code,
        sic_description=sic_description,
        shares_outstanding=shares,
        sector=sector,
        beta=beta,
        size=size,
        sector_beta=sector_beta,
    )


_CORE = tuple(_core_listing(row) for row in _ROWS)

# Invented listings (names, tickers and figures are fictitious) that give the
# type and ``active`` filters something to find. The two active ones list
# after mid-2025; the three delisted ones stopped trading before 2024.
# fmt: off
_EXTRA: tuple[Listing, ...] = (
    Listing("NWSDY", "Northwind Semiconductor Ltd. ADR", "ADRC", "XNAS", None, None, None,
            18.40, 0.021, 900_000, date(2025, 9, 15), None, "3674",
            "SEMICONDUCTORS & RELATED DEVICES", 412_000_000,
            sector="Information Technology", beta=1.2, size=0.5),
    Listing("SVXN", "Sandbox Capital S&P 500 Volatility ETN", "ETN", "ARCX", None, None, None,
            25.00, 0.010, 400_000, date(2025, 10, 1), beta=-2.5, sector_beta=0.0),
    Listing("CRMC", "Cobalt Ridge Mining Corp", "CS", "XNYS", None, None, None,
            14.20, 0.024, 1_200_000, date(2008, 4, 2), date(2019, 8, 30), "1000",
            "METAL MINING", 96_000_000, sector="Materials", beta=1.2, size=1.0),
    Listing("BWACW", "Brightwater Acquisition Corp Warrant", "WARRANT", "XNAS", None, None,
            None, 1.35, 0.045, 250_000, date(2020, 11, 4), date(2021, 12, 15), beta=0.3),
    Listing("KSFpA", "Keystone Financial Corp 6.25% Series A Preferred", "PFD", "XNYS", None,
            None, None, 25.10, 0.004, 300_000, date(2016, 3, 8), date(2023, 3, 15),
            sector="Financials", beta=0.2, sector_beta=0.2),
)
# fmt: on

DEFAULT_UNIVERSE: tuple[Listing, ...] = (*_CORE, *_EXTRA)
"""Ten large US stocks and five ETFs (the active CS/ETF set), plus five invented
listings of other types, three of them delisted."""
