"""The holdings loader against real Postgres and dlt: all or nothing, incremental,
dry-run, rollback. The three real issuer files are the input."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import extract.holdings as holdings_source_module
from extract.holdings.formats import HoldingsFileError
from extract.holdings.loader import LoadCheckFailed, current_loads, load_files, rollback
from kernel.warehouse import connect, query
from orchestration.runtime.services import Endpoints
from tests.support.databases import throwaway_database
from tests.support.shared import HOLDINGS_REAL

pytestmark = pytest.mark.integration

REAL = HOLDINGS_REAL
REAL_FILES = sorted(REAL.glob("*.csv"))


class Clock:
    """Event timestamps one second apart, so event order never ties."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 22, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def warehouse(servers: Endpoints) -> Iterator[str]:
    with throwaway_database(servers.database_url) as url:
        yield url


def _state(url: str) -> tuple:
    """Everything the loader may write: raw rows and events."""
    rows = query(url, "select batch_id, count(*) from raw_holdings.holdings group by 1 order by 1")
    events = query(url, "select event_id from raw_holdings.holding_loads order by 1")
    return rows, events


def _copy(source: Path, folder: Path, name: str) -> Path:
    folder.mkdir(exist_ok=True)
    target = folder / name
    shutil.copyfile(source, target)
    return target


def _edited_spy(folder: Path, name: str = "spy_holdings.csv") -> Path:
    """The SPY file with its last holding replaced by another ticker."""
    lines = (REAL / "curtisbw_spy-satellite__spy_holdings.csv").read_text().splitlines()
    lines[-1] = lines[-1].replace("NEWS CORP   CLASS B,NWS,", "NEWCO INC,NEWCO,")
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text("\n".join(lines) + "\n")
    return path


def test_real_files_land_and_become_current(warehouse: str) -> None:
    changes = load_files(warehouse, REAL_FILES, "ETF", "full", now=Clock())
    assert {c.group_name: (c.action, c.rows) for c in changes} == {
        "SPY": ("loaded", 502),
        "IWM": ("loaded", 1964),
        "IVV": ("loaded", 507),
    }
    assert len([c for c in changes if c.added]) == 3
    current = current_loads(warehouse)
    assert sorted(name for _, name in current) == ["IVV", "IWM", "SPY"]
    ivv = current[("ETF", "IVV")]
    assert (ivv["row_count"], str(ivv["as_of_date"]), ivv["layout"]) == (
        507,
        "2023-04-06",
        "ishares",
    )
    assert len(ivv["checksum"]) == 64
    counts = dict(
        query(warehouse, "select group_name, count(*) from raw_holdings.holdings group by 1")
    )
    assert counts == {"SPY": 502, "IWM": 1964, "IVV": 507}


def test_incremental_skips_unchanged_files_and_full_rewrites_nothing(warehouse: str) -> None:
    load_files(warehouse, REAL_FILES, "ETF", "full", now=Clock())
    before = _state(warehouse)
    changes = load_files(warehouse, REAL_FILES, "ETF", "incremental", now=Clock())
    assert [c.action for c in changes] == ["unchanged"] * 3
    assert _state(warehouse) == before
    # Full mode re-reads and re-validates, but identical content changes nothing.
    changes = load_files(warehouse, REAL_FILES, "ETF", "full", now=Clock())
    assert [c.action for c in changes] == ["unchanged"] * 3
    assert _state(warehouse) == before


def test_incremental_loads_a_changed_file(warehouse: str, tmp_path: Path) -> None:
    spy = _copy(REAL / "curtisbw_spy-satellite__spy_holdings.csv", tmp_path, "spy_holdings.csv")
    load_files(warehouse, [spy], "ETF", "full", now=Clock())
    edited = _edited_spy(tmp_path / "new")
    [change] = load_files(warehouse, [edited], "ETF", "incremental", now=Clock())
    assert (change.action, change.added, change.removed) == ("loaded", ["NEWCO"], ["NWS"])
    assert len(query(warehouse, "select 1 from raw_holdings.holding_loads")) == 2


def test_dry_run_reports_changes_and_writes_nothing(warehouse: str, tmp_path: Path) -> None:
    load_files(warehouse, REAL_FILES, "ETF", "full", now=Clock())
    before = _state(warehouse)
    [change] = load_files(warehouse, [_edited_spy(tmp_path)], "ETF", "dry-run", now=Clock())
    assert (change.action, change.added, change.removed) == ("would load", ["NEWCO"], ["NWS"])
    assert _state(warehouse) == before


def test_dry_run_on_an_empty_warehouse_creates_nothing(warehouse: str) -> None:
    load_files(warehouse, REAL_FILES, "ETF", "dry-run", now=Clock())
    assert query(warehouse, "select to_regclass('raw_holdings.holdings')") == [(None,)]


def test_a_bad_file_rejects_the_whole_run_and_keeps_the_previous_state(
    warehouse: str, tmp_path: Path
) -> None:
    load_files(warehouse, REAL_FILES, "ETF", "full", now=Clock())
    before, current_before = _state(warehouse), current_loads(warehouse)
    bad = tmp_path / "QQQ_holdings.csv"
    bad.write_text("symbol,weight,name\nAAPL,60,Apple\nMSFT,4O,Microsoft\n")
    with pytest.raises(HoldingsFileError) as refused:
        # A good, changed SPY file in the same run must not land either.
        load_files(warehouse, [_edited_spy(tmp_path / "new"), bad], "ETF", "full", now=Clock())
    assert (Path(refused.value.path), refused.value.line, refused.value.field) == (bad, 3, "weight")
    assert _state(warehouse) == before
    assert current_loads(warehouse) == current_before


