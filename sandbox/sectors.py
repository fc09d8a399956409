"""Sectors of the sandbox market and the SEC SIC codes that go with them.

Each of the eleven GICS-style sectors has its own price factor (see
``prices``) and a few real SIC codes with Polygon's upper-case descriptions,
so that a sector derived back from ``sic_code`` agrees with the sector the
prices were made from.
"""

from __future__ import annotations

import hashlib

SIC_BY_SECTOR: dict[str, tuple[tuple[str, str], ...]] = {
    "Information Technology": (
        ("7372", "SERVICES-PREPACKAGED SOFTWARE"),
        ("3674", "SEMICONDUCTORS & RELATED DEVICES"),
        ("3571", "ELECTRONIC COMPUTERS"),
        ("3576", "COMPUTER COMMUNICATIONS EQUIPMENT"),
        ("7373", "SERVICES-COMPUTER INTEGRATED SYSTEMS DESIGN"),
    ),
    "Health Care": (
        ("2834", "PHARMACEUTICAL PREPARATIONS"),
        ("2836", "BIOLOGICAL PRODUCTS, (NO DIAGNOSTIC SUBSTANCES)"),
        ("3841", "SURGICAL & MEDICAL INSTRUMENTS & APPARATUS"),
        ("8062", "SERVICES-HOSPITALS"),
        ("6324", "HOSPITAL & MEDICAL SERVICE PLANS"),
    ),
    "Financials": (
        ("6021", "NATIONAL COMMERCIAL BANKS"),
        ("6022", "STATE COMMERCIAL BANKS"),
        ("6211", "SECURITY BROKERS, DEALERS & FLOTATION COMPANIES"),
        ("6331", "FIRE, MARINE & CASUALTY INSURANCE"),
        ("6199", "FINANCE SERVICES"),
    ),
    "Consumer Discretionary": (
        ("5961", "RETAIL-CATALOG & MAIL-ORDER HOUSES"),
        ("3711", "MOTOR VEHICLES & PASSENGER CAR BODIES"),
        ("5812", "RETAIL-EATING PLACES"),
        ("5651", "RETAIL-FAMILY CLOTHING STORES"),
        ("7011", "HOTELS & MOTELS"),
    ),
    "Consumer Staples": (
        ("2080", "BEVERAGES"),
        ("2000", "FOOD AND KINDRED PRODUCTS"),
        ("5411", "RETAIL-GROCERY STORES"),
        ("2844", "PERFUMES, COSMETICS & OTHER TOILET PREPARATIONS"),
    ),
    "Industrials": (
        ("3721", "AIRCRAFT"),
        ("3560", "GENERAL INDUSTRIAL MACHINERY & EQUIPMENT"),
        ("4011", "RAILROADS, LINE-HAUL OPERATING"),
        ("3510", "ENGINES & TURBINES"),
        ("4512", "AIR TRANSPORTATION, SCHEDULED"),
    ),
    "Energy": (
        ("2911", "PETROLEUM REFINING"),
        ("1311", "CRUDE PETROLEUM & NATURAL GAS"),
        ("1381", "DRILLING OIL & GAS WELLS"),
        ("4922", "NATURAL GAS TRANSMISSION"),
    ),
    "Materials": (
        ("2800", "CHEMICALS & ALLIED PRODUCTS"),
        ("1000", "METAL MINING"),
        ("3312", "STEEL WORKS, BLAST FURNACES & ROLLING MILLS (COKE OVENS)"),
        ("1040", "GOLD AND SILVER ORES"),
    ),
    "Utilities": (
        ("4911", "ELECTRIC SERVICES"),
        ("4931", "ELECTRIC & OTHER SERVICES COMBINED"),
        ("4941", "WATER SUPPLY"),
        ("4924", "NATURAL GAS DISTRIBUTION"),
    ),
    "Real Estate": (
        ("6798", "REAL ESTATE INVESTMENT TRUSTS"),
        ("6500", "REAL ESTATE"),
    ),
    "Communication Services": (
        ("4813", "TELEPHONE COMMUNICATIONS (NO RADIOTELEPHONE)"),
        ("4841", "CABLE & OTHER PAY TELEVISION SERVICES"),
        ("7812", "SERVICES-MOTION PICTURE & VIDEO TAPE PRODUCTION"),
        ("7370", "SERVICES-COMPUTER PROGRAMMING, DATA PROCESSING, ETC."),
    ),
}

