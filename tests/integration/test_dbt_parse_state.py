"""Every warehouse keeps its own dbt parse state, so switching costs no full parse."""

from __future__ import annotations

import pytest

from kernel.warehouse import export_connection_env
from orchestration.runtime import dbt_runner
from tests.support.databases import throwaway_database


def _parse(database_url: str) -> float:
    """Parse the project for `database_url` as a new process would; the state's mtime."""
    export_connection_env(database_url)
    dbt_runner._manifests.clear()
    dbt_runner.run_dbt("parse", target="dev")
    return (dbt_runner.parse_state_dir("dev") / "partial_parse.msgpack").stat().st_mtime


def test_two_warehouses_do_not_overwrite_each_others_parse_state(
    servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dbt_runner, "_manifests", {})
    with (
        throwaway_database(servers.database_url) as first,
        throwaway_database(servers.database_url) as second,
    ):
        first_state = _parse(first)
        first_dir = dbt_runner.parse_state_dir("dev")
        _parse(second)
        assert dbt_runner.parse_state_dir("dev") != first_dir
        # Back on the first warehouse: its state is the one it left, reused
        # (dbt rewrites it only after a full parse).
        assert _parse(first) == first_state


def test_unused_parse_states_are_pruned(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dbt_runner, "PARSE_STATES_DIR", tmp_path)
    old, recent = tmp_path / "dev-old", tmp_path / "dev-recent"
    for state in (old, recent):
        state.mkdir()
    week_ago = dbt_runner.time.time() - dbt_runner.PARSE_STATE_TTL_S - 60
    dbt_runner.os.utime(old, (week_ago, week_ago))
    dbt_runner._prune_parse_states(keep=recent)
    assert not old.exists() and recent.exists()
