"""Pages of bars: Arrow's fast parse for clean pages, record by record for the others."""

from __future__ import annotations

import pytest

from extract.polygon.bars import _parse_record_by_record, parse_bar_page

CLEAN = (
    b'{"status":"OK","results":['
    b'{"T":"AAPL","t":1748894400000,"o":200.5,"h":201.25,"l":199.1,"c":200.9,'
    b'"v":51234567,"vw":200.4321,"n":612345},'
    b'{"T":"BRK.B","t":1748894400000,"o":480,"h":481.5,"l":478.0,"c":481,'
    b'"v":3000000,"vw":480.1,"n":45000,"otc":false}'
    b'],"next_url":"https://api.polygon.io/next?cursor=abc"}'
)


def test_a_clean_page_reads_the_same_both_ways() -> None:
    fast = parse_bar_page(CLEAN, require_ticker=True)
    slow = _parse_record_by_record(CLEAN, require_ticker=True)
    assert fast["rejected"] == [] and slow["rejected"] == []
    assert fast["results"][0].equals(slow["results"][0])
    assert fast["next_url"] == slow["next_url"] == "https://api.polygon.io/next?cursor=abc"


def test_a_range_page_needs_no_ticker_but_a_grouped_page_does() -> None:
    body = b'{"results":[{"t":1748894400000,"o":1,"c":2},{"t":1748980800000,"o":2,"c":3}]}'
    assert parse_bar_page(body)["results"][0].num_rows == 2
    grouped = parse_bar_page(body, require_ticker=True)
    assert grouped["results"][0].num_rows == 0
    assert [bar.reason for bar in grouped["rejected"]] == ["missing `T`", "missing `T`"]
    assert grouped["rejected"][0].t == 1748894400000


def test_one_bad_value_leaves_the_other_bars_exact() -> None:
    body = CLEAN.replace(b'"c":200.9', b'"c":NaN')
    page = parse_bar_page(body, require_ticker=True)
    (bar,) = page["results"][0].to_pylist()
    assert bar["T"] == "BRK.B" and str(bar["vw"]) == "480.100000000000000000"
    ((raw, reason, t),) = page["rejected"]
    assert reason == "`c` is not finite: NaN" and '"c":NaN' in raw and t == 1748894400000


def test_a_body_that_is_not_json_fails_the_page() -> None:
    with pytest.raises(ValueError):
        parse_bar_page(b"<html>Bad Gateway</html>")
