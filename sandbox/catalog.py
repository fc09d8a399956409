"""The full-size sandbox universe: about 12,000 listings shaped like Polygon's US stocks.

* Real names: the S&P 500, NASDAQ 100, DOW 30 and S&P 600 constituents that
  the pinned ``pytickersymbols`` package ships (with their industries, turned
  into a sector and a consistent SIC code), and about 130 well-known ETFs.
* Invented names beyond them, in realistic shares of CS, ETF, PFD, WARRANT,
  ADRC, UNIT, FUND, ETN, RIGHT and SP, with IPOs, delistings and thinly traded
  ETFs on fixed dates.

Everything here is fixed: it does not depend on the market seed, so one
ticker is the same listing in every market. The dev listings come first, so
their price draws are identical in both sizes.
"""

from __future__ import annotations

import functools
import re
from datetime import date, timedelta

import numpy as np

from sandbox.sectors import BLANK_CHECK, SECTORS, sector_of, sic_for
from sandbox.sessions import xnys_sessions
from sandbox.universe import DEFAULT_UNIVERSE, Listing

CATALOG_SEED = 20_150_102
"""Seed of the invented part of the catalog (not the market seed: listings never change)."""

INDEXES = ("S&P 500", "NASDAQ 100", "DOW JONES", "S&P 600")
SMALL_CAP_INDEX = "S&P 600"

# Target counts per type in the full universe (all listings, active or not).
TYPE_COUNTS: dict[str, int] = {
    "CS": 6000, "ETF": 2800, "PFD": 900, "WARRANT": 800, "ADRC": 450, "UNIT": 300,
    "FUND": 200, "ETN": 150, "RIGHT": 100, "SP": 100,
}  # fmt: skip

FIRST_IPO = date(2015, 2, 2)
LAST_IPO = date(2026, 12, 15)
THIN_SHARE = 0.12
"""Share of invented ETFs that trade thinly (missing minutes and days)."""

