"""One renderer for every report: a title, tables and links, as text, Markdown, HTML or JSON.

A report builds a `Document` (its numbers as tables, and the data behind
them for the JSON form); this module alone decides how documents look.
"""

from __future__ import annotations

import html
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table as RichTable

FORMATS = ("text", "md", "json", "html")
_STYLE = (
    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1em}"
    "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
)


@dataclass(frozen=True)
class Table:
    """A titled table; cells are printed with `str` (None as empty)."""

    title: str
    header: list[str]
    rows: list[list[Any]]


@dataclass(frozen=True)
class Link:
    """A file the report points to (GX Data Docs, say)."""

    label: str
    path: str


@dataclass(frozen=True)
class Document:
    """A report: its tables for people, `data` (JSON-serializable) for programs."""

    title: str
    tables: list[Table]
    data: Mapping[str, Any]
    links: list[Link] = field(default_factory=list)


@dataclass(frozen=True)
class ReportFiles:
    """Where `write_files` put the report."""

    json: Path
    markdown: Path
    html: Path


def render(document: Document, output_format: str) -> str:
    """The document as text, md, json or html."""
    renderers = {"text": _text, "md": _markdown, "json": _json, "html": _html}
    if output_format not in renderers:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {output_format!r}")
    return renderers[output_format](document)


def write_files(document: Document, folder: Path, stem: str) -> ReportFiles:
    """Write `<stem>.json`, `.md` and `.html` into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    files = ReportFiles(
        json=folder / f"{stem}.json",
        markdown=folder / f"{stem}.md",
        html=folder / f"{stem}.html",
    )
    files.json.write_text(_json(document))
    files.markdown.write_text(_markdown(document))
    files.html.write_text(_html(document))
    return files


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _json(document: Document) -> str:
    return orjson.dumps(document.data, option=orjson.OPT_INDENT_2, default=str).decode()


def _text(document: Document) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, color_system=None)
    console.print(document.title)
    for table in document.tables:
        rich_table = RichTable(title=table.title, title_justify="left")
        for column in table.header:
            rich_table.add_column(column)
        for row in table.rows:
            rich_table.add_row(*(_cell(value) for value in row))
        console.print(rich_table)
    for link in document.links:
        console.print(f"{link.label}: {link.path}")
    return buffer.getvalue()


def _markdown(document: Document) -> str:
    lines = [f"# {document.title}", ""]
    for table in document.tables:
        lines += [f"## {table.title}", ""]
        if not table.rows:
            lines += ["None.", ""]
            continue
        lines.append("| " + " | ".join(table.header) + " |")
        lines.append("|" + "---|" * len(table.header))
        for row in table.rows:
            lines.append("| " + " | ".join(_cell(v).replace("|", "\\|") for v in row) + " |")
        lines.append("")
    lines += [f"{link.label}: {link.path}" for link in document.links]
    return "\n".join(lines).rstrip("\n") + "\n"


def _html(document: Document) -> str:
    e = html.escape
    body = [f"<h1>{e(document.title)}</h1>"]
    for table in document.tables:
        body.append(f"<h2>{e(table.title)}</h2>")
        if not table.rows:
            body.append("<p>None.</p>")
            continue
        head = "".join(f"<th>{e(column)}</th>" for column in table.header)
        rows = "".join(
            "<tr>" + "".join(f"<td>{e(_cell(value))}</td>" for value in row) + "</tr>"
            for row in table.rows
        )
        body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    for link in document.links:
        uri = Path(link.path).absolute().as_uri()
        body.append(f'<p><a href="{e(uri)}">{e(link.label)}</a></p>')
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{e(document.title)}</title><style>{_STYLE}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
