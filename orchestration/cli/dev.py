"""`tickstock dev …`: refresh a dev warehouse, save and restore baselines (never prod)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from kernel.settings import WRITER_WAIT_SECONDS, Settings
from orchestration.cli.common import (
    Endpoints,
    WaitOption,
    announce,
    console,
    errors,
    fail,
    state,
    writing,
)

dev_app = typer.Typer(
    help="The developer's loop on a dev warehouse: refresh to the latest session, "
    "snapshot a baseline, reset to it. Refused on prod."
)

SnapshotName = Annotated[
    str, typer.Argument(help="Snapshot name (lowercase letters, digits, underscores).")
]


def _dev_endpoints(ctx: typer.Context) -> tuple[Settings, Endpoints]:
    from orchestration.jobs.dev import DevRefused, refuse_prod

    shared = state(ctx)
    settings, endpoints = shared.settings, shared.endpoints()
    try:
        refuse_prod(settings, endpoints.database_url)
    except DevRefused as refused:
        raise fail(str(refused), 2) from None
    return settings, endpoints


def _size(size_bytes: int) -> str:
    return f"{size_bytes / 1_000_000:.1f} MB"


@dev_app.command("refresh")
def refresh_command(ctx: typer.Context, wait: WaitOption = WRITER_WAIT_SECONDS) -> None:
    """Fetch the sessions the warehouse's symbols miss up to the latest completed one."""
    from extract.polygon import PolygonAuthError
    from kernel.warehouse import export_connection_env
    from orchestration.jobs.dev import DevRefused, refresh
    from orchestration.jobs.eod import calendar_for, utc_now
    from orchestration.jobs.loads import PAID_CONCURRENCY
    from orchestration.runtime.endpoints import polygon_endpoint

    settings, endpoints = _dev_endpoints(ctx)
    export_connection_env(endpoints.database_url)
    calendar = calendar_for(settings)
    session = calendar.latest_completed_session(utc_now())
    try:
        with (
            writing(ctx, endpoints.database_url, wait, extracts=True),
            polygon_endpoint(settings, announce) as api,
        ):
            concurrency = settings.polygon_concurrency or (
                1 if api.policy.per_minute else PAID_CONCURRENCY
            )
            done = refresh(
                endpoints.database_url,
                api,
                calendar,
                session,
                settings.dbt_target,
                concurrency,
                settings.load_batch_rows,
            )
    except DevRefused as refused:
        raise fail(str(refused), 2) from None
    except PolygonAuthError as refused:
        raise fail(f"{refused}: check POLYGON_API_KEY") from None
    if not done.ranges:
        console.print(f"Up to date: every symbol has its bar of {session} ({done.seconds:.1f}s).")
        return
    for first, symbols in sorted(done.ranges.items()):
        console.print(f"  {len(symbols)} symbols from {first} to {session}: {' '.join(symbols)}")
    console.print(
        f"Refreshed to {session}: {done.symbols} symbols, up to {done.sessions_missing} "
        f"missing sessions, rows {done.rows}, dbt {done.dbt}, in {done.seconds:.1f}s"
    )
    for failure in done.failures:
        errors.print(f"[red]failed to fetch[/] {failure.subject}: {failure.reason}")
    if done.failures:
        raise typer.Exit(1)


@dev_app.command("snapshot")
def snapshot_command(
    ctx: typer.Context,
    name: SnapshotName = "baseline",
    list_them: Annotated[
        bool, typer.Option("--list", help="List this warehouse's snapshots instead.")
    ] = False,
    drop: Annotated[bool, typer.Option("--drop", help="Delete snapshot NAME instead.")] = False,
    wait: WaitOption = WRITER_WAIT_SECONDS,
) -> None:
    """Save the warehouse as snapshot NAME (a Postgres template database)."""
    from orchestration.jobs.dev import DevRefused, drop_snapshot, list_snapshots, take_snapshot

    _, endpoints = _dev_endpoints(ctx)
    database_url = endpoints.database_url
    try:
        if list_them:
            table = Table(title="Snapshots")
            table.add_column("name", no_wrap=True)
            table.add_column("size", justify="right")
            for snapshot, size in list_snapshots(database_url):
                table.add_row(snapshot, _size(size))
            console.print(table)
            return
        if drop:
            gone = drop_snapshot(database_url, name)
            console.print(f"snapshot {name}: {'dropped' if gone else 'there was none'}")
            return
        # Under the writer lock: the copy is never of a half-written warehouse.
        with writing(ctx, database_url, wait):
            done = take_snapshot(database_url, name)
    except DevRefused as refused:
        raise fail(str(refused), 2) from None
    console.print(
        f"Saved {done.database} as snapshot {done.snapshot!r} "
        f"({_size(done.size_bytes)}) in {done.seconds:.1f}s; "
        f"`tickstock dev reset {done.snapshot}` restores it"
    )


@dev_app.command("reset")
def reset_command(
    ctx: typer.Context, name: SnapshotName = "baseline", wait: WaitOption = WRITER_WAIT_SECONDS
) -> None:
    """Replace the warehouse by snapshot NAME; other connections to it are ended."""
    from orchestration.jobs.dev import DevRefused, reset_to_snapshot

    _, endpoints = _dev_endpoints(ctx)
    try:
        # The reset ends every connection, the lock's too: it waits for a writer first.
        with writing(ctx, endpoints.database_url, wait):
            done = reset_to_snapshot(endpoints.database_url, name)
    except DevRefused as refused:
        raise fail(str(refused), 2) from None
    console.print(
        f"Reset {done.database} to snapshot {done.snapshot!r} "
        f"({_size(done.size_bytes)}) in {done.seconds:.1f}s; "
        "dlt takes its state from the restored database"
    )
