"""Run dbt in-process (dbtRunner): one Python start-up and one parse per process.

The project is parsed once per target and process, and every later command
reuses that manifest (`dbtRunner(manifest=...)`). Each EOD step passes
different `--vars` (session_date, tested_loaded_after, quality_session),
and changed vars would make dbt parse the whole project again, 3 to 12 s
per command on a busy machine: vars still apply to a reused manifest, as
models and tests are compiled when they run, with the command's vars.

The parse itself is partial (dbt's partial_parse.msgpack) when nothing
changed since the last one, but dbt starts over when the profile differs,
and the profile names the database: one state shared by every warehouse
parsed the whole project (8 s) each time a command ran on another one
(a test database, a dev and a prod warehouse side by side). So every
warehouse and target keeps its own (`parse_state_dir`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kernel.settings import DBT_PROJECT_DIR, PROFILES, STATE_DIR, current_bounds
from orchestration.runtime.ops_schema import ensure_ops_schema


class DbtError(RuntimeError):
    """A dbt command failed; the message names the failed nodes and why."""


FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})


# The parsed project per target and warehouse, for the life of the process: a
# manifest names the database of every relation (profiles.yml's dbname).
_manifests: dict[tuple[str, ...], Any] = {}
_WAREHOUSE_ENV = ("TICKSTOCK_PG_HOST", "TICKSTOCK_PG_PORT", "TICKSTOCK_PG_DBNAME")
PARSE_STATES_DIR = STATE_DIR / "dbt_parse"
# A warehouse's parse state unused this long is removed (test databases are many).
PARSE_STATE_TTL_S = 7 * 24 * 3600


def parse_state_dir(target: str) -> Path:
    """dbt's target path for commands on this warehouse and target: its own
    partial-parse state and compiled SQL. The docs site keeps the project's
    `target/` (`artifacts=True`)."""
    key = "|".join((target, *(os.environ.get(name, "") for name in _WAREHOUSE_ENV)))
    name = hashlib.sha256(key.encode()).hexdigest()[:16]
    return PARSE_STATES_DIR / f"{target}-{name}"


def _prune_parse_states(keep: Path) -> None:
    """Remove the parse states no command has used for PARSE_STATE_TTL_S."""
    if not PARSE_STATES_DIR.is_dir():
        return
    cutoff = time.time() - PARSE_STATE_TTL_S
    for state in PARSE_STATES_DIR.iterdir():
        if state != keep and state.is_dir() and state.stat().st_mtime < cutoff:
            shutil.rmtree(state, ignore_errors=True)


def _runner(target: str) -> Any:
    """A dbtRunner on the project's manifest for `target`, parsed on first use."""
    from dbt.cli.main import dbtRunner

    key = (target, *(os.environ.get(name, "") for name in _WAREHOUSE_ENV))
    if key not in _manifests:
        state = parse_state_dir(target)
        state.mkdir(parents=True, exist_ok=True)
        os.utime(state)  # used now: kept by the pruning below
        _prune_parse_states(state)
        parsed = dbtRunner().invoke(dbt_command("parse", target=target))
        if not parsed.success:
            raise DbtError(f"dbt parse failed: {parsed.exception}")
        _manifests[key] = parsed.result
    return dbtRunner(manifest=_manifests[key])


def run_dbt(
    *args: str, target: str, variables: dict[str, Any] | None = None, artifacts: bool = False
) -> Any:
    """Run one dbt command against the project; return its result object.

    `target` is an output of profiles.yml; the vars of the TICKSTOCK_ENV
    profile with that target are passed too, under `variables`.

    dbt runs with `--quiet`: errors still print, and callers summarise the
    results instead of a line per node. Its JSON artifacts (`target/`'s
    manifest.json and run_results.json) are written only when `artifacts`
    asks for them, as the docs site does: nothing else reads them, callers
    keep the results, and writing them (the manifest twice) slows every
    command (docs/performance.md). A `dbt` typed in a shell still writes them.
    """
    warehouse = os.environ.get("TICKSTOCK_WAREHOUSE_URL")
    if warehouse:
        # The models read ops tables (ops.load_sequence numbers the loads they take).
        ensure_ops_schema(warehouse)
    if args[0] == "build":
        # Unit tests check the SQL against fixtures, not the data: `make test`
        # runs them all (tests/e2e/test_eod.py); a daily build would pay about
        # 0.2 s each (docs/performance.md). A `dbt build` in a shell runs them.
        args = (*args, "--exclude-resource-type", "unit_test")
    command = dbt_command(*args, target=target, variables=variables, artifacts=artifacts)
    with _bounded_statements():
        outcome = _runner(target).invoke(command)
    if not outcome.success:
        raise DbtError(failure_report(args[0], outcome.result, outcome.exception))
    return outcome.result


@contextlib.contextmanager
def _bounded_statements() -> Iterator[None]:
    """dbt's connections get the statement timeout (TICKSTOCK_PG_STATEMENT_TIMEOUT).

    dbt-postgres passes no libpq `options` of its own, so the timeout goes
    through libpq's PGOPTIONS, set only while dbt runs: other connections of
    the process (a reader's, with its own tighter timeout) are left alone.
    """
    previous = os.environ.get("PGOPTIONS")
    timeout = f"-c statement_timeout={current_bounds().pg_statement_timeout_s * 1000}"
    os.environ["PGOPTIONS"] = f"{timeout} {previous or ''}".strip()
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("PGOPTIONS", None)
        else:
            os.environ["PGOPTIONS"] = previous


def dbt_command(
    *args: str, target: str, variables: dict[str, Any] | None = None, artifacts: bool = False
) -> list[str]:
    """The arguments `run_dbt` hands to dbt for one command."""
    command = [
        "--quiet",
        *(() if artifacts else ("--no-write-json",)),
        *args,
        # The docs site goes to the project's target/ (or DBT_TARGET_PATH).
        *(() if artifacts else ("--target-path", str(parse_state_dir(target)))),
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target",
        target,
        "--log-path",
        str(STATE_DIR / "logs"),
    ]
    # The profile's vars first: a run's own vars (say, session_date) win.
    profile_vars = {
        name: value
        for profile in PROFILES.values()
        if profile.dbt_target == target
        for name, value in profile.dbt_vars.items()
    }
    if profile_vars or variables:
        command += ["--vars", json.dumps(profile_vars | (variables or {}))]
    return command


def failure_report(command: str, results: Any, exception: BaseException | None) -> str:
    """`dbt <command> failed`, then one line per failed node: its type, name, file
    and dbt's message (a test's count of failing rows, a database error)."""
    lines = [f"dbt {command} failed" + (f": {exception}" if exception else "")]
    for result in getattr(results, "results", None) or []:
        if str(result.status) not in FAILED_STATUSES:
            continue
        node = result.node
        message = " ".join(str(result.message or result.status).split())
        where = getattr(node, "original_file_path", "") or ""
        lines.append(f"  {node.resource_type} {node.name} ({where}): {message}")
    return "\n".join(lines)


def summarise(results: Any) -> dict[str, int]:
    """Count dbt node results by status, e.g. {"success": 11, "pass": 57}."""
    counts: dict[str, int] = {}
    for result in results.results:
        status = str(result.status)
        counts[status] = counts.get(status, 0) + 1
    return counts
