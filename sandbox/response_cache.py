"""Serialized responses kept for repeated requests, least recently used first out.

The real API serves stored bars; the sandbox computes them and builds their
JSON on every request, which costs CPU on the machine the client runs on
(see docs/performance.md). Bars of past
sessions no longer change, so their responses are kept, up to a byte budget.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

DEFAULT_BUDGET_BYTES = 256 * 1024 * 1024


class ResponseCache:
    """Response bodies by request, at most `budget_bytes` of them in all; thread-safe."""

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        self._budget = budget_bytes
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            payload = self._entries.get(key)
            if payload is not None:
                self._entries.move_to_end(key)
            return payload

    def put(self, key: Hashable, payload: bytes) -> None:
        if len(payload) > self._budget:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = payload
            self._size += len(payload)
            while self._size > self._budget:
                _, evicted = self._entries.popitem(last=False)
                self._size -= len(evicted)

    def __len__(self) -> int:
        return len(self._entries)
