"""Checks a parsed file must pass before anything from it is written."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from extract.holdings.formats import HoldingsFileError, ParsedFile
from extract.holdings.settings import NON_EQUITY_ASSET_CLASSES, WEIGHT_TOTAL_RANGE

# Polygon tickers: letters (case matters: `ABRpD`), digits, `.` and `-` share classes.
_TICKER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-/]{0,11}$")


@dataclass
class Findings:
    """What validation noticed that does not stop the load."""

    unknown_tickers: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def is_security(asset_class: str | None) -> bool:
    """False for cash, futures, money-market and similar issuer lines."""
    return (asset_class or "equity").strip().lower() not in NON_EQUITY_ASSET_CLASSES


def validate(parsed: ParsedFile, known_symbols: set[str] | None) -> Findings:
    """Raise HoldingsFileError on the first problem; return non-fatal findings.

    `known_symbols` is the warehouse's symbol list (None when it has none yet);
    tickers missing from it are reported, not rejected: a fund may hold names
    the warehouse does not track.
    """
    path = parsed.path
    findings = Findings()
    securities = [row for row in parsed.rows if is_security(row.asset_class)]
    if not securities:
        raise HoldingsFileError(path, None, None, "no security rows (only cash or derivatives)")
    seen: dict[tuple[str, str | None], int] = {}
    spelled: dict[str, tuple[str, int]] = {}  # upper case -> (ticker as written, line)
    for row in parsed.rows:
        if not _TICKER.match(row.ticker):
            raise HoldingsFileError(path, row.line, "ticker", f"not a ticker: {row.ticker!r}")
        other, other_line = spelled.setdefault(row.ticker.upper(), (row.ticker, row.line))
        if other != row.ticker:
            raise HoldingsFileError(
                path,
                row.line,
                "ticker",
                f"{row.ticker!r} differs only in case from {other!r} on line {other_line}",
            )
        for field_name in ("weight_pct", "shares", "market_cap"):
            value = getattr(row, field_name)
            if value is not None and value < 0 and is_security(row.asset_class):
                raise HoldingsFileError(path, row.line, field_name, f"negative: {value}")
        key = (row.ticker, row.name)
        if key in seen:
            raise HoldingsFileError(
                path, row.line, "ticker", f"duplicate of line {seen[key]} ({row.ticker})"
            )
        seen[key] = row.line
    weights = [row.weight_pct for row in parsed.rows]
    if parsed.group_type == "ETF" or any(weight is not None for weight in weights):
        missing = next((row for row in parsed.rows if row.weight_pct is None), None)
        if missing is not None:
            raise HoldingsFileError(path, missing.line, "weight", "missing")
        total = sum(weight for weight in weights if weight is not None)
        low, high = WEIGHT_TOTAL_RANGE
        if not low <= total <= high:
            raise HoldingsFileError(
                path, None, "weight", f"weights add up to {total:.2f}%, not about 100%"
            )
    for line, reason in parsed.skipped:
        findings.warnings.append(f"{path}, line {line}: skipped, {reason}")
    if known_symbols is not None:
        findings.unknown_tickers = sorted(
            {row.ticker for row in securities} - known_symbols - _aliases_known(known_symbols)
        )
    return findings


def _aliases_known(known_symbols: set[str]) -> set[str]:
    """Issuer spellings of known share classes: iShares writes `BRKB` for `BRK.B`."""
    return {symbol.replace(".", "") for symbol in known_symbols if "." in symbol}
