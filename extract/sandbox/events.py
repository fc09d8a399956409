"""A flat, command-friendly listing of the sandbox market's corporate events."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from extract.sandbox.actions import SPLITS, TICKER_HISTORY, dividends
from extract.sandbox.market import SandboxMarket


def list_events(
    market: SandboxMarket, first: date | None = None, last: date | None = None
) -> list[dict[str, Any]]:
    """Splits, dividends (by ex-date), ticker changes and delistings, oldest first.

    Args:
        market: The market whose listings to describe.
        first: Earliest event date to include (default: no bound).
        last: Latest event date to include (default: no bound).

    Returns:
        One dict per event: ``date`` (ISO), ``ticker``, ``type`` (``split``,
        ``dividend``, ``ticker_change`` or ``delisting``) and ``detail`` (text).
    """
    known = {listing.ticker for listing in market.listings}
    rows: list[tuple[date, str, str, str]] = []
    for split in SPLITS:
        detail = f"{split.split_to}-for-{split.split_from} split"
        rows.append((split.execution_date, split.ticker, "split", detail))
    for div in dividends():
        detail = f"cash {div.cash_amount} USD, pay {div.pay_date.isoformat()}"
        rows.append((div.ex_dividend_date, div.ticker, "dividend", detail))
    for current, history in TICKER_HISTORY.items():
        for before, after in itertools.pairwise(history):
            rows.append(
                (after.date, current, "ticker_change", f"{before.ticker} -> {after.ticker}")
            )
    for listing in market.listings:
        if listing.delisted is not None:
            rows.append((listing.delisted, listing.ticker, "delisting", "last trading day"))
    return [
        {"date": day.isoformat(), "ticker": ticker, "type": kind, "detail": detail}
        for day, ticker, kind, detail in sorted(rows)
        if ticker in known and (first is None or day >= first) and (last is None or day <= last)
    ]
