"""The end-of-day job for one session, step by step under the run ledger.

reference → lifecycle → extract (the session's bars) → transform (dbt) →
quality (GX) → publish (Redis, through the Postgres outbox). A failed or
killed run resumes at the step that did not finish; a finished session is
skipped unless forced. Several missed sessions are caught up with one
transform for all of them (`EodJob.catch_up`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import redis
from rich.console import Console

from extract.polygon import FetchFailure
from extract.polygon.endpoint import PolygonEndpoint
from kernel.market_calendar import Session, TradingCalendar
from kernel.settings import STATE_DIR, WRITER_WAIT_SECONDS, Settings
from kernel.warehouse import (
    export_connection_env,
    query,
    relation_exists,
    tested_bars_vars,
)
from orchestration.contracts.notice import (
    Compliance,
    CorporateActions,
    Dividend,
    EodNotice,
    LifecycleEvents,
    NoticeReports,
    Rename,
    Split,
)
from orchestration.contracts.run_record import STEP, RunRecord
from orchestration.contracts.steps import STEP_ENTRY, LifecycleDetail, QualityDetail
from orchestration.jobs import loads
from orchestration.jobs.ledger import RunLedger, StepRecord
from orchestration.jobs.notifier import RedisNotifier, bounded_notice
from orchestration.jobs.provenance import claim_source
from orchestration.jobs.rejections import rejected_count
from orchestration.jobs.relationships import publish_after_build
from orchestration.jobs.scheduler import SessionFailed
from orchestration.jobs.writer import writer_lock
from orchestration.runtime.dbt_runner import run_dbt, summarise
from orchestration.runtime.endpoints import data_source, polygon_endpoint
from orchestration.runtime.services import Endpoints

BOOTSTRAP_HISTORY = timedelta(days=183)  # the dev profile's six months of daily bars
COMPLETE_THRESHOLD_PCT = 95.0
# Ticker details refreshed per run beyond the session's listings on a free
# plan: its 5 calls a minute would spend two hours on a full-market slice.
FREE_PLAN_ROTATION = 5


def utc_now() -> datetime:
    return datetime.now(UTC)


def history_length(months: float = 0.0, years: float = 0.0) -> timedelta:
    """A history depth in calendar days: fractions allowed (0.5 years is 183 days)."""
    return timedelta(days=round(365.25 * years + 30.5 * months))


def calendar_for(settings: Settings, mic: str | None = "XNYS") -> TradingCalendar:
    """The exchange calendar with the run delays the settings ask for."""
    return TradingCalendar.for_exchange(
        mic,
        settle_delay=timedelta(minutes=settings.eod_delay_minutes),
        early_close_delay=timedelta(minutes=settings.eod_early_close_delay_minutes),
    )


class MarketClosed(RuntimeError):
    """The requested date is not a trading session: there is nothing to process."""


class SessionNotFinal(RuntimeError):
    """The requested session has not reached its run time (close plus delay) yet."""


@dataclass(frozen=True)
class SessionPlan:
    """What `eod --plan` reports for one date."""

    day: date
    calendar: str
    session: Session | None
    run_at: datetime | None


def plan_session(calendar: TradingCalendar, day: date) -> SessionPlan:
    """Whether `day` is a session, its close and when the EOD runs for it."""
    session = calendar.session(day)
    run_at = calendar.run_time(session) if session else None
    return SessionPlan(day, calendar.name, session, run_at)


@dataclass(frozen=True)
class SessionCompliance:
    """A session's row of quality.session_compliance: tracked symbols and their bars."""

    expected: int
    processed: int
    processed_pct: float
    missing: list[str]
    not_eod_types: dict[str, int]
    etf_funds: int


@dataclass
class EodOutcome:
    """What one `eod` invocation did."""

    session_date: date
    message: EodNotice | None = None
    steps: list[StepRecord] = field(default_factory=list)
    skipped_run_id: str | None = None
    resumed_run_id: str | None = None
    run_record: Path | None = None


