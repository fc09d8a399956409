"""`tickstock`: the command line behind the Makefile targets."""

from __future__ import annotations

from datetime import date

import typer
from rich.console import Console

from orchestration.cli_sandbox import sandbox_app
from orchestration.settings import read_settings, redact_url

app = typer.Typer(
    help="TickStock market-data warehouse: extract (dlt) → transform (dbt) → quality (GX) → "
    "publish (Redis).",
    no_args_is_help=True,
    # Plain tracebacks: rich's renderer can take minutes and gigabytes on deep
    # dlt/dbt stacks, and must never show locals (they may hold credentials).
    pretty_exceptions_enable=False,
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
def docs() -> None:
    """Build the dbt docs site and the GX Data Docs; print where to open them."""
    from orchestration.docs_sites import build_docs
    from orchestration.warehouse import export_connection_env

    settings, endpoints = _endpoints()
    export_connection_env(endpoints.database_url)
    dbt_page, gx_index = build_docs(settings.dbt_target)
    console.print(f"dbt docs:     {dbt_page}")
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

from orchestration.cli_load import load_command  # noqa: E402

app.command("load")(load_command)

from orchestration.cli_quality import quality_command  # noqa: E402

app.command("quality")(quality_command)

from orchestration.cli_groups import holdings_app, report_command, universes_app  # noqa: E402

app.add_typer(holdings_app, name="holdings")
app.add_typer(universes_app, name="universes")
app.command("report")(report_command)

if __name__ == "__main__":
    app()
