"""Fault injection and rate limiting for the sandbox server, deterministic by seed.

``FaultPlan.decide(n)`` picks the fault (or none) for the ``n``-th request from
a counter-based hash of ``(fault_seed, n)``: the same seed and the same
request sequence always give the same faults, whatever the timing. A faulted
request never reaches the market, so it cannot change any data. Requests the
rate limiter refuses take no number in that sequence.
``RateLimiter`` is a sliding one-minute window per API key.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum


class Fault(Enum):
    """What the server does instead of (or on top of) answering normally."""

    RATE_LIMITED = "429"
    INTERNAL_ERROR = "500"
    BAD_GATEWAY = "502"
    UNAVAILABLE = "503"
    SLOW = "slow"
    DROP = "drop"


HTTP_STATUS = {
    Fault.RATE_LIMITED: 429,
    Fault.INTERNAL_ERROR: 500,
    Fault.BAD_GATEWAY: 502,
    Fault.UNAVAILABLE: 503,
}

RATE_LIMIT_MESSAGE = (
    "You've exceeded the maximum requests per minute, please wait or upgrade your "
    "subscription to continue. https://polygon.io/pricing"
)
ERROR_MESSAGES = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
FAULT_RETRY_AFTER_S = 1
"""``Retry-After`` of an injected 429 (the rate limiter computes its own)."""

SLOW_MIN_MS = 250
"""A slow fault delays the response by ``max(SLOW_MIN_MS, 4 * latency_ms)``."""

_KINDS = tuple(Fault)


def _uniform(seed: int, counter: int, stream: int) -> float:
    """A uniform draw in ``[0, 1)`` that depends only on its arguments."""
    digest = hashlib.blake2b(f"{seed}|{counter}|{stream}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """Which request gets which fault.

    Args:
        fault_rate: Probability in ``[0, 1]`` that a request is faulted; the six
            kinds are equally likely.
        latency_ms: Delay added to every response.
        fault_seed: Seed of the fault sequence.
        loop_next_url: Every page of a list answers with a ``next_url`` naming
            itself (a vendor pagination bug): a client that follows it blindly
            never ends.
    """

    fault_rate: float = 0.0
    latency_ms: int = 0
    fault_seed: int = 0
    loop_next_url: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError(f"fault_rate must be within [0, 1], got {self.fault_rate}")
        if self.latency_ms < 0:
            raise ValueError(f"latency_ms must be >= 0, got {self.latency_ms}")

    def decide(self, counter: int) -> Fault | None:
        """The fault for the ``counter``-th request (0-based), or ``None``."""
        if self.fault_rate <= 0 or _uniform(self.fault_seed, counter, 0) >= self.fault_rate:
            return None
        return _KINDS[int(_uniform(self.fault_seed, counter, 1) * len(_KINDS))]

    def delay_s(self, fault: Fault | None) -> float:
        """Seconds to wait before answering a request with ``fault``."""
        if fault is Fault.SLOW:
            return max(SLOW_MIN_MS, 4 * self.latency_ms) / 1000
        return self.latency_ms / 1000


class RateLimiter:
    """At most ``per_minute`` accepted requests per key in any sliding 60-second window.

    Args:
        per_minute: Requests allowed per key and minute.
        clock: Monotonic seconds (injectable for tests).
    """

    WINDOW_S = 60.0

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 1:
            raise ValueError(f"rate_limit must be >= 1 request per minute, got {per_minute}")
        self._limit = per_minute
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, key: str) -> int | None:
        """Record a request for ``key``; ``None`` if admitted, else seconds to wait."""
        now = self._clock()
        with self._lock:
            seen = self._seen.setdefault(_fingerprint(key), deque())
            while seen and seen[0] <= now - self.WINDOW_S:
                seen.popleft()
            if len(seen) >= self._limit:
                return max(1, math.ceil(seen[0] + self.WINDOW_S - now))
            seen.append(now)
            return None


def _fingerprint(key: str) -> str:
    """Keys are kept hashed, so a memory dump or repr never shows them."""
    return hashlib.sha256(key.encode()).hexdigest()


class Counter:
    """Thread-safe request counter: the ``n`` that ``FaultPlan.decide`` is keyed on."""

    def __init__(self) -> None:
        self._next = 0
        self._lock = threading.Lock()

    def take(self) -> int:
        """The next request number (0, 1, 2, ...)."""
        with self._lock:
            value = self._next
            self._next += 1
            return value
