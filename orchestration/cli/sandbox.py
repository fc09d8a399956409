"""`tickstock sandbox …`: serve the sandbox market and list its events."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from orchestration.cli.common import as_date, date_option, state

if TYPE_CHECKING:
    from sandbox.market import SandboxMarket

sandbox_app = typer.Typer(help="The sandbox market: a Polygon look-alike serving synthetic data.")


class MarketSize(StrEnum):
    """sandbox.market.SIZES, as choices."""

    DEV = "dev"
    FULL = "full"


class EventKind(StrEnum):
    """sandbox.events.EVENT_KINDS, as choices."""

    IPO = "ipo"
    DELISTING = "delisting"
    TICKER_CHANGE = "ticker_change"
    SPLIT = "split"
    DIVIDEND = "dividend"
    THIN = "thin"
    GLITCH = "glitch"
    SCENARIO = "scenario"


SizeOption = Annotated[
    MarketSize | None,
    typer.Option(help="Market size: dev (20 listings) or full (about 12,000). "
                 "Default: TICKSTOCK_SANDBOX_SIZE or dev."),
]  # fmt: skip
ScenarioOption = Annotated[
    str | None,
    typer.Option(help="Market scenario: crash_2020, growth_2021, volatility_periods, "
                 "trend_changes or high_low_events."),
]  # fmt: skip
GlitchOption = Annotated[
    bool, typer.Option(help="Serve vendor glitches: duplicated bars, missing days, bad prints.")
]


def _market(
    ctx: typer.Context,
    seed: int,
    size: MarketSize | None,
    scenario: str | None,
    glitches: bool,
    extended_hours: bool = False,
) -> SandboxMarket:
    from sandbox.market import SandboxMarket

    try:
        return SandboxMarket(
            seed,
            size=size.value if size else state(ctx).settings.sandbox_size,
            scenario=scenario,
            glitches=glitches,
            extended_hours=extended_hours,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@sandbox_app.command("serve")
def sandbox_serve(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Port to listen on (127.0.0.1).")] = 8765,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic market.")] = 42,
    fault_rate: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Share of requests answered with a fault "
            "(429 with Retry-After, 500/502/503, slow, dropped connection).",
        ),
    ] = 0.0,
    latency_ms: Annotated[int, typer.Option(min=0, help="Delay added to every response.")] = 0,
    rate_limit: Annotated[
        int | None, typer.Option(min=1, help="Requests per minute per key before 429.")
    ] = None,
    fault_seed: Annotated[int, typer.Option(help="Seed of the fault sequence.")] = 0,
    loop_next_url: Annotated[
        bool, typer.Option(help="Every list page's next_url names the page itself (a glitch).")
    ] = False,
    size: SizeOption = None,
    scenario: ScenarioOption = None,
    glitches: GlitchOption = False,
    extended_hours: Annotated[
        bool, typer.Option(help="Minute bars also from 04:00 and until four hours after close.")
    ] = False,
    as_of: Annotated[
        datetime | None,
        date_option(
            help="Serve the market as the API showed it at 17:00 New York that day: bars, "
            "listings, splits and dividends known then, adjusted=true for the splits executed "
            "by then. Default: now."
        ),
    ] = None,
) -> None:
    """Serve the sandbox market until interrupted (Ctrl-C)."""
    from sandbox.server import serve

    serve(
        "127.0.0.1",
        port,
        seed,
        fault_rate=fault_rate,
        latency_ms=latency_ms,
        rate_limit=rate_limit,
        fault_seed=fault_seed,
        loop_next_url=loop_next_url,
        market=_market(ctx, seed, size, scenario, glitches, extended_hours),
        as_of=as_of_instant(as_of.date()) if as_of else None,
    )


def as_of_instant(day: date) -> datetime:
    """17:00 New York on `day`: after the close (and the EOD run) of any session,
    on the same UTC date."""
    from zoneinfo import ZoneInfo

    return datetime.combine(day, time(17), ZoneInfo("America/New_York"))


@sandbox_app.command("events")
def sandbox_events(
    ctx: typer.Context,
    kind: Annotated[
        list[EventKind] | None, typer.Option(help="Only this kind (repeatable).")
    ] = None,
    symbol: Annotated[str | None, typer.Option(help="Only this symbol.")] = None,
    since: Annotated[datetime | None, date_option(help="Earliest date.")] = None,
    until: Annotated[datetime | None, date_option(help="Latest date.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array on stdout.")] = False,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic market.")] = 42,
    size: SizeOption = None,
    scenario: ScenarioOption = None,
    glitches: GlitchOption = False,
) -> None:
    """List the sandbox market's dated events: date, symbol, kind, detail."""
    import orjson
    from rich.console import Console
    from rich.table import Table

    from sandbox.events import list_events

    kinds = [k.value for k in kind] if kind else None
    market = _market(ctx, seed, size, scenario, glitches)
    events = list_events(market, as_date(since), as_date(until), kinds)
    if symbol:
        events = [event for event in events if event["symbol"] == symbol]
    if as_json:
        typer.echo(orjson.dumps(events).decode())
        return
    table = Table("date", "symbol", "kind", "detail", title=f"{len(events)} sandbox events")
    for event in events:
        table.add_row(event["date"], event["symbol"], event["kind"], event["detail"])
    Console(soft_wrap=True).print(table)
