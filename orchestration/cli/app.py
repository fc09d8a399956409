"""`tickstock`: the command line behind the Makefile targets."""

from __future__ import annotations

from typing import Any

import typer

from orchestration.cli.common import CliState, console, errors, state
from orchestration.cli.dev import dev_app
from orchestration.cli.eod import db_app, eod_command, publish_command, schedule_command
from orchestration.cli.groups import holdings_app, report_command, universes_app
from orchestration.cli.load import load_command
from orchestration.cli.quality import quality_command
from orchestration.cli.sandbox import sandbox_app


class _TickstockApp(typer.Typer):
    """The root app: a failed dbt node ends the command with dbt's own account of
    it (which node, why) and exit code 1, not a Python traceback."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from orchestration.runtime.dbt_runner import DbtError

        try:
            return super().__call__(*args, **kwargs)
        except DbtError as failure:
            errors.print(f"[bold red]error:[/] {failure}", markup=True, highlight=False)
            raise SystemExit(1) from None
        except Exception as error:
            unavailable = server_unavailable(error)
            if unavailable is None:
                raise
            errors.print(f"[bold red]error:[/] {unavailable}", markup=True, highlight=False)
            raise SystemExit(1) from None


def server_unavailable(error: BaseException) -> str | None:
    """One line for a Postgres or Redis that did not answer in time (or at all), else None.

    Timeouts (TICKSTOCK_PG_CONNECT_TIMEOUT, TICKSTOCK_PG_STATEMENT_TIMEOUT,
    TICKSTOCK_REDIS_TIMEOUT) end the command here, without a traceback; what
    was committed stays, and the next run resumes.
    """
    import psycopg2
    import redis

    current: BaseException | None = error
    seen: set[int] = set()  # a chain can loop (an exception that is its own context)
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, psycopg2.OperationalError | psycopg2.InterfaceError):
            server = "Postgres"
            break
        if isinstance(current, redis.ConnectionError | redis.TimeoutError):
            server = "Redis"
            break
        current = current.__cause__ or current.__context__
    else:
        return None
    reason = " ".join(str(current).split()) or type(current).__name__
    return (
        f"{server} did not answer: {reason}. Nothing committed is lost; run the command "
        "again once the server is back (a failed EOD resumes at the step that did not finish)."
    )


app = _TickstockApp(
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


@app.callback()
def shared_state(ctx: typer.Context) -> None:
    # Settings and servers are resolved once, by the first command that needs them.
    ctx.obj = CliState()


@app.command()
def docs(ctx: typer.Context) -> None:
    """Build the dbt docs site and the GX Data Docs; print where to open them."""
    from kernel.warehouse import export_connection_env
    from orchestration.jobs.docs_sites import build_docs

    shared = state(ctx)
    export_connection_env(shared.endpoints().database_url)
    dbt_page, gx_index = build_docs(shared.settings.dbt_target)
    console.print(f"dbt docs:     {dbt_page}")
    console.print(f"GX Data Docs: {gx_index}")


@services_app.command("up")
def services_up(ctx: typer.Context) -> None:
    """Start the embedded Postgres and Redis (skipped for configured URLs)."""
    state(ctx).endpoints()


@services_app.command("down")
def services_down() -> None:
    """Stop the embedded Postgres and Redis."""
    from orchestration.runtime.services import stop_embedded

    stopped = stop_embedded()
    console.print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


app.command("eod")(eod_command)
app.command("schedule")(schedule_command)
app.command("publish")(publish_command)
app.add_typer(db_app, name="db")
app.command("load")(load_command)
app.command("quality")(quality_command)
app.add_typer(holdings_app, name="holdings")
app.add_typer(universes_app, name="universes")
app.command("report")(report_command)
app.add_typer(dev_app, name="dev")

if __name__ == "__main__":
    app()
