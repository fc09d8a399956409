"""The TickStock app's boundary: a read-only role that sees the marts and nothing else."""

from __future__ import annotations

import re

from psycopg2 import sql

from kernel.warehouse import connect

READER_SCHEMAS = ("marts",)
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_reader(database_url: str, role: str, password: str | None = None) -> None:
    """Create (or update) `role`: login, SELECT on the marts, no write, no raw schemas.

    Tables created later in the marts are covered too (default privileges of
    the role that runs dbt). Running it again changes nothing.

    Args:
        database_url: the warehouse, as its owner.
        role: lowercase role name.
        password: login password; None leaves the role without one (or as it was).
    """
    if not _ROLE_NAME.match(role):
        raise ValueError(f"role must be a lowercase SQL identifier, not {role!r}")
    name = sql.Identifier(role)
    with connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("select pg_advisory_xact_lock(hashtext('tickstock.roles'))")
        cursor.execute("select 1 from pg_roles where rolname = %s", (role,))
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("create role {} login").format(name))
        if password is not None:
            cursor.execute(sql.SQL("alter role {} password %s").format(name), (password,))
        cursor.execute(sql.SQL("alter role {} set default_transaction_read_only = on").format(name))
        cursor.execute("select current_database()")
        database = sql.Identifier(cursor.fetchone()[0])
        cursor.execute(sql.SQL("grant connect on database {} to {}").format(database, name))
        cursor.execute("revoke create on schema public from public")
        for schema in READER_SCHEMAS:
            cursor.execute(f"create schema if not exists {schema}")
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
