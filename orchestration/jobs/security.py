"""TickStock's boundary: a Postgres role that reads the marts, a Redis user that reads notices.

`grant_reader` creates, or adopts, a login role that is good for nothing but
reading `marts`: never the warehouse's owner or a superuser, never a role
that holds other privileges unless told to (`force`), and whatever else it
held is revoked. `grant_redis_consumer` gives the Redis side the same shape:
an ACL user that can read `tickstock:*` keys and subscribe to `tickstock.*`
channels, nothing more. The admin credentials stay with the platform.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

import psycopg2.extensions
import redis
from psycopg2 import sql

from kernel.warehouse import connect
from orchestration.runtime.redis_client import redis_client
from orchestration.runtime.services import REDIS_CONSUMER, REDIS_CONSUMER_RULES

READER_SCHEMAS = ("marts",)
READER_CONNECTION_LIMIT = 10
READER_STATEMENT_TIMEOUT = "60s"
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class ReaderRefused(ValueError):
    """The role asked for cannot be made TickStock's reader (and was left as it was)."""


@dataclass
class ReaderGrant:
    """What `grant_reader` did: the role's connection string (password redacted) and revocations."""

    url: str
    revoked: list[str] = field(default_factory=list)
    # Other databases of the server the role may still connect to through PUBLIC's
    # default CONNECT (this warehouse does not own them: revoke it there).
    public_connect: list[str] = field(default_factory=list)


def grant_reader(
    database_url: str, role: str, password: str | None = None, force: bool = False
) -> ReaderGrant:
    """Create or adopt `role`: login, SELECT on the marts, read-only, bounded; nothing else.

    Tables created later in the marts are covered too (default privileges of
    the role that runs dbt). Running it again changes nothing.

    Args:
        database_url: the warehouse, as its owner.
        role: lowercase role name.
        password: login password; None leaves the role without one (or as it was).
        force: adopt a role that holds other privileges or memberships
            (they are revoked). The owner and superusers are always refused.

    Raises:
        ReaderRefused: the role is the owner, a superuser, a privileged role,
            or (without `force`) holds grants beyond the reader's.
    """
    if not _ROLE_NAME.match(role):
        raise ReaderRefused(f"role must be a lowercase SQL identifier, not {role!r}")
    name = sql.Identifier(role)
    grant = ReaderGrant(url=_reader_url(database_url, role))
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("select pg_advisory_xact_lock(hashtext('tickstock.roles'))")
        cursor.execute("select current_database()")
        database = cursor.fetchone()[0]
        if _role_exists(cursor, role):
            _check_adoptable(cursor, role, database, force)
            grant.revoked = _revoke_other_grants(cursor, role, database)
        else:
            cursor.execute(sql.SQL("create role {} login").format(name))
        cursor.execute(
            sql.SQL(
                "alter role {} login nosuperuser nocreatedb nocreaterole noreplication"
                " nobypassrls noinherit connection limit {}"
            ).format(name, sql.Literal(READER_CONNECTION_LIMIT))
        )
        if password is not None:
            cursor.execute(sql.SQL("alter role {} password %s").format(name), (password,))
        for setting, value in (
            ("default_transaction_read_only", "on"),
            ("statement_timeout", READER_STATEMENT_TIMEOUT),
            # TickStock's queries name symbols, ohlcv_daily, cache_entries unqualified.
            ("search_path", ",".join(READER_SCHEMAS)),
        ):
            cursor.execute(
                sql.SQL("alter role {} set {} = {}").format(
                    name, sql.Identifier(setting), sql.Literal(value)
                )
            )
        cursor.execute(
            sql.SQL("grant connect on database {} to {}").format(sql.Identifier(database), name)
        )
        cursor.execute("revoke create on schema public from public")
        for schema in READER_SCHEMAS:
            cursor.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
            target = sql.Identifier(schema)
            cursor.execute(sql.SQL("grant usage on schema {} to {}").format(target, name))
            cursor.execute(
                sql.SQL("grant select on all tables in schema {} to {}").format(target, name)
            )
            cursor.execute(
                sql.SQL(
                    "alter default privileges in schema {} grant select on tables to {}"
                ).format(target, name)
            )
        cursor.execute(
            "select datname from pg_database where datallowconn and datname <> %s"
            " and has_database_privilege(%s, oid, 'connect') order by 1",
            (database, role),
        )
        grant.public_connect = [name for (name,) in cursor.fetchall()]
    return grant


def _role_exists(cursor: psycopg2.extensions.cursor, role: str) -> bool:
    cursor.execute("select 1 from pg_roles where rolname = %s", (role,))
    return cursor.fetchone() is not None


