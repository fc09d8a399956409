"""Fetch whole units of bars (a session's grouped bars, a ticker's range) as Arrow tables."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import UTC, date, datetime
from threading import Event
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pyarrow as pa
from dlt.sources.helpers.rest_client import RESTClient

from extract.polygon.bars import bars_table
from extract.polygon.client import bar_pages
from extract.polygon.fetching import FetchFailure, PageFetcher
from extract.polygon.rejects import RejectedRecord, without_key
from extract.polygon.settings import AGGS_PAGE_LIMIT, AGGS_RANGE_PATH, GROUPED_DAILY_PATH
from extract.polygon.work import BarRange, GroupedSession

Unit = TypeVar("Unit")
BarUnit = BarRange | GroupedSession
Fetched = tuple[BarUnit, pa.Table | None]
_NEW_YORK = ZoneInfo("America/New_York")


def concurrently(
    units: Sequence[Unit],
    fetch: Callable[[Unit], pa.Table | None],
    workers: int,
    stop: Event | None = None,
) -> Iterator[tuple[Unit, pa.Table | None]]:
    """(unit, fetch(unit)) in completion order, at most `workers` requests in flight.

    Submission is windowed so that fetched pages never pile up in memory
    faster than dlt writes them out. Once `stop` is set no unit is started.
    """
    stopped = stop or Event()
    if workers <= 1:
        yield from ((unit, fetch(unit)) for unit in units if not stopped.is_set())
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="polygon") as pool:
        pending: dict[Future, Unit] = {}
        for unit in units:
            if stopped.is_set():
                break
            pending[pool.submit(fetch, unit)] = unit
            if len(pending) >= 2 * workers:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield pending.pop(future), future.result()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield pending.pop(future), future.result()


class BarFetcher:
    """Every page of a unit of bars as one table, or None with the failure recorded.

    Malformed bars are left out of the table and appended to `rejected`.
    """

    def __init__(
        self,
        client: RESTClient,
        failures: list[FetchFailure],
        rejected: list[RejectedRecord] | None = None,
    ) -> None:
        self.failures = failures
        self.rejected = rejected if rejected is not None else []
        # Pages of bars parsed into Arrow tables.
        self._pages = PageFetcher(client, failures, bar_pages()).all_pages
        self._grouped_pages = PageFetcher(client, failures, bar_pages(True)).all_pages

    def fetch(self, unit: BarUnit) -> pa.Table | None:
        if isinstance(unit, GroupedSession):
            return self._session(unit)
        return self._range(unit)

    def fetch_all(
        self, units: Sequence[BarUnit], concurrency: int, stop: Event | None = None
    ) -> Iterator[Fetched]:
        """(unit, table or None) for every unit, in completion order, until `stop` is set."""
        return concurrently(units, self.fetch, concurrency, stop)

    def _session(self, unit: GroupedSession) -> pa.Table | None:
        day = unit.session.isoformat()
        path = GROUPED_DAILY_PATH.format(date=day)
        # As traded: adjustment for splits and dividends is computed in dbt.
        pages = self._grouped_pages(GROUPED_DAILY_PATH, day, path, {"adjusted": "false"})
        if pages is None:
            return None
        self._set_aside(GROUPED_DAILY_PATH, pages, unit.session)
        return bars_table([table for page in pages for table in page], request_date=unit.session)

    def _range(self, unit: BarRange) -> pa.Table | None:
        path = AGGS_RANGE_PATH.format(
            ticker=unit.ticker,
            multiplier=1,
            timespan=unit.timespan,
            start=unit.start.isoformat(),
            end=unit.end.isoformat(),
        )
        params = {"adjusted": "false", "sort": "asc", "limit": AGGS_PAGE_LIMIT}
        pages = self._pages(AGGS_RANGE_PATH, unit.ticker, path, params)
        if pages is None:
            return None
        set_aside = self._set_aside(AGGS_RANGE_PATH, pages)
        # The request asks for bars as traded; the flag is landed with them.
        bars = bars_table([table for page in pages for table in page], unit.ticker, adjusted=False)
        if not bars.num_rows and not set_aside and unit.timespan == "day":
            # A whole daily range with no bar means no data for the symbol at all;
            # an empty minute chunk is normal before a listing or on a thin ETF.
            reason = f"no bars from {unit.start} to {unit.end}"
            self.failures.append(FetchFailure(AGGS_RANGE_PATH, unit.ticker, reason, answered=True))
            return None
        return bars

    def _set_aside(self, endpoint: str, pages: list[Any], session: date | None = None) -> int:
        """Record the bars each page's parse set aside (see `bars.parse_bar_page`); how many."""
        count = 0
        for page in pages:
            response = page.response
            for bar in response.json()["rejected"]:
                self.rejected.append(
                    RejectedRecord(
                        endpoint,
                        without_key(response.url),
                        bar.raw,
                        bar.reason,
                        session or _session_of(bar.t),
                    )
                )
                count += 1
        return count


def _session_of(t: int | None) -> date | None:
    """The New York date of a bar's epoch-millisecond start."""
    if t is None:
        return None
    return datetime.fromtimestamp(t / 1000, UTC).astimezone(_NEW_YORK).date()