_Etf = tuple[str, str, str, str | None, float, float, float, float]
# ticker, name, exchange, sector (None: broad), beta, size loading, 2015 price, volume (millions)
# fmt: off
REAL_ETFS: tuple[_Etf, ...] = (
    # broad market and size
    ("VOO", "Vanguard S&P 500 ETF", "ARCX", None, 1.0, -0.1, 188.0, 2.5),
    ("IVV", "iShares Core S&P 500 ETF", "ARCX", None, 1.0, -0.1, 206.0, 4.0),
    ("VTI", "Vanguard Total Stock Market ETF", "ARCX", None, 1.0, 0.0, 106.0, 3.0),
    ("DIA", "SPDR Dow Jones Industrial Average ETF Trust", "ARCX", None, 0.95, -0.2, 178.0, 3.5),
    ("RSP", "Invesco S&P 500 Equal Weight ETF", "ARCX", None, 1.0, 0.2, 80.0, 1.0),
    ("MDY", "SPDR S&P MidCap 400 ETF Trust", "ARCX", None, 1.05, 0.4, 270.0, 1.2),
    ("IJH", "iShares Core S&P Mid-Cap ETF", "ARCX", None, 1.05, 0.4, 145.0, 1.5),
    ("IJR", "iShares Core S&P Small-Cap ETF", "ARCX", None, 1.1, 0.9, 114.0, 3.0),
    ("VB", "Vanguard Small-Cap ETF", "ARCX", None, 1.1, 0.8, 116.0, 0.8),
    ("SCHB", "Schwab U.S. Broad Market ETF", "ARCX", None, 1.0, 0.0, 48.0, 0.9),
    ("ITOT", "iShares Core S&P Total U.S. Stock Market ETF", "ARCX", None, 1.0, 0.0, 90.0, 1.0),
    ("VXF", "Vanguard Extended Market ETF", "ARCX", None, 1.1, 0.6, 88.0, 0.4),
    ("OEF", "iShares S&P 100 ETF", "ARCX", None, 0.98, -0.3, 91.0, 0.4),
    ("SPLG", "SPDR Portfolio S&P 500 ETF", "ARCX", None, 1.0, -0.1, 24.0, 5.0),
    # growth
    ("VUG", "Vanguard Growth ETF", "ARCX", "Information Technology", 1.05, -0.2, 104.0, 1.0),
    ("IWF", "iShares Russell 1000 Growth ETF", "ARCX", "Information Technology", 1.05, -0.2,
     99.0, 1.5),
    ("SCHG", "Schwab U.S. Large-Cap Growth ETF", "ARCX", "Information Technology", 1.05, -0.2,
     49.0, 1.5),
    ("MGK", "Vanguard Mega Cap Growth ETF", "ARCX", "Information Technology", 1.05, -0.3,
     77.0, 0.4),
    ("IWO", "iShares Russell 2000 Growth ETF", "ARCX", "Information Technology", 1.2, 1.0,
     140.0, 0.5),
    ("VBK", "Vanguard Small-Cap Growth ETF", "ARCX", "Information Technology", 1.2, 0.9,
     126.0, 0.3),
    ("SPYG", "SPDR Portfolio S&P 500 Growth ETF", "ARCX", "Information Technology", 1.05, -0.2,
     23.0, 2.0),
    # value
    ("VTV", "Vanguard Value ETF", "ARCX", "Financials", 0.9, -0.1, 84.0, 2.5),
    ("IWD", "iShares Russell 1000 Value ETF", "ARCX", "Financials", 0.9, -0.1, 104.0, 2.0),
    ("SCHV", "Schwab U.S. Large-Cap Value ETF", "ARCX", "Financials", 0.9, -0.1, 42.0, 0.9),
    ("IWN", "iShares Russell 2000 Value ETF", "ARCX", "Financials", 1.1, 1.0, 100.0, 1.2),
    ("VBR", "Vanguard Small-Cap Value ETF", "ARCX", "Financials", 1.1, 0.8, 105.0, 0.5),
    ("SPYV", "SPDR Portfolio S&P 500 Value ETF", "ARCX", "Financials", 0.9, -0.1, 17.0, 2.5),
    ("VYM", "Vanguard High Dividend Yield ETF", "ARCX", "Financials", 0.85, -0.1, 68.0, 1.0),
    ("SCHD", "Schwab U.S. Dividend Equity ETF", "ARCX", "Consumer Staples", 0.85, -0.1,
     13.0, 10.0),
    ("DVY", "iShares Select Dividend ETF", "XNAS", "Utilities", 0.8, 0.0, 75.0, 0.6),
    ("NOBL", "ProShares S&P 500 Dividend Aristocrats ETF", "BATS", "Consumer Staples", 0.85,
     -0.1, 50.0, 0.5),
    ("USMV", "iShares MSCI USA Min Vol Factor ETF", "BATS", "Utilities", 0.7, -0.1, 40.0, 1.5),
    # sectors
    ("XLE", "Energy Select Sector SPDR Fund", "ARCX", "Energy", 1.0, -0.1, 79.0, 15.0),
    ("XLV", "Health Care Select Sector SPDR Fund", "ARCX", "Health Care", 0.85, -0.1, 69.0, 8.0),
    ("XLI", "Industrial Select Sector SPDR Fund", "ARCX", "Industrials", 1.05, -0.1, 56.0, 9.0),
    ("XLY", "Consumer Discretionary Select Sector SPDR Fund", "ARCX", "Consumer Discretionary",
     1.05, -0.1, 72.0, 4.0),
    ("XLP", "Consumer Staples Select Sector SPDR Fund", "ARCX", "Consumer Staples", 0.65, -0.1,
     48.0, 9.0),
    ("XLU", "Utilities Select Sector SPDR Fund", "ARCX", "Utilities", 0.55, -0.1, 47.0, 11.0),
    ("XLB", "Materials Select Sector SPDR Fund", "ARCX", "Materials", 1.05, -0.1, 48.0, 5.0),
    ("XLRE", "Real Estate Select Sector SPDR Fund", "ARCX", "Real Estate", 0.85, -0.1,
     31.0, 5.0),
    ("XLC", "Communication Services Select Sector SPDR Fund", "ARCX", "Communication Services",
     1.0, -0.1, 50.0, 4.0),
    ("VGT", "Vanguard Information Technology ETF", "ARCX", "Information Technology", 1.1, -0.2,
     104.0, 0.5),
    ("VHT", "Vanguard Health Care ETF", "ARCX", "Health Care", 0.85, 0.0, 124.0, 0.2),
    ("VFH", "Vanguard Financials ETF", "ARCX", "Financials", 1.1, 0.0, 50.0, 0.6),
    ("VDE", "Vanguard Energy ETF", "ARCX", "Energy", 1.05, 0.0, 110.0, 0.4),
    ("VNQ", "Vanguard Real Estate ETF", "ARCX", "Real Estate", 0.85, 0.1, 81.0, 4.0),
    ("IYR", "iShares U.S. Real Estate ETF", "ARCX", "Real Estate", 0.85, 0.0, 75.0, 6.0),
    ("KRE", "SPDR S&P Regional Banking ETF", "ARCX", "Financials", 1.2, 0.8, 40.0, 10.0),
    ("KBE", "SPDR S&P Bank ETF", "ARCX", "Financials", 1.15, 0.5, 33.0, 2.0),
    ("XBI", "SPDR S&P Biotech ETF", "ARCX", "Health Care", 1.3, 0.9, 190.0, 8.0),
    ("IBB", "iShares Biotechnology ETF", "XNAS", "Health Care", 1.1, 0.3, 300.0, 1.5),
    ("XOP", "SPDR S&P Oil & Gas Exploration & Production ETF", "ARCX", "Energy", 1.4, 0.6,
     50.0, 6.0),
    ("OIH", "VanEck Oil Services ETF", "ARCX", "Energy", 1.5, 0.4, 35.0, 1.5),
    ("ITB", "iShares U.S. Home Construction ETF", "BATS", "Consumer Discretionary", 1.3, 0.4,
     26.0, 2.0),
    ("XHB", "SPDR S&P Homebuilders ETF", "ARCX", "Consumer Discretionary", 1.2, 0.4, 34.0, 2.0),
    ("XRT", "SPDR S&P Retail ETF", "ARCX", "Consumer Discretionary", 1.2, 0.7, 95.0, 4.0),
    ("ITA", "iShares U.S. Aerospace & Defense ETF", "BATS", "Industrials", 1.0, 0.1, 115.0, 0.4),
    ("JETS", "U.S. Global Jets ETF", "ARCX", "Industrials", 1.4, 0.3, 25.0, 3.0),
    ("IYT", "iShares U.S. Transportation ETF", "BATS", "Industrials", 1.15, 0.2, 160.0, 0.3),
    ("XME", "SPDR S&P Metals & Mining ETF", "ARCX", "Materials", 1.4, 0.6, 28.0, 3.0),
    # technology and themes
    ("SMH", "VanEck Semiconductor ETF", "XNAS", "Information Technology", 1.35, -0.1, 52.0, 6.0),
    ("SOXX", "iShares Semiconductor ETF", "XNAS", "Information Technology", 1.35, -0.1,
     85.0, 2.5),
    ("IGV", "iShares Expanded Tech-Software Sector ETF", "BATS", "Information Technology", 1.2,
     0.0, 90.0, 2.0),
    ("XSD", "SPDR S&P Semiconductor ETF", "ARCX", "Information Technology", 1.4, 0.6, 38.0, 0.2),
    ("SKYY", "First Trust Cloud Computing ETF", "XNAS", "Information Technology", 1.25, 0.3,
     30.0, 0.2),
    ("HACK", "Amplify Cybersecurity ETF", "ARCX", "Information Technology", 1.2, 0.3, 27.0, 0.1),
    ("CIBR", "First Trust NASDAQ Cybersecurity ETF", "XNAS", "Information Technology", 1.2, 0.2,
     28.0, 0.6),
    ("ARKK", "ARK Innovation ETF", "ARCX", "Information Technology", 1.6, 0.8, 19.0, 10.0),
    ("ARKG", "ARK Genomic Revolution ETF", "BATS", "Health Care", 1.6, 1.0, 19.0, 2.0),
    ("BOTZ", "Global X Robotics & Artificial Intelligence ETF", "XNAS",
     "Information Technology", 1.3, 0.2, 15.0, 0.8),
    ("TAN", "Invesco Solar ETF", "ARCX", "Energy", 1.6, 0.9, 40.0, 1.5),
    ("ICLN", "iShares Global Clean Energy ETF", "XNAS", "Utilities", 1.3, 0.6, 10.0, 3.0),
    ("LIT", "Global X Lithium & Battery Tech ETF", "ARCX", "Materials", 1.4, 0.5, 12.0, 0.5),
    ("FDN", "First Trust Dow Jones Internet Index Fund", "ARCX", "Communication Services", 1.2,
     0.1, 63.0, 0.4),
    ("VOX", "Vanguard Communication Services ETF", "ARCX", "Communication Services", 1.0, 0.0,
     85.0, 0.1),
    ("QQQM", "Invesco NASDAQ 100 ETF", "XNAS", "Information Technology", 1.1, -0.2, 100.0, 2.5),
    ("TQQQ", "ProShares UltraPro QQQ", "XNAS", "Information Technology", 3.3, -0.6, 8.0, 60.0),
    ("SQQQ", "ProShares UltraPro Short QQQ", "XNAS", "Information Technology", -3.3, 0.6,
     3000.0, 80.0),
    ("SSO", "ProShares Ultra S&P500", "ARCX", None, 2.0, -0.2, 31.0, 3.0),
    ("SH", "ProShares Short S&P500", "ARCX", None, -1.0, 0.1, 22.0, 6.0),
    # international
    ("EFA", "iShares MSCI EAFE ETF", "ARCX", None, 0.8, 0.0, 61.0, 20.0),
    ("VEA", "Vanguard FTSE Developed Markets ETF", "ARCX", None, 0.8, 0.0, 38.0, 10.0),
    ("IEFA", "iShares Core MSCI EAFE ETF", "BATS", None, 0.8, 0.0, 55.0, 8.0),
    ("EEM", "iShares MSCI Emerging Markets ETF", "ARCX", None, 0.9, 0.2, 39.0, 30.0),
    ("VWO", "Vanguard FTSE Emerging Markets ETF", "ARCX", None, 0.9, 0.2, 40.0, 9.0),
    ("IEMG", "iShares Core MSCI Emerging Markets ETF", "ARCX", None, 0.9, 0.2, 47.0, 9.0),
    ("VXUS", "Vanguard Total International Stock ETF", "XNAS", None, 0.8, 0.1, 50.0, 3.5),
    ("ACWI", "iShares MSCI ACWI ETF", "XNAS", None, 0.9, 0.0, 58.0, 2.5),
    ("VEU", "Vanguard FTSE All-World ex-US ETF", "ARCX", None, 0.8, 0.1, 47.0, 2.0),
    ("EWJ", "iShares MSCI Japan ETF", "ARCX", None, 0.7, 0.0, 45.0, 6.0),
    ("EWZ", "iShares MSCI Brazil ETF", "ARCX", "Materials", 1.1, 0.4, 36.0, 25.0),
    ("FXI", "iShares China Large-Cap ETF", "ARCX", None, 0.8, 0.1, 42.0, 25.0),
    ("MCHI", "iShares MSCI China ETF", "XNAS", None, 0.8, 0.1, 50.0, 5.0),
    ("INDA", "iShares MSCI India ETF", "BATS", None, 0.7, 0.2, 29.0, 4.0),
    ("EWG", "iShares MSCI Germany ETF", "ARCX", "Industrials", 0.85, 0.0, 27.0, 3.0),
    ("EWU", "iShares MSCI United Kingdom ETF", "ARCX", "Financials", 0.75, 0.0, 18.0, 2.0),
    ("EWC", "iShares MSCI Canada ETF", "ARCX", "Energy", 0.85, 0.0, 29.0, 2.0),
    ("EWT", "iShares MSCI Taiwan ETF", "ARCX", "Information Technology", 0.9, 0.0, 15.5, 4.0),
    ("EWY", "iShares MSCI South Korea ETF", "ARCX", "Information Technology", 0.9, 0.1, 55.0,
     4.0),
    ("EWA", "iShares MSCI Australia ETF", "ARCX", "Materials", 0.8, 0.0, 22.0, 2.0),
    ("VGK", "Vanguard FTSE Europe ETF", "ARCX", None, 0.8, 0.0, 53.0, 4.0),
    # commodities
    ("GLD", "SPDR Gold Shares", "ARCX", None, 0.05, 0.0, 114.0, 8.0),
    ("IAU", "iShares Gold Trust", "ARCX", None, 0.05, 0.0, 11.5, 8.0),
    ("SLV", "iShares Silver Trust", "ARCX", "Materials", 0.2, 0.0, 15.5, 20.0),
    ("GDX", "VanEck Gold Miners ETF", "ARCX", "Materials", 0.5, 0.3, 18.5, 40.0),
    ("GDXJ", "VanEck Junior Gold Miners ETF", "ARCX", "Materials", 0.6, 0.8, 25.0, 10.0),
    ("USO", "United States Oil Fund LP", "ARCX", "Energy", 0.6, 0.0, 160.0, 5.0),
    ("UNG", "United States Natural Gas Fund LP", "ARCX", "Energy", 0.3, 0.0, 60.0, 8.0),
    ("DBC", "Invesco DB Commodity Index Tracking Fund", "ARCX", "Energy", 0.4, 0.0, 18.0, 2.0),
    ("PDBC", "Invesco Optimum Yield Diversified Commodity Strategy No K-1 ETF", "XNAS",
     "Energy", 0.4, 0.0, 17.0, 4.0),
    ("DBA", "Invesco DB Agriculture Fund", "ARCX", "Consumer Staples", 0.2, 0.0, 25.0, 1.0),
    ("CPER", "United States Copper Index Fund", "ARCX", "Materials", 0.5, 0.0, 20.0, 0.2),
    # bonds
    ("TLT", "iShares 20+ Year Treasury Bond ETF", "XNAS", None, -0.3, 0.0, 126.0, 20.0),
    ("IEF", "iShares 7-10 Year Treasury Bond ETF", "XNAS", None, -0.15, 0.0, 105.0, 7.0),
    ("SHY", "iShares 1-3 Year Treasury Bond ETF", "XNAS", None, -0.02, 0.0, 84.0, 3.0),
    ("AGG", "iShares Core U.S. Aggregate Bond ETF", "ARCX", None, -0.05, 0.0, 110.0, 7.0),
    ("BND", "Vanguard Total Bond Market ETF", "XNAS", None, -0.05, 0.0, 83.0, 6.0),
    ("LQD", "iShares iBoxx $ Investment Grade Corporate Bond ETF", "ARCX", None, 0.1, 0.0,
     120.0, 15.0),
    ("HYG", "iShares iBoxx $ High Yield Corporate Bond ETF", "ARCX", None, 0.3, 0.1, 90.0,
     20.0),
    ("JNK", "SPDR Bloomberg High Yield Bond ETF", "ARCX", None, 0.3, 0.1, 39.0, 6.0),
    ("TIP", "iShares TIPS Bond ETF", "ARCX", None, -0.05, 0.0, 112.0, 2.0),
    ("MUB", "iShares National Muni Bond ETF", "ARCX", None, 0.0, 0.0, 108.0, 3.0),
    ("BNDX", "Vanguard Total International Bond ETF", "XNAS", None, -0.03, 0.0, 53.0, 3.0),
    ("EMB", "iShares J.P. Morgan USD Emerging Markets Bond ETF", "XNAS", None, 0.25, 0.0,
     110.0, 5.0),
    ("BIL", "SPDR Bloomberg 1-3 Month T-Bill ETF", "ARCX", None, 0.0, 0.0, 45.7, 6.0),
    ("SGOV", "iShares 0-3 Month Treasury Bond ETF", "ARCX", None, 0.0, 0.0, 100.0, 5.0),
    ("VCIT", "Vanguard Intermediate-Term Corporate Bond ETF", "XNAS", None, 0.1, 0.0, 86.0,
     6.0),
    ("VGSH", "Vanguard Short-Term Treasury ETF", "XNAS", None, -0.02, 0.0, 61.0, 2.0),
    ("GOVT", "iShares U.S. Treasury Bond ETF", "BATS", None, -0.1, 0.0, 25.0, 5.0),
)
# fmt: on

