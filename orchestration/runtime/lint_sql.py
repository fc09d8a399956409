"""Run sqlfluff on the dbt project with the warehouse connection dbt needs.

sqlfluff's dbt templater compiles the models, and compiling incremental models
asks the database whether the target exists, so the servers must be up.
"""

from __future__ import annotations

import subprocess
import sys

from kernel.settings import DBT_PROJECT_DIR, REPO_ROOT, read_settings
from kernel.warehouse import export_connection_env
from orchestration.runtime.services import resolve_endpoints


def main(argv: list[str]) -> int:
    export_connection_env(resolve_endpoints(read_settings()).database_url)
    command = "fix" if "--fix" in argv else "lint"
    sqlfluff = [sys.executable, "-m", "sqlfluff", command, str(DBT_PROJECT_DIR)]
    return subprocess.run(sqlfluff, cwd=REPO_ROOT, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
