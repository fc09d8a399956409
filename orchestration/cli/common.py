"""What every command module shares: the consoles, errors, and the resolved servers."""

from __future__ import annotations

from datetime import date

import typer
from rich.console import Console

from kernel.settings import read_settings, redact_url
from orchestration.runtime.services import Endpoints, resolve_endpoints

console = Console(soft_wrap=True)  # paths must stay on one line
errors = Console(stderr=True)


def _endpoints():
    settings = read_settings()
    endpoints = resolve_endpoints(settings)
    where = "embedded" if endpoints.embedded_database else "configured"
    console.print(f"Postgres ({where}): {redact_url(endpoints.database_url)}")
    where = "embedded" if endpoints.embedded_redis else "configured"
    console.print(f"Redis ({where}): {redact_url(endpoints.redis_url)}")
    return settings, endpoints


def _announce(text: str) -> None:
    console.print(f"[bold yellow]{text}[/]")


def _fail(message: str, code: int = 1) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def _parse_date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _fail(f"{option} must be a date as YYYY-MM-DD, not {text!r}", 2) from None


__all__ = ["Endpoints", "console", "errors"]
