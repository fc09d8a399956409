"""The relationship cache: ETF holdings, sectors, themes and universes for consumers.

Three layers, fastest first:

1. an in-process dict (entries expire after `ttl_s`): a hit is a dict lookup;
2. Redis hashes under `tickstock:relationships:v1:*`, copied from
   `marts.relationship_entries` by `publish_relationships` after every dbt
   build and swapped in atomically;
3. Postgres (the same mart) when Redis has nothing published or cannot be
   reached.

The entries' shapes are built by dbt (`relationship_entries.sql`), not here.

Values are tuples (immutable, so callers cannot alter what the cache holds).
Publishing also announces `tickstock.universe.updated` when any group's
members changed since the previous publication.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import orjson
import psycopg2
import redis

from kernel.warehouse import query

PREFIX = "tickstock:relationships:v1"
META_KEY = f"{PREFIX}:meta"
GROUP_HASHES_KEY = f"{PREFIX}:group_hashes"
UNIVERSE_UPDATED_CHANNEL = "tickstock.universe.updated"
REDIS_TTL_S = 7 * 24 * 3600  # outlives long weekends between EOD publications
DEFAULT_TTL_S = 300.0

# kind -> Redis hash; each field is one key (an ETF, a symbol, a sector, ...).
KINDS = (
    "etf_holdings",
    "stock_etfs",
    "stock_sector",
    "sector_stocks",
    "theme_members",
    "universe",
    "catalog",
    "indicators",
)

# The marts' rows as they are; the shapes are built by dbt (relationship_entries).
_ENTRIES_SQL = (
    "select kind, entry_key, entry_value::text, group_id, members_digest"
    " from marts.relationship_entries"
)
_ENTRY_SQL = (
    "select entry_value::text from marts.relationship_entries where kind = %s and entry_key = %s"
)


def _key(kind: str) -> str:
    return f"{PREFIX}:{kind}"


@dataclass(frozen=True)
class Publication:
    """What `publish_relationships` wrote."""

    fingerprint: str
    changed_groups: list[str]
    entries: dict[str, int]
    notified: bool


@dataclass(frozen=True)
class Relationships:
    """marts.relationship_entries as the publisher writes it: JSON text per kind and key."""

    entries: dict[str, dict[str, str]]
    group_digests: dict[str, str]


def read_relationships(database_url: str) -> Relationships:
    """Every entry of marts.relationship_entries, and the digest of every group's members."""
    entries: dict[str, dict[str, str]] = {kind: {} for kind in KINDS}
    digests: dict[str, str] = {}
    for kind, key, value, group_id, digest in query(database_url, _ENTRIES_SQL):
        entries[kind][key] = value
        if group_id is not None:
            digests[group_id] = digest
    return Relationships(entries, digests)


