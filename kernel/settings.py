"""Configuration read from the environment (or a `.env` file at the repo root)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = REPO_ROOT / ".tickstock"
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
GX_PROJECT_DIR = REPO_ROOT / "expectations"

DEFAULT_POLYGON_BASE_URL = "https://api.polygon.io"


def load_dotenv(path: Path = REPO_ROOT / ".env") -> None:
    """Copy `KEY=value` lines of a `.env` file into the environment (env wins)."""
    if not path.exists():
        return
    for line in path.read_text().splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            os.environ.setdefault(key.strip(), value.strip().strip("'\""))


def quiet_telemetry() -> None:
    """Nothing outside is reachable; telemetry attempts only cost time."""
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@dataclass(frozen=True)
class Settings:
    """What the environment asks for; None means "use the embedded default"."""

    database_url: str | None
    redis_url: str | None
    polygon_api_key: str | None
    polygon_base_url: str
    env: str
    polygon_plan: str = "free"
    polygon_requests_per_minute: float | None = None
    sandbox_size: str = "dev"
    eod_delay_minutes: float = 30.0
    eod_early_close_delay_minutes: float = 60.0
    # Requests in flight at once during backfills; None: 1 on the free plan, else 8.
    polygon_concurrency: int | None = None
    # Rows fetched per dlt load during backfills: a killed backfill redoes at most one batch.
    load_batch_rows: int = 250_000

    @property
    def uses_sandbox(self) -> bool:
        return not self.polygon_api_key

    @property
    def dbt_target(self) -> str:
        return self.env


def read_settings() -> Settings:
    """Read settings from the environment after loading `.env`."""
    load_dotenv()
    quiet_telemetry()
    env = os.environ.get("TICKSTOCK_ENV", "dev").strip() or "dev"
    if env not in ("dev", "prod"):
        raise ValueError(f"TICKSTOCK_ENV must be 'dev' or 'prod', not {env!r}")
    return Settings(
        database_url=os.environ.get("TICKSTOCK_DATABASE_URL") or None,
        redis_url=os.environ.get("TICKSTOCK_REDIS_URL") or None,
        polygon_api_key=os.environ.get("POLYGON_API_KEY") or None,
        polygon_base_url=os.environ.get("POLYGON_BASE_URL") or DEFAULT_POLYGON_BASE_URL,
        env=env,
        polygon_plan=os.environ.get("POLYGON_PLAN", "free").strip() or "free",
        polygon_requests_per_minute=_positive_number("POLYGON_REQUESTS_PER_MINUTE"),
        sandbox_size=_sandbox_size(),
        eod_delay_minutes=_positive_number("TICKSTOCK_EOD_DELAY_MINUTES") or 30.0,
        eod_early_close_delay_minutes=(
            _positive_number("TICKSTOCK_EOD_EARLY_CLOSE_DELAY_MINUTES") or 60.0
        ),
        polygon_concurrency=_positive_int("POLYGON_CONCURRENCY"),
        load_batch_rows=_positive_int("TICKSTOCK_LOAD_BATCH_ROWS") or 250_000,
    )


def _sandbox_size() -> str:
    """Size of the sandbox market: dev (20 listings, fast) or full (about 12,000)."""
    size = os.environ.get("TICKSTOCK_SANDBOX_SIZE", "dev").strip() or "dev"
    if size not in ("dev", "full"):
        raise ValueError(f"TICKSTOCK_SANDBOX_SIZE must be 'dev' or 'full', not {size!r}")
    return size


def _positive_number(name: str) -> float | None:
    text = os.environ.get(name, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise ValueError(f"{name} must be a positive number, not {text!r}")
    return value


def _positive_int(name: str) -> int | None:
    value = _positive_number(name)
    if value is not None and value != int(value):
        raise ValueError(f"{name} must be a whole number, not {value}")
    return None if value is None else int(value)


def redact_url(url: str) -> str:
    """Return `url` with any password replaced by `***`, safe to print."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()
