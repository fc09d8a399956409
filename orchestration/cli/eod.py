"""CLI commands of the end-of-day job: `eod`, `schedule`, `publish`, `db grant-reader`."""

from __future__ import annotations

import os
import sys
import time
from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from kernel.settings import WRITER_WAIT_SECONDS
from orchestration.cli.common import (
    WaitOption,
    as_date,
    console,
    date_option,
    errors,
    fail,
    state,
)

db_app = typer.Typer(help="Warehouse administration.")
_NEW_YORK = ZoneInfo("America/New_York")


def _job(settings, endpoints, wait: float, command: str):
    from orchestration.jobs.eod import EodJob
    from orchestration.jobs.notifier import RedisNotifier
    from orchestration.runtime.redis_client import redis_client

    notifier = RedisNotifier(redis_client(endpoints.redis_url), settings.bounds.notice_max_bytes)
    return EodJob(settings, endpoints, notifier, console=console, writer_wait=wait, command=command)


def eod_command(
    ctx: typer.Context,
    session: Annotated[
        datetime | None,
        date_option(
            "--date",
            help="Session to process. Default: the latest completed NYSE "
            "session (its close plus 30 minutes, 60 after an early close).",
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Run again even if the session is complete.")] = False,
    plan: Annotated[
        bool, typer.Option("--plan", help="Only print the session, its close and run time.")
    ] = False,
    wait: WaitOption = WRITER_WAIT_SECONDS,
) -> None:
    """Run the end-of-day job; bootstraps an empty warehouse first, resumes a failed run."""
    from extract.polygon import PolygonAuthError
    from orchestration.jobs.eod import MarketClosed, SessionNotFinal, calendar_for, utc_now
    from orchestration.jobs.ledger import RunInProgress
    from orchestration.jobs.provenance import SourceMismatch
    from orchestration.jobs.writer import WriterBusy
    from orchestration.runtime.watchdog import postgres_watchdog

    shared = state(ctx)
    requested = as_date(session)
    if plan:
        _print_plan(calendar_for(shared.settings), requested or utc_now().date())
        return
    endpoints = shared.endpoints()
    try:
        with postgres_watchdog(endpoints.database_url, _stalled):
            job = _job(shared.settings, endpoints, wait, ctx.command_path)
            outcome = job.run(requested, force=force)
    except PolygonAuthError as refused:
        raise fail(f"{refused}: check POLYGON_API_KEY") from None
    except MarketClosed as closed:
        console.print(f"Market closed: {closed}. Nothing processed, nothing published.")
        return
    except (SessionNotFinal, RunInProgress, WriterBusy, SourceMismatch) as early:
        raise fail(str(early), 2) from None
    if outcome.message:
        _print_summary(outcome)
        if outcome.message.status != "complete":
            raise typer.Exit(1)


def _stalled(reason: str) -> None:
    """The watchdog found Postgres stalled mid-run: end the process now, as a kill would.

    A query waiting on a stalled server cannot be interrupted; what was
    committed stays, the run keeps its ledger row and the next `eod` resumes it.
    """
    errors.print(
        f"[bold red]error:[/] Postgres did not answer: {reason}. Nothing committed is lost;"
        " run the command again once the server is back (the EOD resumes at the step that"
        " did not finish)."
    )
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(1)


def _print_plan(calendar, day: date) -> None:
    from orchestration.jobs.eod import plan_session

    plan = plan_session(calendar, day)
    if plan.session is None or plan.run_at is None:
        console.print(f"{day}: not a {plan.calendar} session (market closed); no EOD run.")
        return
    kind = "early close" if plan.session.early_close else "regular close"
    console.print(
        f"{day}: {plan.calendar} session, {kind} at {plan.session.close:%H:%M %Z}"
        f" ({plan.session.close.astimezone(_NEW_YORK):%H:%M %Z}); "
        f"EOD runs at {plan.run_at:%Y-%m-%d %H:%M %Z}"
        f" ({plan.run_at.astimezone(_NEW_YORK):%H:%M %Z})"
    )


def _print_summary(outcome) -> None:
    message = outcome.message
    table = Table(title=f"EOD {message.session_date} — {message.status}")
    for column in ("step", "status", "seconds", "detail"):
        table.add_column(column)
    for step in outcome.steps:
        detail = ", ".join(
            f"{key}={value}" for key, value in step.detail.items() if key != "message"
        )
        table.add_row(step.name, step.status, f"{step.duration_s:.1f}", detail)
    console.print(table)
    console.print(
        f"symbols expected {message.symbols_expected}, updated {message.symbols_updated} "
        f"({message.completion_pct}%), quality passed: {message.quality_passed}, "
        f"data source: {message.data_source}, total {message.duration_s:.1f}s"
    )
    compliance = message.compliance
    not_eod = ", ".join(f"{t}={n}" for t, n in sorted(compliance.not_eod_types.items()))
    console.print(
        f"compliance: {compliance.eod_symbols_processed} of {compliance.eod_symbols} "
        f"eod-type symbols processed ({compliance.eod_processed_pct}%); "
        f"not eod types: {not_eod or 'none'}; ticker details refreshed: "
        f"{compliance.details_refreshed} ({compliance.etf_details_refreshed} of "
        f"{compliance.etf_funds} funds)"
    )
    lifecycle = message.lifecycle
    renamed = [f"{r.from_}→{r.to}" for r in lifecycle.renamed]
    console.print(
        f"lifecycle: listed {lifecycle.listed or '-'}, delisted {lifecycle.delisted or '-'}, "
        f"renamed {renamed or '-'}"
    )
    actions = message.corporate_actions
    splits = [f"{a.symbol} {a.split_to:g}-for-{a.split_from:g}" for a in actions.splits]
    cash = [f"{a.symbol} {a.cash_amount:g}" for a in actions.dividends]
    if splits or cash:
        console.print(f"corporate actions: splits {splits or '-'}, dividends {cash or '-'}")
    for step in outcome.steps:
        for failure in step.detail.get("failures", []):
            errors.print(f"[red]failed to fetch[/] {failure}")
    if message.missing_symbols:
        console.print(f"missing: {', '.join(message.missing_symbols)}")
    console.print(f"GX Data Docs: {message.reports.data_docs}")
    console.print(f"Run record:   {message.reports.run_record}")


def schedule_command(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="Run what is due (catching up), then exit.")
    ] = False,
    cron: Annotated[
        bool, typer.Option("--cron", help="Print a crontab line instead of scheduling.")
    ] = False,
    wait: WaitOption = WRITER_WAIT_SECONDS,
) -> None:
    """Run the EOD at every session's run time; catch up sessions missed while down."""
    from kernel.warehouse import export_connection_env
    from orchestration.jobs.eod import calendar_for, utc_now
    from orchestration.jobs.ledger import RunLedger
    from orchestration.jobs.scheduler import EodScheduler, cron_line

    if cron:
        console.print(cron_line())
        return
    shared = state(ctx)
    settings, endpoints = shared.settings, shared.endpoints()
    export_connection_env(endpoints.database_url)
    job = _job(settings, endpoints, wait, ctx.command_path)
    # The ledger is opened at each wake-up: a database that is down then is retried.
    scheduler = EodScheduler(
        calendar=calendar_for(settings),
        first_finished=lambda: RunLedger(endpoints.database_url).first_finished_session(),
        finished_sessions=lambda since: RunLedger(endpoints.database_url).finished_sessions(since),
        run_session=lambda session: job.run(session),
        # Several due sessions: one transform for all of them.
        run_sessions=job.catch_up,
        clock=utc_now,
        sleep=time.sleep,
        log=console.print,
    )
    if once:
        if not scheduler.run_due():
            raise typer.Exit(1)
        return
    scheduler.run_forever()


