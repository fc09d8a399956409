"""Talking to a sandbox server in tests: one key, one frozen clock."""

from __future__ import annotations

from datetime import UTC, datetime

import requests

KEY = "sandbox-test-key-1234"
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
AUTH = {"Authorization": f"Bearer {KEY}"}


def get(url: str, **params: object) -> requests.Response:
    return requests.get(url, params=params, headers=AUTH, timeout=10)
