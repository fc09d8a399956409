"""Redis notices for TickStock: pub/sub for listeners, a stream for latecomers."""

from __future__ import annotations

from typing import Any

import orjson
import redis

EOD_COMPLETE_CHANNEL = "tickstock.eod.complete"
EOD_RUNS_STREAM = "tickstock:eod:runs"
STREAM_MAX_LENGTH = 10_000


def _encode(payload: dict[str, Any]) -> bytes:
    return orjson.dumps(payload, default=str)


class RedisNotifier:
    """Publishes EOD progress; the client is passed in so tests use a real server."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def step(self, run_id: str, session_date: str, step: str, payload: dict[str, Any]) -> str:
        """Append one step's outcome to the runs stream; return the entry id."""
        entry = {"kind": "step", "run_id": run_id, "session_date": session_date, "step": step}
        fields = {**entry, "data": _encode({**entry, **payload})}
        entry_id = self.client.xadd(
            EOD_RUNS_STREAM, fields, maxlen=STREAM_MAX_LENGTH, approximate=True
        )
        return entry_id.decode() if isinstance(entry_id, bytes) else entry_id

    def complete(self, message: dict[str, Any]) -> int:
        """Publish the completion notice and keep it on the stream; return listeners."""
        data = _encode(message)
        self.client.xadd(
            EOD_RUNS_STREAM,
            {
                "kind": "complete",
                "run_id": message["run_id"],
                "session_date": str(message["session_date"]),
                "data": data,
            },
            maxlen=STREAM_MAX_LENGTH,
            approximate=True,
        )
        return self.client.publish(EOD_COMPLETE_CHANNEL, data)
