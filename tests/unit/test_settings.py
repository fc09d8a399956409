"""Configuration: defaults that just work, bad values refused, secrets redacted."""

from __future__ import annotations

import pytest

from kernel.settings import DEFAULT_POLYGON_BASE_URL, read_settings, redact_url


def test_redact_url_hides_only_the_password() -> None:
    url = "postgresql://tick:s3cr%40t@db.example:5433/warehouse?sslmode=require"
    assert redact_url(url) == "postgresql://tick:***@db.example:5433/warehouse?sslmode=require"
    assert redact_url("redis://:pw@127.0.0.1:6379/0") == "redis://:***@127.0.0.1:6379/0"
    assert redact_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_defaults_use_the_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("POLYGON_API_KEY", "POLYGON_BASE_URL", "TICKSTOCK_ENV"):
        monkeypatch.delenv(name, raising=False)
    settings = read_settings()
    assert settings.uses_sandbox
    assert settings.polygon_base_url == DEFAULT_POLYGON_BASE_URL
    assert settings.dbt_target == "dev"


def test_api_key_selects_the_real_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYGON_API_KEY", "k")
    monkeypatch.setenv("POLYGON_BASE_URL", "http://replay.local:9000")
    settings = read_settings()
    assert not settings.uses_sandbox
    assert settings.polygon_base_url == "http://replay.local:9000"


def test_unknown_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKSTOCK_ENV", "staging")
    with pytest.raises(ValueError, match="TICKSTOCK_ENV"):
        read_settings()