_THEMES: tuple[tuple[str, str | None, float, float, float], ...] = (
    # theme words, sector, beta, size loading, idiosyncratic vol (tracking noise)
    *((sector, sector, 1.0, 0.0, 0.004) for sector in SECTORS),
    ("Large Cap Growth", "Information Technology", 1.05, -0.2, 0.003),
    ("Small Cap Growth", "Information Technology", 1.2, 0.9, 0.005),
    ("Large Cap Value", "Financials", 0.9, -0.1, 0.003),
    ("Small Cap Value", "Financials", 1.1, 0.9, 0.005),
    ("Total Market", None, 1.0, 0.0, 0.002),
    ("Mid Cap", None, 1.05, 0.4, 0.003),
    ("Developed Markets", None, 0.8, 0.0, 0.005),
    ("Emerging Markets", None, 0.9, 0.2, 0.007),
    ("Gold Miners", "Materials", 0.5, 0.3, 0.012),
    ("Commodity Strategy", "Energy", 0.4, 0.0, 0.008),
    ("Treasury Bond", None, -0.2, 0.0, 0.004),
    ("Corporate Bond", None, 0.1, 0.0, 0.003),
    ("Municipal Bond", None, 0.0, 0.0, 0.002),
    ("Dividend Growth", "Consumer Staples", 0.85, -0.1, 0.003),
    ("Clean Energy", "Utilities", 1.3, 0.6, 0.010),
    ("Cybersecurity", "Information Technology", 1.2, 0.3, 0.007),
    ("Artificial Intelligence", "Information Technology", 1.3, 0.2, 0.008),
)
_ISSUERS = (
    "Harborview", "Summit Peak", "Bluewater", "Northgate", "Ironbridge", "Cedar Point",
    "Lakeshore", "Granite Trail", "Silver Maple", "Redwood Row",
)  # fmt: skip
_ADJECTIVES = (
    "Apex", "Blue", "Bright", "Cedar", "Clear", "Coastal", "Copper", "Crescent", "Eagle",
    "Falcon", "First", "Frontier", "Golden", "Granite", "Great", "Harbor", "Highland", "Iron",
    "Keystone", "Liberty", "Lone", "Maple", "Meridian", "North", "Oak", "Pacific", "Pine",
    "Pioneer", "Prairie", "Quantum", "Red", "River", "Sandstone", "Silver", "Sterling",
    "Stone", "Summit", "Sun", "Titan", "Union", "Valley", "Vertex", "West", "Willow",
)  # fmt: skip
_NOUNS = (
    "Analytics", "Bancorp", "Biosciences", "Brands", "Capital", "Communications", "Dynamics",
    "Energy", "Foods", "Health", "Industries", "Logistics", "Materials", "Medical", "Minerals",
    "Networks", "Pharmaceuticals", "Power", "Properties", "Realty", "Resources", "Robotics",
    "Semiconductor", "Software", "Systems", "Technologies", "Therapeutics", "Utilities",
)  # fmt: skip
_NOUN_SECTOR = {
    "Analytics": "Information Technology", "Bancorp": "Financials", "Biosciences": "Health Care",
    "Brands": "Consumer Discretionary", "Capital": "Financials",
    "Communications": "Communication Services", "Dynamics": "Industrials", "Energy": "Energy",
    "Foods": "Consumer Staples", "Health": "Health Care", "Industries": "Industrials",
    "Logistics": "Industrials", "Materials": "Materials", "Medical": "Health Care",
    "Minerals": "Materials", "Networks": "Communication Services",
    "Pharmaceuticals": "Health Care", "Power": "Utilities", "Properties": "Real Estate",
    "Realty": "Real Estate", "Resources": "Energy", "Robotics": "Industrials",
    "Semiconductor": "Information Technology", "Software": "Information Technology",
    "Systems": "Information Technology", "Technologies": "Information Technology",
    "Therapeutics": "Health Care", "Utilities": "Utilities",
}  # fmt: skip
_SUFFIXES = ("Inc.", "Corp", "Holdings Inc.", "Group Inc.", "Co.", "Ltd.")
_COUNTRIES = ("Japan", "United Kingdom", "Germany", "Brazil", "India", "China", "Netherlands")
_EXCHANGES = ("XNAS", "XNYS", "XNAS", "XNAS", "XASE")

