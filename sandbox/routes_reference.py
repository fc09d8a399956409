"""Reference data: ``/v3/reference/tickers`` (list, details, types) and ticker events."""

from __future__ import annotations

from datetime import date, timedelta

from sandbox.actions import TickerChange
from sandbox.context import Call
from sandbox.market import SandboxMarket
from sandbox.params import (
    ApiError,
    Body,
    NotFound,
    bool_param,
    choice,
    date_param,
    offset_page,
    resume,
    ticker_filter,
)
from sandbox.poison import poison_event
from sandbox.universe import Listing

# Enumerations of Polygon's OpenAPI spec for the parameters the sandbox validates.
# fmt: off
TICKER_TYPES = frozenset({
    "CS", "ADRC", "ADRP", "ADRR", "UNIT", "RIGHT", "PFD", "FUND", "SP", "WARRANT", "INDEX", "ETF",
    "ETN", "OS", "GDR", "OTHER", "NYRS", "AGEN", "EQLK", "BOND", "ADRW", "BASKET", "LT",
})
MARKETS = frozenset({"stocks", "crypto", "fx", "otc", "indices"})
TICKER_SORTS = (
    "ticker", "name", "market", "locale", "primary_exchange", "type", "currency_symbol",
    "currency_name", "base_currency_symbol", "base_currency_name", "cik", "composite_figi",
    "share_class_figi", "last_updated_utc", "delisted_utc",
)
TYPE_TABLE: tuple[tuple[str, str], ...] = (
    # The recorded /v3/reference/tickers/types list (all asset_class stocks, locale us).
    ("CS", "Common Stock"), ("PFD", "Preferred Stock"), ("WARRANT", "Warrant"),
    ("RIGHT", "Rights"), ("BOND", "Corporate Bond"), ("ETF", "Exchange Traded Fund"),
    ("ETN", "Exchange Traded Note"), ("SP", "Structured Product"),
    ("ADRC", "American Depository Receipt Common"),
    ("ADRW", "American Depository Receipt Warrants"),
    ("ADRR", "American Depository Receipt Rights"), ("FUND", "Fund"), ("BASKET", "Basket"),
    ("UNIT", "Unit"), ("LT", "Liquidating Trust"),
)
# fmt: on
TICKERS_LIMIT = (100, 1000)


