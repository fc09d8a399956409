"""Groups end to end: real holdings files and universe lists → dbt marts → Redis
relationship cache → report. Real Postgres, dbt, Redis; the sandbox market
(over HTTP) supplies tickers, ticker details and two months of bars."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import redis

from extract.holdings.loader import load_files
from extract.polygon.endpoint import PolygonEndpoint
from kernel.market_calendar import TradingCalendar
from kernel.settings import REPO_ROOT
from kernel.warehouse import connect, export_connection_env, query
from orchestration.jobs import loads
from orchestration.jobs.reference import land_reference
from orchestration.jobs.relationships import (
    UNIVERSE_UPDATED_CHANNEL,
    RelationshipCache,
    publish_relationships,
)
from orchestration.reporting.report import FORMATS, build_report, render
from orchestration.runtime.dbt_runner import run_dbt
from orchestration.runtime.endpoints import SANDBOX_API_KEY
from orchestration.runtime.services import Endpoints
from sandbox.market import SandboxMarket
from sandbox.server import SandboxServer
from sandbox.universe import DEFAULT_UNIVERSE
from tests.support.cli import cli_env, run_cli
from tests.support.databases import throwaway_database
from tests.support.listener import ChannelListener
from tests.support.private_redis import PrivateRedis
from tests.support.shared import HOLDINGS_REAL

pytestmark = pytest.mark.integration

SESSION = date(2025, 6, 13)
REAL = HOLDINGS_REAL
UNIVERSES = REPO_ROOT / "seeds" / "samples" / "universes"
GROUPS_MARTS = ("+cache_entries", "+membership_changes", "+symbols", "+relationship_entries")


def _build(url: str) -> None:
    export_connection_env(url)
    run_dbt("build", "--select", *GROUPS_MARTS, "--indirect-selection", "cautious", target="dev")


def _edited_spy(folder: Path) -> Path:
    """SPY's real file with its last holding (NWS) replaced by NEWCO."""
    lines = (REAL / "curtisbw_spy-satellite__spy_holdings.csv").read_text().splitlines()
    lines[-1] = lines[-1].replace("NEWS CORP   CLASS B,NWS,", "NEWCO INC,NEWCO,")
    path = folder / "spy_holdings.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def warehouse(servers: Endpoints) -> Iterator[str]:
    """Sandbox tickers, details and ~40 sessions of bars; the three real holdings
    files and the four sample universes; the groups marts built by dbt."""
    calendar = TradingCalendar()
    with (
        SandboxServer(SandboxMarket(seed=42)) as sandbox,
        throwaway_database(servers.database_url) as url,
    ):
        export_connection_env(url)
        run_dbt("seed", target="dev")
        api = PolygonEndpoint(sandbox.base_url, SANDBOX_API_KEY, True)
        sessions = calendar.session_dates(SESSION - timedelta(days=60), SESSION)
        loads.land_calendar(url, calendar, SESSION)
        loads.land_polygon(url, api, resources=("tickers", "grouped_daily"), sessions=sessions)
        loads.land_polygon(
            url, api, resources=("aggs_daily",), symbols=["AAPL"], start=sessions[0], end=SESSION
        )
        symbols = [listing.ticker for listing in DEFAULT_UNIVERSE]
        land_reference(url, api, symbols=symbols, resources=("ticker_details",))
        load_files(url, sorted(REAL.glob("*.csv")), "ETF", "full")
        load_files(url, sorted(UNIVERSES.glob("*.csv")), "UNIVERSE", "full")
        _build(url)
        yield url