_TICKER = re.compile(r"[A-Z]+(\.[A-Z])?")


def full_universe() -> tuple[Listing, ...]:
    """The full-size universe: the dev listings first, then real and invented ones."""
    return _catalog()[0]


def real_tickers() -> frozenset[str]:
    """Tickers of the real names in the catalog (index constituents, well-known ETFs)."""
    return _catalog()[1]


@functools.cache
def _catalog() -> tuple[tuple[Listing, ...], frozenset[str]]:
    taken = {listing.ticker for listing in DEFAULT_UNIVERSE}
    listings = list(DEFAULT_UNIVERSE)
    rng = np.random.default_rng(CATALOG_SEED)
    listings += _index_constituents(taken, rng)
    listings += _real_etfs(taken)
    real = frozenset(listing.ticker for listing in listings)
    names = _Names(rng, taken)
    common = _invented_common(names, rng, TYPE_COUNTS["CS"] - _count(listings, "CS"))
    listings += common
    listings += _invented_etfs(names, rng, TYPE_COUNTS["ETF"] - _count(listings, "ETF"))
    listings += _derived(names, rng, common, listings)
    return tuple(listings), real


def _count(listings: list[Listing], kind: str) -> int:
    return sum(1 for listing in listings if listing.type == kind)


def _index_constituents(taken: set[str], rng: np.random.Generator) -> list[Listing]:
    """Real names of the index members pytickersymbols ships, with sector and SIC code."""
    from pytickersymbols import PyTickerSymbols

    symbols = PyTickerSymbols()
    out = []
    for index in INDEXES:
        small = index == SMALL_CAP_INDEX
        for stock in symbols.get_stocks_by_index(index):
            ticker = stock.get("symbol") or ""
            if ticker in taken or not _TICKER.fullmatch(ticker):
                continue
            taken.add(ticker)
            industries = list(stock.get("industries") or [])
            sector = sector_of(industries)
            sic = sic_for(sector, industries, ticker) if sector else (None, None)
            google = [s.get("google", "") for s in stock.get("symbols", [])]
            nasdaq = index == "NASDAQ 100" or any(g.startswith("NASDAQ:") for g in google)
            price = float(np.exp(rng.normal(3.4 if small else 4.1, 0.6)))
            cap = float(np.exp(rng.normal(21.3 if small else 24.2, 0.9)))
            out.append(
                Listing(
                    ticker, stock["name"], "CS", "XNAS" if nasdaq else "XNYS", None, None, None,
                    round(price, 2), float(rng.uniform(0.018, 0.03) if small
                                            else rng.uniform(0.011, 0.02)),
                    int(cap / price * rng.uniform(0.004, 0.012)),
                    _old_list_date(rng), None, sic[0], sic[1], int(cap / price),
                    sector=sector, beta=round(float(rng.uniform(0.7, 1.35)), 2),
                    size=0.8 if small else -0.2,
                )
            )  # fmt: skip
    return out


