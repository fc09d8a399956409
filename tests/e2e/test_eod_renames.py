"""A ticker change seen by the EOD: FB trades as META from 2022-06-09 (sandbox event)."""

from __future__ import annotations

from datetime import date

import pytest
import redis

from kernel.warehouse import connect
from orchestration.jobs.notifier import EOD_COMPLETE_CHANNEL
from tests.e2e.test_eod import _job
from tests.support.databases import throwaway_database
from tests.support.listener import ChannelListener

pytestmark = pytest.mark.e2e

# The change date, from `tickstock sandbox events --kind ticker_change`.
BEFORE, CHANGE = date(2022, 6, 8), date(2022, 6, 9)
META_FIGI = "BBG000MM2P62"


def _rows(database_url: str, sql: str) -> list[tuple]:
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


@pytest.fixture(scope="module")
def renamed_run(servers):
    """EOD for the session before the change, then for the change date, on a new database."""
    with throwaway_database(servers.database_url) as database_url:
        job = _job(database_url, servers.redis_url)
        job.run(BEFORE)
        # The real API lists the listing as FB until the change; the sandbox lists every
        # listing under its current ticker, so the warehouse is put in the state the real
        # list would have left: FB tracked, META unknown. No FIGI link is then visible
        # on the change date (FB is simply gone), so only the ticker event can tell.
        with connect(database_url) as connection, connection.cursor() as cursor:
            cursor.execute(
                "update lifecycle.symbol_lifecycle set symbol = 'FB' where symbol = 'META'"
            )
        listener = ChannelListener(redis.Redis.from_url(servers.redis_url), EOD_COMPLETE_CHANNEL)
        outcome = job.run(CHANGE)
        listener.close()
        yield database_url, outcome, listener.messages


def test_the_change_is_announced_as_a_rename(renamed_run) -> None:
    _, outcome, published = renamed_run
    lifecycle = outcome.message.model_dump(mode="json")["lifecycle"]
    assert lifecycle == {"listed": [], "delisted": [], "renamed": [{"from": "FB", "to": "META"}]}
    assert [message["lifecycle"] for message in published] == [lifecycle]


def test_the_rename_is_a_lifecycle_event_and_the_old_ticker_keeps_its_history(renamed_run):
    database_url, _, _ = renamed_run
    assert _rows(
        database_url,
        "select event_session, event_type, symbol, previous_symbol"
        " from lifecycle.lifecycle_events where 'META' in (symbol, previous_symbol)"
        " or 'FB' in (symbol, previous_symbol)",
    ) == [(CHANGE, "renamed", "META", "FB")]
    assert _rows(
        database_url,
        "select symbol, is_active, first_seen_session, delisted_session, renamed_from, renamed_to"
        " from lifecycle.symbol_lifecycle where symbol in ('FB', 'META') order by symbol",
    ) == [
        ("FB", False, BEFORE, CHANGE, None, "META"),
        ("META", True, CHANGE, None, "FB", None),
    ]
    assert _rows(
        database_url,
        "select symbol, active from marts.symbols where symbol in ('FB', 'META') order by symbol",
    ) == [("FB", False), ("META", True)]


def test_events_are_fetched_only_for_the_symbol_that_disappeared(renamed_run) -> None:
    database_url, _, _ = renamed_run
    queried = _rows(database_url, "select distinct queried_id from raw_polygon.ticker_events")
    assert queried == [(META_FIGI,)]
