"""`tickstock holdings …`, `tickstock universes …` and `tickstock report`."""

from __future__ import annotations

import contextlib
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from kernel.settings import WRITER_WAIT_SECONDS
from orchestration.cli.common import (
    CliState,
    WaitOption,
    console,
    errors,
    fail,
    state,
    writing,
)

holdings_app = typer.Typer(help="ETF holdings files (iShares, SSGA, plain CSV): load, roll back.")
universes_app = typer.Typer(
    help="Groups `load --universe` takes: list them; load universe lists "
    "(symbol,name,weight,sector,market_cap)."
)


class LoadMode(StrEnum):
    """extract.holdings.loader.MODES, as choices."""

    FULL = "full"
    INCREMENTAL = "incremental"
    DRY_RUN = "dry-run"


class ReportFormat(StrEnum):
    """orchestration.reporting.report.FORMATS, as choices."""

    TEXT = "text"
    MD = "md"
    JSON = "json"
    HTML = "html"


Mode = Annotated[
    LoadMode,
    typer.Option(
        help="full: load every file; incremental: only files whose checksum changed; "
        "dry-run: validate and show what would change, write nothing."
    ),
]
Rollback = Annotated[
    bool, typer.Option("--rollback", help="Restore the group's previous load instead.")
]
Build = Annotated[
    bool, typer.Option(help="Rebuild the groups marts and publish the relationship cache.")
]


@holdings_app.command("load")
def holdings_load(
    ctx: typer.Context,
    paths: Annotated[list[Path] | None, typer.Argument(help="Holdings files.")] = None,
    mode: Mode = LoadMode.FULL,
    etf: Annotated[
        str | None, typer.Option(help="ETF symbol (default: from the file name).")
    ] = None,
    rollback: Rollback = False,
    build: Build = True,
    wait: WaitOption = WRITER_WAIT_SECONDS,
) -> None:
    """Load ETF holdings files (or --rollback an ETF to its previous load)."""
    _load_or_rollback(ctx, "ETF", paths or [], mode, etf, rollback, build, wait)


@universes_app.command("load")
def universes_load(
    ctx: typer.Context,
    paths: Annotated[list[Path] | None, typer.Argument(help="Universe CSV files.")] = None,
    mode: Mode = LoadMode.FULL,
    name: Annotated[
        str | None, typer.Option(help="Universe name (default: the file name, e.g. sp500).")
    ] = None,
    rollback: Rollback = False,
    build: Build = True,
    wait: WaitOption = WRITER_WAIT_SECONDS,
) -> None:
    """Load universe lists into definition_groups of type UNIVERSE (or --rollback one)."""
    _load_or_rollback(ctx, "UNIVERSE", paths or [], mode, name, rollback, build, wait)


@universes_app.command("list")
def universes_list(
    ctx: typer.Context,
    empty: Annotated[
        bool, typer.Option("--empty/--no-empty", help="Also list groups with no members.")
    ] = False,
) -> None:
    """Every group `tickstock load --universe NAME` accepts, with its member count."""
    from kernel.warehouse import relation_exists
    from orchestration.jobs.loads import list_groups

    endpoints = state(ctx).endpoints(banner=False)
    if not relation_exists(endpoints.database_url, "marts.definition_groups"):
        raise fail(
            "the groups marts are not built yet: `tickstock load` (it bootstraps an empty "
            "warehouse) or `tickstock eod` builds them",
            2,
        )
    groups = list_groups(endpoints.database_url)
    shown = [group for group in groups if empty or group.members]
    table = Table(
        title=f"{len(shown)} groups with members ({len(groups)} in all)"
        if not empty
        else f"{len(groups)} groups"
    )
    table.add_column("--universe", no_wrap=True, style="bold")
    table.add_column("type")
    table.add_column("members", justify="right")
    table.add_column("description")
    for group in shown:
        table.add_row(group.key, group.group_type, str(group.members), group.description or "")
    console.print(table)


def _load_or_rollback(
    ctx: typer.Context,
    group_type: str,
    paths: list[Path],
    mode: LoadMode,
    name: str | None,
    rollback: bool,
    build: bool,
    wait: float,
) -> None:
    shared = state(ctx)
    endpoints = shared.endpoints()
    # A dry run writes nothing: it takes no writer lock.
    dry_run = mode == LoadMode.DRY_RUN and not rollback
    with contextlib.nullcontext() if dry_run else writing(ctx, endpoints.database_url, wait):
        _land_and_build(shared, group_type, paths, mode, name, rollback, build)


