"""Redis notices for TickStock: pub/sub for listeners, a stream for latecomers."""

from __future__ import annotations

import redis
from redis.typing import EncodableT, FieldT

from orchestration.contracts.notice import EOD_COMPLETE_CHANNEL, EOD_RUNS_STREAM, EodNotice
from orchestration.contracts.steps import StepEntry

__all__ = ["EOD_COMPLETE_CHANNEL", "EOD_RUNS_STREAM", "RedisNotifier"]
STREAM_MAX_LENGTH = 10_000
DELIVERED_KEY = "tickstock:eod:delivered:{run_id}"
DELIVERED_TTL_S = 90 * 24 * 3600

# Atomic in Redis: the marker, the stream entry and the publish happen together
# or not at all, so a notice retried from the outbox is never sent twice.
_DELIVER_ONCE = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[4]) then
    return -1
end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*',
           'kind', 'complete', 'run_id', ARGV[1], 'session_date', ARGV[2], 'data', ARGV[3])
return redis.call('PUBLISH', ARGV[6], ARGV[3])
"""


class RedisNotifier:
    """Publishes EOD progress; the client is passed in so tests use a real server."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def step(self, entry: StepEntry) -> str:
        """Append one step's outcome to the runs stream; return the entry id."""
        fields: dict[FieldT, EncodableT] = {
            "kind": entry.kind,
            "run_id": entry.run_id,
            "session_date": entry.session_date.isoformat(),
            "step": entry.step,
            "data": entry.model_dump_json(),
        }
        entry_id = self.client.xadd(
            EOD_RUNS_STREAM, fields, maxlen=STREAM_MAX_LENGTH, approximate=True
        )
        return entry_id.decode() if isinstance(entry_id, bytes) else entry_id

    def complete(self, notice: EodNotice) -> int | None:
        """Publish the completion notice and keep it on the stream, once per run.

        Returns:
            How many listeners received it, or None when this run's notice had
            already been delivered (nothing is sent again).
        """
        listeners = self.client.eval(
            _DELIVER_ONCE,
            2,
            DELIVERED_KEY.format(run_id=notice.run_id),
            EOD_RUNS_STREAM,
            notice.run_id,
            notice.session_date.isoformat(),
            notice.model_dump_json(),
            DELIVERED_TTL_S,
            STREAM_MAX_LENGTH,
            EOD_COMPLETE_CHANNEL,
        )
        return None if listeners == -1 else int(listeners)