@dataclass
class _Run:
    """The ledger entry a run's steps are recorded under, and what they share."""

    ledger: RunLedger
    run_id: str
    session: date
    outcome: EodOutcome
    done: dict[str, StepRecord]
    endpoints: contextlib.ExitStack
    endpoint: PolygonEndpoint | None = None


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
        writer_wait: float = WRITER_WAIT_SECONDS,
        command: str = "tickstock eod",
    ) -> None:
        self.settings = settings
        # Each session's run holds the warehouse's writer lock (after its
        # session lock, which refuses a second run of the session at once).
        self.writer_wait = writer_wait
        self.command = command
        self.database_url = endpoints.database_url
        self.notifier = notifier
        self.calendar = calendar or calendar_for(settings)
        self.console = console or Console()
        self.clock = clock

    # ------------------------------------------------------------- calendar

    def resolve_session(self, requested: date | None) -> date:
        """The session to process: the one asked for, or the latest completed one."""
        now = self.clock()
        if requested is None:
            return self.calendar.latest_completed_session(now)
        plan = plan_session(self.calendar, requested)
        if plan.run_at is None:
            raise MarketClosed(f"{requested} is not a {self.calendar.name} trading session")
        if plan.run_at > now:
            raise SessionNotFinal(
                f"{requested} is not complete yet: its EOD runs at {plan.run_at:%Y-%m-%d %H:%M %Z}"
            )
        return requested

    # ------------------------------------------------------------------ run

    def run(self, requested: date | None = None, force: bool = False) -> EodOutcome:
        """Process one session end to end; a completed session is skipped unless forced."""
        try:
            return self.catch_up([self.resolve_session(requested)], force=force)[0]
        except SessionFailed as failed:
            raise failed.error from None

    def catch_up(self, sessions: Sequence[date], force: bool = False) -> list[EodOutcome]:
        """Process sessions oldest first, with one transform for all of them.

        Reference, lifecycle and extract run session by session, each with
        what the API showed on that session; then one transform builds what
        all their bars feed; quality and publish follow session by session
        (a report and a notice each). No transform model reads the session
        (only the lifecycle models read `session_date`), so the one pass
        leaves the marts as a transform per session would. Each session keeps its run in the
        ledger: the runs that shared the transform record its detail, with
        the sessions it covered.

        Raises:
            SessionFailed: the run of that session failed (and the runs of the
                sessions after it, not reached); the ones before it finished.
        """
        sessions = [self.resolve_session(session) for session in sessions]
        outcomes = [EodOutcome(session_date=session) for session in sessions]
        if not sessions:
            return outcomes
        export_connection_env(self.database_url)
        ledger = RunLedger(self.database_url)
        first, last = sessions[0], sessions[-1]
        label = f"{first}" if first == last else f"{first} to {last}"
        try:
            with contextlib.ExitStack() as locks:
                for session in sessions:
                    locks.enter_context(ledger.session_lock(session))
                locks.enter_context(
                    writer_lock(
                        self.database_url,
                        f"{self.command} {label}",
                        self.writer_wait,
                        say=self._announce,
                    )
                )
                # Before anything is written: the run's data source is the warehouse's.
                note = claim_source(self.database_url, *data_source(self.settings))
                if note:
                    self._announce(note)
                self._run_sessions(ledger, outcomes, force)
        except SessionFailed:
            raise
        except Exception as error:
            raise SessionFailed(first, error) from error
        return outcomes

    def _open(self, ledger: RunLedger, outcome: EodOutcome, force: bool) -> _Run | None:
        """The session's run: resumed, new, or None when it is complete already."""
        session = outcome.session_date
        resumable = ledger.unfinished_run(session)
        finished = ledger.completed_run(session)
        if finished and not resumable and not force:
            self.console.print(
                f"Session {session} is already complete (run {finished}); nothing to do. "
                "Use --force to run it again."
            )
            outcome.skipped_run_id = finished
            return None
        if resumable:
            ledger.reopen_run(resumable)
            outcome.resumed_run_id = resumable
        run_id = resumable or ledger.start_run(session)
        done = ledger.succeeded_steps(run_id)
        run = _Run(ledger, run_id, session, outcome, done, contextlib.ExitStack())
        self.console.rule(f"EOD {session}  run {run_id}{'  (resumed)' if resumable else ''}")
        return run

    def _run_sessions(self, ledger: RunLedger, outcomes: list[EodOutcome], force: bool) -> None:
        """The API steps session by session, then the rest for the runs that got through."""
        runs: list[_Run] = []
        for outcome in outcomes:
            run = self._open(ledger, outcome, force)
            if run is None:
                continue
            try:
                with run.endpoints:
                    self._step(run, "reference", partial(self._reference, run))
                    self._step(run, "lifecycle", partial(self._lifecycle, run))
                    self._step(run, "extract", partial(self._extract, run))
            except Exception as error:
                _fail(run, error)
                self._finish(runs)  # the sessions before it still finish
                raise SessionFailed(run.session, error) from error
            finally:
                run.endpoint = None
            runs.append(run)
        self._finish(runs)

    def _finish(self, runs: list[_Run]) -> None:
        """One transform for the runs, then each run's quality step and notice."""
        if not runs:
            return
        try:
            self._transform_once(runs)
        except Exception as error:
            for run in runs:
                _fail(run, error)
            raise SessionFailed(runs[0].session, error) from error
        for position, run in enumerate(runs):
            try:
                self._step(run, "quality", partial(self._quality, run.session))
                self._step(run, "publish", partial(self._publish, run))
            except Exception as error:
                for failed in runs[position:]:
                    _fail(failed, error)
                raise SessionFailed(run.session, error) from error
            message = EodNotice.model_validate(run.done["publish"].detail["message"])
            run.ledger.finish_run(run.run_id, message.status, message.model_dump(mode="json"))
            run.outcome.message = message

    def _transform_once(self, runs: list[_Run]) -> None:
        """Transform once, under the last run still without it; the others record it."""
        pending = [run for run in runs if "transform" not in run.done]
        for run in runs:
            if run not in pending:
                self._step(run, "transform", lambda step: None)  # reports it done
        if not pending:
            return
        lead, sessions = pending[-1], [run.session for run in pending]
        if len(pending) > 1:
            span = f"{len(pending)} sessions, {sessions[0]} to {sessions[-1]}"
            self.console.print(f"[bold]one transform for {span}[/]")
        self._step(lead, "transform", lambda step: self._transform(lead.session, step, sessions))
        shared = lead.done["transform"].detail
        for run in pending[:-1]:
            self._step(run, "transform", lambda step: step.detail.update(shared))

    def _endpoint(self, run: _Run) -> PolygonEndpoint:
        """The API, opened on first use (a resumed run may not need it at all)."""
        if run.endpoint is None:
            run.endpoint = run.endpoints.enter_context(
                polygon_endpoint(self.settings, self._announce, as_of=self._as_of(run.session))
            )
        return run.endpoint

    def _as_of(self, session: date) -> datetime | None:
        """The instant the sandbox market is served as of: the session's run time
        (what the API showed then), so a past session never sees later splits."""
        found = self.calendar.session(session)
        return self.calendar.run_time(found) if found else None

    def _announce(self, text: str) -> None:
        self.console.print(f"[bold yellow]{text}[/]")

    def _step(self, run: _Run, name: str, work: Callable[[StepRecord], Any]) -> None:
        """Run one step under the ledger (unless a previous attempt did it) and announce it."""
        if name in run.done:
            record = run.done[name]
            run.outcome.steps.append(record)
            self.console.print(f"[dim]▶ {name} already done by this run; skipped[/]")
            return
        self.console.print(f"[bold]▶ {name}[/]")
        with run.ledger.step(run.run_id, name) as record:
            run.outcome.steps.append(record)
            work(record)
        run.done[name] = record
        detail = {key: value for key, value in record.detail.items() if key != "message"}
        entry = STEP_ENTRY.validate_python(
            {
                **detail,
                "run_id": run.run_id,
                "session_date": run.session,
                "step": name,
                "status": record.status,
                "duration_s": record.duration_s,
            }
        )
        with contextlib.suppress(redis.RedisError):
            # Progress entries are best effort; the completion notice has an outbox.
            self.notifier.step(entry)
        self.console.print(f"  {name} done in {record.duration_s:.1f}s")

    # ---------------------------------------------------------------- steps

    def _needs_bootstrap(self) -> bool:
        if not relation_exists(self.database_url, "marts.ohlcv_daily"):
            return True
        sql = "select not exists (select from marts.ohlcv_daily)"
        return bool(query(self.database_url, sql)[0][0])

    def _reference(self, run: _Run, record: StepRecord) -> None:
        """Seeds, calendar, the ticker reference as of the session, ticker changes."""
        endpoint = self._endpoint(run)
        reference = loads.land_reference_snapshot(
            self.database_url,
            endpoint,
            self.calendar,
            run.session,
            self.settings.dbt_target,
            run_id=run.run_id,
        )
        changes = self._land_ticker_changes(endpoint, run.session, run.run_id)
        record.detail["rows_landed"] = reference.rows | changes.rows
        _note_failures(record, [*reference.failures, *changes.failures])

    def _land_ticker_changes(
        self, endpoint: PolygonEndpoint, session: date, run_id: str
    ) -> loads.Landing:
        """Ticker events of tracked symbols the session's list no longer shows as active.

        One request per such symbol, so the lifecycle models can tell a
        ticker change from a delisting even when no composite FIGI links the
        old ticker to the new one. Asked by composite FIGI when known: it
        outlives the old ticker.
        """
        from orchestration.jobs.reference import land_reference

        if not relation_exists(self.database_url, "lifecycle.symbol_processing"):
            return loads.Landing()  # no earlier session to compare with
        gone = query(
            self.database_url,
            "select coalesce(known.composite_figi, known.symbol)"
            " from lifecycle.symbol_lifecycle as known"
            " inner join lifecycle.symbol_processing as processing using (symbol)"
            " where known.is_active and processing.eod_update and not exists ("
            "  select from raw_polygon.ticker_listings as listed"
            "  where listed.ticker = known.symbol and listed.as_of = %s and listed.active)"
            " order by 1",
            (session,),
        )
        if not gone:
            return loads.Landing()
        identifiers = [ident for (ident,) in gone]
        return land_reference(
            self.database_url,
            endpoint,
            symbols=identifiers,
            resources=["ticker_events"],
            run_id=run_id,
        )

    def _lifecycle(self, run: _Run, record: StepRecord) -> None:
        """Listings, delistings and ticker changes; history for what is new."""
        run_dbt(
            "build",
            "--selector",
            "lifecycle",
            target=self.settings.dbt_target,
            variables={"session_date": run.session.isoformat()},
        )
        backfill = query(
            self.database_url,
            "select events.symbol, processing.history_days_on_listing"
            " from lifecycle.lifecycle_events as events"
            " inner join lifecycle.symbol_processing as processing using (symbol)"
            " where events.event_session = %s and events.event_type in ('listed', 'renamed')"
            " and processing.eod_update and processing.history_days_on_listing > 0"
            " order by 1",
            (run.session,),
        )
        by_length: dict[int, list[str]] = {}
        for symbol, days in backfill:
            by_length.setdefault(days, []).append(symbol)
        landed: dict[str, int] = {}
        for days, symbols in sorted(by_length.items()):
            history = loads.land_polygon(
                self.database_url,
                self._endpoint(run),
                resources=("aggs_daily",),
                symbols=symbols,
                start=run.session - timedelta(days=days),
                end=run.session,
                run_id=run.run_id,
            )
            landed = {t: landed.get(t, 0) + n for t, n in history.rows.items()}
            _note_failures(record, history.failures)
        details = refresh_ticker_details(self.database_url, self._endpoint(run), run.run_id)
        landed = {t: landed.get(t, 0) + n for t, n in details.landing.rows.items()}
        _note_failures(record, details.landing.failures)
        record.detail["events"] = self._lifecycle_events(run.session).model_dump(mode="json")
        record.detail["history_backfilled"] = {s: d for s, d in backfill}
        record.detail["details_refreshed"] = details.symbols
        record.detail["etf_details_refreshed"] = details.funds
        record.detail["rows_landed"] = landed

    def _extract(self, run: _Run, record: StepRecord) -> None:
        """The session's grouped daily bars (and a default history on an empty warehouse)."""
        rows: dict[str, int] = {}
        failures = []
        endpoint = self._endpoint(run)
        if self._needs_bootstrap():
            # The profile's universe and history depth (kernel/settings.py, PROFILES).
            profile = self.settings.profile
            self.console.print(
                f"  empty warehouse: bootstrapping {profile.history_months:g} months of "
                f"{' + '.join(profile.universe)}"
            )
            history = loads.land_polygon(
                self.database_url,
                endpoint,
                resources=("aggs_daily",),
                symbols=loads.profile_symbols(self.database_url, profile, run.session),
                start=run.session - history_length(profile.history_months),
                end=run.session,
                run_id=run.run_id,
            )
            rows |= history.rows
            failures += history.failures
            record.detail["bootstrapped"] = True
        bars = loads.land_polygon(
            self.database_url,
            endpoint,
            resources=("grouped_daily",),
            sessions=[run.session],
            run_id=run.run_id,
        )
        rows |= bars.rows
        failures += bars.failures
        record.detail["rows_landed"] = rows
        _note_failures(record, failures)

    def _transform(self, session: date, record: StepRecord, sessions: list[date]) -> None:
        # The selector leaves the session quality checks to the quality step.
        results = run_dbt(
            "build",
            "--selector",
            "eod_transform",
            target=self.settings.dbt_target,
            variables={"session_date": session.isoformat()} | tested_bars_vars(self.database_url),
        )
        record.detail["dbt"] = summarise(results)
        record.detail["sessions"] = [day.isoformat() for day in sessions]
        record.detail["relationships"] = publish_after_build(
            self.database_url, self.notifier.client
        )

    def _quality(self, session: date, record: StepRecord) -> None:
        from orchestration.jobs.quality import run_quality

        # Gaps are re-fetched from the same API the extract step used.
        as_of = self._as_of(session)
        with polygon_endpoint(self.settings, self._announce, as_of=as_of) as endpoint:
            checked = run_quality(
                self.database_url, session, self.settings.dbt_target, endpoint, self.console.print
            )
        report = checked.report
        detail = QualityDetail(
            passed=report.quality_passed,
            evaluated=sum(s.passed + s.failed for s in report.expectations.values()),
            failed=[f for s in report.expectations.values() for f in s.failures],
            data_docs=report.data_docs,
            gaps=report.gaps,
            anomalies=report.anomalies,
            issues=report.issues,
            reports=checked.paths,
        )
        record.detail.update(detail.model_dump(mode="json"))
        self.console.print(f"  quality report: {checked.paths.quality_html}")

    def _publish(self, run: _Run, record: StepRecord) -> None:
        """Build the notice, keep it in the outbox, then deliver what the outbox holds."""
        run_record = STATE_DIR / "reports" / "eod" / run.session.isoformat()
        run_record /= f"run_{run.run_id}.json"
        whole = self._message(run, run_record)
        # Redis gets a notice within the size bound; the record and the ledger keep it whole.
        sent, cut = bounded_notice(whole, self.notifier.max_bytes)
        message = whole.model_copy(update={"truncated": bool(cut)})
        run.outcome.run_record = write_run_record(message, run.outcome.steps, run_record, cut)
        record.detail["message"] = message.model_dump(mode="json")
        if cut:
            record.detail["notice_truncated"] = cut
            self.console.print(
                f"[yellow]notice over {self.notifier.max_bytes} bytes: cut {cut} "
                f"(whole in {run_record})[/]"
            )
        run.ledger.enqueue_notice(sent)
        delivered, pending = deliver_pending(run.ledger, self.notifier)
        record.detail.update(delivered=delivered, pending=pending)
        if pending:
            self.console.print(
                f"[bold yellow]Redis unavailable: {pending} notice(s) kept in ops.eod_outbox; "
                "the next run or `tickstock publish --pending` delivers them.[/]"
            )

    # -------------------------------------------------------------- results

    def _lifecycle_events(self, session: date) -> LifecycleEvents:
        rows = query(
            self.database_url,
            "select event_type, symbol, previous_symbol from lifecycle.lifecycle_events"
            " where event_session = %s order by event_type, symbol",
            (session,),
        )
        return LifecycleEvents(
            listed=[symbol for kind, symbol, _ in rows if kind == "listed"],
            delisted=[symbol for kind, symbol, _ in rows if kind == "delisted"],
            renamed=[
                Rename.model_validate({"from": old, "to": new})
                for kind, new, old in rows
                if kind == "renamed"
            ],
        )

    def _corporate_actions(self, session: date) -> CorporateActions:
        """Splits executed and cash dividends going ex on the session, of symbols with
        bars: their history's adjustment factors changed (ohlcv_daily_adjusted)."""
        splits = query(
            self.database_url,
            "select symbol, split_from, split_to from staging.stg_polygon__splits as splits"
            " where execution_date = %s and exists (select from marts.ohlcv_daily as bars"
            "  where bars.symbol = splits.symbol and bars.date = %s) order by symbol",
            (session, session),
        )
        dividends = query(
            self.database_url,
            "select symbol, sum(cash_amount) from staging.stg_polygon__dividends as dividends"
            " where ex_dividend_date = %s and exists (select from marts.ohlcv_daily as bars"
            "  where bars.symbol = dividends.symbol and bars.date = %s)"
            " group by symbol order by symbol",
            (session, session),
        )
        return CorporateActions(
            splits=[
                Split(symbol=symbol, split_from=float(old), split_to=float(new))
                for symbol, old, new in splits
            ],
            dividends=[
                Dividend(symbol=symbol, cash_amount=float(cash)) for symbol, cash in dividends
            ],
        )

    def _message(self, run: _Run, run_record: Path) -> EodNotice:
        session = run.session
        compliance = read_compliance(self.database_url, session)
        pct = compliance.processed_pct
        quality = QualityDetail.model_validate(run.done["quality"].detail)
        lifecycle = LifecycleDetail.model_validate(run.done["lifecycle"].detail)
        return EodNotice(
            run_id=run.run_id,
            session_date=session,
            status="complete" if pct >= COMPLETE_THRESHOLD_PCT else "incomplete",
            symbols_expected=compliance.expected,
            symbols_updated=compliance.processed,
            completion_pct=pct,
            missing_symbols=compliance.missing,
            gaps=quality.gaps,
            anomalies=quality.anomalies,
            quality_passed=quality.passed,
            rejected_records=rejected_count(self.database_url, run_id=run.run_id),
            duration_s=round(sum(step.duration_s for step in run.outcome.steps), 3),
            data_source="sandbox" if self.settings.uses_sandbox else "polygon",
            lifecycle=self._lifecycle_events(session),
            corporate_actions=self._corporate_actions(session),
            compliance=Compliance(
                eod_symbols=compliance.expected,
                eod_symbols_processed=compliance.processed,
                eod_processed_pct=pct,
                not_eod_types=compliance.not_eod_types,
                etf_funds=compliance.etf_funds,
                details_refreshed=sum(len(due) for due in lifecycle.details_refreshed.values()),
                etf_details_refreshed=lifecycle.etf_details_refreshed,
            ),
            reports=NoticeReports(
                data_docs=quality.data_docs,
                quality_json=quality.reports.quality_json,
                quality_markdown=quality.reports.quality_markdown,
                quality_html=quality.reports.quality_html,
                run_record=str(run_record),
            ),
        )


