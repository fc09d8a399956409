"""Universes that follow the market: a delisting leaves every group on its session,
and every tracked symbol's ticker details are refreshed a slice per EOD.

The sandbox's CRMC (common stock, SIC 1000: Materials) trades last on
2019-08-30 (`tickstock sandbox events --kind delisting`). Two EODs on a new
database: 2019-08-30 (the baseline) and 2019-09-03, the session that sees
CRMC delisted.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from datetime import date

import pytest
import redis

from extract.polygon.client import request_policy
from kernel.warehouse import export_connection_env, query
from orchestration.jobs.eod import FREE_PLAN_ROTATION, EodOutcome, refresh_ticker_details
from orchestration.jobs.relationships import UNIVERSE_UPDATED_CHANNEL
from orchestration.runtime.dbt_runner import run_dbt
from orchestration.runtime.endpoints import polygon_endpoint
from tests.e2e.test_eod import _job
from tests.support.databases import throwaway_database
from tests.support.listener import ChannelListener
from tests.support.private_redis import PrivateRedis

pytestmark = pytest.mark.e2e

BASELINE, DELISTED = date(2019, 8, 30), date(2019, 9, 3)
REFRESH_SESSIONS = 20  # dbt var details_refresh_sessions (dbt_project.yml)
MINERS = "symbol,name,weight,sector,market_cap\nAAPL,Apple Inc,60,,\nCRMC,Cobalt Ridge,40,,\n"
CRMC_GROUPS = {"SECTOR:Materials", "UNIVERSE:miners", "UNIVERSE:top_100", "UNIVERSE:top_500"}


def _members(database_url: str, symbol: str) -> set[str]:
    sql = "select group_id from marts.group_memberships where symbol = %s"
    return {group for (group,) in query(database_url, sql, (symbol,))}


def _tracked(database_url: str) -> set[str]:
    sql = "select symbol from lifecycle.symbol_processing where is_active and eod_update"
    return {symbol for (symbol,) in query(database_url, sql)}


def _step(outcome: EodOutcome, name: str) -> dict:
    return next(step.detail for step in outcome.steps if step.name == name)


@pytest.fixture(scope="module")
def delisting(servers, tmp_path_factory):
    """A universe file naming CRMC, the baseline EOD, then the EOD that sees CRMC go.

    A Redis of its own: `tickstock.universe.updated` compares group digests
    with the previous publication, which other tests' warehouses would share.
    """
    from extract.holdings.loader import load_files

    private = PrivateRedis()
    private.start()
    folder = tmp_path_factory.mktemp("universes")
    (folder / "miners.csv").write_text(MINERS)
    try:
        with throwaway_database(servers.database_url) as database_url:
            job = _job(database_url, private.url)
            load_files(database_url, [folder / "miners.csv"], "UNIVERSE", "full")
            baseline = job.run(BASELINE)
            before = _members(database_url, "CRMC")
            listener = ChannelListener(redis.Redis.from_url(private.url), UNIVERSE_UPDATED_CHANNEL)
            outcome = job.run(DELISTED)
            listener.close()
            yield database_url, job, baseline, outcome, before, listener.messages
    finally:
        private.stop()


def test_crmc_is_classified_and_a_member_before_it_is_delisted(delisting) -> None:
    _, _, baseline, _, before, _ = delisting
    # Never-fetched details come first in the rotation, CRMC before KSFpA.
    assert _step(baseline, "lifecycle")["details_refreshed"] == {
        "listed": [],
        "rotation": ["CRMC"],
    }
    assert before == CRMC_GROUPS


def test_a_delisted_symbol_leaves_every_group_on_its_session(delisting) -> None:
    database_url, _, _, outcome, _, _ = delisting
    assert outcome.message.lifecycle.delisted == ["CRMC"]
    assert _members(database_url, "CRMC") == set()
    # The rest of the loaded universe stays: only the delisted member left.
    assert "UNIVERSE:miners" in _members(database_url, "AAPL")
    cache = query(
        database_url,
        "select count(*) from marts.cache_entries where value @> '[\"CRMC\"]'::jsonb",
    )
    assert cache == [(0,)]


def test_the_removal_is_logged_and_announced(delisting) -> None:
    database_url, _, _, outcome, _, published = delisting
    removed = query(
        database_url,
        "select group_id from marts.membership_changes"
        " where symbol = 'CRMC' and change_type = 'removed'",
    )
    assert {group for (group,) in removed} == CRMC_GROUPS
    assert _step(outcome, "transform")["relationships"]["universe_updated_sent"] is True
    (notice,) = published
    assert set(notice["changed_groups"]) >= CRMC_GROUPS


def test_each_eod_fetches_details_for_its_slice_only(delisting) -> None:
    database_url, _, baseline, outcome, _, _ = delisting
    # The baseline's reference step fetches the dev universe (15) once; after it,
    # the reference step fetches no details: the lifecycle step takes the slice.
    assert _step(baseline, "reference")["rows_landed"]["ticker_details"] == 15
    assert "ticker_details" not in _step(outcome, "reference")["rows_landed"]
    tracked = len(_tracked(database_url))  # 16: CRMC left
    lifecycle = _step(outcome, "lifecycle")
    assert lifecycle["details_refreshed"] == {"listed": [], "rotation": ["KSFpA"]}
    assert lifecycle["rows_landed"]["ticker_details"] == math.ceil(tracked / REFRESH_SESSIONS)
    assert outcome.message.compliance.details_refreshed == 1


def test_every_tracked_symbol_is_refreshed_within_the_period(delisting) -> None:
    """The lifecycle step's refresh, run session after session (the view the EOD
    reads is live): each run fetches the same slice size, and within
    `details_refresh_sessions` runs every tracked symbol has been refreshed."""
    database_url, job, _, _, _, _ = delisting
    tracked = _tracked(database_url)
    slice_size = math.ceil(len(tracked) / REFRESH_SESSIONS)
    refreshed: list[list[str]] = []
    started = time.perf_counter()
    with polygon_endpoint(job.settings, lambda _: None) as endpoint:
        for run in range(REFRESH_SESSIONS):
            due = refresh_ticker_details(database_url, endpoint, f"refresh-{run}")
            assert due.symbols["listed"] == []
            assert due.landing.rows == {"ticker_details": slice_size}
            refreshed.append(due.symbols["rotation"])
    elapsed = time.perf_counter() - started
    fetched = [symbol for symbols in refreshed for symbol in symbols]
    assert set(fetched) == tracked
    # Oldest first: no symbol comes round again before every other one has.
    first_round = fetched[: len(tracked)]
    assert sorted(first_round) == sorted(tracked)
    print(f"{REFRESH_SESSIONS} refreshes of {slice_size} in {elapsed:.1f}s")


def test_a_free_plan_refreshes_five_details_a_run_oldest_first(delisting) -> None:
    """With every tracked symbol due (a slice of one session), a free plan's run
    fetches FREE_PLAN_ROTATION of them, those fetched longest ago."""
    database_url, job, _, _, _, _ = delisting
    export_connection_env(database_url)
    run_dbt(
        "run",
        "--select",
        "ticker_details_due",
        target=job.settings.dbt_target,
        variables={"details_refresh_sessions": 1},
    )
    try:
        due = query(
            database_url,
            "select symbol from lifecycle.ticker_details_due"
            " order by details_fetched_at nulls first, symbol",
        )
        assert len(due) == len(_tracked(database_url)) > FREE_PLAN_ROTATION
        with polygon_endpoint(job.settings, lambda _: None) as endpoint:
            free = replace(endpoint, policy=request_policy("free", None))
            refresh = refresh_ticker_details(database_url, free, "free-plan")
        assert refresh.symbols["rotation"] == [s for (s,) in due[:FREE_PLAN_ROTATION]]
        assert refresh.landing.rows == {"ticker_details": FREE_PLAN_ROTATION}
    finally:
        run_dbt("run", "--select", "ticker_details_due", target=job.settings.dbt_target)