def _real_etfs(taken: set[str]) -> list[Listing]:
    out = []
    for ticker, name, exchange, sector, beta, size, price, volume in REAL_ETFS:
        taken.add(ticker)
        out.append(
            Listing(
                ticker, name, "ETF", exchange, None, None, None, price, 0.003,
                int(volume * 1_000_000), date(2010, 1, 4), None, None, None,
                int(volume * 4_000_000), sector=sector, beta=beta, size=size,
                sector_beta=1.0 if sector else 0.0,
            )
        )  # fmt: skip
    return out


class _Names:
    """Invented, unique company names and tickers."""

    def __init__(self, rng: np.random.Generator, taken: set[str]) -> None:
        self._rng = rng
        self._taken = taken
        self._names: set[str] = set()

    def ticker(self, length: int, suffix: str = "") -> str:
        while True:
            letters = self._rng.integers(0, 26, length)
            ticker = "".join(chr(65 + int(i)) for i in letters) + suffix
            if ticker not in self._taken:
                self._taken.add(ticker)
                return ticker

    def company(self) -> tuple[str, str]:
        """A fresh ``(stem, noun)`` such as ``("Granite Harbor Robotics", "Robotics")``."""
        while True:
            first, second = self._rng.choice(_ADJECTIVES, 2, replace=False)
            noun = str(self._rng.choice(_NOUNS))
            stem = f"{first} {second} {noun}"
            if stem not in self._names:
                self._names.add(stem)
                return stem, noun


