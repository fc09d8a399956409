"""A watchdog for a Postgres that stops answering while a long command runs.

libpq bounds connecting (`connect_timeout`) and TCP keepalives notice a dead
host, but a query already sent to a server that is alive yet stalled (a
SIGSTOP, a frozen VM: its kernel still acknowledges every packet) waits with
no end, and `statement_timeout` is enforced by that same stalled server. So a
thread beside the command asks the server for `select 1` on a new connection
every few seconds, in psycopg2's asynchronous mode under a deadline of its
own; when the server leaves two probes in a row unanswered, `on_stall` is
called (the CLI ends the process there: what was committed stays, and the
next run resumes). A probe that fails fast (connection refused, too many
clients) is not a stall: the command meets that error itself.
"""

from __future__ import annotations

import contextlib
import select
import threading
import time
from collections.abc import Callable, Iterator

import psycopg2
import psycopg2.extensions

from kernel.settings import current_bounds
from kernel.warehouse import bounded_url

# Seconds between probes; unanswered probes in a row that make a stall.
PROBE_INTERVAL_S = 5.0
STALLED_AFTER = 2


class _Unanswered(Exception):
    """The probe's deadline passed without an answer."""


def _wait(connection: psycopg2.extensions.connection, deadline: float) -> None:
    """Drive an asynchronous connection until its operation is done, or the deadline."""
    while True:
        state = connection.poll()
        if state == psycopg2.extensions.POLL_OK:
            return
        left = deadline - time.monotonic()
        if left <= 0:
            raise _Unanswered
        if state == psycopg2.extensions.POLL_READ:
            select.select([connection.fileno()], [], [], left)
        elif state == psycopg2.extensions.POLL_WRITE:
            select.select([], [connection.fileno()], [], left)


def answers(database_url: str, timeout_s: float) -> bool:
    """Whether the server answers `select 1` on a new connection within `timeout_s`.

    Errors other than silence (refused, authentication, too many clients)
    count as an answer: the server is there.
    """
    deadline = time.monotonic() + timeout_s
    connection = None
    try:
        connection = psycopg2.connect(bounded_url(database_url), async_=True)
        _wait(connection, deadline)
        with connection.cursor() as cursor:
            cursor.execute("select 1")
            _wait(connection, deadline)
    except _Unanswered:
        return False
    except psycopg2.Error:
        return True
    finally:
        if connection is not None:
            connection.close()
    return True


@contextlib.contextmanager
def postgres_watchdog(
    database_url: str,
    on_stall: Callable[[str], None],
    interval_s: float = PROBE_INTERVAL_S,
    timeout_s: float | None = None,
) -> Iterator[None]:
    """Probe the server while the block runs; `on_stall(reason)` once it stops answering.

    Args:
        database_url: the warehouse.
        on_stall: called from the watchdog thread with a one-line reason.
        interval_s: seconds between answered probes.
        timeout_s: seconds a probe may wait; default TICKSTOCK_PG_CONNECT_TIMEOUT.
    """
    timeout = timeout_s if timeout_s is not None else current_bounds().pg_connect_timeout_s
    done = threading.Event()

    def watch() -> None:
        unanswered = 0
        while not done.wait(0 if unanswered else interval_s):
            unanswered = 0 if answers(database_url, timeout) else unanswered + 1
            if unanswered >= STALLED_AFTER and not done.is_set():
                on_stall(
                    f"no answer to {unanswered} probes in a row within {timeout:g} s each"
                    " (the server is stalled)"
                )
                return

    watcher = threading.Thread(target=watch, name="postgres-watchdog", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
