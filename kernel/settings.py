"""Configuration read from the environment (or a `.env` file at the repo root)."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import urlsplit

from dotenv import load_dotenv
from pydantic import Field, PositiveFloat, PositiveInt, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = REPO_ROOT / ".tickstock"
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
GX_PROJECT_DIR = REPO_ROOT / "expectations"
ENV_FILE = REPO_ROOT / ".env"

DEFAULT_POLYGON_BASE_URL = "https://api.polygon.io"
# How long a command waits for another to release the writer lock (`--wait`).
WRITER_WAIT_SECONDS = 600.0

# The environment a run belongs to: it selects a row of PROFILES below.
Environment = Literal["dev", "test", "prod"]


def quiet_telemetry() -> None:
    """Nothing outside is reachable; telemetry attempts only cost time."""
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


# ----------------------------------------------------------------- profiles
# TICKSTOCK_ENV picks one row of this table: the (embedded) database, what
# `tickstock load` and the first EOD load when asked for nothing else, and the
# dbt target (dbt_project/profiles.yml) with the vars passed to every dbt run.


@dataclass(frozen=True)
class Profile:
    """What one TICKSTOCK_ENV value selects.

    Attributes:
        name: the TICKSTOCK_ENV value.
        database: database name of the embedded Postgres (a configured
            TICKSTOCK_DATABASE_URL names its own).
        universe: group names of `marts.definition_groups` loaded by default;
            `all` is every active symbol of an EOD-updated type.
        history_months: history depth of a default load and of the EOD's
            bootstrap.
        dbt_target: output of dbt_project/profiles.yml.
        dbt_vars: vars passed to every dbt run of this profile.
    """

    name: str
    database: str
    universe: tuple[str, ...]
    history_months: float
    dbt_target: str
    dbt_vars: MappingProxyType[str, Any] = field(default_factory=lambda: MappingProxyType({}))


ALL_EOD_SYMBOLS = "all"
PROFILES: dict[str, Profile] = {
    profile.name: profile
    for profile in (
        # 10 stocks and the 5 ETFs of the dev universe, six months: a load in seconds.
        Profile(
            "dev",
            "tickstock_dev",
            ("dev_top_10", "dev_etfs"),
            6,
            "dev",
            MappingProxyType({"tickstock_env": "dev"}),
        ),
        # The 5 dev ETFs, one month, a shorter gap window: the smallest real warehouse.
        Profile(
            "test",
            "tickstock_test",
            ("dev_etfs",),
            1,
            "test",
            MappingProxyType({"tickstock_env": "test", "quality_gap_sessions": 21}),
        ),
        # Every active symbol of an EOD-updated type, 20 years (the deepest Polygon plan).
        Profile(
            "prod",
            "tickstock_prod",
            (ALL_EOD_SYMBOLS,),
            240,
            "prod",
            MappingProxyType({"tickstock_env": "prod"}),
        ),
    )
}


@dataclass(frozen=True)
class Settings:
    """What the environment asks for; None means "use the embedded default"."""

    # Kept out of repr: URLs may carry passwords, and the key is a secret.
    database_url: str | None = field(repr=False)
    redis_url: str | None = field(repr=False)
    polygon_api_key: str | None = field(repr=False)
    polygon_base_url: str
    env: Environment
    polygon_plan: str = "free"
    polygon_requests_per_minute: float | None = None
    sandbox_size: Literal["dev", "full"] = "dev"
    eod_delay_minutes: float = 30.0
    eod_early_close_delay_minutes: float = 60.0
    # Requests in flight at once during backfills; None: 1 on the free plan, else 8.
    polygon_concurrency: int | None = None
    # Rows fetched per dlt load during backfills: a killed backfill redoes at most one batch.
    load_batch_rows: int = 250_000
    # How long a stalled server or a runaway response may hold a run (see Bounds).
    bounds: Bounds = field(default_factory=lambda: Bounds())

    @property
    def uses_sandbox(self) -> bool:
        return not self.polygon_api_key

    @property
    def profile(self) -> Profile:
        """The row of `PROFILES` that TICKSTOCK_ENV selects."""
        return PROFILES[self.env]

    @property
    def dbt_target(self) -> str:
        return self.profile.dbt_target


def _blank_means_unset(values: Any) -> Any:
    if not isinstance(values, dict):
        return values
    stripped = {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}
    return {k: v for k, v in stripped.items() if v != ""}


class EnvironmentSettings(BaseSettings):
    """The variables, by their names, as pydantic reads and validates them."""

    model_config = SettingsConfigDict(env_file=ENV_FILE, extra="ignore", frozen=True)

    database_url: SecretStr | None = Field(default=None, validation_alias="TICKSTOCK_DATABASE_URL")
    redis_url: SecretStr | None = Field(default=None, validation_alias="TICKSTOCK_REDIS_URL")
    polygon_api_key: SecretStr | None = Field(default=None, validation_alias="POLYGON_API_KEY")
    polygon_base_url: str = Field(
        default=DEFAULT_POLYGON_BASE_URL, validation_alias="POLYGON_BASE_URL"
    )
    env: Environment = Field(default="dev", validation_alias="TICKSTOCK_ENV")
    polygon_plan: str = Field(default="free", validation_alias="POLYGON_PLAN")
    polygon_requests_per_minute: PositiveFloat | None = Field(
        default=None, validation_alias="POLYGON_REQUESTS_PER_MINUTE"
    )
    sandbox_size: Literal["dev", "full"] = Field(
        default="dev", validation_alias="TICKSTOCK_SANDBOX_SIZE"
    )
    eod_delay_minutes: PositiveFloat = Field(
        default=30.0, validation_alias="TICKSTOCK_EOD_DELAY_MINUTES"
    )
    eod_early_close_delay_minutes: PositiveFloat = Field(
        default=60.0, validation_alias="TICKSTOCK_EOD_EARLY_CLOSE_DELAY_MINUTES"
    )
    polygon_concurrency: PositiveInt | None = Field(
        default=None, validation_alias="POLYGON_CONCURRENCY"
    )
    load_batch_rows: PositiveInt = Field(
        default=250_000, validation_alias="TICKSTOCK_LOAD_BATCH_ROWS"
    )

    @model_validator(mode="before")
    @classmethod
    def blank_means_unset(cls, values: Any) -> Any:
        """`NAME=` or `NAME=  ` takes the default, as if NAME were not set."""
        return _blank_means_unset(values)

    def settings(self) -> Settings:
        """The values as the rest of the code reads them (field names are shared)."""
        values = {name: _revealed(value) for name, value in self}
        return Settings(**values, bounds=Bounds())


# ------------------------------------------------------------------- bounds
# Every wait on a server or an API has an end: a stalled Postgres or Redis
# fails the command within about a minute, a looping `next_url` stops, a notice
# never outgrows what Redis consumers expect. Read by `kernel.warehouse.connect`
# (and the URL dlt gets), the dbt profile, the Redis client factory
# (orchestration/runtime/redis_client.py), the Polygon paginator and the notifier.


class Bounds(BaseSettings):
    """Timeouts and size limits, from the environment (or `.env`)."""

    model_config = SettingsConfigDict(env_file=ENV_FILE, extra="ignore", frozen=True)

    pg_connect_timeout_s: PositiveInt = Field(
        default=10, validation_alias="TICKSTOCK_PG_CONNECT_TIMEOUT"
    )
    # Long enough for a full build of the largest mart; a runaway query ends.
    pg_statement_timeout_s: PositiveInt = Field(
        default=1800, validation_alias="TICKSTOCK_PG_STATEMENT_TIMEOUT"
    )
    redis_timeout_s: PositiveFloat = Field(default=10.0, validation_alias="TICKSTOCK_REDIS_TIMEOUT")
    polygon_max_pages: PositiveInt = Field(
        default=10_000, validation_alias="TICKSTOCK_POLYGON_MAX_PAGES"
    )
    notice_max_bytes: int = Field(
        default=64 * 1024, ge=4096, validation_alias="TICKSTOCK_NOTICE_MAX_BYTES"
    )

    @model_validator(mode="before")
    @classmethod
    def blank_means_unset(cls, values: Any) -> Any:
        return _blank_means_unset(values)


@functools.cache
def current_bounds() -> Bounds:
    """The bounds of this process, read once (code without a `Settings` at hand)."""
    load_dotenv(ENV_FILE, override=False)
    return Bounds()


class SettingsError(ValueError):
    """A variable has a value we cannot use; the message names each one."""


def read_settings() -> Settings:
    """Read settings from the environment and `.env` (the environment wins).

    Raises:
        SettingsError: naming every variable whose value is refused.
    """
    # Into the process environment too: dbt's profile, dlt and the reader
    # password read variables from the same file.
    load_dotenv(ENV_FILE, override=False)
    quiet_telemetry()
    try:
        return EnvironmentSettings().settings()
    except ValidationError as invalid:
        raise SettingsError(_explain(invalid)) from None


def _explain(invalid: ValidationError) -> str:
    """One line per refused variable: its name, why, and the value unless it is secret."""
    secret = {
        info.validation_alias
        for info in EnvironmentSettings.model_fields.values()
        if info.annotation == SecretStr | None
    }
    lines = []
    for error in invalid.errors(include_url=False):
        name = ".".join(str(part) for part in error["loc"])
        shown = "" if name in secret else f", not {error['input']!r}"
        lines.append(f"{name}: {error['msg']}{shown}")
    return "\n".join(lines)


def _revealed(value: Any) -> Any:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def redact_url(url: str) -> str:
    """Return `url` with any password replaced by `***`, safe to print."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()
