"""The one way the platform opens Redis: every wait bounded.

A stalled server (a SIGSTOP, a full host) answers nothing yet keeps the
TCP connection open: without socket timeouts a command waits forever. Here
connecting and each reply wait at most `TICKSTOCK_REDIS_TIMEOUT` seconds and
a timeout is not retried, so a stalled Redis costs a caller about one to
two timeouts (the connection's handshake, the command), then raises
`redis.TimeoutError`. A dropped connection (`redis.ConnectionError`, say
Redis restarted) is retried once on a new one after a short backoff.
"""

from __future__ import annotations

import redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.retry import Retry

from kernel.settings import current_bounds

# One retry of a dropped connection: a restart is ridden out; a stall is not waited on twice.
RETRIES = 1


def redis_client(url: str, timeout_s: float | None = None) -> redis.Redis:
    """A client for `url` whose connects and commands time out after `timeout_s`.

    Args:
        url: `redis://[:password@]host:port/db`.
        timeout_s: seconds per attempt; default `TICKSTOCK_REDIS_TIMEOUT` (10).
    """
    timeout = timeout_s if timeout_s is not None else current_bounds().redis_timeout_s
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        socket_keepalive=True,
        retry=Retry(
            ExponentialWithJitterBackoff(base=0.2, cap=1.0),
            RETRIES,
            supported_errors=(redis.ConnectionError,),
        ),
        # A pooled connection idle for a while is checked before it is trusted.
        health_check_interval=30,
    )
