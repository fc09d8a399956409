"""Market-wide views: the stocks snapshot and ``/v1/marketstatus/{now,upcoming}``."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import numpy as np

from sandbox import hours
from sandbox.context import Call
from sandbox.market import DailyBar, SandboxMarket
from sandbox.minutes import MinuteBars
from sandbox.params import Body, bool_param
from sandbox.universe import Listing

EXCHANGE_IDS = {"XNAS": 12, "XNYS": 10, "ARCX": 11}
"""Polygon's numeric exchange ids of the primary exchanges the sandbox uses."""

TRADE_CONDITIONS = [14, 41]
PRIOR_LOOKBACK_DAYS = 30
"""How far back a snapshot looks for the last traded session (thin listings skip some)."""
NS_PER_MS = 1_000_000


def status_now(call: Call) -> Body:
    """``GET /v1/marketstatus/now`` from the server clock."""
    return hours.status_now(call.now)


def status_upcoming(call: Call) -> list[Body]:
    """``GET /v1/marketstatus/upcoming``: a bare list, as Polygon returns it."""
    return hours.upcoming(call.now)


def snapshot(call: Call) -> Body:
    """``GET /v2/snapshot/locale/us/markets/stocks/tickers`` (``tickers=`` comma list).

    ``day`` is the latest session that has opened by now, aggregated from its
    minute bars so far (the full daily bar once it has closed); ``min`` is the
    last completed minute; last trade and quote sit on that minute's close.
    A thin listing that has not traded today keeps its last trade from an
    earlier session, an all-zero ``day``, and an ``fmv`` (fair market value:
    its model price at the latest close) that differs from that stale trade.
    """
    bool_param(call.params, "include_otc", False)  # validated; the sandbox lists no OTC names
    wanted = [t for t in call.params.get("tickers", "").split(",") if t]
    market = call.market
    listings = [market.listing(t) for t in wanted] if wanted else list(market.listings)
    rows = [_ticker_snapshot(market, lst, call) for lst in listings if lst is not None]
    found = [row for row in rows if row is not None]
    return {"count": len(found), "status": "OK", "tickers": found}


def _ticker_snapshot(market: SandboxMarket, listing: Listing, call: Call) -> Body | None:
    sessions = market.sessions
    now_ms = int(call.now.timestamp() * 1000)
    index = int(np.searchsorted(sessions.open_ms, now_ms, side="right")) - 1
    if index < 1 or not listing.trades_on(sessions.days[index].astype(object)):
        return None
    day = sessions.days[index].astype(object)
    before = sessions.days[index - 1].astype(object)
    # the last traded session before today (a thin listing may have skipped some)
    prior = market.daily_bars(listing.ticker, before - timedelta(days=PRIOR_LOOKBACK_DAYS),
                              before, call.now)  # fmt: skip
    if not prior:
        return None
    prev = prior[-1]
    minutes = market.minute_bars(
        listing.ticker, int(sessions.open_ms[index]), int(sessions.close_ms[index]), call.now
    )
    traded_today = len(minutes) > 0
    if not traded_today:
        if not listing.thin:
            return None
        # No trade yet today: the last trade is the last minute of the last traded day.
        prev_index = sessions.index_of(prev.session)
        minutes = market.minute_bars(
            listing.ticker, int(sessions.open_ms[prev_index]), int(sessions.close_ms[prev_index]),
            call.now,
        )  # fmt: skip
    closed = market.daily_bars(listing.ticker, day, day, call.now)
    last = float(minutes.close[-1])
    trade_ns = (int(minutes.t[-1]) + 59_000) * NS_PER_MS + _jitter(listing.ticker, index)
    change = round(last - prev.close, 4)
    fair = market.fair_value(listing.ticker, call.now) if listing.thin else None
    if closed:
        today = _ohlcv(closed[0])
    elif traded_today:
        today = _day(minutes)
    else:
        today = dict.fromkeys(("c", "h", "l", "o", "v", "vw"), 0)
    return {
        "day": today,
        "fmv": fair if fair is not None else last,
        "lastQuote": {
            "P": round(last + 0.01, 2),
            "S": 2 + _jitter(listing.ticker, index) % 7,
            "p": round(max(last - 0.01, 0.01), 2),
            "s": 1 + _jitter(listing.ticker, -index) % 9,
            "t": trade_ns + 412_000,
        },
        "lastTrade": {
            "c": TRADE_CONDITIONS,
            "i": str(_jitter(listing.ticker, index * 7) * 1_000_003 % 10**14),
            "p": last,
            "s": 100,
            "t": trade_ns,
            "x": EXCHANGE_IDS.get(listing.primary_exchange, 4),
        },
        "min": {"av": int(minutes.volume.sum()) if traded_today else 0, **_minute(minutes)},
        "prevDay": _ohlcv(prev),
        "ticker": listing.ticker,
        "todaysChange": change,
        "todaysChangePerc": round(100 * change / prev.close, 4),
        "updated": trade_ns,
    }


def _jitter(ticker: str, salt: int) -> int:
    """Small deterministic integer from ``(ticker, salt)``, for ids and nanoseconds."""
    digest = hashlib.blake2b(f"{ticker}|{salt}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % 1_000_000


def _ohlcv(bar: DailyBar) -> Body:
    return {"c": bar.close, "h": bar.high, "l": bar.low, "o": bar.open, "v": bar.volume,
            "vw": bar.vwap}  # fmt: skip


def _day(minutes: MinuteBars) -> Body:
    """The session so far, aggregated from its minutes."""
    volume = int(minutes.volume.sum())
    return {
        "c": float(minutes.close[-1]),
        "h": float(minutes.high.max()),
        "l": float(minutes.low.min()),
        "o": float(minutes.open[0]),
        "v": volume,
        "vw": round(float((minutes.volume * minutes.vwap).sum()) / max(volume, 1), 4),
    }


def _minute(minutes: MinuteBars) -> Body:
    return {
        "c": float(minutes.close[-1]),
        "h": float(minutes.high[-1]),
        "l": float(minutes.low[-1]),
        "o": float(minutes.open[-1]),
        "v": int(minutes.volume[-1]),
        "vw": float(minutes.vwap[-1]),
        "t": int(minutes.t[-1]),
        "n": int(minutes.transactions[-1]),
    }
