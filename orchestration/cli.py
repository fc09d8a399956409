"""`tickstock`: the command line behind the Makefile targets."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from orchestration.cli_sandbox import sandbox_app
from orchestration.settings import read_settings, redact_url

app = typer.Typer(
    help="TickStock market-data warehouse: extract (dlt) → transform (dbt) → quality (GX) → "
    "publish (Redis).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold credentials
)
services_app = typer.Typer(help="The embedded Postgres and Redis under .tickstock/.")
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(services_app, name="services")

console = Console(soft_wrap=True)  # paths must stay on one line
errors = Console(stderr=True)


def _endpoints():
    from orchestration.services import resolve_endpoints

    settings = read_settings()
    endpoints = resolve_endpoints(settings)
    where = "embedded" if endpoints.embedded_database else "configured"
    console.print(f"Postgres ({where}): {redact_url(endpoints.database_url)}")
    where = "embedded" if endpoints.embedded_redis else "configured"
    console.print(f"Redis ({where}): {redact_url(endpoints.redis_url)}")
    return settings, endpoints


def _announce(text: str) -> None:
    console.print(f"[bold yellow]{text}[/]")


def _fail(message: str, code: int = 1) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def _parse_date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _fail(f"{option} must be a date as YYYY-MM-DD, not {text!r}", 2) from None


@app.command()
def load(
    symbols: Annotated[
        str | None, typer.Option(help="Comma-separated tickers, e.g. AAPL,MSFT.")
    ] = None,
    universe: Annotated[
        str | None, typer.Option(help="Universe key: 'default' (the dev universe seed).")
    ] = None,
    years: Annotated[int | None, typer.Option(min=1, help="History length in years.")] = None,
    months: Annotated[int | None, typer.Option(min=1, help="History length in months.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First date (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last date (YYYY-MM-DD).")] = None,
) -> None:
    """Backfill daily bars for symbols or a universe, then rebuild the marts."""
    from extract.polygon import PolygonAuthError
    from extract.polygon.endpoint import polygon_endpoint
    from orchestration import loads
    from orchestration.dbt_runner import run_dbt
    from orchestration.eod import BOOTSTRAP_HISTORY, utc_now
    from orchestration.market_calendar import TradingCalendar
    from orchestration.warehouse import export_connection_env, relation_exists

    if (symbols is None) == (universe is None):
        raise _fail("give exactly one of --symbols or --universe", 2)
    if universe not in (None, "default"):
        raise _fail(f"unknown universe {universe!r}; known: default", 2)
    last = (
        _parse_date(end, "--to") if end else TradingCalendar().latest_completed_session(utc_now())
    )
    if start:
        first = _parse_date(start, "--from")
    elif years or months:
        first = last - timedelta(days=365 * (years or 0) + 31 * (months or 0))
    else:
        first = last - BOOTSTRAP_HISTORY
    if first > last:
        raise _fail(f"--from {first} is after --to {last}", 2)

    settings, endpoints = _endpoints()
    export_connection_env(endpoints.database_url)
    if not relation_exists(endpoints.database_url, "marts.ohlcv_daily"):
        # The calendar, seeds and both raw bar tables come from the bootstrap.
        raise _fail("the warehouse is empty: run `tickstock eod` (or `make eod`) first", 2)
    tickers = (
        [s.strip() for s in symbols.split(",") if s.strip()]
        if symbols
        else loads.universe_symbols(endpoints.database_url)
    )
    console.print(f"Loading daily bars {first} → {last} for {len(tickers)} symbols")
    try:
        with polygon_endpoint(settings, _announce) as api:
            landing = loads.land_polygon(
                endpoints.database_url,
                api,
                resources=("tickers", "aggs_daily"),
                symbols=tickers,
                start=first,
                end=last,
            )
    except PolygonAuthError as refused:
        raise _fail(f"{refused}: check POLYGON_API_KEY") from None
    console.print(f"Landed rows: {landing.rows}")
    run_dbt("build", target=settings.dbt_target)
    if landing.failures:
        table = Table(title=f"{len(landing.failures)} request(s) failed; their data is missing")
        for column in ("endpoint", "for", "reason"):
            table.add_column(column)
        for failure in landing.failures:
            table.add_row(failure.endpoint, failure.subject, failure.reason)
        errors.print(table)
        raise typer.Exit(1)


@app.command()
def docs() -> None:
    """Build the dbt docs site and the GX Data Docs; print where to open them."""
    from expectations.ohlcv_daily import build_data_docs
    from orchestration.dbt_runner import run_dbt
    from orchestration.settings import DBT_PROJECT_DIR
    from orchestration.warehouse import export_connection_env

    settings, endpoints = _endpoints()
    export_connection_env(endpoints.database_url)
    run_dbt("docs", "generate", "--static", target=settings.dbt_target)
    gx_index = build_data_docs()
    console.print(f"dbt docs:     {DBT_PROJECT_DIR / 'target' / 'static_index.html'}")
    console.print(f"GX Data Docs: {gx_index}")


@services_app.command("up")
def services_up() -> None:
    """Start the embedded Postgres and Redis (skipped for configured URLs)."""
    _endpoints()


@services_app.command("down")
def services_down() -> None:
    """Stop the embedded Postgres and Redis."""
    from orchestration.services import stop_embedded

    stopped = stop_embedded()
    console.print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


# The EOD commands live in their own module, which imports the helpers above.
from orchestration.cli_eod import (  # noqa: E402
    db_app,
    eod_command,
    publish_command,
    schedule_command,
)

app.command("eod")(eod_command)
app.command("schedule")(schedule_command)
app.command("publish")(publish_command)
app.add_typer(db_app, name="db")

from orchestration.cli_quality import quality_command  # noqa: E402

app.command("quality")(quality_command)

from orchestration.cli_groups import holdings_app, report_command, universes_app  # noqa: E402

app.add_typer(holdings_app, name="holdings")
app.add_typer(universes_app, name="universes")
app.command("report")(report_command)

if __name__ == "__main__":
    app()