def publish_command(
    ctx: typer.Context,
    pending: Annotated[
        bool, typer.Option("--pending", help="Deliver notices kept while Redis was down.")
    ] = False,
) -> None:
    """Deliver completion notices waiting in the outbox (once per run_id)."""
    from orchestration.jobs.eod import deliver_pending
    from orchestration.jobs.ledger import RunLedger
    from orchestration.jobs.notifier import RedisNotifier
    from orchestration.runtime.redis_client import redis_client

    if not pending:
        raise fail("nothing to do: give --pending", 2)
    shared = state(ctx)
    endpoints = shared.endpoints()
    ledger = RunLedger(endpoints.database_url)
    notifier = RedisNotifier(
        redis_client(endpoints.redis_url), shared.settings.bounds.notice_max_bytes
    )
    delivered, left = deliver_pending(ledger, notifier)
    console.print(f"delivered {delivered} notice(s); {left} still pending")
    if left:
        raise typer.Exit(1)


@db_app.command("grant-reader")
def grant_reader_command(
    ctx: typer.Context,
    role: Annotated[str, typer.Argument(help="Role to create or adopt (lowercase).")],
    force: Annotated[
        bool, typer.Option(help="Adopt a role holding other grants (they are revoked).")
    ] = False,
) -> None:
    """A read-only login role on the marts, and a Redis consumer user (TickStock's boundary).

    Passwords come from TICKSTOCK_READER_PASSWORD and TICKSTOCK_REDIS_CONSUMER_PASSWORD
    (else the consumer's is generated into .tickstock/secrets.json); never printed.
    """
    from orchestration.jobs.security import grant_reader, grant_redis_consumer
    from orchestration.runtime.services import redis_consumer_password

    endpoints = state(ctx).endpoints()
    try:
        grant = grant_reader(
            endpoints.database_url, role, os.environ.get("TICKSTOCK_READER_PASSWORD"), force
        )
    except ValueError as bad:
        raise fail(str(bad), 2) from None
    consumer = grant_redis_consumer(endpoints.redis_url, redis_consumer_password())
    for revoked in grant.revoked:
        console.print(f"revoked from {role}: {revoked}")
    console.print(
        f"role {role}: SELECT on marts only, read-only, search_path marts, bounded connections"
    )
    if grant.public_connect:
        console.print(
            f"note: {role} may still connect to {', '.join(grant.public_connect)} (CONNECT of"
            " PUBLIC); revoke it there if those databases are not for TickStock"
        )
    console.print(f"Postgres reader: {grant.url}")
    console.print(f"Redis consumer:  {consumer}  (reads tickstock:*, subscribes to tickstock.*)")
