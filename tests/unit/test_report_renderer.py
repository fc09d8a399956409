"""The one report renderer: the same document as text, Markdown, HTML and JSON."""

from __future__ import annotations

import json
from datetime import date

import pytest

from orchestration.reporting.renderer import FORMATS, Document, Link, Table, render

DOCUMENT = Document(
    title="Example <report>",
    tables=[
        Table("Counts", ["kind", "n"], [["a|b", 1], ["none", None]]),
        Table("Empty", ["x"], []),
    ],
    data={"day": date(2026, 11, 20), "counts": {"a|b": 1}},
    links=[Link("Docs", "/tmp/docs/index.html")],
)


def test_markdown() -> None:
    assert render(DOCUMENT, "md") == (
        "# Example <report>\n\n"
        "## Counts\n\n| kind | n |\n|---|---|\n| a\\|b | 1 |\n| none |  |\n\n"
        "## Empty\n\nNone.\n\n"
        "Docs: /tmp/docs/index.html\n"
    )


def test_html_escapes_and_links() -> None:
    page = render(DOCUMENT, "html")
    assert page.startswith("<!doctype html>")
    assert "<title>Example &lt;report&gt;</title>" in page
    assert "<thead><tr><th>kind</th><th>n</th></tr></thead>" in page
    assert "<tr><td>none</td><td></td></tr>" in page
    assert "<h2>Empty</h2><p>None.</p>" in page
    assert '<a href="file:///tmp/docs/index.html">Docs</a>' in page


def test_json_is_the_data() -> None:
    assert json.loads(render(DOCUMENT, "json")) == {
        "day": "2026-11-20",
        "counts": {"a|b": 1},
    }


def test_text_has_every_table() -> None:
    text = render(DOCUMENT, "text")
    assert "Example <report>" in text and "Counts" in text and "a|b" in text


def test_an_unknown_format_is_refused() -> None:
    assert set(FORMATS) == {"text", "md", "json", "html"}
    with pytest.raises(ValueError, match="format must be one of"):
        render(DOCUMENT, "pdf")
