"""Seeds are loaded and tested when their files change, not on every run."""

from __future__ import annotations

from kernel.warehouse import connect, export_connection_env, query
from orchestration.jobs.loads import ensure_seeds, seeds_fingerprint


def _loaded_fingerprint(database_url: str) -> str | None:
    return query(database_url, "select seeds_fingerprint from ops.warehouse")[0][0]


def test_seeds_load_once_then_again_only_when_their_files_differ(fresh_database: str) -> None:
    export_connection_env(fresh_database)
    assert ensure_seeds(fresh_database, "dev")  # a new warehouse: loaded
    assert _loaded_fingerprint(fresh_database) == seeds_fingerprint()
    rows = query(fresh_database, "select count(*) from seeds.equity_types")[0][0]
    assert rows > 0

    assert not ensure_seeds(fresh_database, "dev")  # same files: nothing to do

    # Files other than the ones loaded (an upgrade): the seeds are reloaded.
    with connect(fresh_database) as connection, connection.cursor() as cursor:
        cursor.execute("update ops.warehouse set seeds_fingerprint = 'older files'")
        cursor.execute("delete from seeds.equity_types")
    assert ensure_seeds(fresh_database, "dev")
    assert query(fresh_database, "select count(*) from seeds.equity_types")[0][0] == rows
    assert _loaded_fingerprint(fresh_database) == seeds_fingerprint()


def test_a_dropped_seed_table_is_loaded_again(fresh_database: str) -> None:
    export_connection_env(fresh_database)
    ensure_seeds(fresh_database, "dev")
    with connect(fresh_database) as connection, connection.cursor() as cursor:
        cursor.execute("drop table seeds.dev_universe")
    assert ensure_seeds(fresh_database, "dev")
    assert query(fresh_database, "select count(*) from seeds.dev_universe")[0][0] > 0
