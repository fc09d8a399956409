"""Progress of a backfill on the terminal: one row for stocks, one for ETFs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import pyarrow as pa
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from extract.polygon.work import BarRange, GroupedSession
from orchestration.jobs.load_plan import LoadPlan


def asset_row(is_fund: bool | None) -> str:
    """Funds (equity_types.is_fund) on the ETF row, everything else on the stocks row."""
    return "ETFs" if is_fund else "stocks"


class LoadProgress:
    """Bars landed per row, against the bars expected from the units still to fetch."""

    def __init__(self, console: Console, funds: Mapping[str, bool], plan: LoadPlan) -> None:
        self.funds = funds
        self.progress = Progress(
            TextColumn("{task.description:<7}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("bars"),
            TimeRemainingColumn(),
            console=console,
        )
        self.tasks = {row: self.progress.add_task(row, total=0) for row in ("stocks", "ETFs")}
        self._plan = plan

    def expect(self, units: Sequence[BarRange | GroupedSession]) -> None:
        """Set the totals from the units about to be fetched."""
        per_unit = self._plan.expected_rows / max(len(self._plan.units), 1)
        if self._plan.strategy == "grouped":
            # A session brings the whole market: split it by the reference's fund flags.
            shares = Counter(asset_row(is_fund) for is_fund in self.funds.values())
            market = max(sum(shares.values()), 1)
            totals = {row: per_unit * len(units) * shares[row] / market for row in self.tasks}
        else:
            totals = {}
            for unit in units:
                ticker = unit.ticker if isinstance(unit, BarRange) else ""
                row = asset_row(self.funds.get(ticker))
                totals[row] = totals.get(row, 0.0) + per_unit
        for row, task in self.tasks.items():
            self.progress.update(task, total=round(totals.get(row, 0)))

    def __enter__(self) -> LoadProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def landed(self, unit: BarRange | GroupedSession, table: pa.Table) -> None:
        """Count a fetched unit's bars on its row (a grouped session spans both)."""
        if isinstance(unit, BarRange):
            counts = Counter({asset_row(self.funds.get(unit.ticker)): table.num_rows})
        else:
            tickers = table.column("ticker").to_pylist()
            counts = Counter(asset_row(self.funds.get(ticker)) for ticker in tickers)
        for row, bars in counts.items():
            self.progress.advance(self.tasks[row], bars)
