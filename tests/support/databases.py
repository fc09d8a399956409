"""Throwaway databases on a real server, for tests and benchmarks alike."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

from kernel.warehouse import connect


@contextlib.contextmanager
def throwaway_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server of `server_url`, dropped afterwards."""
    name = f"tickstock_test_{uuid.uuid4().hex[:10]}"
    with connect(server_url, autocommit=True) as admin:
        with admin.cursor() as cursor:
            cursor.execute(f'create database "{name}"')
        try:
            yield urlsplit(server_url)._replace(path=f"/{name}").geturl()
        finally:
            with admin.cursor() as cursor:
                cursor.execute(f'drop database if exists "{name}" with (force)')
