"""Load holdings files and universe lists: validate, land, check, commit; or roll back.

A run is all or nothing: every file is parsed and validated before anything is
written; the landed rows are then checked against what was parsed, and only
then does a `holding_loads` event make them current. A failure at any point
leaves every group as it was.
"""

from __future__ import annotations

import csv
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from extract.holdings import batch_id, holdings_source, load_event, load_events_source
from extract.holdings.formats import (
    HoldingsFileError,
    ParsedFile,
    etf_from_filename,
    file_checksum,
    read_holdings,
    read_universe,
)
from extract.holdings.settings import DATASET, ETF_SYMBOL, PIPELINE
from extract.holdings.validation import Findings, is_security, validate
from extract.pipelines import make_pipeline, run_and_count
from kernel.settings import REPO_ROOT
from kernel.warehouse import connect, query, relation_exists

MODES = ("full", "incremental", "dry-run")
# Universes dbt builds by rule; a loaded list must not take one of their names.
RULE_UNIVERSES = REPO_ROOT / "seeds" / "reference" / "universe_definitions.csv"
HOLDINGS_TABLE = f"{DATASET}.holdings"
LOADS_TABLE = f"{DATASET}.holding_loads"


class LoadCheckFailed(RuntimeError):
    """Landed rows differ from what was parsed; nothing was made current."""


@dataclass
class GroupChange:
    """What a run did (or, in dry-run, would do) to one group."""

    group_type: str
    group_name: str
    source: str
    action: str  # loaded | unchanged | would load | rolled back
    rows: int = 0
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    findings: Findings = field(default_factory=Findings)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def load_files(
    database_url: str,
    paths: Sequence[Path],
    group_type: str,
    mode: str,
    name: str | None = None,
    now: Callable[[], datetime] = _utc_now,
) -> list[GroupChange]:
    """Load holdings (`group_type` ETF) or universe (UNIVERSE) files.

    Args:
        database_url: The warehouse.
        paths: Files to load, one group each.
        group_type: `ETF` or `UNIVERSE`.
        mode: `full` (load every file), `incremental` (skip files whose
            checksum is the group's current one) or `dry-run` (write nothing).
        name: The ETF symbol / universe name; only with a single file.
        now: Clock for the event timestamps.

    Raises:
        HoldingsFileError: A file failed validation; nothing was written.
        LoadCheckFailed: Landed rows did not match; nothing was made current.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if name and len(paths) != 1:
        raise ValueError("--etf/--name needs exactly one file")
    current = current_loads(database_url)
    known = _known_symbols(database_url)
    changes: list[GroupChange] = []
    to_load: list[ParsedFile] = []
    seen_groups: dict[str, Path] = {}
    for path in paths:
        group_name = _group_name(path, group_type, name)
        if group_type == "ETF" and name is not None:
            _check_named_etf(path, group_name, known)
        if group_name in seen_groups:
            raise HoldingsFileError(
                path, None, None, f"{group_name} is also loaded from {seen_groups[group_name]}"
            )
        seen_groups[group_name] = path
        previous = current.get((group_type, group_name))
        if mode == "incremental" and previous and previous["checksum"] == file_checksum(path):
            changes.append(GroupChange(group_type, group_name, str(path), "unchanged"))
            continue
        parsed = (
            read_holdings(path, group_name) if group_type == "ETF" else read_universe(path, name)
        )
        findings = validate(parsed, known)
        before = _members(database_url, previous["batch_id"]) if previous else set()
        after = {row.ticker for row in parsed.rows if is_security(row.asset_class)}
        unchanged = previous is not None and previous["batch_id"] == batch_id(parsed)
        action = "unchanged" if unchanged else ("would load" if mode == "dry-run" else "loaded")
        changes.append(
            GroupChange(
                group_type,
                group_name,
                str(path),
                action,
                rows=len(parsed.rows),
                added=sorted(after - before),
                removed=sorted(before - after),
                findings=findings,
            )
        )
        if not unchanged:
            to_load.append(parsed)
    if mode != "dry-run" and to_load:
        _land(database_url, to_load, mode, now)
    return changes


def rollback(
    database_url: str, group_type: str, group_name: str, now: Callable[[], datetime] = _utc_now
) -> GroupChange:
    """Make the group's previous load current again (an append-only event)."""
    history = _stack(_events(database_url, group_type, group_name))
    if len(history) < 2:
        raise ValueError(f"{group_type} {group_name}: no previous load to restore")
    restored = history[-2]
    before = _members(database_url, history[-1]["batch_id"])
    after = _members(database_url, restored["batch_id"])
    event = {
        **restored,
        "event_id": str(uuid.uuid4()),
        "recorded_at": now(),
        "action": "rollback",
        "mode": None,
    }
    pipeline = make_pipeline(PIPELINE, DATASET, database_url)
    run_and_count(pipeline, load_events_source([event]))
    return GroupChange(
        group_type,
        group_name,
        restored["source_file"],
        "rolled back",
        rows=restored["row_count"] or 0,
        added=sorted(after - before),
        removed=sorted(before - after),
    )