def _land_and_build(
    shared: CliState,
    group_type: str,
    paths: list[Path],
    mode: LoadMode,
    name: str | None,
    rollback: bool,
    build: bool,
) -> None:
    from extract.holdings.formats import HoldingsFileError
    from extract.holdings.loader import LoadCheckFailed, load_files
    from extract.holdings.loader import rollback as rollback_group

    endpoints = shared.endpoints()
    try:
        if rollback:
            names = [name] if name else [_name_of(path, group_type) for path in paths]
            if not names:
                raise fail("--rollback needs the group: --etf/--name or a file", 2)
            changes = [
                rollback_group(endpoints.database_url, group_type, _canonical(n, group_type))
                for n in names
            ]
        else:
            if not paths:
                raise fail("give at least one file", 2)
            changes = load_files(endpoints.database_url, paths, group_type, mode.value, name)
    except (HoldingsFileError, LoadCheckFailed, ValueError) as refused:
        raise fail(f"{refused}\nnothing was loaded; every group keeps its previous state") from None
    _print_changes(changes)
    wrote = any(change.action in ("loaded", "rolled back") for change in changes)
    if wrote and build:
        rebuild_and_publish(shared.settings, endpoints)


def _canonical(name: str, group_type: str) -> str:
    return name.upper() if group_type == "ETF" else name


def _name_of(path: Path, group_type: str) -> str:
    from extract.holdings.formats import etf_from_filename

    name = etf_from_filename(path) if group_type == "ETF" else path.name.split(".")[0]
    if not name:
        raise fail(f"{path}: cannot tell the group from the file name", 2)
    return name


def _print_changes(changes) -> None:
    table = Table(title="Groups")
    for column in ("group", "action", "rows", "added", "removed", "unknown tickers", "source"):
        table.add_column(column)
    for change in changes:
        table.add_row(
            f"{change.group_type} {change.group_name}",
            change.action,
            str(change.rows),
            f"+{len(change.added)}",
            f"-{len(change.removed)}",
            _unknown_summary(change.findings.unknown_tickers),
            change.source,
        )
    console.print(table)
    for change in changes:
        for warning in change.findings.warnings:
            errors.print(f"[yellow]warning:[/] {warning}")
        if change.action == "would load":
            for label, symbols in (("would add", change.added), ("would remove", change.removed)):
                if symbols:
                    console.print(f"{change.group_name} {label}: {' '.join(symbols[:40])}")


def _unknown_summary(unknown: list[str]) -> str:
    shown = " ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
    return f"{len(unknown)} {shown}".strip()


def rebuild_and_publish(settings, endpoints) -> None:
    """Rebuild the groups marts, then publish the relationship cache to Redis."""
    from kernel.warehouse import export_connection_env, relation_exists
    from orchestration.jobs.loads import ensure_seeds
    from orchestration.jobs.relationships import publish_relationships
    from orchestration.runtime.dbt_runner import run_dbt, summarise
    from orchestration.runtime.redis_client import redis_client

    export_connection_env(endpoints.database_url)
    if not relation_exists(endpoints.database_url, "marts.ohlcv_daily"):
        console.print("The marts are not built yet: files landed; `tickstock eod` builds them.")
        return
    ensure_seeds(endpoints.database_url, settings.dbt_target)
    results = run_dbt("build", "--selector", "groups", target=settings.dbt_target)
    console.print(f"dbt: {summarise(results)}")
    client = redis_client(endpoints.redis_url)
    try:
        publication = publish_relationships(endpoints.database_url, client)
    finally:
        client.close()
    console.print(
        f"Relationship cache published ({sum(publication.entries.values())} entries); "
        f"{len(publication.changed_groups)} group(s) changed"
        + (", tickstock.universe.updated sent" if publication.notified else "")
    )


def report_command(
    ctx: typer.Context,
    summary: Annotated[
        bool, typer.Option("--summary", help="Counts, coverage, top holdings.")
    ] = False,
    detail: Annotated[
        bool, typer.Option("--detail", help="Everything, with top 10 holdings of every ETF.")
    ] = False,
    output_format: Annotated[
        ReportFormat, typer.Option("--format", help="Output format.")
    ] = ReportFormat.TEXT,
    output: Annotated[
        Path | None, typer.Option(help="Write to this file instead of the terminal.")
    ] = None,
) -> None:
    """Relationship report: counts, sector distribution, coverage, top holdings per ETF."""
    from kernel.warehouse import relation_exists
    from orchestration.reporting.report import build_report, render

    if summary and detail:
        raise fail("give --summary or --detail, not both", 2)
    # No connection banner: stdout may be the JSON or HTML itself.
    endpoints = state(ctx).endpoints(banner=False)
    if not relation_exists(endpoints.database_url, "marts.definition_groups"):
        raise fail("the groups marts are not built: run `tickstock eod` first", 2)
    text = render(build_report(endpoints.database_url, detail=detail), output_format.value)
    if output:
        output.write_text(text)
        console.print(f"Report written to {output}")
    else:
        typer.echo(text)