def _old_list_date(rng: np.random.Generator) -> date:
    return _weekday(date(1980, 1, 2) + timedelta(days=int(rng.integers(0, 12_500))))


def _ipo_date(rng: np.random.Generator) -> date:
    """A session between ``FIRST_IPO`` and ``LAST_IPO``: IPOs happen on trading days."""
    return _session(FIRST_IPO + timedelta(days=int(rng.integers(0, (LAST_IPO - FIRST_IPO).days))))


def _session(day: date) -> date:
    """The first XNYS session on or after ``day``."""
    days = xnys_sessions().days
    return days[int(np.searchsorted(days, np.datetime64(day, "D")))].astype(object)


def _weekday(day: date) -> date:
    return day + timedelta(days=7 - day.weekday() if day.weekday() >= 5 else 0)


def _delisting(rng: np.random.Generator, listed: date, share: float) -> date | None:
    """A last trading day at least a year after listing, for ``share`` of listings."""
    if rng.random() >= share:
        return None
    first = max(listed, date(2015, 6, 1)) + timedelta(days=365)
    if first >= date(2026, 10, 1):
        return None
    return _session(first + timedelta(days=int(rng.integers(0, (date(2026, 10, 1) - first).days))))


def _invented_common(names: _Names, rng: np.random.Generator, count: int) -> list[Listing]:
    """Small and micro caps; a quarter of them list after the sandbox origin (IPOs)."""
    out = []
    for _ in range(count):
        stem, noun = names.company()
        sector = _NOUN_SECTOR[noun]
        ticker = names.ticker(int(rng.choice((3, 4, 4))))
        listed = _ipo_date(rng) if rng.random() < 0.25 else _old_list_date(rng)
        price = float(np.exp(rng.normal(2.6, 0.9)))
        cap = float(np.exp(rng.normal(19.5, 1.3)))
        sic = sic_for(sector, [noun], ticker) if rng.random() > 0.05 else (None, None)
        out.append(
            Listing(
                ticker, f"{stem} {rng.choice(_SUFFIXES)}", "CS", str(rng.choice(_EXCHANGES)),
                None, None, None, round(price, 2), float(rng.uniform(0.022, 0.045)),
                int(cap / price * rng.uniform(0.002, 0.01)) + 1_000, listed,
                _delisting(rng, listed, 0.08), sic[0], sic[1], int(cap / price),
                sector=sector, beta=round(float(rng.uniform(0.6, 1.6)), 2), size=1.0,
            )
        )  # fmt: skip
    return out