def _utc_midnight(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _is_active(listing: Listing, day: date) -> bool:
    return listing.delisted is None or day <= listing.delisted


def _ticker_record(listing: Listing, day: date) -> Body:
    record: Body = {
        "ticker": listing.ticker,
        "name": listing.name,
        "market": "stocks",
        "locale": "us",
        "primary_exchange": listing.primary_exchange,
        "type": listing.type,
        "active": _is_active(listing, day),
        "currency_name": "usd",
        "cik": listing.cik,
        "composite_figi": listing.composite_figi,
        "share_class_figi": listing.share_class_figi,
        "last_updated_utc": _utc_midnight(day),
    }
    if not record["active"] and listing.delisted is not None:
        record["delisted_utc"] = _utc_midnight(listing.delisted + timedelta(days=1))
    return {name: value for name, value in record.items() if value is not None}


def tickers(call: Call) -> Body:
    """``GET /v3/reference/tickers``: filters, sort/order, cursor pagination."""
    params = resume(call.params)
    sort = choice(params, "sort", TICKER_SORTS, "ticker")
    order = choice(params, "order", ("asc", "desc"), "asc")
    kind = params.get("type") or None
    market = params.get("market") or None
    if kind is not None and kind not in TICKER_TYPES:
        raise ApiError(400, f"Invalid value for parameter 'type': '{kind}'")
    if market is not None and market not in MARKETS:
        raise ApiError(400, f"Invalid value for parameter 'market': '{market}'")
    active = bool_param(params, "active", True)
    day = date_param(params, "date") or call.today
    exact = {name: params[name] for name in ("exchange", "cik") if params.get(name)}
    search = params.get("search", "").lower()
    symbol_ok = ticker_filter(params)
    records = []
    for listing in call.market.listings:
        fields = {"exchange": listing.primary_exchange, "cik": listing.cik}
        if (
            listing.list_date <= day
            and _is_active(listing, day) == active
            and market in (None, "stocks")
            and kind in (None, listing.type)
            and all(fields[name] == value for name, value in exact.items())
            and (search in listing.ticker.lower() or search in listing.name.lower())
            and symbol_ok(listing.ticker)
        ):
            records.append(_ticker_record(listing, day))
    records.sort(key=lambda r: (r.get(sort) is None, r.get(sort) or ""), reverse=order == "desc")
    state = {**params, "sort": sort, "order": order}
    page, next_url = offset_page(
        records, state, f"{call.base_url}/v3/reference/tickers", TICKERS_LIMIT
    )
    body: Body = {"results": page, "status": "OK", "count": len(page)}
    if next_url:
        body["next_url"] = next_url
    return body


def ticker_details(call: Call, ticker: str) -> Body:
    """``GET /v3/reference/tickers/{ticker}`` with optional point-in-time ``date``."""
    listing = call.market.listing(ticker)
    day = date_param(call.params, "date") or call.today
    if listing is None or day < listing.list_date:
        raise NotFound("Ticker not found.")
    record = _ticker_record(listing, day)
    record.pop("last_updated_utc")
    shares = listing.shares_outstanding
    close = _last_close(call.market, listing, day, call)
    extra: Body = {
        "market_cap": round(close * shares, 2) if close and shares else None,
        "sic_code": listing.sic_code,
        "sic_description": listing.sic_description,
        "ticker_root": listing.ticker.split("p")[0] if listing.type == "PFD" else listing.ticker,
        "list_date": listing.list_date.isoformat(),
        "share_class_shares_outstanding": shares,
        "weighted_shares_outstanding": shares,
        "round_lot": 100,
    }
    record.update({name: value for name, value in extra.items() if value is not None})
    return {"results": record, "status": "OK"}


def _last_close(market: SandboxMarket, listing: Listing, day: date, call: Call) -> float | None:
    """Close of the listing's last session on or before ``day`` that has closed by now."""
    bars = market.daily_bars(listing.ticker, day - timedelta(days=10), day, call.now)
    return bars[-1].close if bars else None


def ticker_types(call: Call) -> Body:
    """``GET /v3/reference/tickers/types`` with ``asset_class`` and ``locale`` filters."""
    asset_class = choice(
        call.params, "asset_class", ("stocks", "options", "crypto", "fx", "indices"), "stocks"
    )
    locale = choice(call.params, "locale", ("us", "global"), "us")
    results = [
        {"code": code, "description": text, "asset_class": "stocks", "locale": "us"}
        for code, text in TYPE_TABLE
        if (asset_class, locale) == ("stocks", "us")
    ]
    return {"results": results, "status": "OK", "count": len(results)}


def ticker_events(call: Call, ident: str) -> Body:
    """``GET /vX/reference/tickers/{id}/events``: ticker changes by ticker or composite FIGI."""
    listing = _resolve(call.market, ident)
    if listing is None:
        raise NotFound("Ticker not found.")
    types = {t for t in call.params.get("types", "ticker_change").split(",") if t}
    known = call.market.actions.ticker_history
    history = known.get(listing.ticker, (TickerChange(listing.ticker, listing.list_date),))
    marks = call.market.poison_map()
    events = [
        poison_event(
            {
                "ticker_change": {"ticker": change.ticker},
                "type": "ticker_change",
                "date": str(change.date),
            },
            marks.get((change.date, listing.ticker), ""),
        )
        for change in reversed(history)
        if "ticker_change" in types and change.date <= call.today
    ]
    results: Body = {"name": listing.name, "composite_figi": listing.composite_figi}
    results = {key: value for key, value in results.items() if value is not None}
    if listing.cik:
        results["cik"] = listing.cik
    results["events"] = events
    return {"results": results, "status": "OK"}


def _resolve(market: SandboxMarket, ident: str) -> Listing | None:
    """The listing a ticker (current or former) or composite FIGI names."""
    listing = market.listing(ident)
    if listing is not None:
        return listing
    for current, history in market.actions.ticker_history.items():
        if any(change.ticker == ident for change in history):
            return market.listing(current)
    return next((lst for lst in market.listings if lst.composite_figi == ident), None)
