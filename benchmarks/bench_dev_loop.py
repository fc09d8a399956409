"""The developer's loop, timed as a user runs it: `python -m benchmarks.bench_dev_loop`.

Targets (issue 18), each printed with OK or OVER TARGET:

- a warm dev `tickstock eod` (the dev universe, 15 symbols, one session): at
  most 10 s;
- catching up 20 missed sessions of the dev universe (`tickstock schedule
  --once`): at most 60 s;
- `tickstock dev refresh` of 50 symbols after 5 missed sessions: under 30 s;
- `tickstock dev reset` of a 50-symbol x 5-year warehouse: under 5 s.

Each figure is the wall time of one CLI process (Python start-up included)
on a throw-away database of the configured (or embedded) Postgres. The EOD
and the catch-up run on the built-in dev sandbox, served as of each
session; refresh and reset on a full-size sandbox served over HTTP, with 50
of its common stocks loaded by `tickstock load` on an empty warehouse.
Sessions are the latest completed ones (pandas-market-calendars), so the
figures are of the days before the run.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from benchmarks import timed
from benchmarks.bench_load_vs_pandas import common_stocks, sandbox_env
from kernel.market_calendar import TradingCalendar
from kernel.settings import read_settings
from orchestration.jobs.dev import drop_snapshot
from orchestration.jobs.eod import utc_now
from orchestration.runtime.services import Endpoints, resolve_endpoints
from tests.support.cli import cli_env, run_cli, sandbox_process
from tests.support.databases import throwaway_database

CATCH_UP_SESSIONS = 20
MISSED_SESSIONS = 5
REFRESH_SYMBOLS = 50
TARGETS_S = {"dev eod": 10.0, "catch-up": 60.0, "dev refresh": 30.0, "dev reset": 5.0}


def _report(name: str, seconds: float, what: str) -> None:
    target = TARGETS_S[name]
    verdict = "OK" if seconds <= target else "OVER TARGET"
    print(f"{name}: {seconds:6.1f} s  {what} (target <= {target:g} s) {verdict}", flush=True)


def _run(*args: str, env: dict[str, str]) -> float:
    """Seconds one CLI command took; it must succeed."""
    seconds, completed = timed(lambda: run_cli(*args, env=env))
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return seconds


def _dev_eod_and_catch_up(server: Endpoints, sessions: list) -> None:
    """Bootstrap, one warm-up EOD, one timed EOD, then 20 sessions caught up."""
    bootstrap, warm_up, measured = sessions[-CATCH_UP_SESSIONS - 3 : -CATCH_UP_SESSIONS]
    with throwaway_database(server.database_url) as database_url:
        env = cli_env(database_url, server.redis_url)
        for session in (bootstrap, warm_up):
            _run("eod", "--date", session.isoformat(), env=env)
        seconds = _run("eod", "--date", measured.isoformat(), env=env)
        _report("dev eod", seconds, f"one session ({measured}), dev universe, warm")
        seconds = _run("schedule", "--once", env=env)
        _report(
            "catch-up",
            seconds,
            f"{CATCH_UP_SESSIONS} missed sessions ({sessions[-CATCH_UP_SESSIONS]} to "
            f"{sessions[-1]}), one `schedule --once`",
        )


def _refresh_and_reset(server: Endpoints, sessions: list) -> None:
    """50 stocks x 5 years loaded 5 sessions behind; snapshot, refresh, reset."""
    stale = sessions[-MISSED_SESSIONS - 1]
    log = Path(tempfile.mkdtemp()) / "sandbox.log"
    with (
        sandbox_process(log, "--size", "full") as base_url,
        throwaway_database(server.database_url) as database_url,
    ):
        env = sandbox_env(database_url, server.redis_url, base_url)
        symbols = ",".join(common_stocks(base_url, REFRESH_SYMBOLS))
        _run("load", "--symbols", symbols, "--years", "5", "--to", str(stale), env=env)
        try:
            snapshot_s = _run("dev", "snapshot", "bench", env=env)
            seconds = _run("dev", "refresh", env=env)
            _report(
                "dev refresh",
                seconds,
                f"{REFRESH_SYMBOLS} symbols, {MISSED_SESSIONS} missed sessions (to {sessions[-1]})",
            )
            seconds = _run("dev", "reset", "bench", env=env)
            _report(
                "dev reset",
                seconds,
                f"{REFRESH_SYMBOLS} symbols x 5 years (the snapshot took {snapshot_s:.1f} s)",
            )
        finally:
            drop_snapshot(database_url, "bench")


def main() -> None:
    server = resolve_endpoints(read_settings())
    latest = TradingCalendar().latest_completed_session(utc_now())
    sessions = TradingCalendar().session_dates(latest - timedelta(days=60), latest)
    _dev_eod_and_catch_up(server, sessions)
    _refresh_and_reset(server, sessions)


if __name__ == "__main__":
    main()
