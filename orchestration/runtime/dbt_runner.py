"""Run dbt in-process (dbtRunner): one Python start-up instead of one per command."""

from __future__ import annotations

import json
from typing import Any

from kernel.settings import DBT_PROJECT_DIR, PROFILES, STATE_DIR


class DbtError(RuntimeError):
    """A dbt command failed; dbt has already printed why."""


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
    from dbt.cli.main import dbtRunner

    command = dbt_command(*args, target=target, variables=variables, artifacts=artifacts)
    outcome = dbtRunner().invoke(command)
    if not outcome.success:
        detail = f": {outcome.exception}" if outcome.exception else ""
        raise DbtError(f"dbt {args[0]} failed{detail}")
    return outcome.result


def dbt_command(
    *args: str, target: str, variables: dict[str, Any] | None = None, artifacts: bool = False
) -> list[str]:
    """The arguments `run_dbt` hands to dbt for one command."""
    command = [
        "--quiet",
        *(() if artifacts else ("--no-write-json",)),
        *args,
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


def summarise(results: Any) -> dict[str, int]:
    """Count dbt node results by status, e.g. {"success": 11, "pass": 57}."""
    counts: dict[str, int] = {}
    for result in results.results:
        status = str(result.status)
        counts[status] = counts.get(status, 0) + 1
    return counts