@dataclass(frozen=True)
class DetailsRefresh:
    """The ticker details one EOD fetched: symbols per reason, and how many are funds."""

    symbols: dict[str, list[str]]
    funds: int
    landing: loads.Landing


def refresh_ticker_details(
    database_url: str, endpoint: PolygonEndpoint, run_id: str
) -> DetailsRefresh:
    """Fetch the details lifecycle.ticker_details_due lists for the session just built.

    The session's new listings, and the slice of tracked symbols with the
    oldest details: dbt chooses them, so the number of requests is the
    slice size plus the new listings, whatever the market's size. On a free
    plan the slice is cut to FREE_PLAN_ROTATION, oldest first.
    """
    from orchestration.jobs.reference import land_reference

    rows = query(
        database_url,
        "select due.symbol, due.reason, processing.fetch_etf_details"
        " from lifecycle.ticker_details_due as due"
        " inner join lifecycle.symbol_processing as processing using (symbol)"
        " order by due.reason, due.details_fetched_at nulls first, due.symbol",
    )
    if endpoint.policy.per_minute is not None:
        rotation = [row for row in rows if row[1] == "rotation"][:FREE_PLAN_ROTATION]
        rows = [row for row in rows if row[1] == "listed"] + rotation
    symbols: dict[str, list[str]] = {"listed": [], "rotation": []}
    for symbol, reason, _ in rows:
        symbols[reason].append(symbol)
    if not rows:
        return DetailsRefresh(symbols, 0, loads.Landing())
    landing = land_reference(
        database_url,
        endpoint,
        symbols=[symbol for symbol, _, _ in rows],
        resources=["ticker_details"],
        run_id=run_id,
    )
    return DetailsRefresh(symbols, sum(1 for _, _, fund in rows if fund), landing)


