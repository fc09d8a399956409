"""The developer's loop: refresh a dev warehouse, save and restore baselines.

Snapshots are Postgres template databases on the warehouse's own server:
`CREATE DATABASE <warehouse>__snap_<name> TEMPLATE <warehouse>` copies it
file by file, and a reset drops the warehouse and copies the snapshot back
the same way, in seconds whatever the size. Both need the copied database
to have no other connection, so those are ended first. Never on prod.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlsplit

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from extract.polygon import FetchFailure
from extract.polygon.endpoint import PolygonEndpoint
from extract.polygon.work import BarRange
from kernel.market_calendar import TradingCalendar
from kernel.settings import PROFILES, Settings
from kernel.warehouse import query, relation_exists, tested_bars_vars
from orchestration.jobs import loads
from orchestration.jobs.bulk_load import run_load
from orchestration.jobs.load_plan import LoadPlan
from orchestration.runtime.dbt_runner import run_dbt, summarise

DEFAULT_SNAPSHOT = "baseline"
SNAPSHOT_NAME = re.compile(r"^[a-z0-9][a-z0-9_]{0,23}$")
SNAPSHOT_INFIX = "__snap_"
# Symbols whose newest bar is this close to the warehouse's newest are its
# universe; older histories (a scenario's year, a one-off load) are not refreshed.
CURRENT_WITHIN = timedelta(days=31)


class DevRefused(RuntimeError):
    """The command would touch a production warehouse, or its input is wrong."""


@dataclass(frozen=True)
class DevAction:
    """What a snapshot or reset did, and how long it took."""

    action: str
    database: str
    snapshot: str
    seconds: float
    size_bytes: int


def refuse_prod(settings: Settings, database_url: str) -> None:
    """Refuse on TICKSTOCK_ENV=prod, or on the prod profile's database."""
    if settings.env == "prod" or _database_name(database_url) == PROFILES["prod"].database:
        raise DevRefused("refused: `tickstock dev` never touches a prod warehouse")


def _database_name(database_url: str) -> str:
    return urlsplit(database_url).path.lstrip("/")


def snapshot_database(database_url: str, name: str) -> str:
    """The database that holds snapshot `name` of the warehouse at `database_url`."""
    if not SNAPSHOT_NAME.match(name):
        raise DevRefused(
            f"snapshot name {name!r}: use up to 24 lowercase letters, digits and underscores"
        )
    return f"{_database_name(database_url)}{SNAPSHOT_INFIX}{name}"


@contextlib.contextmanager
def _server(database_url: str) -> Iterator[psycopg2.extensions.connection]:
    """An autocommit connection to the server's maintenance database (`postgres`)."""
    connection = psycopg2.connect(urlsplit(database_url)._replace(path="/postgres").geturl())
    connection.autocommit = True
    try:
        yield connection
    finally:
        connection.close()


def _end_connections(cursor: psycopg2.extensions.cursor, database: str) -> None:
    cursor.execute(
        "select pg_terminate_backend(pid) from pg_stat_activity"
        " where datname = %s and pid <> pg_backend_pid()",
        (database,),
    )


def _copy(cursor: psycopg2.extensions.cursor, source: str, target: str) -> None:
    """CREATE DATABASE target TEMPLATE source, ending the source's connections first.

    A client may reconnect between the two statements: then one more try.
    """
    statement = sql.SQL("create database {} template {}").format(
        sql.Identifier(target), sql.Identifier(source)
    )
    for attempt in (1, 2):
        _end_connections(cursor, source)
        try:
            cursor.execute(statement)
            return
        except psycopg2.errors.ObjectInUse:
            if attempt == 2:
                raise
            time.sleep(0.2)


def _size(cursor: psycopg2.extensions.cursor, database: str) -> int:
    cursor.execute("select pg_database_size(%s)", (database,))
    return int(cursor.fetchone()[0])


def list_snapshots(database_url: str) -> list[tuple[str, int]]:
    """The warehouse's snapshots: (name, size in bytes), by name."""
    prefix = _database_name(database_url) + SNAPSHOT_INFIX
    with _server(database_url) as server, server.cursor() as cursor:
        cursor.execute(
            "select datname, pg_database_size(datname) from pg_database"
            " where starts_with(datname, %s) order by datname",
            (prefix,),
        )
        return [(name[len(prefix) :], size) for name, size in cursor.fetchall()]