SECTORS: tuple[str, ...] = tuple(SIC_BY_SECTOR)
"""The sector names, in factor order."""

BLANK_CHECK = ("6770", "BLANK CHECKS")
"""SIC of special-purpose acquisition companies, the issuers of most warrants, units, rights."""

# Words in pytickersymbols' industry lists, checked in this order; the first
# hit decides. Specific words come before broad ones ("Real estate" before
# "Financial", "Semiconductors" before "Industrial").
_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("real estate", "Real Estate"),
    ("reit", "Real Estate"),
    ("information technology", "Information Technology"),
    ("semiconductor", "Information Technology"),
    ("software", "Information Technology"),
    ("technology", "Information Technology"),
    ("health", "Health Care"),
    ("pharma", "Health Care"),
    ("biotech", "Health Care"),
    ("medical", "Health Care"),
    ("communication", "Communication Services"),
    ("telecom", "Communication Services"),
    ("media", "Communication Services"),
    ("broadcast", "Communication Services"),
    ("internet", "Communication Services"),
    ("utilit", "Utilities"),
    ("electric util", "Utilities"),
    ("energy", "Energy"),
    ("oil", "Energy"),
    ("petroleum", "Energy"),
    ("fossil", "Energy"),
    ("consumer staples", "Consumer Staples"),
    ("non-cyclical", "Consumer Staples"),
    ("food", "Consumer Staples"),
    ("beverage", "Consumer Staples"),
    ("tobacco", "Consumer Staples"),
    ("consumer discretionary", "Consumer Discretionary"),
    ("cyclical", "Consumer Discretionary"),
    ("retail", "Consumer Discretionary"),
    ("restaurant", "Consumer Discretionary"),
    ("automotive", "Consumer Discretionary"),
    ("hotel", "Consumer Discretionary"),
    ("financ", "Financials"),
    ("bank", "Financials"),
    ("insurance", "Financials"),
    ("invest", "Financials"),
    ("materials", "Materials"),
    ("chemical", "Materials"),
    ("mining", "Materials"),
    ("metal", "Materials"),
    ("packaging", "Materials"),
    ("industrial", "Industrials"),
    ("aerospace", "Industrials"),
    ("transport", "Industrials"),
    ("machinery", "Industrials"),
    ("conglomerate", "Industrials"),
    ("manufactur", "Industrials"),
)

# Finer SIC codes for industry words that name one (checked before the sector's list).
_SIC_KEYWORDS: tuple[tuple[str, tuple[str, str]], ...] = (
    ("semiconductor", ("3674", "SEMICONDUCTORS & RELATED DEVICES")),
    ("software", ("7372", "SERVICES-PREPACKAGED SOFTWARE")),
    ("biotech", ("2836", "BIOLOGICAL PRODUCTS, (NO DIAGNOSTIC SUBSTANCES)")),
    ("pharma", ("2834", "PHARMACEUTICAL PREPARATIONS")),
    ("bank", ("6021", "NATIONAL COMMERCIAL BANKS")),
    ("insurance", ("6331", "FIRE, MARINE & CASUALTY INSURANCE")),
    ("reit", ("6798", "REAL ESTATE INVESTMENT TRUSTS")),
    ("real estate investment", ("6798", "REAL ESTATE INVESTMENT TRUSTS")),
    ("restaurant", ("5812", "RETAIL-EATING PLACES")),
    ("oil", ("1311", "CRUDE PETROLEUM & NATURAL GAS")),
    ("aerospace", ("3721", "AIRCRAFT")),
    ("electric", ("4911", "ELECTRIC SERVICES")),
)


def sector_of(industries: list[str]) -> str | None:
    """The sector named by a pytickersymbols industry list, or ``None`` when none matches."""
    text = [industry.lower() for industry in industries]
    for word, sector in _KEYWORDS:
        if any(word in industry for industry in text):
            return sector
    return None


def sic_for(sector: str, industries: list[str], salt: str) -> tuple[str, str]:
    """A SIC code and description consistent with ``sector`` (finer when an industry names one)."""
    text = " ".join(industries).lower()
    for word, sic in _SIC_KEYWORDS:
        if word in text and sic in SIC_BY_SECTOR[sector]:
            return sic
    options = SIC_BY_SECTOR[sector]
    digest = hashlib.blake2b(salt.encode(), digest_size=4).digest()  # stable in every process
    return options[int.from_bytes(digest, "big") % len(options)]
