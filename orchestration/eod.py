"""The end-of-day job: extract → transform → quality → publish, for one session."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console

from extract.polygon.endpoint import PolygonEndpoint, polygon_endpoint
from orchestration import loads
from orchestration.dbt_runner import run_dbt, summarise
from orchestration.ledger import RunLedger, StepRecord
from orchestration.market_calendar import TradingCalendar
from orchestration.notifier import RedisNotifier
from orchestration.services import Endpoints
from orchestration.settings import STATE_DIR, Settings
from orchestration.warehouse import export_connection_env, query, relation_exists

BOOTSTRAP_HISTORY = timedelta(days=183)  # about six months of daily bars
COMPLETE_THRESHOLD_PCT = 95.0


def utc_now() -> datetime:
    return datetime.now(UTC)


class MarketClosed(RuntimeError):
    """The requested date is not a trading session: there is nothing to process."""


class SessionNotFinal(RuntimeError):
    """The requested session has not closed (plus the settle delay) yet."""


@dataclass
class EodOutcome:
    """What one `eod` invocation did."""

    session_date: date
    message: dict[str, Any] | None = None
    steps: list[StepRecord] = field(default_factory=list)
    skipped_run_id: str | None = None
    run_record: Path | None = None


@dataclass(frozen=True)
class _Run:
    """The ledger entry a run's steps are recorded under."""

    ledger: RunLedger
    run_id: str
    session: date
    outcome: EodOutcome


