"""One writer at a time: the warehouse-wide lock every landing or building command holds.

The lock is a Postgres session-level advisory lock on its own connection, so
it is released when the holder ends, however it ends (a killed process's
connection closes, and the server drops the lock with it). Its key is the
first 8 bytes of SHA-256 of `WRITER_LOCK_NAME`, as a signed bigint: the same
for every TickStock version, scoped by Postgres to the warehouse's database.

The holder names itself in its connection's `application_name`
(`writer|<command>|<pid>|<started, UTC>`), which any session can
read from `pg_stat_activity`: a second writer says whom it waits for, and
nothing is left to clean up after a crash.

The lock is re-entrant within a process (a command that runs another job
under it does not wait for itself). While it is held, the run's dlt working
folder (`extract.pipelines.run_directory`) is this run's alone; it is removed
when the lock is released.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg2
import psycopg2.errors

from extract.pipelines import run_directory
from kernel.settings import WRITER_WAIT_SECONDS
from kernel.warehouse import connect

WRITER_LOCK_NAME = "tickstock.warehouse.writer"
WRITER_LOCK_KEY = int.from_bytes(
    hashlib.sha256(WRITER_LOCK_NAME.encode()).digest()[:8], "big", signed=True
)
_TAG = "writer"
# Postgres keeps the first 63 bytes of an application_name.
_NAME_BYTES = 63

_NO_TIMEOUTS = """
    select set_config(name, '0', false) from pg_settings
    where name in (
        'statement_timeout', 'idle_session_timeout', 'idle_in_transaction_session_timeout'
    )
"""
# Per database URL, how many `writer_lock` blocks of this process hold it.
_held: dict[str, int] = {}


class WriterBusy(RuntimeError):
    """Another command holds the warehouse's writer lock and did not let go in time."""


@dataclass(frozen=True)
class Holder:
    """Who holds the writer lock, as its connection names it."""

    command: str
    pid: int | None
    since: str
    backend_pid: int

    def __str__(self) -> str:
        pid = f"pid {self.pid}" if self.pid is not None else f"backend {self.backend_pid}"
        return f"{self.command} ({pid}, since {self.since})"


def _application_name(command: str, started: datetime) -> str:
    tail = f"|{os.getpid()}|{started:%Y-%m-%dT%H:%M:%SZ}"
    room = _NAME_BYTES - len(_TAG) - 1 - len(tail)
    return f"{_TAG}|{command.encode()[:room].decode(errors='ignore')}{tail}"


def current_holder(database_url: str) -> Holder | None:
    """The session holding the warehouse's writer lock, None when it is free."""
    sql = """
        select activity.application_name, activity.pid
        from pg_locks as locks
        inner join pg_stat_activity as activity on locks.pid = activity.pid
        where locks.locktype = 'advisory'
            and locks.granted
            and locks.database = (select oid from pg_database where datname = current_database())
            and locks.classid::bigint = (%(key)s >> 32) & 4294967295
            and locks.objid::bigint = %(key)s & 4294967295
            and locks.objsubid = 1
    """
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(sql, {"key": WRITER_LOCK_KEY})
        row = cursor.fetchone()
    if row is None:
        return None
    name, backend_pid = row
    parts = (name or "").split("|")
    if len(parts) == 4 and parts[0] == _TAG:
        return Holder(parts[1], int(parts[2]), parts[3], backend_pid)
    return Holder(name or "an unnamed session", None, "?", backend_pid)


@contextlib.contextmanager
def writer_lock(
    database_url: str,
    command: str,
    wait_seconds: float = WRITER_WAIT_SECONDS,
    say: Callable[[str], None] = print,
) -> Iterator[None]:
    """Hold the warehouse's writer lock for the block, waiting up to `wait_seconds`.

    Args:
        database_url: The warehouse.
        command: What holds it, as the waiting side should read it
            (`tickstock load`).
        wait_seconds: How long to wait for another holder; 0 refuses at once.
        say: Told once, when another command holds the lock, whom this run waits for.

    Raises:
        WriterBusy: The lock was still held after `wait_seconds`; nothing
            was done under it.
    """
    if _held.get(database_url):
        _held[database_url] += 1
        try:
            yield
        finally:
            _held[database_url] -= 1
        return
    started = datetime.now(UTC)
    with connect(database_url, autocommit=True) as connection:
        with connection.cursor() as cursor:
            cursor.execute("set application_name = %s", (_application_name(command, started),))
            # The lock lives as long as this idle connection: no server-side
            # timeout configured for ordinary connections may end it.
            cursor.execute(_NO_TIMEOUTS)
            cursor.execute("select pg_try_advisory_lock(%s)", (WRITER_LOCK_KEY,))
            if not cursor.fetchone()[0]:
                _wait(database_url, cursor, command, wait_seconds, say)
        _held[database_url] = 1
        try:
            with run_directory(database_url):
                yield
        finally:
            _held.pop(database_url, None)
        # Leaving `connect` closes the connection, which releases the lock
        # (also when a database reset has already ended it).


def _wait(
    database_url: str,
    cursor: psycopg2.extensions.cursor,
    command: str,
    wait_seconds: float,
    say: Callable[[str], None],
) -> None:
    """Block on the lock for up to `wait_seconds` (Postgres' lock_timeout), or refuse."""
    holder = current_holder(database_url)
    if holder is None:
        # Released since the first try: take it now if nobody else did.
        cursor.execute("select pg_try_advisory_lock(%s)", (WRITER_LOCK_KEY,))
        if cursor.fetchone()[0]:
            return
    who = str(holder) if holder else "another command"
    if wait_seconds <= 0:
        raise WriterBusy(
            f"{command}: the warehouse is being written by {who}; refused at once (--wait 0). "
            "Run again when it has finished, or give --wait SECONDS."
        )
    say(f"waiting for {who} to finish (up to {wait_seconds:g}s, --wait) ...")
    cursor.execute("select set_config('lock_timeout', %s, false)", (f"{int(wait_seconds * 1000)}",))
    try:
        cursor.execute("select pg_advisory_lock(%s)", (WRITER_LOCK_KEY,))
    except psycopg2.errors.LockNotAvailable:
        holder = current_holder(database_url)
        who = str(holder) if holder else who
        raise WriterBusy(
            f"{command}: gave up after waiting {wait_seconds:g}s for {who} to finish writing "
            "the warehouse; nothing was done. Run again later, or give a longer --wait."
        ) from None
    cursor.execute("reset lock_timeout")
