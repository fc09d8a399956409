"""Run the EOD at each session's run time, and catch up sessions missed while down.

The clock, the sleep and the runner are passed in, so tests drive a day (or
a week of downtime) in microseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from kernel.market_calendar import TradingCalendar
from kernel.settings import REPO_ROOT

# After downtime, at most this many missed sessions are replayed (oldest first).
CATCH_UP_LIMIT = 30
# A failed session is retried after this pause rather than in a tight loop.
RETRY_AFTER = timedelta(minutes=15)


@dataclass
class EodScheduler:
    """Decides which sessions are due and waits for the next run time."""

    calendar: TradingCalendar
    last_finished: Callable[[], date | None]
    run_session: Callable[[date], None]
    clock: Callable[[], datetime]
    sleep: Callable[[float], None]
    log: Callable[[str], None] = print
    catch_up_limit: int = CATCH_UP_LIMIT

    def due_sessions(self, now: datetime) -> list[date]:
        """Sessions whose run time has passed and that no run has finished, oldest first.

        A warehouse no run has finished yet starts with the latest session
        (its first run bootstraps the history).
        """
        latest = self.calendar.latest_completed_session(now)
        last = self.last_finished()
        if last is None:
            return [latest]
        if last >= latest:
            return []
        missed = self.calendar.session_dates(last + timedelta(days=1), latest)
        return missed[-self.catch_up_limit :]

    def next_run_time(self, now: datetime) -> datetime:
        """The first session run time after `now`."""
        today = now.date()
        for session in self.calendar.sessions_between(today, today + timedelta(days=14)):
            run_at = self.calendar.run_time(session)
            if run_at > now:
                return run_at
        raise LookupError(f"no {self.calendar.name} session in the 14 days after {today}")

    def run_due(self) -> bool:
        """Run every due session, oldest first; stop at the first failure.

        Returns:
            True when every due session ran, False when one failed.
        """
        for session in self.due_sessions(self.clock()):
            self.log(f"running the EOD for {session}")
            try:
                self.run_session(session)
            except Exception as error:
                self.log(f"EOD for {session} failed ({type(error).__name__}: {error})")
                return False
        return True

    def run_forever(self, cycles: int | None = None) -> None:
        """Catch up, then sleep until the next run time; `cycles` bounds the loop (tests)."""
        cycle = 0
        while cycles is None or cycle < cycles:
            cycle += 1
            ran_all = self.run_due()
            now = self.clock()
            wake = self.next_run_time(now) if ran_all else now + RETRY_AFTER
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