class EodJob:
    """Runs the EOD chain; collaborators are passed in so tests can drive them."""

    def __init__(
        self,
        settings: Settings,
        endpoints: Endpoints,
        notifier: RedisNotifier,
        calendar: TradingCalendar | None = None,
        console: Console | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.settings = settings
        self.database_url = endpoints.database_url
        self.notifier = notifier
        self.calendar = calendar or TradingCalendar()
        self.console = console or Console()
        self.clock = clock

    def resolve_session(self, requested: date | None) -> date:
        """The session to process: the one asked for, or the latest completed one."""
        now = self.clock()
        if requested is None:
            return self.calendar.latest_completed_session(now)
        sessions = self.calendar.sessions_between(requested, requested)
        if not sessions:
            raise MarketClosed(f"{requested} is not a {self.calendar.name} trading session")
        if sessions[0].close + self.calendar.settle_delay > now:
            raise SessionNotFinal(
                f"{requested} is not complete yet: its data is final at "
                f"{sessions[0].close + self.calendar.settle_delay:%Y-%m-%d %H:%M %Z}"
            )
        return requested

    def run(self, requested: date | None = None, force: bool = False) -> EodOutcome:
        """Process one session end to end; a completed session is skipped unless forced."""
        session = self.resolve_session(requested)
        outcome = EodOutcome(session_date=session)
        export_connection_env(self.database_url)
        ledger = RunLedger(self.database_url)
        done = ledger.completed_run(session)
        if done and not force:
            self.console.print(
                f"Session {session} is already complete (run {done}); nothing to do. "
                "Use --force to run it again."
            )
            outcome.skipped_run_id = done
            return outcome

        run = _Run(ledger, ledger.start_run(session), session, outcome)
        started = time.perf_counter()
        self.console.rule(f"EOD {session}  run {run.run_id}")
        try:
            with polygon_endpoint(self.settings, self._announce) as endpoint:
                self._step(run, "extract", lambda step: self._extract(session, endpoint, step))
            self._step(run, "transform", self._transform)
            quality = self._step(run, "quality", lambda step: self._quality(session, step))
            message = self._message(run.run_id, session, quality, endpoint, started)
            outcome.run_record = self._write_run_record(message, outcome.steps)
            message["reports"]["run_record"] = str(outcome.run_record)
            self._step(run, "publish", lambda step: self._publish(message, step))
        except Exception as error:
            failure = {"error": type(error).__name__, "detail": str(error)}
            ledger.finish_run(run.run_id, "failed", failure)
            raise
        ledger.finish_run(run.run_id, message["status"], message)
        outcome.message = message
        return outcome

    def _announce(self, text: str) -> None:
        self.console.print(f"[bold yellow]{text}[/]")

    def _step(self, run: _Run, name: str, work: Callable[[StepRecord], Any]) -> Any:
        """Run one step under the ledger and announce its outcome on the stream."""
        self.console.print(f"[bold]▶ {name}[/]")
        with run.ledger.step(run.run_id, name) as record:
            run.outcome.steps.append(record)
            result = work(record)
        payload = {"status": record.status, "duration_s": record.duration_s, **record.detail}
        self.notifier.step(run.run_id, run.session.isoformat(), name, payload)
        self.console.print(f"  {name} done in {record.duration_s:.1f}s")
        return result

    # ---------------------------------------------------------------- steps

    def _needs_bootstrap(self) -> bool:
        if not relation_exists(self.database_url, "marts.ohlcv_daily"):
            return True
        return query(self.database_url, "select not exists (select from marts.ohlcv_daily)")[0][0]

    def _extract(self, session: date, endpoint: PolygonEndpoint, record: StepRecord) -> None:
        rows: dict[str, int] = {}
        failures = []
        if loads.calendar_needs_refresh(self.database_url, session):
            rows |= loads.land_calendar(self.database_url, self.calendar, session)
        if self._needs_bootstrap():
            self.console.print("  empty warehouse: bootstrapping reference data and history")
            run_dbt("seed", target=self.settings.dbt_target)
            symbols = loads.universe_symbols(self.database_url)
            history = loads.land_polygon(
                self.database_url,
                endpoint,
                resources=("tickers", "aggs_daily"),
                symbols=symbols,
                start=session - BOOTSTRAP_HISTORY,
                end=session,
            )
            rows |= history.rows
            failures += history.failures
            record.detail["bootstrapped"] = True
        bars = loads.land_polygon(
            self.database_url, endpoint, resources=("grouped_daily",), sessions=[session]
        )
        rows |= bars.rows
        failures += bars.failures
        record.detail["rows_landed"] = rows
        if failures:
            record.detail["failures"] = [f"{f.subject}: {f.reason}" for f in failures]

    def _transform(self, record: StepRecord) -> None:
        results = run_dbt("build", target=self.settings.dbt_target)
        record.detail["dbt"] = summarise(results)

    def _quality(self, session: date, record: StepRecord) -> Any:
        from expectations.ohlcv_daily import validate_session

        result = validate_session(session)
        record.detail.update(
            passed=result.success, evaluated=result.evaluated, failed=result.failed
        )
        return result

    def _publish(self, message: dict[str, Any], record: StepRecord) -> None:
        record.detail["listeners"] = self.notifier.complete(message)

    # -------------------------------------------------------------- results

    def _message(
        self, run_id: str, session: date, quality: Any, endpoint: PolygonEndpoint, started: float
    ) -> dict[str, Any]:
        expected = loads.universe_symbols(self.database_url)
        updated = {
            symbol
            for (symbol,) in query(
                self.database_url,
                "select symbol from marts.ohlcv_daily where date = %s and symbol = any(%s)",
                (session, expected),
            )
        }
        missing = sorted(set(expected) - updated)
        pct = round(100.0 * len(updated) / len(expected), 2) if expected else 0.0
        return {
            "run_id": run_id,
            "session_date": session.isoformat(),
            "status": "complete" if pct >= COMPLETE_THRESHOLD_PCT else "incomplete",
            "symbols_expected": len(expected),
            "symbols_updated": len(updated),
            "completion_pct": pct,
            "gaps": [{"symbol": s, "missing_sessions": [session.isoformat()]} for s in missing],
            "anomalies": [],
            "quality_passed": bool(quality.success),
            "duration_s": round(time.perf_counter() - started, 3),
            "data_source": "sandbox" if endpoint.synthetic else "polygon",
            "reports": {"data_docs": str(quality.data_docs_index)},
        }

    def _write_run_record(self, message: dict[str, Any], steps: list[StepRecord]) -> Path:
        folder = STATE_DIR / "reports" / "eod" / message["session_date"]
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"run_{message['run_id']}.json"
        record = {**message, "steps": [step.__dict__ for step in steps]}
        path.write_bytes(orjson.dumps(record, option=orjson.OPT_INDENT_2, default=str))
        return path