def publish_relationships(
    database_url: str, client: redis.Redis, now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> Publication:
    """Rebuild the Redis copy from the marts, swap it in atomically, and announce
    `tickstock.universe.updated` when members of any group changed."""
    relations = read_relationships(database_url)
    hashes = relations.group_digests
    previous = {_text(k): _text(v) for k, v in client.hgetall(GROUP_HASHES_KEY).items()}
    changed = sorted(
        group
        for group in hashes.keys() | previous.keys()
        if hashes.get(group) != previous.get(group)
    )
    fingerprint = hashlib.sha256(orjson.dumps(hashes, option=orjson.OPT_SORT_KEYS)).hexdigest()
    published_at = now().isoformat()
    token = hashlib.sha256(f"{fingerprint}{published_at}".encode()).hexdigest()[:12]
    # Write every kind under a temporary name, then rename all of them in one
    # MULTI: readers see the old set or the new set, never a mix.
    staging = client.pipeline(transaction=False)
    for kind in KINDS:
        temporary = f"{_key(kind)}:next:{token}"
        entries: Mapping[Any, Any] = relations.entries[kind]
        staging.delete(temporary)
        if entries:
            staging.hset(temporary, mapping=entries)
    staging.execute()
    swap = client.pipeline(transaction=True)
    for kind in KINDS:
        temporary = f"{_key(kind)}:next:{token}"
        if relations.entries[kind]:
            swap.rename(temporary, _key(kind))
            swap.expire(_key(kind), REDIS_TTL_S)
        else:
            swap.delete(_key(kind))
    swap.delete(GROUP_HASHES_KEY)
    if hashes:
        digests: Mapping[Any, Any] = hashes
        swap.hset(GROUP_HASHES_KEY, mapping=digests)
    swap.hset(META_KEY, mapping={"fingerprint": fingerprint, "published_at": published_at})
    swap.expire(META_KEY, REDIS_TTL_S)
    swap.execute()
    notified = False
    if changed:
        message = {
            "event": "universe.updated",
            "fingerprint": fingerprint,
            "published_at": published_at,
            "changed_groups": changed,
            "changed_count": len(changed),
        }
        client.publish(UNIVERSE_UPDATED_CHANNEL, orjson.dumps(message))
        notified = True
    return Publication(
        fingerprint, changed, {kind: len(relations.entries[kind]) for kind in KINDS}, notified
    )


class RelationshipCache:
    """Read API over the published relationships.

    Args:
        database_url: The warehouse, for the Postgres fallback.
        client: Redis client (None: Postgres only).
        ttl_s: Seconds an in-process entry stays before it is read again.
        clock: Monotonic clock (seconds), injectable for tests.
    """

    def __init__(
        self,
        database_url: str,
        client: redis.Redis | None,
        ttl_s: float = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.database_url = database_url
        self.client = client
        self.ttl_s = ttl_s
        self.clock = clock
        self._local: dict[tuple[str, str], tuple[float, Any]] = {}
        self._connection: psycopg2.extensions.connection | None = None
        self.last_source = ""  # "memory", "redis" or "postgres": for tests and benchmarks

    # ---- public API -------------------------------------------------------
    def get_etf_holdings(self, etf: str) -> tuple[tuple[str, float | None], ...]:
        """(symbol, weight %) of an ETF's holdings, largest first; () if unknown."""
        value: tuple[tuple[str, float | None], ...] = self._get("etf_holdings", etf)
        return value

    def get_stock_etfs(self, symbol: str) -> tuple[str, ...]:
        """ETFs holding `symbol` (among loaded holdings files)."""
        value: tuple[str, ...] = self._get("stock_etfs", symbol)
        return value

    def get_stock_sector(self, symbol: str) -> str | None:
        """Sector of a stock; None when unknown or a fund."""
        value: str | None = self._get("stock_sector", symbol)
        return value

    def get_sector_stocks(self, sector: str) -> tuple[str, ...]:
        """Stocks of a sector, alphabetical."""
        value: tuple[str, ...] = self._get("sector_stocks", sector)
        return value

    def get_theme_members(self, theme: str) -> tuple[str, ...]:
        """ETFs of a theme (sectors, growth, value, international, ...)."""
        value: tuple[str, ...] = self._get("theme_members", theme)
        return value

    def get_universe(self, name: str) -> tuple[str, ...]:
        """Members of a universe (sp500, top_100, dev_etfs, ...)."""
        value: tuple[str, ...] = self._get("universe", name)
        return value

    def get_all_etfs(self) -> tuple[str, ...]:
        """Every ETF the warehouse knows (with or without loaded holdings)."""
        value: tuple[str, ...] = self._get("catalog", "all_etfs")
        return value

    def get_all_sectors(self) -> tuple[str, ...]:
        """Every sector with at least one stock."""
        value: tuple[str, ...] = self._get("catalog", "all_sectors")
        return value

    def get_all_themes(self) -> tuple[str, ...]:
        """Every ETF theme."""
        value: tuple[str, ...] = self._get("catalog", "all_themes")
        return value

    def get_indicators(self, symbol: str) -> Mapping[str, Any] | None:
        """The symbol's latest indicators and risk figures by column name
        (marts.indicators_daily and marts.risk_daily; the session is `date`);
        None when it has none."""
        value: Mapping[str, Any] | None = self._get("indicators", symbol)
        return value

    def refresh(self) -> None:
        """Forget the in-process entries: the next reads go to Redis (or Postgres)."""
        self._local.clear()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    # ---- layers -----------------------------------------------------------
    def _get(self, kind: str, key: str) -> Any:
        entry = self._local.get((kind, key))
        if entry is not None and entry[0] > self.clock():
            self.last_source = "memory"
            return entry[1]
        value = self._from_redis(kind, key)
        if value is _UNPUBLISHED:
            value = self._from_postgres(kind, key)
            self.last_source = "postgres"
        else:
            self.last_source = "redis"
        self._local[(kind, key)] = (self.clock() + self.ttl_s, value)
        return value

    def _from_redis(self, kind: str, key: str) -> Any:
        if self.client is None:
            return _UNPUBLISHED
        try:
            pipeline = self.client.pipeline(transaction=False)
            pipeline.exists(META_KEY)
            pipeline.hget(_key(kind), key)
            published, raw = pipeline.execute()
        except redis.RedisError:
            return _UNPUBLISHED
        if not published:
            return _UNPUBLISHED
        return _freeze(kind, orjson.loads(raw) if raw is not None else None)

    def _from_postgres(self, kind: str, key: str) -> Any:
        connection = self._connection
        if connection is None or connection.closed:
            connection = self._connection = psycopg2.connect(self.database_url)
            connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(_ENTRY_SQL, (kind, key))
            row = cursor.fetchone()
        return _freeze(kind, orjson.loads(row[0]) if row else None)


_UNPUBLISHED = object()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _freeze(kind: str, value: Any) -> Any:
    """JSON lists to tuples, objects to read-only mappings; a missing entry to
    the kind's empty value."""
    if kind == "stock_sector":
        return value
    if kind == "indicators":
        return None if value is None else MappingProxyType(value)
    if value is None:
        return ()
    if kind == "etf_holdings":
        return tuple((symbol, weight) for symbol, weight in value)
    return tuple(value)


def publish_after_build(database_url: str, client: redis.Redis) -> dict[str, Any]:
    """The EOD hook after the transform step: publish the relationship cache.

    A Redis outage is reported, not fatal: readers fall back to Postgres, and
    the next build publishes again.
    """
    try:
        publication = publish_relationships(database_url, client)
    except redis.RedisError as error:
        return {"published": False, "error": type(error).__name__}
    return {
        "published": True,
        "changed_groups": len(publication.changed_groups),
        "universe_updated_sent": publication.notified,
    }
