"""`tickstock report`: counts, sector distribution, coverage and top holdings.

The numbers come from the marts in a handful of queries; `render` (the
shared report renderer) prints them as text, Markdown, JSON or HTML.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kernel.warehouse import connect
from orchestration.reporting import renderer
from orchestration.reporting.renderer import FORMATS, Document, Table

__all__ = ["FORMATS", "build_report", "document", "render"]

SUMMARY_TOP_ETFS = 10
SUMMARY_TOP_HOLDINGS = 5
DETAIL_TOP_HOLDINGS = 10

_GROUP_COUNTS_SQL = """
    select group_type, count(*), coalesce(sum(member_count), 0)::bigint,
           count(*) filter (where member_count > 0)
    from marts.definition_groups group by group_type order by group_type
"""
_SECTORS_SQL = """
    select coalesce(sector, 'unknown'), count(*)
    from marts.symbols where sector is not null group by 1 order by 2 desc, 1
"""
_COVERAGE_SQL = """
    select
        count(*) filter (where sector is not null),
        count(*) filter (where sector = 'unknown'),
        count(*) filter (where etf_type is not null),
        count(*) filter (where correlation_reference is not null),
        count(*)
    from marts.symbols
"""
_HOLDINGS_TRACKED_SQL = """
    select count(distinct m.symbol), count(distinct s.symbol)
    from marts.group_memberships as m
    left join marts.symbols as s on m.symbol = s.symbol
    where m.group_type = 'ETF'
"""
# Every stock known anywhere (warehouse, holdings files, universe lists, sector
# CSV, ticker details) and its resolved sector: the coverage of the sector
# sources at full-market size, beyond the symbols the warehouse tracks.
_KNOWN_STOCKS_SQL = """
    select count(*), count(*) filter (where sector = 'unknown')
    from intermediate.int_symbols_classified
    where not is_fund
"""
_TOP_HOLDINGS_SQL = """
    select m.group_name, m.symbol, m.weight::float8
    from marts.group_memberships as m
    join marts.definition_groups as g on g.group_id = m.group_id
    where m.group_type = 'ETF' and m.member_rank <= %s and g.name = any(%s)
    order by m.group_name, m.member_rank
"""
_LOADED_SQL = """
    select group_type, name, member_count, source_file, checksum, as_of_date, last_updated,
           (metadata ->> 'aum_millions')::float8
    from marts.definition_groups
    where source_file is not null
    order by (metadata ->> 'aum_millions')::float8 desc nulls last, name
"""
_CHANGES_SQL = """
    select change_date, change_type, count(*)
    from marts.membership_changes
    where change_date >= current_date - 7
    group by 1, 2 order by 1 desc, 2
"""


def build_report(database_url: str, detail: bool = False) -> dict[str, Any]:
    """Collect the report's numbers from the marts."""
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(_GROUP_COUNTS_SQL)
        groups = [
            {"group_type": t, "groups": n, "memberships": m, "non_empty": ne}
            for t, n, m, ne in cursor.fetchall()
        ]
        cursor.execute(_SECTORS_SQL)
        sectors = [{"sector": s, "stocks": n} for s, n in cursor.fetchall()]
        cursor.execute(_COVERAGE_SQL)
        stocks, unknown, etfs, correlated, symbols = cursor.fetchone()
        cursor.execute(_HOLDINGS_TRACKED_SQL)
        held, tracked = cursor.fetchone()
        cursor.execute(_KNOWN_STOCKS_SQL)
        known, known_unknown = cursor.fetchone()
        cursor.execute(_LOADED_SQL)
        loaded = [
            {
                "group_type": t,
                "name": name,
                "members": members,
                "source_file": source_file,
                "checksum": (checksum or "")[:12],
                "as_of_date": as_of,
                "last_updated": updated,
                "aum_millions": aum,
            }
            for t, name, members, source_file, checksum, as_of, updated, aum in cursor.fetchall()
        ]
        loaded_etfs = [group["name"] for group in loaded if group["group_type"] == "ETF"]
        shown = loaded_etfs if detail else loaded_etfs[:SUMMARY_TOP_ETFS]
        cursor.execute(
            _TOP_HOLDINGS_SQL, (DETAIL_TOP_HOLDINGS if detail else SUMMARY_TOP_HOLDINGS, shown)
        )
        top: dict[str, list[dict[str, Any]]] = {name: [] for name in shown}
        for etf, symbol, weight in cursor.fetchall():
            top[etf].append({"symbol": symbol, "weight": weight})
        changes = []
        if detail:
            cursor.execute(_CHANGES_SQL)
            changes = [{"date": d, "change": c, "count": n} for d, c, n in cursor.fetchall()]
    report: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "kind": "detail" if detail else "summary",
        "groups": groups,
        "sectors": sectors,
        "coverage": {
            "symbols": symbols,
            "stocks": stocks,
            "stocks_sector_unknown": unknown,
            "sector_unknown_pct": _pct(unknown, stocks),
            "known_stocks": known,
            "known_stocks_sector_unknown": known_unknown,
            "known_stocks_sector_unknown_pct": _pct(known_unknown, known),
            "etfs_with_metadata": etfs,
            "symbols_with_correlation_reference": correlated,
            "etf_holdings_distinct_symbols": held,
            "etf_holdings_tracked_in_warehouse": tracked,
            "etf_holdings_tracked_pct": _pct(tracked, held),
        },
        "loaded_groups": loaded,
        "top_holdings": top,
    }
    if detail:
        report["recent_changes"] = changes
    return report


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0


def render(report: dict[str, Any], output_format: str) -> str:
    """The report as text, md, json or html."""
    return renderer.render(document(report), output_format)


def document(report: dict[str, Any]) -> Document:
    """The report's tables, for the shared renderer."""
    title = f"TickStock relationship report ({report['kind']}, {report['generated_at']})"
    return Document(title=title, tables=_tables(report), data=report)


def _tables(report: dict[str, Any]) -> list[Table]:
    coverage = report["coverage"]
    tables = [
        Table(
            "Groups",
            ["type", "groups", "non-empty", "memberships"],
            [
                [g["group_type"], g["groups"], g["non_empty"], g["memberships"]]
                for g in report["groups"]
            ],
        ),
        Table("Coverage", ["metric", "value"], [[key, value] for key, value in coverage.items()]),
        Table(
            "Sector distribution",
            ["sector", "stocks"],
            [[s["sector"], s["stocks"]] for s in report["sectors"]],
        ),
        Table(
            "Loaded files",
            ["type", "name", "members", "file", "checksum", "as of", "last updated"],
            [
                [
                    g["group_type"],
                    g["name"],
                    g["members"],
                    g["source_file"],
                    g["checksum"],
                    g["as_of_date"],
                    g["last_updated"],
                ]
                for g in report["loaded_groups"]
            ],
        ),
    ]
    for etf, holdings in report["top_holdings"].items():
        tables.append(
            Table(
                f"Top holdings of {etf}",
                ["symbol", "weight %"],
                [
                    [h["symbol"], "" if h["weight"] is None else f"{h['weight']:.2f}"]
                    for h in holdings
                ],
            )
        )
    if "recent_changes" in report:
        tables.append(
            Table(
                "Membership changes (last 7 days)",
                ["date", "change", "count"],
                [[c["date"], c["change"], c["count"]] for c in report["recent_changes"]],
            )
        )
    return tables
