"""Reading issuer holdings files and universe lists; validation before any write."""

from __future__ import annotations

from pathlib import Path

import pytest

from extract.holdings.formats import (
    HoldingsFileError,
    etf_from_filename,
    read_holdings,
    read_universe,
)
from extract.holdings.validation import is_security, validate
from tests.support.shared import HOLDINGS_REAL

REAL = HOLDINGS_REAL
SAMPLES = Path(__file__).resolve().parents[2] / "seeds" / "samples"
IVV = REAL / "martinbel_shiny-python__IVV_holdings.csv"
IWM = REAL / "jmaietta_EPS_Calendar__IWM_holdings.csv"
SPY = REAL / "curtisbw_spy-satellite__spy_holdings.csv"


def test_ishares_file_with_bom_preamble_quoted_numbers_and_footer() -> None:
    parsed = read_holdings(IVV)
    assert (parsed.group_name, parsed.layout, str(parsed.as_of)) == ("IVV", "ishares", "2023-04-06")
    assert len(parsed.rows) == 507  # 503 equities + money market, cash, collateral, futures
    assert sum(is_security(row.asset_class) for row in parsed.rows) == 503
    apple = parsed.rows[0]
    assert (apple.ticker, apple.line, apple.sector) == ("AAPL", 11, "Information Technology")
    assert apple.market_value == pytest.approx(21_749_937_094.76)
    assert apple.shares == 132_089_986.0
    assert sum(row.weight_pct for row in parsed.rows) == pytest.approx(100.0, abs=0.05)
    # The legal footer (one quoted multi-line field) is not a row.
    assert not any("BlackRock" in (row.name or "") for row in parsed.rows)


def test_ishares_quantity_column_and_unlisted_lines_are_reported() -> None:
    parsed = read_holdings(IWM)
    assert parsed.layout == "ishares" and parsed.group_name == "IWM"
    assert all(row.shares is not None for row in parsed.rows)  # `Quantity`, not `Shares`
    assert [line for line, _ in parsed.skipped] == [1967, 1975, 1976]
    findings = validate(parsed, known_symbols=None)
    assert len(findings.warnings) == 3 and "line 1967" in findings.warnings[0]


def test_ssga_file_keeps_cusips_and_polygon_share_class_spelling() -> None:
    parsed = read_holdings(SPY)
    assert (parsed.group_name, parsed.layout, len(parsed.rows)) == ("SPY", "ssga", 502)
    berkshire = next(row for row in parsed.rows if row.ticker == "BRK.B")
    assert berkshire.identifier == "084670702"
    assert validate(parsed, known_symbols=None).unknown_tickers == []


def test_ssga_file_with_preamble_and_footer() -> None:
    parsed = read_holdings(SAMPLES / "holdings" / "holdings-daily-us-en-xlk.csv")
    assert (parsed.group_name, parsed.layout, str(parsed.as_of)) == ("XLK", "ssga", "2023-04-06")
    assert len(parsed.rows) == 66
    validate(parsed, known_symbols=None)


def test_unknown_tickers_are_reported_not_rejected() -> None:
    parsed = read_holdings(IVV)
    findings = validate(parsed, known_symbols={"AAPL", "MSFT", "BRK.B"})
    assert "AAPL" not in findings.unknown_tickers
    assert "BRKB" not in findings.unknown_tickers  # iShares' spelling of BRK.B
    assert "NVDA" in findings.unknown_tickers
    assert "USD" not in findings.unknown_tickers  # cash lines are not securities


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("IVV_holdings.csv", "IVV"),
        ("curtisbw_spy-satellite__spy_holdings.csv", "SPY"),
        ("holdings-daily-us-en-xlk.xlsx", "XLK"),
        ("qqq.csv", "QQQ"),
        ("fund export 2024.csv", None),
    ],
)
def test_etf_symbol_from_file_name(name: str, expected: str | None) -> None:
    assert etf_from_filename(Path(name)) == expected


def test_file_name_without_a_symbol_needs_etf(tmp_path: Path) -> None:
    path = tmp_path / "fund export.csv"
    path.write_text("symbol,weight\nAAPL,100\n")
    with pytest.raises(HoldingsFileError, match="pass --etf"):
        read_holdings(path)
    assert read_holdings(path, etf="abc").group_name == "ABC"


def _plain(tmp_path: Path, body: str, name: str = "TEST_holdings.csv") -> Path:
    path = tmp_path / name
    path.write_text("symbol,weight,name\n" + body)
    return path


def test_bad_number_names_file_line_and_field(tmp_path: Path) -> None:
    path = _plain(tmp_path, "AAPL,60,Apple\nMSFT,4O,Microsoft\n")
    with pytest.raises(HoldingsFileError) as refused:
        read_holdings(path)
    assert (refused.value.line, refused.value.field) == (3, "weight")
    assert str(path) in str(refused.value) and "'4O'" in str(refused.value)


def test_row_with_missing_fields_is_rejected(tmp_path: Path) -> None:
    path = _plain(tmp_path, "AAPL,60,Apple\nMSFT,40\n")
    with pytest.raises(HoldingsFileError, match="line 3: expected 3 fields"):
        read_holdings(path)


def test_missing_header_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "ABC_holdings.csv"
    path.write_text("ticker;weight\nAAPL;100\n")
    with pytest.raises(HoldingsFileError, match="no header line found"):
        read_holdings(path)


def test_duplicate_line_is_rejected_with_both_lines(tmp_path: Path) -> None:
    parsed = read_holdings(_plain(tmp_path, "AAPL,50,Apple\nMSFT,25,Microsoft\nAAPL,25,Apple\n"))
    with pytest.raises(HoldingsFileError, match="line 4, field 'ticker': duplicate of line 2"):
        validate(parsed, known_symbols=None)


