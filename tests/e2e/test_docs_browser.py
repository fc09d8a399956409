"""`tickstock docs` builds both sites, and a real headless browser opens them.

Chromium is Debian's package (`make test` installs it when missing), driven by
playwright; every page must render its content with no console error, no
uncaught script error and no failed request — with no internet, as in CI.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from expectations.ohlcv_daily import validate_session
from kernel.settings import REPO_ROOT
from kernel.warehouse import connect, export_connection_env
from orchestration.runtime.services import Endpoints
from tests.support.databases import throwaway_database

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
SESSION = date(2025, 6, 13)


class Problems:
    """Everything a page complains about while it loads."""

    def __init__(self, page) -> None:
        self.found: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.found.append(f"script error: {error}"))
        page.on("requestfailed", self._failed)

    def _failed(self, request) -> None:
        # A navigation replaced by the next click is aborted, not broken.
        if request.failure != "net::ERR_ABORTED":
            self.found.append(f"failed: {request.url} ({request.failure})")

    def _console(self, message) -> None:
        if message.type == "error":
            self.found.append(f"console: {message.text}")


@pytest.fixture(scope="module")
def sites(servers: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """`tickstock docs` on a warehouse with one validated session."""
    with throwaway_database(servers.database_url) as url:
        with connect(url) as connection, connection.cursor() as cursor:
            cursor.execute(
                "create schema marts; create table marts.symbols (symbol text);"
                "insert into marts.symbols values ('AAPL');"
                "create table marts.ohlcv_daily (symbol text, date date, open numeric,"
                " high numeric, low numeric, close numeric, volume numeric);"
                "insert into marts.ohlcv_daily values ('AAPL', %s, 10, 11, 9, 10.5, 1000)",
                (SESSION,),
            )
        export_connection_env(url)
        assert validate_session(SESSION).success
        env = {
            **os.environ,
            "TICKSTOCK_DATABASE_URL": url,
            "TICKSTOCK_REDIS_URL": servers.redis_url,
            "DBT_TARGET_PATH": str(tmp_path_factory.mktemp("dbt_target")),
            "COLUMNS": "300",
        }
        tickstock = os.path.join(os.path.dirname(sys.executable), "tickstock")
        done = subprocess.run(
            [tickstock, "docs"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        paths = dict(re.findall(r"^(dbt docs|GX Data Docs):\s+(\S+)$", done.stdout, re.M))
        yield {name: Path(path) for name, path in paths.items()}


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM)
        yield chromium
        chromium.close()


def _open(browser, url: str):
    page = browser.new_page()
    page.set_default_timeout(30_000)
    problems = Problems(page)
    page.goto(url, wait_until="networkidle")
    return page, problems


def test_make_docs_prints_both_sites(sites: dict) -> None:
    assert sites["dbt docs"].name == "static_index.html" and sites["dbt docs"].exists()
    assert sites["GX Data Docs"].name == "index.html" and sites["GX Data Docs"].exists()


def test_dbt_docs_render_models_columns_and_exposures(browser, sites: dict) -> None:
    site = sites["dbt docs"].as_uri()
    page, problems = _open(browser, site)
    page.get_by_text("TickStock warehouse").first.wait_for()
    page.goto(f"{site}#!/model/model.tickstock.daily_bar_gaps")
    page.get_by_text("Missing daily bars").first.wait_for()
    page.get_by_text("run_start_date").first.wait_for()
    page.goto(f"{site}#!/exposure/exposure.tickstock.tickstock_app")
    page.get_by_text("pattern detection, backtests").first.wait_for()
    assert problems.found == []


def test_gx_data_docs_render_suites_and_results(browser, sites: dict) -> None:
    page, problems = _open(browser, sites["GX Data Docs"].as_uri())
    # The results table is drawn by bootstrap-table: it needs the local assets.
    suite = page.get_by_role("link", name="ohlcv_daily__suite").first
    suite.wait_for()
    assert page.locator("table tbody tr").count() >= 1
    suite.click()
    page.wait_for_url(re.compile(r"expectations/ohlcv_daily__suite\.html$"))
    page.wait_for_load_state("networkidle")
    page.get_by_text("Expectation Suite Name").first.wait_for()
    assert problems.found == []