def current_loads(database_url: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The current load event of every group, keyed by (group_type, group_name)."""
    if not relation_exists(database_url, LOADS_TABLE):
        return {}
    current: dict[tuple[str, str], dict[str, Any]] = {}
    for event in _events(database_url):
        stack = current.setdefault((event["group_type"], event["group_name"]), {"stack": []})
        _apply(stack["stack"], event)
    return {key: value["stack"][-1] for key, value in current.items() if value["stack"]}


def _apply(stack: list[dict[str, Any]], event: dict[str, Any]) -> None:
    """Loads push, rollbacks pop: the top of the stack is current."""
    if event["action"] == "rollback":
        stack.pop()
    else:
        stack.append(event)


def _stack(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    stack: list[dict[str, Any]] = []
    for event in events:
        _apply(stack, event)
    return stack


def _events(
    database_url: str, group_type: str | None = None, group_name: str | None = None
) -> list[dict[str, Any]]:
    if not relation_exists(database_url, LOADS_TABLE):
        return []
    columns = (
        "event_id, recorded_at, action, mode, group_type, group_name, batch_id, checksum, "
        "source_file, layout, as_of_date, row_count, weight_total"
    )
    sql = f"select {columns} from {LOADS_TABLE}"
    params: tuple = ()
    if group_type:
        sql += " where group_type = %s and group_name = %s"
        params = (group_type, group_name)
    rows = query(database_url, sql + " order by recorded_at, event_id", params)
    names = [column.strip() for column in columns.split(",")]
    return [dict(zip(names, row, strict=True)) for row in rows]


def _members(database_url: str, batch: str | None) -> set[str]:
    if batch is None:
        return set()
    rows = query(
        database_url,
        f"select ticker, asset_class from {HOLDINGS_TABLE} where batch_id = %s",
        (batch,),
    )
    return {ticker for ticker, asset_class in rows if is_security(asset_class)}


def _group_name(path: Path, group_type: str, name: str | None) -> str:
    if group_type == "UNIVERSE":
        universe = name or path.name.split(".")[0]
        with RULE_UNIVERSES.open(newline="") as rules:
            if universe in {row["universe"] for row in csv.DictReader(rules)}:
                raise HoldingsFileError(
                    path, None, None, f"{universe} is built by rules in dbt: choose another name"
                )
        return universe
    symbol = (name or etf_from_filename(path) or "").upper()
    if not symbol:
        raise HoldingsFileError(
            path, None, None, "cannot tell the ETF from the file name: pass --etf SYMBOL"
        )
    if name is not None and not re.fullmatch(ETF_SYMBOL, symbol):
        raise HoldingsFileError(path, None, "--etf", f"not an ETF symbol: {name!r}")
    return symbol


def _check_named_etf(path: Path, symbol: str, known: set[str] | None) -> None:
    """An ETF named by hand must be one the warehouse knows, when it knows any."""
    if known is not None and symbol not in known:
        raise HoldingsFileError(
            path, None, "--etf", f"{symbol} is not a symbol the warehouse knows (marts.symbols)"
        )


def _known_symbols(database_url: str) -> set[str] | None:
    sources = [
        sql
        for table, sql in (
            ("raw_polygon.tickers", "select ticker from raw_polygon.tickers"),
            ("marts.symbols", "select symbol from marts.symbols"),
        )
        if relation_exists(database_url, table)
    ]
    if not sources:
        return None
    return {symbol for (symbol,) in query(database_url, " union ".join(sources))}


def _land(database_url: str, files: list[ParsedFile], mode: str, now) -> None:
    pipeline = make_pipeline(PIPELINE, DATASET, database_url)
    run_and_count(pipeline, holdings_source(files))
    try:
        _check_landed(database_url, files)
    except LoadCheckFailed:
        _discard_uncommitted(database_url, [batch_id(parsed) for parsed in files])
        raise
    events = [load_event(parsed, mode, now(), str(uuid.uuid4())) for parsed in files]
    run_and_count(pipeline, load_events_source(events))


def _check_landed(database_url: str, files: list[ParsedFile]) -> None:
    """Relationship integrity of the landed batches: every parsed line is there,
    once, under its own group, with the parsed weights."""
    batches = {batch_id(parsed): parsed for parsed in files}
    rows = query(
        database_url,
        f"""
        select
            batch_id,
            count(*),
            count(distinct line_number),
            coalesce(sum(weight_pct), 0),
            count(*) filter (
                where batch_id not like group_type || ':' || group_name || ':%%'
            )
        from {HOLDINGS_TABLE}
        where batch_id = any(%s)
        group by batch_id
        """,
        (list(batches),),
    )
    landed = {row[0]: row[1:] for row in rows}
    for batch, parsed in batches.items():
        count, lines, weight, foreign = landed.get(batch, (0, 0, 0.0, 0))
        expected_weight = sum(row.weight_pct or 0 for row in parsed.rows)
        if count != len(parsed.rows) or lines != count or foreign:
            raise LoadCheckFailed(
                f"{parsed.path}: landed {count} rows ({lines} distinct lines, {foreign} under "
                f"another group), parsed {len(parsed.rows)}"
            )
        if abs(weight - expected_weight) > 1e-6:
            raise LoadCheckFailed(
                f"{parsed.path}: landed weights add up to {weight}, parsed {expected_weight}"
            )


def _discard_uncommitted(database_url: str, batches: list[str]) -> None:
    """Remove landed rows no event refers to: the failed run leaves no trace."""
    committed = (
        f"select batch_id from {LOADS_TABLE} where batch_id is not null"
        if relation_exists(database_url, LOADS_TABLE)
        else "select null::text where false"
    )
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            f"delete from {HOLDINGS_TABLE} where batch_id = any(%s) "
            f"and batch_id not in ({committed})",
            (batches,),
        )