def _rows(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    return query(url, sql, params)


def test_real_holdings_become_etf_groups(warehouse: str) -> None:
    groups = dict(
        _rows(
            warehouse,
            "select name, member_count from marts.definition_groups"
            " where group_type = 'ETF' and source_file is not null",
        )
    )
    # IWM: 1,962 equities less 3 unlisted lines, ADRO's two lines as one member.
    assert groups == {"SPY": 502, "IVV": 503, "IWM": 1958}
    [(weight,)] = _rows(
        warehouse, "select sum(weight) from marts.group_memberships where group_id = 'ETF:SPY'"
    )
    assert float(weight) == pytest.approx(99.82, abs=0.01)
    # iShares' BRKB is Polygon's BRK.B; cash and futures lines are not members.
    ivv = {
        s
        for (s,) in _rows(
            warehouse, "select symbol from marts.group_memberships where group_id = 'ETF:IVV'"
        )
    }
    assert "BRK.B" in ivv and "BRKB" not in ivv and not ivv & {"USD", "XTSLA", "ESM3"}


def test_every_etf_theme_and_rule_universe_is_defined(warehouse: str) -> None:
    themes = dict(
        _rows(
            warehouse,
            "select name, member_count from marts.definition_groups where group_type = 'THEME'",
        )
    )
    assert set(themes) == {
        "sectors",
        "growth",
        "value",
        "international",
        "commodities",
        "technology",
        "bonds",
    }
    # 200+ ETFs across the themes; members are the ones the warehouse tracks.
    [(seeded, tracked, members)] = _rows(
        warehouse,
        "select count(distinct t.symbol), count(distinct t.symbol) filter"
        " (where s.symbol is not null), (select count(distinct symbol)"
        " from marts.group_memberships where group_type = 'THEME')"
        " from seeds.etf_themes as t left join marts.symbols as s on s.symbol = t.symbol",
    )
    assert seeded >= 200 and members == tracked == 3  # QQQ, XLK, XLF
    universes = dict(
        _rows(
            warehouse,
            "select name, member_count from marts.definition_groups where group_type = 'UNIVERSE'",
        )
    )
    assert universes["top_etf_50"] == 5  # the tracked ETFs above the AUM filter
    assert (universes["sp500"], universes["dow30"], universes["russell3000"]) == (503, 30, 2460)
    assert universes["dev_top_10"] == 10
    assert universes["dev_etfs"] == 5 and universes["dev_sectors"] == 2  # XLK, XLF


def test_market_cap_universes_take_the_largest_tracked_stocks(warehouse: str) -> None:
    ranked = [
        symbol
        for (symbol,) in _rows(
            warehouse,
            "select c.symbol from intermediate.int_symbols_classified as c"
            " join marts.symbols as s on s.symbol = c.symbol"
            " where not c.is_fund and c.market_cap is not null"
            " order by c.market_cap desc, c.symbol",
        )
    ]
    assert len(ranked) >= 10
    for universe, size in (("top_100", 100), ("top_500", 500)):
        members = [
            symbol
            for (symbol,) in _rows(
                warehouse,
                "select symbol from marts.group_memberships where group_id = %s",
                (f"UNIVERSE:{universe}",),
            )
        ]
        assert sorted(members) == sorted(ranked[:size])


def test_filters_are_data(warehouse: str) -> None:
    [(metadata,)] = _rows(
        warehouse,
        "select liquidity_filter from marts.cache_entries where name = 'liquid_stocks'",
    )
    assert metadata == {
        "filter": "liquidity",
        "min_avg_daily_volume": 5000000,
        "lookback_sessions": 20,
    }
    liquid = {
        s
        for (s,) in _rows(
            warehouse,
            "select symbol from marts.group_memberships where group_id = 'UNIVERSE:liquid_stocks'",
        )
    }
    measured = dict(
        _rows(warehouse, "select symbol, avg_daily_volume from intermediate.int_symbols_liquidity")
    )
    assert liquid and all(measured[symbol] > 5_000_000 for symbol in liquid)
    [(smallest_aum,)] = _rows(
        warehouse,
        "select min(e.aum_millions) from seeds.etf_metadata as e join marts.group_memberships"
        " as m on m.symbol = e.symbol where m.group_id = 'UNIVERSE:top_etf_50'",
    )
    assert smallest_aum >= 1000


def test_sectors_come_from_csv_holdings_and_sic(warehouse: str) -> None:
    sources = dict(
        _rows(
            warehouse,
            "select symbol, sector_source from intermediate.int_symbols_sectored "
            "where symbol in ('AAPL', 'CRMC', 'BE', 'NWSDY')",
        )
    )
    assert sources == {"AAPL": "sector_csv", "BE": "holdings", "CRMC": "sic", "NWSDY": "sic"}
    # CRMC was delisted before the landed bars: it has a sector, but no row in symbols.
    [(crmc,)] = _rows(
        warehouse, "select sector from intermediate.int_symbols_sectored where symbol = 'CRMC'"
    )
    assert crmc == "Materials"
    sectors = dict(
        _rows(
            warehouse, "select symbol, sector from marts.symbols where symbol in ('NWSDY', 'SPY')"
        )
    )
    assert sectors == {"NWSDY": "Information Technology", "SPY": None}
    coverage = build_report(warehouse)["coverage"]
    assert coverage["known_stocks"] > 2400
    assert coverage["known_stocks_sector_unknown_pct"] < 13.5
    assert coverage["sector_unknown_pct"] < 13.5


def test_etf_columns_and_measured_correlation_reference(warehouse: str) -> None:
    rows = {
        row[0]: row[1:]
        for row in _rows(
            warehouse,
            "select symbol, etf_type, aum_millions, expense_ratio, underlying_index,"
            " correlation_reference from marts.symbols where type = 'ETF'",
        )
    }
    etf_type, aum, expense_ratio, index, _ = rows["SPY"]
    assert (etf_type, float(expense_ratio), index) == ("broad_market", 0.000945, "S&P 500")
    # AUM is measured from Polygon's shares outstanding, not the seed's 560,000.
    [(measured,)] = _rows(
        warehouse, "select aum_millions from intermediate.int_etf_aum where symbol = 'SPY'"
    )
    assert aum == measured and float(aum) != 560000.0
    # Each benchmark is its own reference; other symbols get the best-correlated one.
    assert {symbol: rows[symbol][4] for symbol in ("SPY", "QQQ", "IWM")} == {
        "SPY": "SPY",
        "QQQ": "QQQ",
        "IWM": "IWM",
    }
    [(best, corr)] = _rows(
        warehouse,
        "select correlation_reference, return_correlation from "
        "intermediate.int_symbols_correlated where symbol = 'AAPL'",
    )
    [(max_corr,)] = _rows(
        warehouse,
        """
        with r as (
            select symbol, date, close / lag(close) over (partition by symbol order by date) - 1
                as ret from marts.ohlcv_daily
        )
        select max(c) from (
            select b.symbol, corr(a.ret, b.ret) as c from r as a join r as b using (date)
            where a.symbol = 'AAPL' and b.symbol in ('SPY', 'QQQ', 'IWM', 'DIA')
            group by b.symbol
        ) as t
        """,
    )
    assert best in ("SPY", "QQQ", "IWM", "DIA")
    assert float(corr) == pytest.approx(max_corr, abs=1e-5)


def test_cache_entries_have_the_tickstock_shape(warehouse: str) -> None:
    [(duplicates,)] = _rows(
        warehouse,
        "select count(*) from (select 1 from marts.cache_entries"
        " group by type, name, key having count(*) > 1) as d",
    )
    assert duplicates == 0
    entries = {
        (t, n, k): (value, category, metadata)
        for t, n, k, value, category, metadata in _rows(
            warehouse,
            "select type, name, key, value, universe_category, universe_metadata"
            " from marts.cache_entries",
        )
    }
    spy, category, metadata = entries[("etf_holdings", "SPY", "holdings")]
    assert spy[0] == {"symbol": "AAPL", "weight": 7.497237} and len(spy) == 502
    assert category == "broad_market" and metadata["member_count"] == 502
    assert len(metadata["checksum"]) == 64
    assert len(entries[("stock_universe", "sp500", "symbols")][0]) == 503
    assert entries[("etf_universe", "top_etf_50", "symbols")][0] == [
        "IWM",
        "QQQ",
        "SPY",
        "XLF",
        "XLK",
    ]
    assert entries[("etf_universe", "sectors", "etfs")][0] == ["XLF", "XLK"]
    assert "XOM" in entries[("stock_universe", "sector_energy", "symbols")][0]


def _all_answers(cache: RelationshipCache) -> dict:
    return {
        "holdings": cache.get_etf_holdings("SPY"),
        "stock_etfs": cache.get_stock_etfs("AAPL"),
        "sector": cache.get_stock_sector("XOM"),
        "no_sector": cache.get_stock_sector("NOT-A-SYMBOL"),
        "sector_stocks": cache.get_sector_stocks("Energy"),
        "theme": cache.get_theme_members("technology"),
        "universe": cache.get_universe("dow30"),
        "etfs": cache.get_all_etfs(),
        "sectors": cache.get_all_sectors(),
        "themes": cache.get_all_themes(),
    }


def test_relationship_cache_hit_miss_and_fallback(
    warehouse: str, private_redis: PrivateRedis
) -> None:
    client = redis.Redis.from_url(private_redis.url)
    client.flushdb()
    publish_relationships(warehouse, client)
    now = [0.0]
    cache = RelationshipCache(warehouse, client, ttl_s=60, clock=lambda: now[0])
    holdings = cache.get_etf_holdings("SPY")
    assert cache.last_source == "redis"
    assert holdings[0] == ("AAPL", pytest.approx(7.497237)) and len(holdings) == 502
    assert cache.get_etf_holdings("SPY") is holdings and cache.last_source == "memory"
    now[0] = 61.0  # past the TTL: read again from Redis
    cache.get_etf_holdings("SPY")
    assert cache.last_source == "redis"
    cache.refresh()
    cache.get_etf_holdings("SPY")
    assert cache.last_source == "redis"

    answers = _all_answers(cache)
    assert answers["stock_etfs"] == ("IVV", "SPY")
    assert answers["sector"] == "Energy" and answers["no_sector"] is None
    assert "XOM" in answers["sector_stocks"] and answers["theme"] == ("QQQ", "XLK")
    assert len(answers["universe"]) == 30 and len(answers["etfs"]) == 237
    assert "Energy" in answers["sectors"] and len(answers["themes"]) == 7

    # Nothing published (an empty Redis) and no Redis at all: Postgres answers the same.
    client.flushdb()
    from_postgres = RelationshipCache(warehouse, client)
    assert _all_answers(from_postgres) == answers and from_postgres.last_source == "postgres"
    unreachable = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    without_redis = RelationshipCache(warehouse, unreachable)
    assert _all_answers(without_redis) == answers and without_redis.last_source == "postgres"
    for opened in (cache, from_postgres, without_redis):
        opened.close()
    client.close()


def test_membership_change_is_logged_and_announced(
    warehouse: str, private_redis: PrivateRedis, tmp_path: Path
) -> None:
    client = redis.Redis.from_url(private_redis.url)
    client.flushdb()
    publish_relationships(warehouse, client)
    cache = RelationshipCache(warehouse, client)
    assert "NWS" in dict(cache.get_etf_holdings("SPY"))

    # Unchanged memberships: republishing announces nothing.
    assert publish_relationships(warehouse, client).changed_groups == []

    load_files(warehouse, [_edited_spy(tmp_path)], "ETF", "incremental")
    _build(warehouse)
    listener = ChannelListener(client, UNIVERSE_UPDATED_CHANNEL)
    publication = publish_relationships(warehouse, client)
    messages = listener.close()
    assert "ETF:SPY" in publication.changed_groups and publication.notified
    assert [m["changed_groups"] for m in messages] == [publication.changed_groups]

    changes = set(
        _rows(
            warehouse,
            "select symbol, change_type from marts.membership_changes"
            " where group_id = 'ETF:SPY' and symbol in ('NWS', 'NEWCO')",
        )
    )
    assert changes == {("NWS", "added"), ("NWS", "removed"), ("NEWCO", "added")}
    [(valid_to,)] = _rows(
        warehouse,
        "select dbt_valid_to from snapshots.group_memberships_snapshot"
        " where group_id = 'ETF:SPY' and symbol = 'NWS'",
    )
    assert valid_to is not None

    cache.refresh()
    holdings = dict(cache.get_etf_holdings("SPY"))
    assert "NEWCO" in holdings and "NWS" not in holdings
    cache.close()
    client.close()


def test_report_in_every_format(warehouse: str) -> None:
    detail = build_report(warehouse, detail=True)
    assert set(detail["top_holdings"]) == {"SPY", "IVV", "IWM"}
    assert len(detail["top_holdings"]["SPY"]) == 10
    assert {g["group_type"] for g in detail["groups"]} == {"ETF", "SECTOR", "THEME", "UNIVERSE"}
    assert detail["recent_changes"]
    rendered = {fmt: render(detail, fmt) for fmt in FORMATS}
    assert json.loads(rendered["json"])["coverage"] == json.loads(
        json.dumps(detail["coverage"], default=str)
    )
    assert "## Coverage" in rendered["md"] and "## Top holdings of IWM" in rendered["md"]
    assert "Top holdings of SPY" in rendered["text"] and "AAPL" in rendered["text"]
    assert rendered["html"].startswith("<!doctype html>") and "<th>sector</th>" in rendered["html"]
    summary = build_report(warehouse)
    assert len(summary["top_holdings"]["SPY"]) == 5 and "recent_changes" not in summary


def _tickstock(*args: str, database_url: str, redis_url: str) -> subprocess.CompletedProcess:
    return run_cli(*args, env=cli_env(database_url, redis_url), timeout=600)


def test_cli_rejects_a_bad_file_and_reports_json(
    warehouse: str, private_redis: PrivateRedis, tmp_path: Path
) -> None:
    bad = tmp_path / "QQQ_holdings.csv"
    bad.write_text("symbol,weight,name\nAAPL,60,Apple\nMSFT,4O,Microsoft\n")
    events_before = _rows(warehouse, "select count(*) from raw_holdings.holding_loads")
    failed = _tickstock(
        "holdings", "load", str(bad), database_url=warehouse, redis_url=private_redis.url
    )
    assert failed.returncode == 1
    assert f"{bad}, line 3, field 'weight'" in failed.stderr
    assert _rows(warehouse, "select count(*) from raw_holdings.holding_loads") == events_before

    dry = _tickstock(
        "holdings",
        "load",
        str(REAL / "martinbel_shiny-python__IVV_holdings.csv"),
        "--mode",
        "dry-run",
        database_url=warehouse,
        redis_url=private_redis.url,
    )
    assert dry.returncode == 0 and "unchanged" in dry.stdout

    report = _tickstock(
        "report",
        "--summary",
        "--format",
        "json",
        database_url=warehouse,
        redis_url=private_redis.url,
    )
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["kind"] == "summary"


def test_rebuild_changes_nothing(warehouse: str) -> None:
    def contents() -> tuple:
        with connect(warehouse) as connection, connection.cursor() as cursor:
            cursor.execute(
                "select md5(string_agg(group_id || symbol || coalesce(weight::text, ''),"
                " ',' order by group_id, symbol)) from marts.group_memberships"
            )
            memberships = cursor.fetchone()
            cursor.execute(
                "select md5(string_agg(type || name || key || value::text, ','"
                " order by type, name, key)) from marts.cache_entries"
            )
            return memberships, cursor.fetchone()

    before = contents()
    _build(warehouse)
    assert contents() == before