def write_run_record(
    message: EodNotice,
    steps: list[StepRecord],
    path: Path,
    notice_truncated: dict[str, int] | None = None,
) -> Path:
    """The notice and every step so far (publish still running), as JSON."""
    record = RunRecord(
        **dict(message),
        steps=[STEP.validate_python(vars(step)) for step in steps],
        notice_truncated=notice_truncated or {},
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(record.model_dump_json(indent=2))
    return path


def read_compliance(database_url: str, session: date) -> SessionCompliance:
    """The session's tracked symbols and how many were processed, as dbt counted them.

    quality.session_compliance (the quality step builds it for the session)
    holds the rule; the quality report's completeness reads the same counts.
    """
    rows = query(
        database_url,
        "select eod_symbols, eod_symbols_processed, eod_processed_pct, missing_symbols,"
        " not_eod_types, etf_funds from quality.session_compliance where session_date = %s",
        (session,),
    )
    if not rows:
        raise LookupError(f"quality.session_compliance has no row for {session}")
    expected, processed, pct, missing, not_eod_types, etf_funds = rows[0]
    return SessionCompliance(
        expected, processed, float(pct), list(missing), dict(not_eod_types), etf_funds
    )


def _fail(run: _Run, error: BaseException) -> None:
    """Record the run as failed, with why."""
    run.ledger.finish_run(
        run.run_id, "failed", {"error": type(error).__name__, "detail": str(error)}
    )


def _note_failures(record: StepRecord, failures: Sequence[FetchFailure]) -> None:
    if failures:
        record.detail.setdefault("failures", []).extend(
            f"{f.subject}: {f.reason}" for f in failures
        )


def deliver_pending(ledger: RunLedger, notifier: RedisNotifier) -> tuple[int, int]:
    """Send the outbox's notices oldest first; stop at the first Redis failure.

    Returns:
        (delivered now, still pending). A notice Redis already has (its
        delivery marker exists) is marked delivered without being sent again.
    """
    notices = ledger.pending_notices()
    delivered = 0
    for notice in notices:
        try:
            notifier.complete(notice)
        except redis.RedisError:
            break
        ledger.mark_delivered(notice.run_id)
        delivered += 1
    return delivered, len(notices) - delivered
