"""The scheduler's decisions, driven by an injected clock: no real sleeping."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from kernel.market_calendar import TradingCalendar
from orchestration.jobs.scheduler import RETRY_AFTER, EodScheduler, cron_line

NYSE = TradingCalendar()
NYSE_TZ = ZoneInfo("America/New_York")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


class FakeWorld:
    """A clock that only moves when the scheduler sleeps, and a ledger of finished sessions."""

    def __init__(self, now: str, finished: list[date], failing: set[date] = frozenset()):
        self.now = at(now)
        self.finished = list(finished)
        self.failing = set(failing)
        self.ran: list[tuple[date, datetime]] = []
        self.sleeps: list[float] = []

    def run(self, session: date) -> None:
        self.ran.append((session, self.now))
        if session in self.failing:
            self.failing.discard(session)  # fails once, then works
            raise RuntimeError("Polygon unreachable")
        self.finished.append(session)
        self.now += timedelta(minutes=2)  # a run takes a while

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)

    def scheduler(self) -> EodScheduler:
        return EodScheduler(
            calendar=NYSE,
            last_finished=lambda: max(self.finished, default=None),
            run_session=self.run,
            clock=lambda: self.now,
            sleep=self.sleep,
            log=lambda _: None,
        )


def test_downtime_is_caught_up_oldest_first() -> None:
    # Down since Tuesday's run; back on Monday morning after Thanksgiving week.
    world = FakeWorld("2026-11-30T09:00:00-05:00", [date(2026, 11, 24)])
    assert world.scheduler().run_due() is True
    assert [session for session, _ in world.ran] == [date(2026, 11, 25), date(2026, 11, 27)]


def test_nothing_is_due_before_the_run_time() -> None:
    world = FakeWorld("2026-11-20T16:29:00-05:00", [date(2026, 11, 19)])
    assert world.scheduler().due_sessions(world.now) == []
    world.now = at("2026-11-20T16:30:00-05:00")
    assert world.scheduler().due_sessions(world.now) == [date(2026, 11, 20)]


def test_an_empty_ledger_starts_with_the_latest_session() -> None:
    world = FakeWorld("2026-11-22T12:00:00-05:00", [])
    assert world.scheduler().due_sessions(world.now) == [date(2026, 11, 20)]


def test_catch_up_is_bounded() -> None:
    world = FakeWorld("2026-11-20T18:00:00-05:00", [date(2025, 1, 2)])
    scheduler = world.scheduler()
    scheduler.catch_up_limit = 5
    due = scheduler.due_sessions(world.now)
    assert due == NYSE.session_dates(date(2026, 11, 14), date(2026, 11, 20))


def test_run_forever_wakes_at_each_sessions_run_time() -> None:
    # Wednesday before Thanksgiving, evening: Wednesday is done already.
    world = FakeWorld("2026-11-25T20:00:00-05:00", [date(2026, 11, 25)])
    world.scheduler().run_forever(cycles=4)
    # Thanksgiving is skipped; Friday closes early (run at 14:00); then Monday 16:30.
    assert [(s, t.astimezone(NYSE_TZ).strftime("%H:%M")) for s, t in world.ran] == [
        (date(2026, 11, 27), "14:00"),
        (date(2026, 11, 30), "16:30"),
        (date(2026, 12, 1), "16:30"),
    ]


def test_a_failed_session_stops_the_catch_up_and_is_retried_later() -> None:
    world = FakeWorld("2026-11-30T09:00:00-05:00", [date(2026, 11, 24)], {date(2026, 11, 25)})
    scheduler = world.scheduler()
    scheduler.run_forever(cycles=1)
    assert [s for s, _ in world.ran] == [date(2026, 11, 25)]
    assert world.sleeps == [RETRY_AFTER.total_seconds()]
    scheduler.run_forever(cycles=1)
    assert [s for s, _ in world.ran] == [date(2026, 11, 25), date(2026, 11, 25), date(2026, 11, 27)]


def test_cron_line_runs_the_catch_up_on_new_york_time() -> None:
    line = cron_line("/srv/tickstock")
    assert line.startswith("CRON_TZ=America/New_York\n")
    assert "cd /srv/tickstock && .venv/bin/tickstock schedule --once" in line