def test_a_landing_that_loses_lines_is_discarded(
    warehouse: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = _copy(REAL / "curtisbw_spy-satellite__spy_holdings.csv", tmp_path, "spy_holdings.csv")
    load_files(warehouse, [spy], "ETF", "full", now=Clock())
    before, current_before = _state(warehouse), current_loads(warehouse)
    records = holdings_source_module.holding_records

    def losing_one_line(files):  # fault injection: the landing drops a row
        rows = list(records(files))
        return iter(rows[:-1])

    monkeypatch.setattr(holdings_source_module, "holding_records", losing_one_line)
    with pytest.raises(LoadCheckFailed, match="landed 501 rows"):
        load_files(warehouse, [_edited_spy(tmp_path / "new")], "ETF", "full", now=Clock())
    assert _state(warehouse) == before
    assert current_loads(warehouse) == current_before


def test_rollback_restores_the_previous_load(warehouse: str, tmp_path: Path) -> None:
    clock = Clock()
    original = _copy(
        REAL / "curtisbw_spy-satellite__spy_holdings.csv", tmp_path, "spy_holdings.csv"
    )
    load_files(warehouse, [original], "ETF", "full", now=clock)
    first = current_loads(warehouse)[("ETF", "SPY")]
    load_files(warehouse, [_edited_spy(tmp_path / "new")], "ETF", "full", now=clock)
    assert current_loads(warehouse)[("ETF", "SPY")]["checksum"] != first["checksum"]

    change = rollback(warehouse, "ETF", "SPY", now=clock)
    assert (change.action, change.added, change.removed) == ("rolled back", ["NWS"], ["NEWCO"])
    restored = current_loads(warehouse)[("ETF", "SPY")]
    assert (restored["checksum"], restored["batch_id"]) == (first["checksum"], first["batch_id"])
    # After the rollback, the original file is current: incremental skips it.
    [again] = load_files(warehouse, [original], "ETF", "incremental", now=clock)
    assert again.action == "unchanged"
    with pytest.raises(ValueError, match="no previous load"):
        rollback(warehouse, "ETF", "SPY", now=clock)


def test_universe_lists_load_as_universe_groups(warehouse: str) -> None:
    samples = Path(__file__).resolve().parents[2] / "seeds" / "samples" / "universes"
    changes = load_files(warehouse, sorted(samples.glob("*.csv")), "UNIVERSE", "full", now=Clock())
    assert {c.group_name: c.rows for c in changes} == {
        "dow30": 30,
        "nasdaq100": 100,
        "russell3000": 2460,
        "sp500": 503,
    }
    assert {key for key in current_loads(warehouse)} == {
        ("UNIVERSE", name) for name in ("dow30", "nasdaq100", "russell3000", "sp500")
    }


def test_a_universe_list_cannot_take_a_rule_universe_name(warehouse: str, tmp_path: Path) -> None:
    path = tmp_path / "top_100.csv"
    path.write_text("symbol\nAAPL\n")
    with pytest.raises(HoldingsFileError, match="top_100 is built by rules"):
        load_files(warehouse, [path], "UNIVERSE", "full", now=Clock())
    assert query(warehouse, "select to_regclass('raw_holdings.holdings')") == [(None,)]


@pytest.mark.parametrize(
    ("body", "etf", "problem"),
    [
        ("symbol,weight\nAAPL,50\n\nMSFT,50\n", None, "blank line inside the table"),
        ("symbol,weight\nAAPL,50\nMSFT,NaN\n", None, "not a finite number"),
        ("symbol,weight\nAAPL,50\naapl,50\n", None, "differs only in case"),
        ("symbol,weight\nAAPL,50\nMSFT,50\n", "QQQ;", "not an ETF symbol"),
    ],
)
def test_a_refused_input_writes_nothing(
    warehouse: str, tmp_path: Path, body: str, etf: str | None, problem: str
) -> None:
    load_files(warehouse, REAL_FILES, "ETF", "full", now=Clock())
    before, current_before = _state(warehouse), current_loads(warehouse)
    bad = tmp_path / "QQQ_holdings.csv"
    bad.write_text(body)
    with pytest.raises(HoldingsFileError, match=problem) as refused:
        load_files(warehouse, [bad], "ETF", "full", name=etf, now=Clock())
    assert refused.value.path == str(bad)
    assert _state(warehouse) == before
    assert current_loads(warehouse) == current_before


def test_an_etf_named_by_hand_must_be_known_when_the_warehouse_knows_symbols(
    warehouse: str, tmp_path: Path
) -> None:
    with connect(warehouse) as connection, connection.cursor() as cursor:
        cursor.execute(
            "create schema marts; create table marts.symbols (symbol text);"
            " insert into marts.symbols values ('QQQ'), ('AAPL'), ('MSFT')"
        )
    path = tmp_path / "export.csv"
    path.write_text("symbol,weight\nAAPL,50\nMSFT,50\n")
    with pytest.raises(HoldingsFileError, match="NOSUCH is not a symbol the warehouse knows"):
        load_files(warehouse, [path], "ETF", "full", name="NOSUCH", now=Clock())
    assert query(warehouse, "select to_regclass('raw_holdings.holdings')") == [(None,)]
    (change,) = load_files(warehouse, [path], "ETF", "full", name="qqq", now=Clock())
    assert (change.group_name, change.action) == ("QQQ", "loaded")
