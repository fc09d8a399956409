"""`make docs`: the dbt docs site and the GX Data Docs, as files a browser opens."""

from __future__ import annotations

import os
from pathlib import Path

from kernel.settings import DBT_PROJECT_DIR
from orchestration.runtime.dbt_runner import run_dbt

# Two slips in dbt-docs' static page, each a failed request in the console:
# SVG icons whose `xlink:href` holds an Angular expression the browser
# fetches before Angular fills it in (`ng-attr-` sets it only once filled),
# and a favicon link whose build-time `require()` was never resolved.
DBT_DOCS_FIXES = {
    '<use xlink:href="{{': '<use ng-attr-xlink:href="{{',
    "href=\"${require('./assets/favicons/favicon.ico')}\"": 'href="data:,"',
}


def dbt_target_dir() -> Path:
    """Where dbt writes its artifacts: `DBT_TARGET_PATH` or the project's `target/`."""
    configured = os.environ.get("DBT_TARGET_PATH")
    if not configured:
        return DBT_PROJECT_DIR / "target"
    path = Path(configured)
    return path if path.is_absolute() else DBT_PROJECT_DIR / path


def fix_dbt_docs(page: Path) -> None:
    text = page.read_text()
    for broken, fixed in DBT_DOCS_FIXES.items():
        text = text.replace(broken, fixed)
    page.write_text(text)


def build_docs(target: str) -> tuple[Path, Path]:
    """Build both sites; return the dbt docs page and the Data Docs index.

    The warehouse connection must already be exported (dbt reads the catalog).
    """
    from expectations.ohlcv_daily import build_data_docs

    run_dbt("docs", "generate", "--static", target=target, artifacts=True)
    dbt_page = dbt_target_dir() / "static_index.html"
    fix_dbt_docs(dbt_page)
    return dbt_page, build_data_docs()
