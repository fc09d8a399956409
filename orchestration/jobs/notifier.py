"""Redis notices for TickStock: pub/sub for listeners, a stream for latecomers.

Delivery is at-least-once and `run_id` is the idempotency key. The notice
waits in the Postgres outbox (`ops.eod_outbox`) until the delivery script
below has returned; the script writes the stream entry and publishes first
and sets the run's delivered marker last, after checking every key's type
before any write. A script that fails (a key of the wrong type, Redis out
of memory) has written nothing, so the notice stays in the outbox and a later
attempt sends it; a retry after a delivery that Postgres did not record is
refused by the marker.
"""

from __future__ import annotations

import json
from typing import Any

import redis
from pydantic import BaseModel
from redis.commands.core import Script
from redis.typing import EncodableT, FieldT

from orchestration.contracts.notice import EOD_COMPLETE_CHANNEL, EOD_RUNS_STREAM, EodNotice
from orchestration.contracts.steps import StepEntry, StepEntryBase

__all__ = [
    "EOD_COMPLETE_CHANNEL",
    "EOD_RUNS_STREAM",
    "NOTICE_MAX_BYTES",
    "RedisNotifier",
    "bounded_notice",
]
STREAM_MAX_LENGTH = 10_000
DELIVERED_KEY = "tickstock:eod:delivered:{run_id}"
DELIVERED_TTL_S = 90 * 24 * 3600
# What one notice or stream entry may weigh (TICKSTOCK_NOTICE_MAX_BYTES).
NOTICE_MAX_BYTES = 64 * 1024
# A cut list keeps at least this many items (the first ones, in their order).
MIN_KEPT = 10

# Runs in Redis as one atomic script. Types first: a wrong-typed stream or
# marker key fails the script before it writes anything. Then the stream
# entry and the publish, and the marker last.
_DELIVER_ONCE = """
local stream_type = redis.call('TYPE', KEYS[2])['ok']
if stream_type ~= 'none' and stream_type ~= 'stream' then
    return redis.error_reply('WRONGTYPE ' .. KEYS[2] .. ' is a ' .. stream_type)
end
local marker_type = redis.call('TYPE', KEYS[1])['ok']
if marker_type ~= 'none' and marker_type ~= 'string' then
    return redis.error_reply('WRONGTYPE ' .. KEYS[1] .. ' is a ' .. marker_type)
end
if marker_type == 'string' then
    return -1
end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*',
           'kind', 'complete', 'run_id', ARGV[1], 'session_date', ARGV[2], 'data', ARGV[3])
local listeners = redis.call('PUBLISH', ARGV[6], ARGV[3])
redis.call('SET', KEYS[1], '1', 'EX', ARGV[4])
return listeners
"""


class RedisNotifier:
    """Publishes EOD progress; the client is passed in so tests use a real server.

    Step entries are best effort: after one fails for want of a server (a
    timeout, a refused connection) the rest of the run's entries are skipped
    rather than each waiting out the timeout. The completion notice is always
    attempted (the outbox keeps it when Redis cannot take it).
    """

    def __init__(self, client: redis.Redis, max_bytes: int = NOTICE_MAX_BYTES) -> None:
        self.client = client
        self.max_bytes = max_bytes
        self.unreachable = False
        self.script: Script = client.register_script(_DELIVER_ONCE)

    def step(self, entry: StepEntry) -> str | None:
        """Append one step's outcome to the runs stream; return the entry id.

        None when skipped: Redis was unreachable earlier in this run.
        """
        if self.unreachable:
            return None
        try:
            bounded, _ = bounded_model(entry, self.max_bytes)
        except ValueError:  # too big even with its lists cut: the entry's own fields only
            bounded = (
                StepEntryBase.model_validate(entry, from_attributes=True)
                .model_copy(update={"truncated": True})
                .model_dump_json()
            )
        fields: dict[FieldT, EncodableT] = {
            "kind": entry.kind,
            "run_id": entry.run_id,
            "session_date": entry.session_date.isoformat(),
            "step": entry.step,
            "data": bounded,
        }
        try:
            entry_id = self.client.xadd(
                EOD_RUNS_STREAM, fields, maxlen=STREAM_MAX_LENGTH, approximate=True
            )
        except (redis.ConnectionError, redis.TimeoutError):
            self.unreachable = True
            raise
        return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)

    def complete(self, notice: EodNotice) -> int | None:
        """Publish the completion notice and keep it on the stream, once per run.

        The notice is sent as given (`bounded_notice` keeps it under the size
        bound). Raises `redis.RedisError` when Redis did not take it: nothing
        was written then, so it can be sent again.

        Returns:
            How many listeners received it, or None when this run's notice had
            already been delivered (nothing is sent again).
        """
        listeners = self.script(
            keys=[DELIVERED_KEY.format(run_id=notice.run_id), EOD_RUNS_STREAM],
            args=[
                notice.run_id,
                notice.session_date.isoformat(),
                notice.model_dump_json(),
                DELIVERED_TTL_S,
                STREAM_MAX_LENGTH,
                EOD_COMPLETE_CHANNEL,
            ],
        )
        self.unreachable = False
        return None if listeners == -1 else int(listeners)


def bounded_model(model: BaseModel, max_bytes: int) -> tuple[str, dict[str, int]]:
    """`model` as JSON of at most `max_bytes`, its longest lists cut if need be.

    Lists anywhere in the document are shortened, the longest first, until
    the JSON fits; the document then carries `truncated: true`.

    Returns:
        The JSON, and the full length of each list that was cut (by its
        dotted path; empty when nothing was cut).
    """
    text = model.model_dump_json()
    if len(text.encode()) <= max_bytes:
        return text, {}
    document: dict[str, Any] = json.loads(text)
    cut: dict[str, int] = {}
    document["truncated"] = True
    while len(encoded := json.dumps(document, separators=(",", ":"))) > max_bytes:
        lists = sorted(_lists(document), key=lambda found: len(found[1]), reverse=True)
        path, longest = lists[0] if lists else ("", [])
        if len(longest) <= MIN_KEPT:
            raise ValueError(f"{type(model).__name__} exceeds {max_bytes} bytes with its lists cut")
        cut.setdefault(path, len(longest))
        # Halve the excess away rather than one item at a time.
        keep = max(MIN_KEPT, len(longest) * max_bytes // (2 * len(encoded.encode())))
        del longest[keep:]
    return encoded, cut


def _lists(node: Any, path: str = "") -> list[tuple[str, list[Any]]]:
    """Every list in a JSON document with its dotted path, nested ones included."""
    found: list[tuple[str, list[Any]]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _lists(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        found.append((path, node))
        for item in node:
            found += _lists(item, f"{path}[]")
    return found


def bounded_notice(
    notice: EodNotice, max_bytes: int = NOTICE_MAX_BYTES
) -> tuple[EodNotice, dict[str, int]]:
    """The notice as it is sent: within `max_bytes`, long lists cut and `truncated` set.

    Returns:
        The notice to send, and the full length of each list it lost (the
        run record keeps them whole and names them in `notice_truncated`).
    """
    text, cut = bounded_model(notice, max_bytes)
    return (EodNotice.model_validate_json(text), cut) if cut else (notice, {})
