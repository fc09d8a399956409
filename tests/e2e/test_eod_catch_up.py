"""A catch-up in one pass leaves what session-by-session EODs leave.

Two new warehouses track the dev universe and a universe file naming CRMC,
which the sandbox delists on 2019-09-03, and run the same baseline EOD.
Then one runs the next four sessions one by one (`tickstock eod --date`),
the other catches them up at once (`EodJob.catch_up`, what `tickstock
schedule` does after downtime): reference, lifecycle and extract per
session, one transform for the four, then quality and a notice per session.
Labor Day (2019-09-02) is no session, so nothing is owed for it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import pytest

from kernel.warehouse import query
from orchestration.jobs.eod import EodOutcome
from orchestration.jobs.scheduler import SessionFailed
from orchestration.runtime.services import Endpoints
from tests.e2e.test_eod import TransformFailsOnce, _job, _steps
from tests.support.databases import throwaway_database
from tests.support.private_redis import PrivateRedis

pytestmark = pytest.mark.e2e

BASELINE = date(2019, 8, 28)
MISSED = [date(2019, 8, 29), date(2019, 8, 30), date(2019, 9, 3), date(2019, 9, 4)]
MINERS = "symbol,name,weight,sector,market_cap\nAAPL,Apple Inc,60,,\nCRMC,Cobalt Ridge,40,,\n"
COMPARED_SCHEMAS = ("marts", "quality", "lifecycle", "intermediate")
# What a notice says that differs between any two runs of a session.
RUN_FIELDS = {"run_id", "duration_s", "reports"}


def _warehouse(stack: ExitStack, server_url: str, universe: Path) -> tuple[str, object, EodOutcome]:
    """A new warehouse with the universe file, its own Redis, and the baseline EOD."""
    from extract.holdings.loader import load_files

    redis_server = PrivateRedis()
    redis_server.start()
    stack.callback(redis_server.stop)
    database_url = stack.enter_context(throwaway_database(server_url))
    job = _job(database_url, redis_server.url)
    load_files(database_url, [universe], "UNIVERSE", "full")
    return database_url, job, job.run(BASELINE)


@pytest.fixture(scope="module")
def warehouses(servers, tmp_path_factory) -> Iterator[dict]:
    universe = tmp_path_factory.mktemp("universes") / "miners.csv"
    universe.write_text(MINERS)
    with ExitStack() as stack:
        day_by_day, job, _ = _warehouse(stack, servers.database_url, universe)
        one_by_one = [job.run(session) for session in MISSED]
        caught_up, job, _ = _warehouse(stack, servers.database_url, universe)
        started = time.time()
        at_once = job.catch_up(MISSED)
        yield {
            "day_by_day": (day_by_day, one_by_one),
            "caught_up": (caught_up, at_once, job),
            "catch_up_started": started,
        }


def _transform(outcome: EodOutcome) -> dict:
    return next(step.detail for step in outcome.steps if step.name == "transform")


def _comparable_rows(database_url: str) -> dict[str, list[tuple]]:
    """Every table of the compared schemas, without build times and load ids."""
    columns = query(
        database_url,
        "select table_schema || '.' || table_name, column_name from information_schema.columns"
        " join information_schema.tables using (table_schema, table_name)"
        " where table_schema = any(%s) and table_type = 'BASE TABLE'"
        " and data_type not like 'timestamp%%' and column_name not like '%%load_id'"
        " and column_name not in ('run_id', '_dlt_id')"
        " order by table_schema, table_name, ordinal_position",
        (list(COMPARED_SCHEMAS),),
    )
    tables: dict[str, list[str]] = {}
    for table, column in columns:
        tables.setdefault(table, []).append(column)
    return {
        table: sorted(query(database_url, f"select {', '.join(names)} from {table}"), key=repr)
        for table, names in tables.items()
    }


def test_each_session_gets_its_own_complete_notice(warehouses) -> None:
    database_url, outcomes, _ = warehouses["caught_up"]
    assert [outcome.session_date for outcome in outcomes] == MISSED
    assert [outcome.message.session_date for outcome in outcomes] == MISSED
    assert {outcome.message.status for outcome in outcomes} == {"complete"}
    delivered = query(
        database_url,
        "select session_date from ops.eod_outbox where delivered_at is not null"
        " order by created_at",
    )
    assert [session for (session,) in delivered] == [BASELINE, *MISSED]


def test_one_transform_builds_the_four_sessions(warehouses) -> None:
    database_url, outcomes, _ = warehouses["caught_up"]
    missed = [session.isoformat() for session in MISSED]
    assert [_transform(outcome)["sessions"] for outcome in outcomes] == [missed] * 4
    # One dbt build: the runs before the last record it in no time.
    durations = query(
        database_url,
        "select runs.session_date, steps.duration_s from ops.eod_steps as steps"
        " inner join ops.eod_runs as runs using (run_id)"
        " where steps.step = 'transform' and runs.session_date > %s order by 1",
        (BASELINE,),
    )
    assert [seconds < 0.5 for _, seconds in durations] == [True, True, True, False]
    _, one_by_one = warehouses["day_by_day"]
    assert [_transform(outcome)["sessions"] for outcome in one_by_one] == [[s] for s in missed]


def test_every_sessions_validation_pages_are_in_the_data_docs(warehouses) -> None:
    """Each session's quality step renders its own pages."""
    _, outcomes, _ = warehouses["caught_up"]
    index = Path(outcomes[0].message.reports.data_docs)
    pages = [
        page.name
        for page in (index.parent / "validations" / "ohlcv_daily__suite").rglob("*.html")
        if page.stat().st_mtime >= warehouses["catch_up_started"]
    ]
    for session in MISSED:
        batch = f"year_{session.year}-month_{session.month}-day_{session.day}.html"
        assert any(name.endswith(batch) for name in pages), (session, pages)


