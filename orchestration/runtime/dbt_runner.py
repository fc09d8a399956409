"""Run dbt in-process (dbtRunner): one Python start-up instead of one per command."""

from __future__ import annotations

import json
from typing import Any

from kernel.settings import DBT_PROJECT_DIR, STATE_DIR


class DbtError(RuntimeError):
    """A dbt command failed; the message names the failed nodes and why."""


FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})


def run_dbt(
    *args: str, target: str, variables: dict[str, Any] | None = None, artifacts: bool = False
) -> Any:
    """Run one dbt command against the project; return its result object.

    dbt runs with `--quiet`: errors still print, and callers summarise the
    results instead of a line per node. Its JSON artifacts (`target/`'s
    manifest.json and run_results.json) are written only when `artifacts`
    asks for them, as the docs site does: nothing else reads them, callers
    keep the results, and writing them (the manifest twice) slows every
    command (docs/performance.md). A `dbt` typed in a shell still writes them.
    """
    from dbt.cli.main import dbtRunner

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
    if variables:
        command += ["--vars", json.dumps(variables)]
    outcome = dbtRunner().invoke(command)
    if not outcome.success:
        raise DbtError(failure_report(args[0], outcome.result, outcome.exception))
    return outcome.result


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