def _check_adoptable(
    cursor: psycopg2.extensions.cursor, role: str, database: str, force: bool
) -> None:
    """Refuse the owner, superusers and privileged roles; others with grants unless `force`."""
    cursor.execute(
        "select r.rolname = current_user or r.oid = d.datdba, r.rolsuper,"
        " r.rolcreaterole or r.rolcreatedb or r.rolreplication or r.rolbypassrls"
        " from pg_roles as r, pg_database as d where r.rolname = %s and d.datname = %s",
        (role, database),
    )
    owner, superuser, privileged = cursor.fetchone()
    if owner:
        raise ReaderRefused(
            f"{role} owns the warehouse: it cannot be made a reader (that would lock the"
            " platform out); choose another role name"
        )
    if superuser or privileged:
        raise ReaderRefused(f"{role} is a superuser or may create roles or databases: refused")
    held = _other_grants(cursor, role, database)
    if held and not force:
        raise ReaderRefused(
            f"{role} already holds {', '.join(held[:5])}{' …' if len(held) > 5 else ''};"
            " pass --force to revoke them and make it a reader"
        )


def _other_grants(cursor: psycopg2.extensions.cursor, role: str, database: str) -> list[str]:
    """Memberships, owned objects and privileges `role` holds beyond a reader's."""
    cursor.execute(
        "select 'member of ' || g.rolname from pg_auth_members as m"
        " join pg_roles as g on g.oid = m.roleid join pg_roles as r on r.oid = m.member"
        " where r.rolname = %(role)s"
        " union all"
        " select 'owner of ' || c.relnamespace::regnamespace || '.' || c.relname"
        " from pg_class as c where c.relowner = (select oid from pg_roles where rolname = %(role)s)"
        " union all"
        " select distinct 'privileges on ' || table_schema || '.' || table_name"
        " from information_schema.role_table_grants"
        " where grantee = %(role)s and not (table_schema = any(%(schemas)s)"
        "   and privilege_type = 'SELECT')"
        " union all"
        " select 'privileges on database ' || datname from pg_database"
        " where datname <> %(database)s and has_database_privilege(%(role)s, oid, 'create')",
        {"role": role, "schemas": list(READER_SCHEMAS), "database": database},
    )
    return [text for (text,) in cursor.fetchall()]


def _revoke_other_grants(cursor: psycopg2.extensions.cursor, role: str, database: str) -> list[str]:
    """Revoke from `role` what the reader is not given in this database; what was revoked."""
    name = sql.Identifier(role)
    revoked = _other_grants(cursor, role, database)
    cursor.execute(
        "select g.rolname from pg_auth_members as m join pg_roles as g on g.oid = m.roleid"
        " join pg_roles as r on r.oid = m.member where r.rolname = %s",
        (role,),
    )
    for (group,) in cursor.fetchall():
        cursor.execute(sql.SQL("revoke {} from {}").format(sql.Identifier(group), name))
    cursor.execute(
        "select nspname from pg_namespace where nspname not like 'pg\\_%%'"
        " and nspname <> 'information_schema'"
    )
    for (schema,) in cursor.fetchall():
        target = sql.Identifier(schema)
        for kind in ("tables", "sequences", "functions"):
            cursor.execute(
                sql.SQL("revoke all on all {} in schema {} from {}").format(
                    sql.SQL(kind), target, name
                )
            )
        cursor.execute(sql.SQL("revoke all on schema {} from {}").format(target, name))
    cursor.execute(
        sql.SQL("revoke all on database {} from {}").format(sql.Identifier(database), name)
    )
    return revoked


def _reader_url(database_url: str, role: str) -> str:
    """The reader's connection string, its password shown as `***`."""
    parts = urlsplit(database_url)
    host = f"{parts.hostname or 'localhost'}:{parts.port or 5432}"
    return parts._replace(netloc=f"{quote(role)}:***@{host}", query="").geturl()


def grant_redis_consumer(redis_url: str, password: str, user: str = REDIS_CONSUMER) -> str:
    """Create or reset the consumer ACL user on the server `redis_url` names (as its admin).

    Returns the consumer's URL with the password shown as `***`. Where the
    server keeps an ACL file, the user is saved to it.
    """
    client = redis_client(redis_url)
    try:
        rules = (*REDIS_CONSUMER_RULES, f">{password}")
        client.execute_command("ACL", "SETUSER", user, *rules)  # type: ignore[no-untyped-call]
        # No ACL file (ResponseError): the embedded server declares the user in its config.
        with contextlib.suppress(redis.ResponseError):
            client.execute_command("ACL", "SAVE")  # type: ignore[no-untyped-call]
    finally:
        client.close()
    return redis_consumer_url(redis_url, user)


def redis_consumer_url(redis_url: str, user: str = REDIS_CONSUMER) -> str:
    parts = urlsplit(redis_url)
    host = f"{parts.hostname or 'localhost'}:{parts.port or 6379}"
    return parts._replace(netloc=f"{quote(user)}:***@{host}").geturl()
