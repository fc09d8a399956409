"""Read issuer holdings files and universe lists into plain rows (stdlib csv).

Layouts, recognised by their header line:

- **iShares** (`Ticker,Name,Sector,Asset Class,Market Value,Weight (%),…,Shares|Quantity,…`):
  UTF-8 with BOM, a preamble (`Fund Holdings as of,"Apr 06, 2023"`, …), quoted
  numbers with thousands separators, cash/futures/money-market rows, and a
  blank line followed by a legal footer.
- **SSGA** (`Name,Ticker,Identifier,SEDOL,Weight,[Sector,]Shares Held,Local Currency`),
  with or without SSGA's preamble (`Date:,4/30/2024` / `Holdings: As of …`).
- **plain** holdings CSV: `symbol,weight` required; `name,sector,asset_class,shares,
  market_value` optional. Weight in percent.
- **universe** CSV: `symbol` required; `name,weight,sector,market_cap` optional.

Every error names the file, the line and the field. Refused outright: a file
over `MAX_FILE_BYTES`, a blank line with more rows after it (only legal text
may follow the table), and numbers that are not finite (NaN, inf, 1e400).
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from extract.holdings.settings import ETF_SYMBOL, MAX_FILE_BYTES, MISSING_TICKERS


class HoldingsFileError(ValueError):
    """A file that cannot be loaded; says where and why."""

    def __init__(self, path: Path | str, line: int | None, field_name: str | None, problem: str):
        self.path, self.line, self.field, self.problem = str(path), line, field_name, problem
        where = str(path)
        if line is not None:
            where += f", line {line}"
        if field_name is not None:
            where += f", field {field_name!r}"
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class HoldingRow:
    """One line of a holdings file or universe list, as the issuer wrote it."""

    line: int
    ticker: str
    name: str | None = None
    sector: str | None = None
    asset_class: str | None = None
    weight_pct: float | None = None
    shares: float | None = None
    market_value: float | None = None
    market_cap: float | None = None
    identifier: str | None = None


@dataclass
class ParsedFile:
    """A whole file: what group it describes and its rows."""

    path: Path
    group_type: str
    group_name: str
    layout: str
    checksum: str
    as_of: date | None
    rows: list[HoldingRow] = field(default_factory=list)
    # Lines without a usable ticker (issuers print `-` for unlisted lines).
    skipped: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _Layout:
    name: str
    required: dict[str, tuple[str, ...]]  # our field -> accepted header spellings
    optional: dict[str, tuple[str, ...]]


_ISHARES = _Layout(
    "ishares",
    required={
        "ticker": ("ticker",),
        "weight_pct": ("weight (%)",),
        "asset_class": ("asset class",),
        "shares": ("shares", "quantity"),
    },
    optional={"name": ("name",), "sector": ("sector",), "market_value": ("market value",)},
)
_SSGA = _Layout(
    "ssga",
    required={"ticker": ("ticker",), "weight_pct": ("weight",), "shares": ("shares held",)},
    optional={"name": ("name",), "sector": ("sector",), "identifier": ("identifier",)},
)
_PLAIN = _Layout(
    "plain",
    required={"ticker": ("symbol",), "weight_pct": ("weight",)},
    optional={
        "name": ("name",),
        "sector": ("sector",),
        "asset_class": ("asset_class",),
        "shares": ("shares",),
        "market_value": ("market_value",),
    },
)
_UNIVERSE = _Layout(
    "universe",
    required={"ticker": ("symbol",)},
    optional={
        "name": ("name",),
        "weight_pct": ("weight",),
        "sector": ("sector",),
        "market_cap": ("market_cap",),
    },
)
_NUMERIC = frozenset({"weight_pct", "shares", "market_value", "market_cap"})
# Preamble lines that carry the as-of date: iShares `Fund Holdings as of,"Apr 06,
# 2023"`, SSGA `Date:,4/30/2024` or `Holdings:,As of 06-Apr-2023`.
_AS_OF = re.compile(
    r"^(?:fund holdings as of|holdings:?\s*as of|as of|date:?)\s*(.+)$", re.IGNORECASE
)


def file_checksum(path: Path) -> str:
    """SHA-256 of the file's bytes: what `incremental` compares."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def etf_from_filename(path: Path) -> str | None:
    """The fund symbol a file name carries, e.g. `IVV_holdings.csv` or
    `holdings-daily-us-en-spy.xlsx`; None when the name says nothing."""
    stem = path.name.split(".")[0].split("__")[-1]
    for pattern in (
        r"^([A-Za-z]{1,6})[_-]holdings$",
        r"^holdings[_-](?:daily[_-]us[_-]en[_-])?([A-Za-z]{1,6})$",
        r"^([A-Za-z]{1,6})$",
    ):
        found = re.match(pattern, stem)
        if found:
            return found.group(1).upper()
    return None


