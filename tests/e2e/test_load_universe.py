"""`tickstock load --universe NAME` on an empty warehouse, and `tickstock universes list`."""

from __future__ import annotations

import re

import psycopg2
import pytest

from tests.support.cli import cli_env, run_cli
from tests.support.databases import throwaway_database

pytestmark = pytest.mark.e2e


def _rows(database_url: str, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@pytest.fixture(scope="module")
def loaded(servers):
    """A new, empty database, then `load --universe dev_top_10 --years 0.5` on it."""
    with throwaway_database(servers.database_url) as database_url:
        env = cli_env(database_url, servers.redis_url)
        result = run_cli("load", "--universe", "dev_top_10", "--years", "0.5", env=env)
        yield database_url, env, result


def test_a_load_by_group_name_bootstraps_an_empty_warehouse(loaded) -> None:
    database_url, _, result = loaded
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Empty warehouse" in result.stdout
    members = {
        symbol
        for (symbol,) in _rows(
            database_url,
            "select symbol from marts.group_memberships"
            " where group_type = 'UNIVERSE' and group_name = 'dev_top_10'",
        )
    }
    assert len(members) == 10
    [(first, last)] = _rows(database_url, "select min(date), max(date) from marts.ohlcv_daily")
    assert 180 <= (last - first).days <= 184  # half a year, not a whole one
    per_symbol = dict(
        _rows(database_url, "select symbol, count(*) from marts.ohlcv_daily group by 1")
    )
    assert set(per_symbol) == members
    [(sessions,)] = _rows(
        database_url,
        "select count(*) from raw_calendar.sessions where session_date between %s and %s",
        (first, last),
    )
    assert set(per_symbol.values()) == {sessions}
    # The load rebuilt what the bars feed, not the whole project.
    assert "--selector daily_bars" in result.stdout


def test_universes_list_shows_every_group_with_the_marts_counts(loaded) -> None:
    database_url, env, _ = loaded
    listed = run_cli("universes", "list", "--empty", env=env)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    shown = {
        match["key"]: int(match["members"])
        for match in re.finditer(
            r"^│ (?P<key>\S(?:[^│]*\S)?) +│ \w+ +│ +(?P<members>\d+) │", listed.stdout, re.M
        )
    }
    expected = {
        (name if kind == "UNIVERSE" else f"{kind.lower()}:{name}"): count
        for kind, name, count in _rows(
            database_url, "select group_type, name, member_count from marts.definition_groups"
        )
    }
    assert shown == expected
    assert shown["dev_top_10"] == 10


def test_unknown_names_and_lengths_are_refused_with_a_hint(loaded) -> None:
    _, env, _ = loaded
    unknown = run_cli("load", "--universe", "dev_top10", "--dry-run", env=env)
    assert unknown.returncode == 2
    assert "unknown universe 'dev_top10'" in unknown.stderr
    assert "dev_top_10" in unknown.stderr
    zero = run_cli("load", "--universe", "dev_etfs", "--years", "0", "--dry-run", env=env)
    assert zero.returncode == 2
    assert "--years must be more than 0" in zero.stderr
