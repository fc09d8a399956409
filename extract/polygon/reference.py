"""dlt source for Polygon's reference endpoints: details, types, events, actions, market state.

Thin like the bars source: every response lands in `raw_polygon` with numbers
as exact decimals, dates as dates and timestamps as timestamps; the meaning is
given in dbt. Each record is checked against its resource's column hints
first: a malformed one (a missing key, an empty or bad date, a number that is
not finite or does not fit, a value of the wrong type) is set aside in
`rejected` with its reason, and the rest of its page lands. Nested objects of
ticker details (`address`, `branding`) are
flattened by dlt into `address__city`-style columns. The snapshot's nested
bars and quote are flattened here instead, because dlt's snake_case naming
would fold the quote's ask `P`/`S` onto the bid `p`/`s`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import dlt

from extract.polygon.client import UNLIMITED, RequestPolicy, polygon_client
from extract.polygon.fetching import FetchFailure, PageFetcher
from extract.polygon.rejects import Invalid, RejectedRecord, checked_rows, typed_row
from extract.polygon.settings import column_hints, with_data_source

TICKER_DETAILS_PATH = "/v3/reference/tickers/{ticker}"
TICKER_TYPES_PATH = "/v3/reference/tickers/types"
TICKER_EVENTS_PATH = "/vX/reference/tickers/{id}/events"
SPLITS_PATH = "/v3/reference/splits"
DIVIDENDS_PATH = "/v3/reference/dividends"
SNAPSHOT_PATH = "/v2/snapshot/locale/us/markets/stocks/tickers"
MARKET_STATUS_PATH = "/v1/marketstatus/now"
MARKET_HOLIDAYS_PATH = "/v1/marketstatus/upcoming"

ACTIONS_PAGE_LIMIT = 1000
# Records that are not under `results`: the snapshot's `tickers`, and the
# market-status endpoints, which answer a bare object or a bare list.
SNAPSHOT_SELECTOR = "tickers"
WHOLE_BODY_SELECTOR = "$"


def _hints(nullable: bool = True, **types: str) -> dict[str, dict[str, Any]]:
    return {name: {"data_type": kind, "nullable": nullable} for name, kind in types.items()}


def _columns(keys: dict[str, str], **others: str) -> dict[str, dict[str, Any]]:
    """Column hints: `keys` are the (non-null) merge key, `others` may be null."""
    return {**_hints(False, **keys), **_hints(True, **others)}


TICKER_DETAIL_COLUMNS = _columns(
    {"ticker": "text"},
    name="text",
    market="text",
    locale="text",
    primary_exchange="text",
    type="text",
    active="bool",
    currency_name="text",
    cik="text",
    composite_figi="text",
    share_class_figi="text",
    market_cap="decimal",
    phone_number="text",
    address__address1="text",
    address__address2="text",
    address__city="text",
    address__state="text",
    address__postal_code="text",
    description="text",
    sic_code="text",
    sic_description="text",
    ticker_root="text",
    ticker_suffix="text",
    homepage_url="text",
    total_employees="bigint",
    list_date="date",
    delisted_utc="timestamp",
    branding__logo_url="text",
    branding__icon_url="text",
    share_class_shares_outstanding="decimal",
    weighted_shares_outstanding="decimal",
    round_lot="bigint",
    as_of_date="date",
)
TICKER_TYPE_COLUMNS = _columns(
    {"code": "text", "asset_class": "text", "locale": "text"}, description="text"
)
TICKER_EVENT_COLUMNS = _columns(
    {"queried_id": "text", "type": "text", "date": "date"},
    ticker="text",
    name="text",
    composite_figi="text",
    cik="text",
)
SPLIT_COLUMNS = _columns(
    {"ticker": "text", "execution_date": "date"},
    id="text",
    split_from="decimal",
    split_to="decimal",
)
DIVIDEND_COLUMNS = _columns(
    {"ticker": "text", "ex_dividend_date": "date", "dividend_type": "text"},
    id="text",
    cash_amount="decimal",
    currency="text",
    declaration_date="date",
    record_date="date",
    pay_date="date",
    frequency="bigint",
)
MARKET_STATUS_COLUMNS = _columns(
    {"server_time": "timestamp"},
    market="text",
    early_hours="bool",
    after_hours="bool",
    exchanges__nyse="text",
    exchanges__nasdaq="text",
    exchanges__otc="text",
    currencies__fx="text",
    currencies__crypto="text",
)
MARKET_HOLIDAY_COLUMNS = _columns(
    {"exchange": "text", "date": "date"},
    name="text",
    status="text",
    open="timestamp",
    close="timestamp",
)

# Snapshot: nested object -> {Polygon key: landed column}. Bars keep Polygon's
# letters (as the bar tables do); the quote's sides get names.
_BAR_KEYS = {key: key for key in ("o", "h", "l", "c", "v", "vw", "otc")}
SNAPSHOT_NESTED: dict[str, tuple[str, dict[str, str]]] = {
    "day": ("day", _BAR_KEYS),
    "prevDay": ("prev_day", _BAR_KEYS),
    "min": ("min", {**_BAR_KEYS, "av": "av", "t": "t", "n": "n"}),
    "lastTrade": ("last_trade", {"p": "p", "s": "s", "x": "x", "i": "i", "t": "t", "c": "c"}),
    "lastQuote": (
        "last_quote",
        {"P": "ask_price", "S": "ask_size", "p": "bid_price", "s": "bid_size", "t": "t"},
    ),
}
SNAPSHOT_TOP = {
    "ticker": "ticker",
    "todaysChange": "todays_change",
    "todaysChangePerc": "todays_change_perc",
    "updated": "updated",
    "fmv": "fmv",
}
_SNAPSHOT_TYPES = {
    "o": "decimal",
    "h": "decimal",
    "l": "decimal",
    "c": "decimal",
    "v": "decimal",
    "vw": "decimal",
    "av": "decimal",
    "otc": "bool",
    "t": "bigint",
    "n": "bigint",
    "p": "decimal",
    "s": "decimal",
    "x": "bigint",
    "i": "text",
    "ask_price": "decimal",
    "bid_price": "decimal",
    "ask_size": "decimal",
    "bid_size": "decimal",
}
SNAPSHOT_COLUMNS = _columns(
    {"ticker": "text"},
    snapshot_at="timestamp",
    todays_change="decimal",
    todays_change_perc="decimal",
    updated="bigint",
    fmv="decimal",
    **{
        f"{prefix}__{column}": _SNAPSHOT_TYPES[column]
        for prefix, keys in SNAPSHOT_NESTED.values()
        for column in keys.values()
        if (prefix, column) != ("last_trade", "c")
    },
    last_trade__c="json",
)


def snapshot_row(ticker: dict[str, Any], snapshot_at: datetime) -> dict[str, Any]:
    """One landed row of the full-market snapshot: nested objects flattened, numbers exact.

    Raises Invalid for a malformed record.
    """
    row: dict[str, Any] = {"snapshot_at": snapshot_at}
    for key, column in SNAPSHOT_TOP.items():
        if key in ticker:
            row[column] = ticker[key]
    for key, (prefix, names) in SNAPSHOT_NESTED.items():
        nested = ticker.get(key) or {}
        if not isinstance(nested, dict):
            raise Invalid(f"`{key}` is not an object")
        for inner, column in names.items():
            if inner in nested:
                row[f"{prefix}__{column}"] = nested[inner]
    return typed_row(row, SNAPSHOT_COLUMNS)


def _response_time(response: Any) -> datetime:
    """The server's `Date` header (when the snapshot was taken), else our clock."""
    header = response.headers.get("Date")
    return parsedate_to_datetime(header) if header else datetime.now(UTC)


