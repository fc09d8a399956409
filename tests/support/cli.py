"""Running the installed `tickstock` CLI as a user would, on given servers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kernel.settings import REPO_ROOT

TICKSTOCK = os.path.join(os.path.dirname(sys.executable), "tickstock")


def cli_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a CLI run: these servers, the sandbox unless `extra` says else."""
    env = {**os.environ, "TICKSTOCK_DATABASE_URL": database_url, "TICKSTOCK_REDIS_URL": redis_url}
    env.pop("POLYGON_API_KEY", None)
    env["COLUMNS"] = "200"
    env.update(extra)
    return env


def run_cli(*args: str, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [TICKSTOCK, *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@contextmanager
def sandbox_process(log: Path, *options: str) -> Iterator[str]:
    """`tickstock sandbox serve` in its own process; yields its base URL.

    Its access log (one line per request: method, path, status) goes to `log`.
    """
    with log.open("w") as access_log:
        server = subprocess.Popen(
            [TICKSTOCK, "sandbox", "serve", "--port", "0", *options],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=access_log,
            text=True,
        )
        try:
            banner = server.stdout.readline()
            found = re.search(r"at (http://127\.0\.0\.1:\d+)", banner)
            assert found, f"sandbox did not start: {banner!r}"
            yield found.group(1)
        finally:
            server.terminate()
            server.wait(timeout=10)
