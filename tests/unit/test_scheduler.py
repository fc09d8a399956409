"""The scheduler's decisions, driven by an injected clock: no real sleeping."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from kernel.market_calendar import TradingCalendar
from orchestration.jobs.scheduler import (
    LEDGER_RETRY_AFTER,
    MAX_RETRY_AFTER,
    RETRY_AFTER,
    EodScheduler,
    SessionFailed,
    cron_line,
    retry_delay,
)

NYSE = TradingCalendar()
NYSE_TZ = ZoneInfo("America/New_York")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


class FakeWorld:
    """A clock that only moves when the scheduler sleeps, and a ledger of finished sessions."""

    def __init__(
        self,
        now: str,
        finished: list[date],
        failing: set[date] = frozenset(),
        always_failing: set[date] = frozenset(),
    ):
        self.now = at(now)
        self.finished = list(finished)
        self.failing = set(failing)
        self.always_failing = set(always_failing)
        self.ran: list[tuple[date, datetime]] = []
        self.batches: list[list[date]] = []
        self.sleeps: list[float] = []
        self.logs: list[str] = []

    def run(self, session: date) -> None:
        self.ran.append((session, self.now))
        if session in self.always_failing:
            self.now += timedelta(minutes=1)
            raise RuntimeError("a poisoned session")
        if session in self.failing:
            self.failing.discard(session)  # fails once, then works
            raise RuntimeError("Polygon unreachable")
        self.finished.append(session)
        self.now += timedelta(minutes=2)  # a run takes a while

    def run_batch(self, sessions: list[date]) -> None:
        """EodJob.catch_up's contract: oldest first, stop at a failure and name it."""
        self.batches.append(list(sessions))
        for session in sessions:
            try:
                self.run(session)
            except RuntimeError as error:
                raise SessionFailed(session, error) from error

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)

    def scheduler(self, batches: bool = False) -> EodScheduler:
        return EodScheduler(
            calendar=NYSE,
            first_finished=lambda: min(self.finished, default=None),
            finished_sessions=lambda since: {s for s in self.finished if s >= since},
            run_session=self.run,
            clock=lambda: self.now,
            sleep=self.sleep,
            log=self.logs.append,
            run_sessions=self.run_batch if batches else None,
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


def test_a_failed_session_does_not_block_the_catch_up_and_is_retried_later() -> None:
    world = FakeWorld("2026-11-30T09:00:00-05:00", [date(2026, 11, 24)], {date(2026, 11, 25)})
    scheduler = world.scheduler()
    scheduler.run_forever(cycles=1)
    # The failure is reported and the next due session still runs.
    assert [s for s, _ in world.ran] == [date(2026, 11, 25), date(2026, 11, 27)]
    assert any("EOD for 2026-11-25 failed (attempt 1" in line for line in world.logs)
    # The loop wakes for the retry (15 minutes after the failure), not at the next close.
    assert world.sleeps == [RETRY_AFTER.total_seconds() - 2 * 60]
    scheduler.run_forever(cycles=1)
    assert [s for s, _ in world.ran] == [date(2026, 11, 25), date(2026, 11, 27), date(2026, 11, 25)]
    assert scheduler.failing == {}


def test_after_downtime_a_gap_between_two_finished_sessions_runs() -> None:
    # 2026-11-19 failed for good while 11-18 and 11-20 finished (a manual `eod`
    # for the 20th, say); then the scheduler was down over the weekend.
    finished = [date(2026, 11, 17), date(2026, 11, 18), date(2026, 11, 20)]
    world = FakeWorld("2026-11-23T18:00:00-05:00", finished)
    scheduler = world.scheduler()
    assert scheduler.due_sessions(world.now) == [date(2026, 11, 19), date(2026, 11, 23)]
    assert scheduler.run_due() is True
    assert [s for s, _ in world.ran] == [date(2026, 11, 19), date(2026, 11, 23)]
    assert scheduler.due_sessions(world.now) == []


def test_sessions_before_the_first_finished_run_are_not_due() -> None:
    world = FakeWorld("2026-11-20T18:00:00-05:00", [date(2026, 11, 18)])
    assert world.scheduler().due_sessions(world.now) == [date(2026, 11, 19), date(2026, 11, 20)]


def test_a_failing_sessions_retry_delay_doubles_and_caps() -> None:
    assert [retry_delay(n) for n in (1, 2, 3, 4, 5, 6, 12)] == [
        timedelta(minutes=15),
        timedelta(minutes=30),
        timedelta(hours=1),
        timedelta(hours=2),
        timedelta(hours=4),
        MAX_RETRY_AFTER,
        MAX_RETRY_AFTER,
    ]
    # Driven through the loop: a session that always fails is tried less and less often.
    world = FakeWorld(
        "2026-11-20T18:00:00-05:00", [date(2026, 11, 19)], always_failing={date(2026, 11, 20)}
    )
    scheduler = world.scheduler()
    scheduler.run_forever(cycles=7)
    attempts = [t for s, t in world.ran if s == date(2026, 11, 20)]
    gaps = [b - a for a, b in itertools.pairwise(attempts)]
    # Each gap is the backoff plus the failed run's minute.
    assert gaps[:5] == [
        timedelta(minutes=16),
        timedelta(minutes=31),
        timedelta(minutes=61),
        timedelta(minutes=121),
        timedelta(minutes=241),
    ]
    assert max(gaps) == MAX_RETRY_AFTER + timedelta(minutes=1)
    assert scheduler.failing[date(2026, 11, 20)].attempts == len(attempts)
    assert "next attempt at" in world.logs[-2]


def test_a_ledger_error_at_wake_up_does_not_end_the_loop() -> None:
    world = FakeWorld("2026-11-20T18:00:00-05:00", [date(2026, 11, 19)])
    scheduler = world.scheduler()
    outages = [ConnectionError("database down"), ConnectionError("still down")]

    def first_finished() -> date | None:
        if outages:
            raise outages.pop(0)
        return min(world.finished)

    scheduler.first_finished = first_finished
    scheduler.run_forever(cycles=3)
    assert world.sleeps[:2] == [LEDGER_RETRY_AFTER.total_seconds()] * 2
    assert sum("could not read the run ledger" in line for line in world.logs) == 2
    assert [s for s, _ in world.ran] == [date(2026, 11, 20)]  # the third wake-up ran it


def test_cron_line_runs_the_catch_up_on_new_york_time() -> None:
    line = cron_line("/srv/tickstock")
    assert line.startswith("CRON_TZ=America/New_York\n")
    assert "cd /srv/tickstock && .venv/bin/tickstock schedule --once" in line


def test_missed_sessions_are_caught_up_in_one_batch() -> None:
    world = FakeWorld("2026-11-30T09:00:00-05:00", [date(2026, 11, 20)])
    assert world.scheduler(batches=True).run_due() is True
    assert world.batches == [
        [date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 27)]
    ]
    assert "catching up 4 sessions, 2026-11-23 to 2026-11-27, in one pass" in world.logs


