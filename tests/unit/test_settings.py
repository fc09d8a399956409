"""Configuration: defaults that just work, bad values refused, secrets redacted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from kernel.settings import (
    ALL_EOD_SYMBOLS,
    DBT_PROJECT_DIR,
    DEFAULT_POLYGON_BASE_URL,
    PROFILES,
    EnvironmentSettings,
    read_settings,
    redact_url,
)


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


def test_bad_values_are_refused_naming_each_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYGON_REQUESTS_PER_MINUTE", "-5")
    monkeypatch.setenv("POLYGON_CONCURRENCY", "2.5")
    monkeypatch.setenv("TICKSTOCK_SANDBOX_SIZE", "medium")
    with pytest.raises(ValueError) as refused:
        read_settings()
    lines = str(refused.value).splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "POLYGON_REQUESTS_PER_MINUTE",
        "TICKSTOCK_SANDBOX_SIZE",
        "POLYGON_CONCURRENCY",
    ]
    assert "greater than 0, not '-5'" in lines[0]


def test_secrets_are_neither_echoed_nor_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYGON_API_KEY", "s3cret-key")
    monkeypatch.setenv("TICKSTOCK_DATABASE_URL", "postgresql://u:pw-123@db/x")
    settings = read_settings()
    assert settings.polygon_api_key == "s3cret-key"
    assert "s3cret-key" not in repr(settings) and "pw-123" not in repr(settings)
    assert "s3cret-key" not in repr(EnvironmentSettings())


def test_blank_values_take_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TICKSTOCK_ENV", "POLYGON_PLAN", "TICKSTOCK_LOAD_BATCH_ROWS", "POLYGON_API_KEY"):
        monkeypatch.setenv(name, "  ")
    settings = read_settings()
    assert (settings.env, settings.polygon_plan, settings.load_batch_rows) == (
        "dev",
        "free",
        250_000,
    )
    assert settings.uses_sandbox


def test_a_dotenv_file_is_read_and_the_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("# a comment\nPOLYGON_PLAN=paid\nTICKSTOCK_EOD_DELAY_MINUTES='45'\n")
    monkeypatch.delenv("POLYGON_PLAN", raising=False)
    monkeypatch.setenv("TICKSTOCK_EOD_DELAY_MINUTES", "20")
    settings = EnvironmentSettings(_env_file=dotenv).settings()  # type: ignore[call-arg]
    assert settings.polygon_plan == "paid"
    assert settings.eod_delay_minutes == 20.0


@pytest.mark.parametrize("env", ["dev", "test", "prod"])
def test_each_environment_selects_its_profile(monkeypatch: pytest.MonkeyPatch, env: str) -> None:
    monkeypatch.setenv("TICKSTOCK_ENV", env)
    settings = read_settings()
    assert settings.profile is PROFILES[env]
    assert settings.dbt_target == env
    assert settings.profile.database == f"tickstock_{env}"
    assert settings.profile.dbt_vars["tickstock_env"] == env


def test_the_profiles_table_says_what_each_environment_loads() -> None:
    dev, test, prod = PROFILES["dev"], PROFILES["test"], PROFILES["prod"]
    # dev: the 10 largest dev stocks and the 5 dev ETFs, six months.
    assert (dev.universe, dev.history_months) == (("dev_top_10", "dev_etfs"), 6)
    assert test.history_months < dev.history_months < prod.history_months
    assert prod.universe == (ALL_EOD_SYMBOLS,)


def test_every_profile_has_a_dbt_target() -> None:
    profiles = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())
    outputs = profiles["tickstock"]["outputs"]
    assert {profile.dbt_target for profile in PROFILES.values()} == set(outputs)
    assert all(output["type"] == "postgres" for output in outputs.values())


def test_profile_vars_reach_dbt_under_the_runs_own() -> None:
    from orchestration.runtime.dbt_runner import dbt_command

    command = dbt_command("build", target="test", variables={"quality_gap_sessions": 5})
    assert command[command.index("--target") + 1] == "test"
    passed = json.loads(command[command.index("--vars") + 1])
    assert passed == {"tickstock_env": "test", "quality_gap_sessions": 5}


def test_bounds_have_defaults_and_refuse_bad_values(monkeypatch: pytest.MonkeyPatch) -> None:
    bounds = read_settings().bounds
    assert (bounds.pg_connect_timeout_s, bounds.pg_statement_timeout_s) == (10, 1800)
    assert (bounds.redis_timeout_s, bounds.polygon_max_pages) == (10.0, 10_000)
    assert bounds.notice_max_bytes == 64 * 1024
    monkeypatch.setenv("TICKSTOCK_REDIS_TIMEOUT", "2.5")
    assert read_settings().bounds.redis_timeout_s == 2.5
    monkeypatch.setenv("TICKSTOCK_REDIS_TIMEOUT", "0")
    monkeypatch.setenv("TICKSTOCK_PG_CONNECT_TIMEOUT", "soon")
    with pytest.raises(ValueError) as refused:
        read_settings()
    names = sorted(line.split(":")[0] for line in str(refused.value).splitlines())
    assert names == ["TICKSTOCK_PG_CONNECT_TIMEOUT", "TICKSTOCK_REDIS_TIMEOUT"]
