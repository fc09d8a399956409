"""Retries wait exponentially, honour Retry-After, and carry random jitter; pages parse once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import requests
from tenacity import RetryCallState, Retrying

from extract.polygon.client import RequestPolicy, backoff, json_pages, polygon_client
from tests.support.scripted import ScriptedServer


def _response(status: int, **headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers)
    return response


def _waits(policy: RequestPolicy, attempt: int, response: requests.Response) -> list[float]:
    """The delays before retry `attempt + 1` after `response`, drawn 50 times."""
    wait = backoff(policy)
    waits = []
    for _ in range(50):
        state = RetryCallState(Retrying(), fn=None, args=(), kwargs={})
        state.attempt_number = attempt
        state.set_result(response)
        waits.append(wait(state))
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


def test_retry_after_as_a_date_and_capped_by_the_longest_delay() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    policy = RequestPolicy(backoff_factor=0.5)
    waits = _waits(policy, attempt=1, response=_response(429, **{"Retry-After": later}))
    assert all(28.0 <= wait <= 30.5 for wait in waits), waits
    capped = RequestPolicy(backoff_factor=0.5, max_retry_delay_s=2.0)
    waits = _waits(capped, attempt=1, response=_response(429, **{"Retry-After": later}))
    assert all(2.0 <= wait <= 2.5 for wait in waits), waits


def test_a_5xx_is_retried_and_each_page_parsed_once() -> None:
    page = {"results": [{"a": 1}], "next_url": "https://api.polygon.io/p2?cursor=x"}
    script = {
        "/p1": [(503, b'{"status":"ERROR"}', {}), (200, json.dumps(page).encode(), {})],
        "/p2": [(200, b'{"results": [{"a": 2}]}', {})],
    }
    with ScriptedServer(script) as api:
        policy = RequestPolicy(backoff_factor=0.01, max_retry_delay_s=0.1)
        client = polygon_client(api.base_url, "k", policy)
        pages = list(client.paginate("/p1", hooks=json_pages()))
    assert [list(p) for p in pages] == [[{"a": 1}], [{"a": 2}]]
    assert dict(api.hits) == {"/p1": 2, "/p2": 1}  # next_url followed on our base URL
    first = pages[0].response
    assert first.json() is first.json()  # parsed once, then the same object
