"""CLI arguments: typer parses dates and choices and refuses bad ones (exit 2, option named)."""

from __future__ import annotations

from typing import get_args

import pytest
from typer.testing import CliRunner

from extract.holdings.loader import MODES
from extract.polygon.work import Timespan
from orchestration.cli.app import app
from orchestration.cli.groups import LoadMode, ReportFormat
from orchestration.cli.load import BarSize
from orchestration.cli.sandbox import EventKind, MarketSize
from orchestration.reporting.report import FORMATS
from sandbox.events import EVENT_KINDS
from sandbox.market import SIZES

runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["eod", "--date", "2026-13-40"], "--date"),
        (["quality", "--date", "20/11/2026"], "--date"),
        (["load", "--symbols", "AAPL", "--from", "yesterday"], "--from"),
        (["sandbox", "events", "--until", "2026-02-30"], "--until"),
    ],
)
def test_a_bad_date_is_refused_naming_the_option(args: list[str], option: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}'" in result.output
    assert "%Y-%m-%d" in result.output


@pytest.mark.parametrize(
    ("args", "option", "bad"),
    [
        (["load", "--symbols", "AAPL", "--timespan", "hour"], "--timespan", "hour"),
        (["holdings", "load", "--mode", "sometimes", "x.csv"], "--mode", "sometimes"),
        (["universes", "load", "--mode", "dry_run", "x.csv"], "--mode", "dry_run"),
        (["report", "--format", "pdf"], "--format", "pdf"),
        (["sandbox", "serve", "--size", "huge"], "--size", "huge"),
    ],
)
def test_a_bad_choice_is_refused_naming_the_option(args: list[str], option: str, bad: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}'" in result.output
    assert f"'{bad}' is not" in result.output


def test_the_choices_are_the_ones_the_code_behind_them_accepts() -> None:
    assert [mode.value for mode in LoadMode] == list(MODES)
    assert [fmt.value for fmt in ReportFormat] == list(FORMATS)
    assert [kind.value for kind in EventKind] == list(EVENT_KINDS)
    assert [size.value for size in MarketSize] == list(SIZES)
    assert [size.value for size in BarSize] == list(get_args(Timespan))


def test_a_good_date_is_parsed_to_that_day() -> None:
    # --plan needs no server: it answers from the trading calendar.
    result = runner.invoke(app, ["eod", "--plan", "--date", "2026-11-27"])
    assert result.exit_code == 0, result.output
    assert "2026-11-27: XNYS session, early close at 18:00 UTC" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["load", "--symbols", "AAPL", "--from", "2026-06-30", "--to", "2026-06-01"],
         "--from 2026-06-30 is after --to 2026-06-01"),
        (["load", "--symbols", "AAPL", "--universe", "default"],
         "give --symbols or --universe, not both"),
        (["load", "--symbols", "AAPL", "--from", "2026-01-02", "--months", "2"],
         "give --from or --years/--months, not both"),
        (["load", "--symbols", "AAPL", "--years", "0"], "--years must be more than 0"),
        (["load", "--scenario", "crash_2099"], "choose one of: crash_2020"),
        (["quality", "--date", "2026-11-21"], "2026-11-21 is not a XNYS trading session"),
        (["report", "--summary", "--detail"], "give --summary or --detail, not both"),
    ],
)  # fmt: skip
def test_parsed_arguments_that_do_not_fit_are_refused_before_any_server(
    args: list[str], message: str
) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Postgres" not in result.output  # no server was resolved


def test_a_refused_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKSTOCK_ENV", "staging")
    result = runner.invoke(app, ["eod", "--plan", "--date", "2026-11-20"])
    assert result.exit_code == 2
    assert "TICKSTOCK_ENV: Input should be 'dev', 'test' or 'prod', not 'staging'" in result.output
