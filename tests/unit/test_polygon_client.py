"""Retries wait exponentially, honour Retry-After, and carry random jitter."""

from __future__ import annotations

import requests
from tenacity import RetryCallState

from extract.polygon.client import RequestPolicy, polygon_client


def _response(status: int, **headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers)
    return response


def _waits(policy: RequestPolicy, attempt: int, response: requests.Response):
    """The delays before retry `attempt + 1` after `response`, drawn 50 times."""
    client = polygon_client("http://127.0.0.1:9", "key", policy)
    retrying = client.session.send.retry
    waits = []
    for _ in range(50):
        state = RetryCallState(retrying, fn=None, args=(), kwargs={})
        state.attempt_number = attempt
        state.set_result(response)
        waits.append(retrying.wait(state))
    return waits


def test_backoff_doubles_per_attempt_with_up_to_one_factor_of_jitter() -> None:
    policy = RequestPolicy(backoff_factor=1.0)
    third = _waits(policy, attempt=3, response=_response(503))
    assert all(4.0 <= wait <= 5.0 for wait in third), third
    assert len({round(wait, 6) for wait in third}) > 40  # random, not one fixed delay
    assert all(8.0 <= wait <= 9.0 for wait in _waits(policy, attempt=4, response=_response(502)))


def test_retry_after_is_honoured_and_jittered_upwards() -> None:
    response = _response(429, **{"Retry-After": "7"})
    waits = _waits(RequestPolicy(backoff_factor=0.5), attempt=1, response=response)
    assert all(7.0 <= wait <= 7.5 for wait in waits), waits
