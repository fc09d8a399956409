"""Run the EOD at each session's run time, and catch up sessions missed while down.

The clock, the sleep and the runner are passed in, so tests drive a day (or
a week of downtime) in microseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from kernel.market_calendar import TradingCalendar
from kernel.settings import REPO_ROOT

# Due sessions are looked for among the latest this many sessions (oldest first).
CATCH_UP_LIMIT = 30
# A failing session is retried after RETRY_AFTER, then twice as long each time,
# at most MAX_RETRY_AFTER apart.
RETRY_AFTER = timedelta(minutes=15)
MAX_RETRY_AFTER = timedelta(hours=4)
# The ledger could not be read at a wake-up (the database is down): try again after this.
LEDGER_RETRY_AFTER = timedelta(minutes=1)


class SessionFailed(RuntimeError):
    """A batch of sessions stopped at `session`: the ones before it finished."""

    def __init__(self, session: date, error: BaseException) -> None:
        super().__init__(f"the EOD for {session} failed: {type(error).__name__}: {error}")
        self.session = session
        self.error = error


@dataclass(frozen=True)
class Failing:
    """A session whose runs failed: how often, why, and when it is tried again."""

    attempts: int
    error: str
    next_attempt: datetime


def retry_delay(attempts: int) -> timedelta:
    """The pause after the `attempts`-th failure in a row: 15 min, 30 min, 1 h, ... 4 h."""
    return min(RETRY_AFTER * (1 << max(attempts - 1, 0)), MAX_RETRY_AFTER)


@dataclass
class EodScheduler:
    """Decides which sessions are due and waits for the next run time.

    `first_finished()` and `finished_sessions(since)` read the run ledger
    (the first session a run finished for; those finished on or after
    `since`) at every wake-up. `run_session` runs one session;
    `run_sessions`, when given, runs several at once and raises
    SessionFailed naming the one that failed.
    """

    calendar: TradingCalendar
    first_finished: Callable[[], date | None]
    finished_sessions: Callable[[date], set[date]]
    run_session: Callable[[date], None]
    clock: Callable[[], datetime]
    sleep: Callable[[float], None]
    log: Callable[[str], None] = print
    catch_up_limit: int = CATCH_UP_LIMIT
    run_sessions: Callable[[list[date]], object] | None = None
    failing: dict[date, Failing] = field(default_factory=dict)

    def due_sessions(self, now: datetime) -> list[date]:
        """Sessions in the catch-up window that no run has finished, oldest first.

        The window is the latest `catch_up_limit` sessions whose run time has
        passed, from the first session the warehouse ever finished on: a gap
        between two finished sessions is due, a session before the
        warehouse's first run is not. A warehouse no run has finished yet
        starts with the latest session (its first run bootstraps the history).
        """
        latest = self.calendar.latest_completed_session(now)
        days = 2 * self.catch_up_limit + 14  # calendar days holding that many sessions
        window = self.calendar.session_dates(latest - timedelta(days=days), latest)
        window = window[-self.catch_up_limit :]
        first = self.first_finished()
        if first is None:
            return [latest]
        finished = self.finished_sessions(window[0])
        return [session for session in window if session > first and session not in finished]

    def next_run_time(self, now: datetime) -> datetime:
        """The first session run time after `now`."""
        today = now.date()
        for session in self.calendar.sessions_between(today, today + timedelta(days=14)):
            run_at = self.calendar.run_time(session)
            if run_at > now:
                return run_at
        raise LookupError(f"no {self.calendar.name} session in the 14 days after {today}")

    def run_due(self) -> bool:
        """Run every due session, oldest first; a failing one waits out its backoff.

        With `run_sessions`, the sessions go in one batch (one transform for
        all of them, EodJob.catch_up); a batch that fails at one session goes
        on with the sessions after it. A failure is logged with its next attempt
        time and does not keep the other due sessions from running.

        Returns:
            True when every due session ran, False when one failed or is
            waiting for its next attempt.
        """
        now = self.clock()
        all_ran = True
        ready = []
        for session in self.due_sessions(now):
            failing = self.failing.get(session)
            if failing is not None and failing.next_attempt > self.clock():
                all_ran = False
                continue
            ready.append(session)
        if self.run_sessions is None:
            return self._run_one_by_one(ready) and all_ran
        while ready:
            first, last = ready[0], ready[-1]
            self.log(
                f"running the EOD for {first}"
                if len(ready) == 1
                else f"catching up {len(ready)} sessions, {first} to {last}, in one pass"
            )
            try:
                self.run_sessions(ready)
            except SessionFailed as failed:
                position = ready.index(failed.session)
                for session in ready[:position]:
                    self.failing.pop(session, None)
                self._failed(failed.session, failed.error)
                all_ran = False
                ready = ready[position + 1 :]
            except Exception as error:
                # Not a session's failure (say, the writer lock was held): the
                # batch did not start; it is tried again with the first's retry.
                self._failed(first, error)
                return False
            else:
                for session in ready:
                    self.failing.pop(session, None)
                ready = []
        return all_ran

    def _run_one_by_one(self, sessions: list[date]) -> bool:
        all_ran = True
        for session in sessions:
            self.log(f"running the EOD for {session}")
            try:
                self.run_session(session)
            except Exception as error:
                all_ran = False
                self._failed(session, error)
            else:
                self.failing.pop(session, None)
        return all_ran

    def _failed(self, session: date, error: BaseException) -> None:
        """Log a failed session and when it is tried again."""
        failing = self.failing.get(session)
        attempts = failing.attempts + 1 if failing else 1
        retry_at = self.clock() + retry_delay(attempts)
        reason = f"{type(error).__name__}: {error}"
        self.failing[session] = Failing(attempts, reason, retry_at)
        self.log(
            f"EOD for {session} failed (attempt {attempts}, {reason});"
            f" next attempt at {retry_at:%Y-%m-%d %H:%M %Z}"
        )

    def wake_time(self, now: datetime) -> datetime:
        """The next session's run time, or a failing session's next attempt if sooner."""
        wake = self.next_run_time(now)
        retries = [failing.next_attempt for failing in self.failing.values()]
        return min([wake, *retries])

    def run_forever(self, cycles: int | None = None) -> None:
        """Catch up, then sleep until the next run time; `cycles` bounds the loop (tests).

        An error reading the ledger (the database is down) is logged and the
        wake-up retried after LEDGER_RETRY_AFTER: the loop never dies of it.
        """
        cycle = 0
        while cycles is None or cycle < cycles:
            cycle += 1
            try:
                self.run_due()
            except Exception as error:
                now = self.clock()
                wake = now + LEDGER_RETRY_AFTER
                self.log(
                    f"could not read the run ledger ({type(error).__name__}: "
                    f"{' '.join(str(error).split())}); trying again at {wake:%H:%M %Z}"
                )
            else:
                now = self.clock()
                wake = self.wake_time(now)
                self.log(f"next EOD run at {wake:%Y-%m-%d %H:%M %Z}")
            self.sleep(max((wake - now).total_seconds(), 0.0))


def cron_line(repo: str = str(REPO_ROOT)) -> str:
    """A crontab alternative to `tickstock schedule`: every 15 minutes of the afternoon.

    `schedule --once` runs only what is due, so the extra wake-ups cost a
    ledger lookup each; early closes (run at 14:00 New York) are covered too.
    """
    return (
        "CRON_TZ=America/New_York\n"
        f"*/15 13-20 * * 1-5 cd {repo} && .venv/bin/tickstock schedule --once"
        " >> .tickstock/logs/eod-schedule.log 2>&1"
    )
