"""Relationship cache speed and memory: `python -m benchmarks.bench_relationships`.

Targets (issue 5), at full-market size: an in-process hit p99 under 1 ms (aim
100 µs), a miss (served by Redis, or by Postgres when nothing is published)
under 10 ms, and the fully warmed in-process layer under 50 MB.

The full-market warehouse is synthetic but shaped like the marts: 5,000
stocks in 11 sectors, 250 ETFs holding 30 to 3,000 stocks each (~120,000
holdings), 7 themes and 12 universes, in a throwaway database on the
configured (or embedded) Postgres; Redis is a private server started for the
run, so a published production cache is never touched.
"""

from __future__ import annotations

import io
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable

import redis

from kernel.settings import read_settings
from kernel.warehouse import connect
from orchestration.jobs.relationships import RelationshipCache, publish_relationships
from orchestration.runtime.services import resolve_endpoints
from tests.support.databases import throwaway_database
from tests.support.private_redis import PrivateRedis

STOCKS = 5_000
ETFS = 250
SECTORS = [
    "Communication Services", "Consumer Discretionary", "Consumer Staples", "Energy",
    "Financials", "Health Care", "Industrials", "Information Technology", "Materials",
    "Real Estate", "Utilities",
]  # fmt: skip
THEMES = ["sectors", "growth", "value", "international", "commodities", "technology", "bonds"]
TARGET_HIT_P99_S = 0.001
TARGET_MISS_P99_S = 0.010
TARGET_MEMORY_MB = 50.0


def _full_market(seed: int = 5) -> tuple[list[tuple], list[tuple]]:
    """Synthetic (group_type, group_name, symbol, weight, rank) rows and groups."""
    rng = random.Random(seed)
    stocks = [f"S{index:04d}" for index in range(STOCKS)]
    etfs = [f"E{index:03d}" for index in range(ETFS)]
    memberships: list[tuple] = []
    groups: list[tuple] = []

    def group(group_type: str, name: str, members: list[str], weighted: bool) -> None:
        groups.append((f"{group_type}:{name}", group_type, name, len(members)))
        weights = [rng.random() for _ in members]
        total = sum(weights)
        for rank, (symbol, weight) in enumerate(
            sorted(zip(members, weights, strict=True), key=lambda pair: -pair[1]), start=1
        ):
            share = round(100 * weight / total, 6) if weighted else None
            memberships.append((f"{group_type}:{name}", group_type, name, symbol, share, rank))

    for etf in etfs:
        size = rng.choice([30, 50, 100, 200, 500, 500, 1000, 3000])
        group("ETF", etf, rng.sample(stocks, size), weighted=True)
    for index, sector in enumerate(SECTORS):
        group("SECTOR", sector, stocks[index :: len(SECTORS)], weighted=False)
    for theme in THEMES:
        group("THEME", theme, rng.sample(etfs, 40), weighted=False)
    for size in (10, 30, 100, 100, 500, 500, 1000, 2000, 3000, 3000, 5000, 50):
        group("UNIVERSE", f"u{size}_{len(groups)}", rng.sample(stocks, size), weighted=False)
    return memberships, groups


def _create_marts(database_url: str, memberships: list[tuple], groups: list[tuple]) -> None:
    """The two marts the cache reads, with the contract's columns it uses."""
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "create schema marts;"
            "create table marts.group_memberships (group_id text, group_type text,"
            " group_name text, symbol text, weight numeric(12, 6), member_rank integer);"
            "create table marts.definition_groups (group_id text primary key, group_type text,"
            " name text, member_count integer)"
        )
        for table, rows in (
            ("marts.group_memberships", memberships),
            ("marts.definition_groups", groups),
        ):
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join(r"\N" if v is None else str(v) for v in row) + "\n")
            buffer.seek(0)
            cursor.copy_expert(f"copy {table} from stdin", buffer)
        cursor.execute(
            "create index on marts.group_memberships (group_type, group_name);"
            "create index on marts.group_memberships (group_type, symbol);"
            "analyze marts.group_memberships"
        )


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.99) - 1]


