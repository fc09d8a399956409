"""What every command module shares: the consoles, errors, option types and the run's state."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any

import typer
from rich.console import Console

from kernel.settings import Settings, SettingsError, read_settings, redact_url
from orchestration.runtime.services import Endpoints, resolve_endpoints

console = Console(soft_wrap=True)  # paths must stay on one line
errors = Console(stderr=True)

# Dates on the command line (`datetime` options): typer parses them and
# refuses anything else with exit code 2, naming the option.
DATE_FORMATS = ["%Y-%m-%d"]


def date_option(*names: str, help: str) -> Any:
    """A `datetime` option given as YYYY-MM-DD."""
    return typer.Option(*names, formats=DATE_FORMATS, metavar="YYYY-MM-DD", help=help)


# Shared by every command that lands or builds (`orchestration.jobs.writer`);
# its default is kernel.settings.WRITER_WAIT_SECONDS.
WaitOption = Annotated[
    float,
    typer.Option(
        "--wait",
        min=0,
        metavar="SECONDS",
        help="Another command is writing the warehouse (one writer at a time): wait this "
        "long for it, saying whom, then refuse with exit code 2. 0 refuses at once.",
    ),
]


def as_date(moment: datetime | None) -> date | None:
    return None if moment is None else moment.date()


@dataclass
class CliState:
    """Shared by the commands of one invocation: settings and servers, resolved on first use."""

    resolved_settings: Settings | None = None
    resolved_endpoints: Endpoints | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self.resolved_settings is None:
            try:
                self.resolved_settings = read_settings()
            except SettingsError as refused:
                raise fail(f"configuration refused:\n{refused}", 2) from None
        return self.resolved_settings

    def endpoints(self, banner: bool = True) -> Endpoints:
        """The servers to use, started if embedded; `banner` prints them (passwords hidden)."""
        if self.resolved_endpoints is None:
            endpoints = resolve_endpoints(self.settings)
            if banner:
                where = "embedded" if endpoints.embedded_database else "configured"
                console.print(f"Postgres ({where}): {redact_url(endpoints.database_url)}")
                where = "embedded" if endpoints.embedded_redis else "configured"
                console.print(f"Redis ({where}): {redact_url(endpoints.redis_url)}")
            self.resolved_endpoints = endpoints
        return self.resolved_endpoints


@contextlib.contextmanager
def writing(
    ctx: typer.Context, database_url: str, wait: float, extracts: bool = False
) -> Iterator[None]:
    """Hold the warehouse's writer lock for the block, as `tickstock <command>`.

    With `extracts` (the command lands data from the API or the sandbox), the
    data source is checked too (`claim_data_source`). A refusal (still held
    after `wait` seconds) ends the command with exit code 2, before it has
    written anything.
    """
    from orchestration.jobs.writer import WriterBusy, writer_lock

    with contextlib.ExitStack() as held:
        try:
            held.enter_context(writer_lock(database_url, ctx.command_path, wait, say=announce))
        except WriterBusy as refused:
            raise fail(str(refused), 2) from None
        if extracts:
            claim_data_source(ctx, database_url)
        yield


def claim_data_source(ctx: typer.Context, database_url: str) -> None:
    """Check the settings' data source against the warehouse's, or record it (first run).

    Call it under the writer lock, before writing. Another source ends the
    command with exit code 2 (`orchestration.jobs.provenance`).
    """
    from orchestration.jobs.provenance import SourceMismatch, claim_source
    from orchestration.runtime.endpoints import data_source

    try:
        note = claim_source(database_url, *data_source(state(ctx).settings))
    except SourceMismatch as refused:
        raise fail(str(refused), 2) from None
    if note:
        announce(note)


def state(ctx: typer.Context) -> CliState:
    """The invocation's state, which the root app's callback put in `ctx.obj`."""
    return ctx.ensure_object(CliState)


def announce(text: str) -> None:
    console.print(f"[bold yellow]{text}[/]")


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print `message` as an error; raise the returned Exit to end with `code`."""
    errors.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


__all__ = [
    "CliState",
    "Endpoints",
    "WaitOption",
    "announce",
    "claim_data_source",
    "console",
    "errors",
    "fail",
    "state",
    "writing",
]