def _invented_etfs(names: _Names, rng: np.random.Generator, count: int) -> list[Listing]:
    """Theme ETFs: exposures of their theme, a few thinly traded, some launched recently."""
    out = []
    for index in range(count):
        words, sector, beta, size, noise = _THEMES[index % len(_THEMES)]
        issuer = _ISSUERS[(index // len(_THEMES)) % len(_ISSUERS)]
        series = index // (len(_THEMES) * len(_ISSUERS))
        label = f" {('', 'Enhanced', 'Equal Weight', 'Quality', 'Momentum', 'ESG')[series % 6]}"
        name = f"{issuer}{label.rstrip()} {words} ETF".replace("  ", " ")
        if series >= 6:
            name = name.replace(" ETF", f" Fund {series // 6 + 1} ETF")
        thin = rng.random() < THIN_SHARE
        listed = (
            _ipo_date(rng)
            if rng.random() < 0.3
            else _weekday(_old_list_date(rng).replace(year=2012))
        )
        volume = int(rng.uniform(800, 6_000)) if thin else int(np.exp(rng.normal(11.5, 1.2)))
        out.append(
            Listing(
                names.ticker(4), name, "ETF", str(rng.choice(("ARCX", "XNAS", "BATS"))), None,
                None, None, round(float(rng.uniform(15, 80)), 2), noise, volume, listed,
                _delisting(rng, listed, 0.05), None, None, volume * 40, sector=sector,
                beta=beta, size=size, sector_beta=1.0 if sector else 0.0, thin=thin,
            )
        )  # fmt: skip
    return out


def _derived(
    names: _Names, rng: np.random.Generator, common: list[Listing], listings: list[Listing]
) -> list[Listing]:
    """Preferreds, warrants, units, rights, ADRs, funds, ETNs and structured products."""
    out = []
    issuers = [lst for lst in common if lst.sic_code]
    for kind in ("PFD", "WARRANT", "UNIT", "RIGHT", "ADRC", "FUND", "ETN", "SP"):
        for _ in range(TYPE_COUNTS[kind] - _count(listings, kind)):
            out.append(_derived_one(kind, names, rng, issuers))
    return out


def _derived_one(
    kind: str, names: _Names, rng: np.random.Generator, issuers: list[Listing]
) -> Listing:
    issuer = issuers[int(rng.integers(0, len(issuers)))]
    base = issuer.name.rsplit(" ", 1)[0]
    sector, beta = issuer.sector, issuer.beta
    sic: tuple[str | None, str | None] = (issuer.sic_code, issuer.sic_description)
    listed = _ipo_date(rng) if rng.random() < 0.3 else _old_list_date(rng)
    price, vol, volume, share_gone = 25.0, 0.006, 60_000, 0.1
    if kind == "PFD":
        series = "ABCDE"[int(rng.integers(0, 5))]
        ticker = f"{names.ticker(3)}p{series}"
        rate = f"{rng.uniform(4.5, 8.5):.3f}".rstrip("0")
        name = f"{base} {rate}% Series {series} Preferred"
        beta = 0.25
    elif kind in ("WARRANT", "UNIT", "RIGHT"):
        # SPAC era: listed 2019-2022, most gone within three years (merged or liquidated).
        listed = _session(date(2019, 1, 2) + timedelta(days=int(rng.integers(0, 1400))))
        stem, _ = names.company()
        suffix = {"WARRANT": "W", "UNIT": "U", "RIGHT": "R"}[kind]
        ticker = names.ticker(4, suffix)
        noun = {"WARRANT": "Warrant", "UNIT": "Unit", "RIGHT": "Right"}[kind]
        name = f"{stem.rsplit(' ', 1)[0]} Acquisition Corp {noun}"
        price = {"WARRANT": 1.2, "UNIT": 10.1, "RIGHT": 0.3}[kind]
        vol, volume, share_gone = (0.05, 150_000, 0.7) if kind != "UNIT" else (0.004, 20_000, 0.7)
        sic, sector, beta = BLANK_CHECK, None, 0.2
    elif kind == "ADRC":
        stem, noun = names.company()
        ticker = names.ticker(4, "Y")
        name = f"{stem} Ltd. ADR ({rng.choice(_COUNTRIES)})"
        sector = _NOUN_SECTOR[noun]
        sic = sic_for(sector, [noun], ticker)
        price, vol, volume, share_gone = float(rng.uniform(5, 60)), 0.02, 400_000, 0.04
        beta = 0.8
    else:  # FUND, ETN, SP
        ticker = names.ticker(4)
        words = _THEMES[int(rng.integers(0, len(_THEMES)))][0]
        name = {
            "FUND": f"{rng.choice(_ISSUERS)} {words} Closed-End Fund",
            "ETN": f"{rng.choice(_ISSUERS)} {words} Index ETN",
            "SP": f"{rng.choice(_ISSUERS)} Structured {words} Notes",
        }[kind]
        sic, sector, beta, vol = (None, None), None, 0.9, 0.008
        price = float(rng.uniform(8, 40))
    return Listing(
        ticker, name, kind, str(rng.choice(_EXCHANGES[:2])), None, None, None, round(price, 2),
        vol, volume, listed, _delisting(rng, listed, share_gone), sic[0], sic[1],
        volume * 50, sector=sector, beta=beta, size=0.5,
        sector_beta=1.0 if sector else 0.0,
    )  # fmt: skip