def test_same_ticker_on_two_security_lines_is_kept(tmp_path: Path) -> None:
    # A share and its CVR share a ticker in real iShares files (ADRO in IWM).
    parsed = read_holdings(_plain(tmp_path, "ADRO,50,Chinook\nADRO,50,Chinook CVR\n"))
    validate(parsed, known_symbols=None)
    assert len(parsed.rows) == 2


def test_weights_far_from_100_are_rejected(tmp_path: Path) -> None:
    parsed = read_holdings(_plain(tmp_path, "AAPL,60,Apple\nMSFT,20,Microsoft\n"))
    with pytest.raises(HoldingsFileError, match=r"weights add up to 80\.00%"):
        validate(parsed, known_symbols=None)


def test_negative_weight_is_rejected(tmp_path: Path) -> None:
    parsed = read_holdings(_plain(tmp_path, "AAPL,110,Apple\nMSFT,-10,Microsoft\n"))
    with pytest.raises(HoldingsFileError, match="line 3, field 'weight_pct': negative"):
        validate(parsed, known_symbols=None)


def test_not_utf8_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "ABC_holdings.csv"
    path.write_bytes("symbol,weight,name\nAAPL,100,Caf\xe9\n".encode("latin-1"))
    with pytest.raises(HoldingsFileError, match="not UTF-8"):
        read_holdings(path)


def test_universe_list_with_optional_columns() -> None:
    parsed = read_universe(SAMPLES / "universes" / "dow30.csv")
    assert (parsed.group_type, parsed.group_name, parsed.layout) == (
        "UNIVERSE",
        "dow30",
        "universe",
    )
    assert len(parsed.rows) == 30
    assert all(row.market_cap and row.sector for row in parsed.rows)
    validate(parsed, known_symbols=None)


def test_universe_list_with_only_symbols(tmp_path: Path) -> None:
    path = tmp_path / "watch_list.csv"
    path.write_text("symbol\nAAPL\nMSFT\n")
    parsed = read_universe(path)
    validate(parsed, known_symbols=None)  # no weights: no weight check
    assert [row.ticker for row in parsed.rows] == ["AAPL", "MSFT"]


def test_universe_name_must_be_a_key(tmp_path: Path) -> None:
    path = tmp_path / "My List.csv"
    path.write_text("symbol\nAAPL\n")
    with pytest.raises(HoldingsFileError, match="lower-case"):
        read_universe(path)


# ---- inputs refused outright, naming file and line ----------------------------------------


def test_a_blank_line_inside_a_universe_list_is_refused_not_a_silent_end(tmp_path: Path) -> None:
    path = tmp_path / "watch_list.csv"
    path.write_text("symbol,name\nAAPL,Apple\n\nMSFT,Microsoft\n")
    with pytest.raises(HoldingsFileError) as refused:
        read_universe(path)
    assert (refused.value.path, refused.value.line) == (str(path), 3)
    assert "blank line inside the table: line 4 after it is another row" in str(refused.value)


def test_a_blank_line_before_legal_text_still_ends_the_table(tmp_path: Path) -> None:
    path = _plain(tmp_path, "AAPL,60,Apple\nMSFT,40,Microsoft\n\nPast performance is no guide.\n")
    assert [row.ticker for row in read_holdings(path).rows] == ["AAPL", "MSFT"]


@pytest.mark.parametrize("text", ["NaN", "nan", "inf", "-Infinity", "1e400"])
def test_a_number_that_is_not_finite_is_refused(tmp_path: Path, text: str) -> None:
    path = _plain(tmp_path, f"AAPL,60,Apple\nMSFT,{text},Microsoft\n")
    with pytest.raises(HoldingsFileError, match="not a finite number") as refused:
        read_holdings(path)
    assert (refused.value.path, refused.value.line, refused.value.field) == (str(path), 3, "weight")


def test_a_non_finite_market_cap_in_a_universe_list_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "caps.csv"
    path.write_text("symbol,market_cap\nAAPL,3e12\nMSFT,1e400\n")
    with pytest.raises(HoldingsFileError, match="line 3, field 'market_cap': not a finite"):
        read_universe(path)


@pytest.mark.parametrize("etf", ["S P Y", "SPY;DROP", "../etc", "TOOLONGSYMBOL", "1SPY"])
def test_an_etf_that_is_not_a_symbol_is_refused(tmp_path: Path, etf: str) -> None:
    path = _plain(tmp_path, "AAPL,100,Apple\n", name="export.csv")
    with pytest.raises(HoldingsFileError, match="field '--etf': not an ETF symbol"):
        read_holdings(path, etf=etf)


def test_members_differing_only_in_case_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "watch_list.csv"
    path.write_text("symbol\nAAPL\nMSFT\naapl\n")
    with pytest.raises(HoldingsFileError) as refused:
        validate(read_universe(path), known_symbols=None)
    assert (refused.value.line, refused.value.field) == (4, "ticker")
    assert "'aapl' differs only in case from 'AAPL' on line 2" in str(refused.value)


def test_a_file_over_the_cap_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import extract.holdings.formats as formats

    monkeypatch.setattr(formats, "MAX_FILE_BYTES", 64)
    path = _plain(tmp_path, "AAPL,50,Apple\nMSFT,50,Microsoft\n" * 3)
    with pytest.raises(HoldingsFileError, match="over the 64-byte cap") as refused:
        read_holdings(path)
    assert refused.value.path == str(path)