def test_the_delisting_is_reported_on_its_own_session(warehouses) -> None:
    _, outcomes, _ = warehouses["caught_up"]
    delisted = {outcome.session_date: outcome.message.lifecycle.delisted for outcome in outcomes}
    assert delisted == {
        session: ["CRMC"] if session == date(2019, 9, 3) else [] for session in MISSED
    }


def test_notices_equal_the_day_by_day_ones(warehouses) -> None:
    _, one_by_one = warehouses["day_by_day"]
    _, at_once, _ = warehouses["caught_up"]
    assert [outcome.message.model_dump(exclude=RUN_FIELDS) for outcome in at_once] == [
        outcome.message.model_dump(exclude=RUN_FIELDS) for outcome in one_by_one
    ]


def test_marts_and_quality_tables_equal_the_day_by_day_ones(warehouses) -> None:
    day_by_day, _ = warehouses["day_by_day"]
    caught_up, _, _ = warehouses["caught_up"]
    expected, got = _comparable_rows(day_by_day), _comparable_rows(caught_up)
    assert {"marts.ohlcv_daily", "marts.indicators_daily", "quality.session_compliance"} <= set(
        expected
    )
    assert got.keys() == expected.keys()
    differing = [table for table in expected if got[table] != expected[table]]
    assert differing == []


def test_a_failed_catch_up_resumes_every_session_at_its_failed_step(warehouses) -> None:
    """Runs last: it adds two sessions to the caught-up warehouse."""
    database_url, _, healthy = warehouses["caught_up"]
    later = [date(2019, 9, 5), date(2019, 9, 6)]
    failing = TransformFailsOnce(
        healthy.settings,
        Endpoints(database_url, healthy.settings.redis_url, False, False),
        healthy.notifier,
        console=healthy.console,
    )
    with pytest.raises(SessionFailed) as failed:
        failing.catch_up(later)
    assert failed.value.session == later[0]
    assert "warehouse lost" in str(failed.value.error)
    loads_before = query(database_url, "select count(*) from raw_polygon._dlt_loads")

    resumed = healthy.catch_up(later)
    assert [outcome.resumed_run_id is not None for outcome in resumed] == [True, True]
    assert [outcome.message.status for outcome in resumed] == ["complete", "complete"]
    # Only the transform was done again, once, under the last session's run.
    assert [_steps(database_url, outcome.resumed_run_id)["transform"] for outcome in resumed] == [
        ("succeeded", 1),
        ("succeeded", 2),
    ]
    assert query(database_url, "select count(*) from raw_polygon._dlt_loads") == loads_before
