"""A failing dbt node is reported by name and reason, not as a bare "dbt failed"."""

from __future__ import annotations

import pytest

from kernel.settings import read_settings
from kernel.warehouse import connect, export_connection_env
from orchestration.runtime.dbt_runner import DbtError, run_dbt
from orchestration.runtime.services import Endpoints
from tests.support.databases import throwaway_database


def test_a_failing_test_names_its_node_and_reason(servers: Endpoints) -> None:
    target = read_settings().dbt_target
    with throwaway_database(servers.database_url) as database_url:
        export_connection_env(database_url)
        run_dbt("seed", "--select", "equity_types", target=target)
        with connect(database_url) as connection, connection.cursor() as cursor:
            # A broken seed: the same type code twice.
            cursor.execute(
                "insert into seeds.equity_types select * from seeds.equity_types limit 1"
            )
        with pytest.raises(DbtError) as failed:
            run_dbt("test", "--select", "equity_types", target=target)
    report = str(failed.value)
    assert report.startswith("dbt test failed")
    assert "test unique_equity_types_code" in report and "Got 1 result" in report
    assert "seeds/reference/_reference__seeds.yml" in report or "equity_types" in report
    export_connection_env(servers.database_url)