def take_snapshot(database_url: str, name: str = DEFAULT_SNAPSHOT) -> DevAction:
    """Save the warehouse as snapshot `name` (replacing one of that name)."""
    started = time.monotonic()
    source, target = _database_name(database_url), snapshot_database(database_url, name)
    with _server(database_url) as server, server.cursor() as cursor:
        cursor.execute(sql.SQL("drop database if exists {}").format(sql.Identifier(target)))
        _copy(cursor, source, target)
        size = _size(cursor, target)
    return DevAction("snapshot", source, name, time.monotonic() - started, size)


def reset_to_snapshot(database_url: str, name: str = DEFAULT_SNAPSHOT) -> DevAction:
    """Replace the warehouse by a copy of snapshot `name`.

    No local dlt state outlives a run, and the copy is a new database (a new
    identity, see `extract.pipelines.warehouse_identity`): the next load
    takes dlt's state from the restored database.
    """
    started = time.monotonic()
    target, source = _database_name(database_url), snapshot_database(database_url, name)
    with _server(database_url) as server, server.cursor() as cursor:
        cursor.execute("select 1 from pg_database where datname = %s", (source,))
        if cursor.fetchone() is None:
            known = ", ".join(n for n, _ in list_snapshots(database_url)) or "none"
            raise DevRefused(f"no snapshot {name!r} of {target}; snapshots: {known}")
        cursor.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(target))
        )
        _copy(cursor, source, target)
        size = _size(cursor, target)
    return DevAction("reset", target, name, time.monotonic() - started, size)


def drop_snapshot(database_url: str, name: str) -> bool:
    """Delete snapshot `name`; False when there was none."""
    target = snapshot_database(database_url, name)
    with _server(database_url) as server, server.cursor() as cursor:
        cursor.execute("select 1 from pg_database where datname = %s", (target,))
        if cursor.fetchone() is None:
            return False
        cursor.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(target)))
    return True


# ------------------------------------------------------------------ refresh


@dataclass
class Refresh:
    """What `dev refresh` fetched and built."""

    session: date
    ranges: dict[date, list[str]] = field(default_factory=dict)  # first missing day: symbols
    sessions_missing: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    failures: list[FetchFailure] = field(default_factory=list)
    dbt: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def symbols(self) -> int:
        return sum(len(symbols) for symbols in self.ranges.values())


def missing_ranges(database_url: str, session: date) -> dict[date, list[str]]:
    """Per first missing day, the current symbols whose bars stop before `session`.

    The warehouse's universe is what it holds now: symbols with a bar within
    `CURRENT_WITHIN` of its newest bar.
    """
    if not relation_exists(database_url, "marts.ohlcv_daily"):
        raise DevRefused("the warehouse has no bars yet: `tickstock load` first")
    rows = query(
        database_url,
        "with newest as (select symbol, max(date) as last_bar from marts.ohlcv_daily"
        " group by symbol)"
        " select symbol, last_bar from newest"
        " where last_bar >= (select max(last_bar) from newest) - %s and last_bar < %s"
        " order by last_bar, symbol",
        (CURRENT_WITHIN, session),
    )
    ranges: dict[date, list[str]] = {}
    for symbol, last_bar in rows:
        ranges.setdefault(last_bar + timedelta(days=1), []).append(symbol)
    return ranges


def refresh(
    database_url: str,
    endpoint: PolygonEndpoint,
    calendar: TradingCalendar,
    session: date,
    dbt_target: str,
    concurrency: int,
    batch_rows: int,
) -> Refresh:
    """Fetch the sessions each current symbol misses up to `session`, then rebuild.

    Per-ticker ranges only (grouped daily bars would bring the whole
    market), through the resumable load path (`ops.load_units`), then the
    `daily_bars` selector with the bar tests on the new bars.
    """
    started = time.monotonic()
    result = Refresh(session, missing_ranges(database_url, session))
    missing = {first: len(calendar.session_dates(first, session)) for first in result.ranges}
    result.sessions_missing = max(missing.values(), default=0)
    units = [
        BarRange(symbol, "day", first, session)
        for first, symbols in result.ranges.items()
        if missing[first]  # only a weekend or holiday since the last bar
        for symbol in symbols
    ]
    if not units:
        result.seconds = time.monotonic() - started
        return result
    if loads.calendar_needs_refresh(database_url, session):
        result.rows |= loads.land_calendar(database_url, calendar, session)
    expected = sum(missing[unit.start] for unit in units)
    plan = LoadPlan("day", "ranges", tuple(units), len(units), expected, None)
    tested = tested_bars_vars(database_url)
    load = run_load(database_url, endpoint, plan, concurrency, batch_rows)
    result.rows |= load.rows
    result.failures = load.failures
    results = run_dbt("build", "--selector", "daily_bars", target=dbt_target, variables=tested)
    result.dbt = summarise(results)
    result.seconds = time.monotonic() - started
    return result
