"""Constants of the holdings and universe loaders."""

from __future__ import annotations

DATASET = "raw_holdings"
PIPELINE = "holdings"

# A fund's weights, cash and derivatives included, must add up to about 100%.
# Issuers round each weight to 2 decimals, so 1,900 rows can drift by ~1%.
WEIGHT_TOTAL_RANGE = (97.0, 103.0)

# Issuer rows that are not securities a scanner can follow.
NON_EQUITY_ASSET_CLASSES = frozenset(
    {"cash", "money market", "futures", "cash collateral and margins", "fx", "swaps"}
)
# Placeholders issuers print instead of a ticker (unlisted lines, cash).
MISSING_TICKERS = frozenset({"", "-", "--", "N/A"})

# The largest file a load reads. The biggest funds' holdings (~4,000 lines)
# and a Russell 3000 list are well under 1 MB; anything past this is not a
# holdings file and is refused before it is read.
MAX_FILE_BYTES = 16 * 2**20

# What an ETF symbol passed by hand may look like (Polygon's spelling).
ETF_SYMBOL = r"[A-Z][A-Z0-9.\-]{0,9}"