def _report(label: str, samples: list[float], target: float) -> None:
    p50, p99 = _percentiles(samples)
    verdict = "OK" if p99 < target else "OVER TARGET"
    print(
        f"{label:<44} p50 {p50 * 1e6:8.1f} µs  p99 {p99 * 1e6:8.1f} µs"
        f"  (target p99 < {target * 1e3:.0f} ms)  {verdict}"
    )


def _lookups(cache: RelationshipCache, rng: random.Random) -> list[Callable[[], object]]:
    """A mixed workload over every API function and random keys."""
    stocks = [f"S{rng.randrange(STOCKS):04d}" for _ in range(300)]
    etfs = [f"E{rng.randrange(ETFS):03d}" for _ in range(300)]
    calls: list[Callable[[], object]] = []
    for stock, etf in zip(stocks, etfs, strict=True):
        calls += [
            lambda etf=etf: cache.get_etf_holdings(etf),
            lambda stock=stock: cache.get_stock_etfs(stock),
            lambda stock=stock: cache.get_stock_sector(stock),
            lambda stock=stock: cache.get_sector_stocks(SECTORS[hash(stock) % len(SECTORS)]),
            lambda stock=stock: cache.get_theme_members(THEMES[hash(stock) % len(THEMES)]),
            cache.get_all_etfs,
        ]
    return calls


def _timed_calls(calls: list[Callable[[], object]], before: Callable[[], None]) -> list[float]:
    samples = []
    for call in calls:
        before()
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    """Build the full-market marts, publish, and measure hits, misses and memory."""
    endpoints = resolve_endpoints(read_settings())
    memberships, groups = _full_market()
    print(f"full market: {len(memberships):,} memberships in {len(groups):,} groups")
    private_redis = PrivateRedis()
    private_redis.start()
    client = redis.Redis.from_url(private_redis.url)
    with throwaway_database(endpoints.database_url) as url:
        _create_marts(url, memberships, groups)
        started = time.perf_counter()
        publication = publish_relationships(url, client)
        print(
            f"publish to Redis: {time.perf_counter() - started:.2f} s, "
            f"{sum(publication.entries.values()):,} entries"
        )
        rng = random.Random(7)
        cache = RelationshipCache(url, client)
        calls = _lookups(cache, rng)
        _report("miss, served by Redis", _timed_calls(calls, cache.refresh), TARGET_MISS_P99_S)
        for call in calls:
            call()
        _report("hit, in-process", _timed_calls(calls, lambda: None), TARGET_HIT_P99_S)

        postgres_only = RelationshipCache(url, None)
        postgres_calls = _lookups(postgres_only, rng)
        samples = _timed_calls(postgres_calls, postgres_only.refresh)
        _report("miss, Postgres fallback (nothing published)", samples, TARGET_MISS_P99_S)
        postgres_only.close()

        tracemalloc.start()
        warmed = RelationshipCache(url, client)
        for kind, keys in (
            ("etf_holdings", [f"E{i:03d}" for i in range(ETFS)]),
            ("stock_etfs", [f"S{i:04d}" for i in range(STOCKS)]),
            ("stock_sector", [f"S{i:04d}" for i in range(STOCKS)]),
            ("sector_stocks", SECTORS),
            ("theme_members", THEMES),
            ("universe", [name for _, kind_, name, _ in groups if kind_ == "UNIVERSE"]),
        ):
            for key in keys:
                warmed._get(kind, key)
        current, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        megabytes = current / 1e6
        verdict = "OK" if megabytes < TARGET_MEMORY_MB else "OVER TARGET"
        print(
            f"{'memory, every relation cached in-process':<44} {megabytes:8.1f} MB"
            f"  (target < {TARGET_MEMORY_MB:.0f} MB)  {verdict}"
        )
        for opened in (cache, warmed):
            opened.close()
    client.close()
    private_redis.stop()


if __name__ == "__main__":
    main()
