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
