"""A flat, command-friendly listing of everything that happens on a known date in the sandbox."""

from __future__ import annotations

import itertools
from collections.abc import Collection
from datetime import date
from typing import Any

from sandbox.market import SandboxMarket
from sandbox.sessions import ORIGIN

EVENT_KINDS = (
    "ipo", "delisting", "ticker_change", "split", "dividend", "thin", "glitch", "scenario",
)  # fmt: skip
"""Every kind ``list_events`` reports."""


def list_events(
    market: SandboxMarket,
    first: date | None = None,
    last: date | None = None,
    kinds: Collection[str] | None = None,
) -> list[dict[str, Any]]:
    """The market's dated events, oldest first (then by symbol and kind).

    Kinds: ``ipo`` (first trading day after the sandbox origin), ``delisting``
    (last trading day), ``ticker_change``, ``split``, ``dividend`` (by
    ex-date), ``thin`` (a thinly traded listing, dated by its list date),
    ``glitch`` (only in a market built with ``glitches=True``) and
    ``scenario`` (the window of the market's scenario, symbol ``*``).

    Args:
        market: The market whose listings to describe.
        first: Earliest event date to include (default: no bound).
        last: Latest event date to include (default: no bound).
        kinds: Kinds to include (default: all).

    Returns:
        One dict per event: ``date`` (ISO), ``symbol``, ``kind`` and ``detail`` (text).
    """
    unknown = set(kinds or ()) - set(EVENT_KINDS)
    if unknown:
        raise ValueError(f"unknown event kind(s) {sorted(unknown)}; choose from {EVENT_KINDS}")
    wanted = set(kinds or EVENT_KINDS)
    rows: list[tuple[date, str, str, str]] = []
    actions = market.actions
    if "split" in wanted:
        for split in actions.splits:
            reverse = " reverse" if split.split_to < split.split_from else ""
            detail = f"{split.split_to}-for-{split.split_from}{reverse} split"
            rows.append((split.execution_date, split.ticker, "split", detail))
    if "dividend" in wanted:
        for div in actions.dividends:
            detail = f"cash {div.cash_amount} USD, pay {div.pay_date.isoformat()}"
            rows.append((div.ex_dividend_date, div.ticker, "dividend", detail))
    if "ticker_change" in wanted:
        for current, history in actions.ticker_history.items():
            for before, after in itertools.pairwise(history):
                detail = f"{before.ticker} -> {after.ticker}"
                rows.append((after.date, current, "ticker_change", detail))
    for listing in market.listings:
        if "ipo" in wanted and listing.list_date > ORIGIN:
            detail = f"{listing.type} listed on {listing.primary_exchange}"
            rows.append((listing.list_date, listing.ticker, "ipo", detail))
        if "delisting" in wanted and listing.delisted is not None:
            rows.append((listing.delisted, listing.ticker, "delisting", "last trading day"))
        if "thin" in wanted and listing.thin:
            detail = "thinly traded: some sessions and most minutes have no bar"
            rows.append((listing.list_date, listing.ticker, "thin", detail))
    if "glitch" in wanted:
        for glitch in market.glitch_list():
            rows.append((glitch.session, glitch.ticker, "glitch", glitch.kind))
    if "scenario" in wanted and market.scenario is not None:
        chosen = market.scenario
        rows.append((chosen.first, "*", "scenario", f"{chosen.name} starts: {chosen.description}"))
        rows.append((chosen.last, "*", "scenario", f"{chosen.name} ends"))
    return [
        {"date": day.isoformat(), "symbol": symbol, "kind": kind, "detail": detail}
        for day, symbol, kind, detail in sorted(rows)
        if (first is None or day >= first) and (last is None or day <= last)
    ]