def read_holdings(path: Path, etf: str | None = None) -> ParsedFile:
    """Parse an issuer holdings file (iShares, SSGA or plain CSV) of one ETF."""
    group = (etf or etf_from_filename(path) or "").upper()
    if not group:
        raise HoldingsFileError(
            path, None, None, "cannot tell the ETF from the file name: pass --etf SYMBOL"
        )
    if not re.fullmatch(ETF_SYMBOL, group):
        raise HoldingsFileError(path, None, "--etf", f"not an ETF symbol: {etf!r}")
    return _read(path, "ETF", group, (_ISHARES, _SSGA, _PLAIN))


def read_universe(path: Path, name: str | None = None) -> ParsedFile:
    """Parse a universe list (`symbol,name,weight,sector,market_cap`)."""
    group = name or path.name.split(".")[0]
    if not re.fullmatch(r"[a-z0-9_]+", group):
        raise HoldingsFileError(
            path, None, None, f"universe name {group!r} must be lower-case letters, digits, _"
        )
    return _read(path, "UNIVERSE", group, (_UNIVERSE,))


def _read(path: Path, group_type: str, group_name: str, layouts: tuple[_Layout, ...]) -> ParsedFile:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            problem = f"{size:,} bytes, over the {MAX_FILE_BYTES:,}-byte cap for one file"
            raise HoldingsFileError(path, None, None, problem)
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise HoldingsFileError(path, None, None, f"not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise HoldingsFileError(path, None, None, error.strerror or str(error)) from None
    parsed = ParsedFile(path, group_type, group_name, "", file_checksum(path), None)
    reader = csv.reader(text.splitlines(keepends=True))
    columns: dict[str, int] | None = None
    header: list[str] = []
    blank: int | None = None  # the first blank line after the table's rows
    try:
        for cells in reader:
            line = reader.line_num
            cells = [cell.replace("\xa0", " ").strip() for cell in cells]
            if columns is None:
                match = _match_header(cells, layouts)
                if match:
                    parsed.layout, columns, header = match[0].name, match[1], cells
                elif found := _AS_OF.match(" ".join(cell for cell in cells if cell)):
                    parsed.as_of = _parse_as_of(found.group(1))
                continue
            if not any(cells):
                blank = blank or line  # the table ends; issuers put legal text after it
                continue
            if blank is not None:
                if len(cells) == len(header):
                    problem = f"blank line inside the table: line {line} after it is another row"
                    raise HoldingsFileError(path, blank, None, problem)
                continue  # legal text
            if len(cells) != len(header):
                problem = f"expected {len(header)} fields like the header, found {len(cells)}"
                raise HoldingsFileError(path, line, None, problem)
            _add_row(parsed, path, line, cells, columns, header)
    except csv.Error as error:
        raise HoldingsFileError(path, reader.line_num, None, f"malformed CSV ({error})") from None
    if columns is None:
        expected = " or ".join(
            ",".join(spellings[0] for spellings in layout.required.values()) for layout in layouts
        )
        raise HoldingsFileError(path, None, None, f"no header line found (expected {expected})")
    return parsed


def _match_header(cells: list[str], layouts: tuple[_Layout, ...]):
    lowered = [cell.lower() for cell in cells]
    for layout in layouts:
        columns: dict[str, int] = {}
        for field_name, spellings in {**layout.required, **layout.optional}.items():
            index = next((lowered.index(s) for s in spellings if s in lowered), None)
            if index is not None:
                columns[field_name] = index
        if all(field_name in columns for field_name in layout.required):
            return layout, columns
    return None


def _add_row(
    parsed: ParsedFile, path: Path, line: int, cells: list[str], columns, header: list[str]
) -> None:
    values: dict[str, Any] = {}
    for field_name, index in columns.items():
        raw = cells[index]
        if field_name in _NUMERIC:
            values[field_name] = _number(path, line, header[index], raw)
        else:
            values[field_name] = raw or None
    ticker = str(values.pop("ticker") or "")
    if ticker in MISSING_TICKERS:
        parsed.skipped.append((line, f"no ticker ({values.get('name') or 'unnamed'})"))
        return
    parsed.rows.append(HoldingRow(line=line, ticker=ticker, **values))


def _number(path: Path, line: int, field_name: str, raw: str) -> float | None:
    if raw in ("", "-", "--"):
        return None
    try:
        value = float(raw.replace(",", "").rstrip("%"))
    except ValueError:
        raise HoldingsFileError(path, line, field_name, f"not a number: {raw!r}") from None
    if not math.isfinite(value):  # nan, inf, and 1e400 (read as inf)
        raise HoldingsFileError(path, line, field_name, f"not a finite number: {raw!r}")
    return value


def _parse_as_of(text: str) -> date | None:
    text = text.strip()
    for pattern in ("%b %d, %Y", "%m/%d/%Y", "%d-%b-%Y", "%Y-%m-%d", "%B %d, %Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None
