"""Completion notices survive a Redis outage: kept in Postgres, delivered once, later."""

from __future__ import annotations

import json
from datetime import date

import pytest
import redis

from orchestration.contracts.notice import EodNotice
from orchestration.jobs.eod import deliver_pending
from orchestration.jobs.ledger import RunLedger
from orchestration.jobs.notifier import (
    DELIVERED_KEY,
    EOD_COMPLETE_CHANNEL,
    EOD_RUNS_STREAM,
    RedisNotifier,
)
from tests.support.contracts import sample_notice
from tests.support.private_redis import PrivateRedis

pytestmark = pytest.mark.integration


def _notice(ledger: RunLedger, session: date) -> EodNotice:
    notice = sample_notice(ledger.start_run(session), session)
    ledger.enqueue_notice(notice)
    return notice


def _completions(client: redis.Redis) -> list[str]:
    return [
        fields[b"run_id"].decode()
        for _, fields in client.xrange(EOD_RUNS_STREAM, "-", "+")
        if fields[b"kind"] == b"complete"
    ]


def test_a_notice_kept_while_redis_is_down_is_delivered_once_later(
    fresh_database: str, private_redis: PrivateRedis
) -> None:
    ledger = RunLedger(fresh_database)
    client = redis.Redis.from_url(private_redis.url, socket_timeout=2)
    notifier = RedisNotifier(client)
    private_redis.stop()

    first = _notice(ledger, date(2026, 11, 19))
    assert deliver_pending(ledger, notifier) == (0, 1)
    second = _notice(ledger, date(2026, 11, 20))
    assert deliver_pending(ledger, notifier) == (0, 2)
    assert ledger.pending_notices() == [first, second]

    private_redis.start()
    subscriber = client.pubsub()
    subscriber.subscribe(EOD_COMPLETE_CHANNEL)
    subscriber.get_message(timeout=2)
    assert deliver_pending(ledger, notifier) == (2, 0)
    received = []
    while (message := subscriber.get_message(timeout=1)) is not None:
        received.append(json.loads(message["data"])["run_id"])
    subscriber.close()
    assert received == [first.run_id, second.run_id]  # oldest first
    assert _completions(client) == [first.run_id, second.run_id]

    # Nothing left: a second delivery sends nothing.
    assert deliver_pending(ledger, notifier) == (0, 0)
    assert _completions(client) == [first.run_id, second.run_id]


def test_a_notice_redis_already_has_is_not_sent_again(
    fresh_database: str, private_redis: PrivateRedis
) -> None:
    # Say the process died after Redis took the notice but before Postgres recorded it.
    ledger = RunLedger(fresh_database)
    notifier = RedisNotifier(redis.Redis.from_url(private_redis.url))
    message = _notice(ledger, date(2026, 11, 20))
    assert notifier.complete(message) is not None
    assert notifier.complete(message) is None  # the delivery marker refuses a second send

    assert deliver_pending(ledger, notifier) == (1, 0)
    assert ledger.pending_notices() == []
    assert _completions(notifier.client) == [message.run_id]


def test_the_same_run_is_enqueued_once(fresh_database: str) -> None:
    ledger = RunLedger(fresh_database)
    message = _notice(ledger, date(2026, 11, 20))
    ledger.enqueue_notice(message.model_copy(update={"status": "incomplete"}))
    assert ledger.pending_notices() == [message]


def test_delivery_runs_one_registered_script_and_sets_the_marker_last(
    fresh_database: str, private_redis: PrivateRedis
) -> None:
    ledger = RunLedger(fresh_database)
    client = redis.Redis.from_url(private_redis.url)
    notifier = RedisNotifier(client)
    first = _notice(ledger, date(2026, 11, 19))
    second = _notice(ledger, date(2026, 11, 20))
    assert deliver_pending(ledger, notifier) == (2, 0)
    # The script is loaded once and run by its SHA (redis-py's Script), never sent as EVAL.
    stats = client.info("commandstats")
    assert stats["cmdstat_evalsha"]["calls"] >= 2
    assert "cmdstat_eval" not in stats
    assert client.script_exists(notifier.script.sha) == [True]
    # A stream write that fails leaves no marker: the notice can be sent later.
    client.delete(EOD_RUNS_STREAM)
    client.hset(EOD_RUNS_STREAM, "not", "a stream")
    third = _notice(ledger, date(2026, 11, 23))
    assert deliver_pending(ledger, notifier) == (0, 1)
    assert not client.exists(DELIVERED_KEY.format(run_id=third.run_id))
    assert client.exists(*(DELIVERED_KEY.format(run_id=n.run_id) for n in (first, second))) == 2
    client.delete(EOD_RUNS_STREAM)
    assert deliver_pending(ledger, notifier) == (1, 0)
    assert _completions(client) == [third.run_id]