def _events(results: Any) -> list[Any]:
    """The events of one `results` object (each checked on its own by `_event_row`)."""
    events = results.get("events") if isinstance(results, dict) else None
    return events if isinstance(events, list) else []


def _event_row(queried_id: str, results: dict[str, Any], event: Any) -> dict[str, Any]:
    """One row per ticker event, with the queried id and the entity it resolved to."""
    if not isinstance(event, dict):
        raise Invalid("an event that is not a JSON object")
    kind = event.get("type")
    change = event.get(kind) if isinstance(kind, str) else None
    row = {
        "queried_id": queried_id,
        **{key: results.get(key) for key in ("name", "composite_figi", "cik")},
        "type": kind,
        "date": event.get("date"),
        "ticker": change.get("ticker") if isinstance(change, dict) else None,
    }
    return typed_row(row, TICKER_EVENT_COLUMNS)


def _resource(name: str, primary_key: Any, columns: dict[str, dict[str, Any]]) -> Any:
    """A merged resource with fresh column hints."""
    return dlt.resource(
        name=name,
        primary_key=primary_key,
        write_disposition="merge",
        columns=column_hints(columns),
    )


@dlt.source(name="polygon_reference")
def polygon_reference_source(
    base_url: str,
    api_key: str,
    policy: RequestPolicy = UNLIMITED,
    symbols: Sequence[str] = (),
    failures: list[FetchFailure] | None = None,
    as_of: date | None = None,
    action_symbols: Sequence[str] | None = None,
    rejected: list[RejectedRecord] | None = None,
    action_date: date | None = None,
    data_source: str | None = None,
) -> Iterable[Any]:
    """Polygon reference data: per-symbol details and events, types, actions, market state.

    A symbol (or whole-market request) whose requests still fail after retries
    is appended to `failures` and skipped: all of its pages land, or none do.

    Args:
        base_url: Polygon-compatible API root (real API or sandbox).
        api_key: sent as a bearer token, never in URLs.
        policy: request rate and retry policy.
        symbols: tickers to fetch details and ticker-change events for.
        failures: collects what could not be fetched.
        as_of: point-in-time date for ticker details (`?date=`); None for current.
        action_symbols: tickers to fetch every split and dividend of, one
            request each; None with no `action_date` fetches every page of the
            whole market's.
        action_date: also fetch the whole market's splits executed and
            dividends going ex on this day (what the EOD lands every session).
        rejected: collects malformed records, left out of their page.
        data_source: recorded in every row's `data_source` (settings.DATA_SOURCE_COLUMN).
    """
    failed = failures if failures is not None else []
    fetch_all = PageFetcher(polygon_client(base_url, api_key, policy), failed).all_pages
    set_aside = rejected if rejected is not None else []

    def checked(
        endpoint: str, page: Any, records: Iterable[Any], typed: Callable[[Any], Any]
    ) -> list[dict[str, Any]]:
        return checked_rows(endpoint, page, records, typed, set_aside)

    @_resource("ticker_details", "ticker", TICKER_DETAIL_COLUMNS)
    def ticker_details() -> Iterator[list[dict[str, Any]]]:
        params = {"date": as_of.isoformat()} if as_of else {}
        for ticker in symbols:
            path = TICKER_DETAILS_PATH.format(ticker=ticker)
            for page in fetch_all(TICKER_DETAILS_PATH, ticker, path, params) or []:
                yield checked(
                    TICKER_DETAILS_PATH,
                    page,
                    page,
                    lambda row: typed_row({**row, "as_of_date": as_of}, TICKER_DETAIL_COLUMNS),
                )

    @_resource("ticker_types", ("code", "asset_class", "locale"), TICKER_TYPE_COLUMNS)
    def ticker_types() -> Iterator[list[dict[str, Any]]]:
        for page in fetch_all(TICKER_TYPES_PATH, "all", TICKER_TYPES_PATH) or []:
            yield checked(
                TICKER_TYPES_PATH, page, page, lambda row: typed_row(row, TICKER_TYPE_COLUMNS)
            )

    @_resource("ticker_events", ("queried_id", "type", "date"), TICKER_EVENT_COLUMNS)
    def ticker_events() -> Iterator[list[dict[str, Any]]]:
        for queried in symbols:
            path = TICKER_EVENTS_PATH.format(id=queried)
            pages = fetch_all(TICKER_EVENTS_PATH, queried, path, {"types": "ticker_change"})
            for page in pages or []:
                for results in page:
                    yield checked(
                        TICKER_EVENTS_PATH,
                        page,
                        _events(results),
                        functools.partial(_event_row, queried, results),
                    )

    def actions(
        path: str, date_param: str, columns: dict[str, dict[str, Any]]
    ) -> Iterator[list[dict]]:
        params: dict[str, Any] = {"limit": ACTIONS_PAGE_LIMIT}
        requests: list[tuple[str, dict[str, Any]]] = []
        if action_symbols is not None:
            requests += [(ticker, {**params, "ticker": ticker}) for ticker in action_symbols]
        if action_date is not None:
            day = action_date.isoformat()
            requests.append((f"all on {day}", {**params, date_param: day}))
        elif action_symbols is None:
            requests.append(("all", params))
        for subject, query in requests:
            for page in fetch_all(path, subject, path, query) or []:
                yield checked(path, page, page, lambda row: typed_row(row, columns))

    @_resource("splits", ("ticker", "execution_date"), SPLIT_COLUMNS)
    def splits() -> Iterator[list[dict[str, Any]]]:
        yield from actions(SPLITS_PATH, "execution_date", SPLIT_COLUMNS)

    @_resource("dividends", ("ticker", "ex_dividend_date", "dividend_type"), DIVIDEND_COLUMNS)
    def dividends() -> Iterator[list[dict[str, Any]]]:
        yield from actions(DIVIDENDS_PATH, "ex_dividend_date", DIVIDEND_COLUMNS)

    @_resource("snapshot", "ticker", SNAPSHOT_COLUMNS)
    def snapshot() -> Iterator[list[dict[str, Any]]]:
        pages = fetch_all(SNAPSHOT_PATH, "all", SNAPSHOT_PATH, data_selector=SNAPSHOT_SELECTOR)
        for page in pages or []:
            taken_at = _response_time(page.response)
            yield checked(
                SNAPSHOT_PATH, page, page, functools.partial(snapshot_row, snapshot_at=taken_at)
            )

    @_resource("market_status", "server_time", MARKET_STATUS_COLUMNS)
    def market_status() -> Iterator[list[dict[str, Any]]]:
        path = MARKET_STATUS_PATH
        for page in fetch_all(path, "now", path, data_selector=WHOLE_BODY_SELECTOR) or []:
            yield checked(path, page, page, lambda row: typed_row(row, MARKET_STATUS_COLUMNS))

    @_resource("market_holidays", ("exchange", "date"), MARKET_HOLIDAY_COLUMNS)
    def market_holidays() -> Iterator[list[dict[str, Any]]]:
        path = MARKET_HOLIDAYS_PATH
        for page in fetch_all(path, "upcoming", path, data_selector=WHOLE_BODY_SELECTOR) or []:
            yield checked(path, page, page, lambda row: typed_row(row, MARKET_HOLIDAY_COLUMNS))

    resources = (
        ticker_details,
        ticker_types,
        ticker_events,
        splits,
        dividends,
        snapshot,
        market_status,
        market_holidays,
    )
    with_data_source(data_source, *resources)
    return resources
