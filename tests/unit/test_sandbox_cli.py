"""The sandbox from the outside: `tickstock sandbox events`, its size setting and the endpoint."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from typer.testing import CliRunner

from kernel.settings import Settings, read_settings
from orchestration.cli.app import app
from orchestration.runtime.endpoints import polygon_endpoint
from tests.support.sandbox_client import get

runner = CliRunner()


@pytest.fixture
def sandbox_settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("POLYGON_API_KEY", raising=False)
    monkeypatch.delenv("TICKSTOCK_SANDBOX_SIZE", raising=False)
    return read_settings()


def test_events_command_lists_kinds_as_json(sandbox_settings: Settings) -> None:
    result = runner.invoke(app, ["sandbox", "events", "--kind", "split", "--kind", "ipo", "--json"])
    assert result.exit_code == 0, result.output
    events = json.loads(result.stdout)
    assert {e["kind"] for e in events} == {"split", "ipo"}
    assert {"date": "2024-06-10", "symbol": "NVDA", "kind": "split",
            "detail": "10-for-1 split"} in events  # fmt: skip


def test_events_command_filters_and_shows_glitches_and_scenario(sandbox_settings: Settings) -> None:
    args = ["sandbox", "events", "--glitches", "--scenario", "crash_2020", "--json",
            "--since", "2020-01-01", "--until", "2020-12-31"]  # fmt: skip
    events = json.loads(runner.invoke(app, args).stdout)
    kinds = {e["kind"] for e in events}
    assert {"glitch", "scenario", "dividend"} <= kinds
    assert all("2020-01-01" <= e["date"] <= "2020-12-31" for e in events)
    table = runner.invoke(app, ["sandbox", "events", "--symbol", "META", "--kind", "ticker_change"])
    assert table.exit_code == 0 and "FB -> META" in table.stdout


@pytest.mark.parametrize(
    "args", [["--kind", "comet"], ["--scenario", "moon_2030"], ["--size", "huge"]]
)
def test_events_command_refuses_unknown_values(sandbox_settings: object, args: list[str]) -> None:
    result = runner.invoke(app, ["sandbox", "events", *args])
    assert result.exit_code == 2
    assert args[1] in result.output


def test_sandbox_size_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TICKSTOCK_SANDBOX_SIZE", raising=False)
    assert read_settings().sandbox_size == "dev"
    monkeypatch.setenv("TICKSTOCK_SANDBOX_SIZE", "full")
    assert read_settings().sandbox_size == "full"
    monkeypatch.setenv("TICKSTOCK_SANDBOX_SIZE", "medium")
    with pytest.raises(ValueError, match="TICKSTOCK_SANDBOX_SIZE"):
        read_settings()


def test_endpoint_serves_the_requested_scenario(sandbox_settings: Settings) -> None:
    notices: list[str] = []
    window = "/v2/aggs/ticker/SPY/range/1/day/2020-01-01/2020-12-31"
    with polygon_endpoint(sandbox_settings, notices.append, scenario="crash_2020") as api:
        crash = [bar["c"] for bar in get(api.base_url + window).json()["results"]]
    with polygon_endpoint(sandbox_settings, notices.append) as api:
        plain = [bar["c"] for bar in get(api.base_url + window).json()["results"]]
    assert api.synthetic and len(notices) == 2 and "SYNTHETIC" in notices[0]
    drawdown = min(c / max(crash[: i + 1]) - 1 for i, c in enumerate(crash))
    assert drawdown < -0.3 and crash != plain


def test_endpoint_refuses_scenarios_for_the_real_api(sandbox_settings: Settings) -> None:
    real = replace(sandbox_settings, polygon_api_key="real-key")
    with (
        pytest.raises(ValueError, match="only in the sandbox"),
        polygon_endpoint(real, scenario="growth_2021"),
    ):
        pass