def test_a_batch_that_fails_at_one_session_goes_on_with_the_next() -> None:
    failing = {date(2026, 11, 24)}
    world = FakeWorld("2026-11-30T09:00:00-05:00", [date(2026, 11, 20)], failing)
    scheduler = world.scheduler(batches=True)
    assert scheduler.run_due() is False
    assert world.batches == [
        [date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 27)],
        [date(2026, 11, 25), date(2026, 11, 27)],
    ]
    assert list(scheduler.failing) == [date(2026, 11, 24)]
    assert "EOD for 2026-11-24 failed (attempt 1, RuntimeError: Polygon unreachable)" in (
        " ".join(world.logs)
    )
    # Its retry, after the backoff, is a batch of one.
    world.now += RETRY_AFTER
    assert scheduler.run_due() is True
    assert world.batches[-1] == [date(2026, 11, 24)] and scheduler.failing == {}


def test_a_batch_error_naming_no_session_counts_against_the_first() -> None:
    world = FakeWorld("2026-11-30T09:00:00-05:00", [date(2026, 11, 24)])
    scheduler = world.scheduler(batches=True)

    def locked(sessions: list[date]) -> None:
        world.batches.append(list(sessions))
        raise TimeoutError("the writer lock is held")

    scheduler.run_sessions = locked
    assert scheduler.run_due() is False
    assert list(scheduler.failing) == [date(2026, 11, 25)]
    assert world.batches == [[date(2026, 11, 25), date(2026, 11, 27)]]
    assert scheduler.wake_time(world.now) == scheduler.failing[date(2026, 11, 25)].next_attempt
