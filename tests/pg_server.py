"""A real, throw-away PostgreSQL server for the test suite.

`PostgresServer` runs `initdb` into a fresh temporary folder (in /dev/shm when it is big),
starts the server on a free loopback port (127.0.0.1 only, never a public interface), and
creates the non-superuser role `gallery` that the app connects as. When the tests run as root
(CI does), the cluster belongs to, and the server runs as, the `postgres` OS user:
PostgreSQL refuses to run as root.

    with PostgresServer() as server:
        server.create_database("t1")
        engine = create_engine(server.url("t1"))

`stop()` is idempotent and also registered with `atexit`, so an aborted session leaves no
server running and no folder behind (a SIGKILLed one still can; nothing can help that).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

import psycopg
from psycopg import sql

APP_ROLE: Final = "gallery"
SUPERUSER: Final = "postgres"
OS_USER: Final = "postgres"
HOST: Final = "127.0.0.1"
DEBIAN_BINDIRS: Final = Path("/usr/lib/postgresql")
START_TIMEOUT: Final = 30.0
START_ATTEMPTS: Final = 3
COMMAND_TIMEOUT: Final = 60.0
LOG_TAIL: Final = 4000
SHM_DIR: Final = "/dev/shm"
SHM_MIN_FREE: Final = 1 << 30

INSTALL_HINT: Final = (
    "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found: install Debian's "
    "`postgresql` package (`make system-deps` does it) to run the PostgreSQL tests."
)

# Settings for speed, not durability: the cluster is thrown away after the session.
SERVER_SETTINGS: Final[dict[str, str]] = {
    "listen_addresses": HOST,
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "32MB",
    "logging_collector": "off",
}


def _version_key(path: Path) -> tuple[int, ...]:
    """`/usr/lib/postgresql/15/bin` sorts by (15,); non-numeric names sort first."""
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.name)) or (-1,)


def _has_server_binaries(bindir: Path) -> bool:
    return all(os.access(bindir / name, os.X_OK) for name in ("initdb", "pg_ctl", "postgres"))


def find_bindir() -> Path:
    """The newest server binaries: Debian's layout, then `pg_config --bindir`, then PATH."""
    candidates = sorted(DEBIAN_BINDIRS.glob("*/bin"), key=_version_key, reverse=True)
    for bindir in candidates:
        if _has_server_binaries(bindir):
            return bindir
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=10
            ).stdout.strip()
            if out and _has_server_binaries(Path(out)):
                return Path(out)
    initdb = shutil.which("initdb")
    if initdb is not None and _has_server_binaries(Path(initdb).parent):
        return Path(initdb).parent
    raise RuntimeError(INSTALL_HINT)


def free_port() -> int:
    """A loopback port free right now (another process may still take it before we do)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def scratch_parent() -> str | None:
    """Where the cluster lives: RAM (/dev/shm) when there is plenty, else the temp dir.

    On a busy disk, RAM halves start-up and CREATE DATABASE times. Docker's default
    /dev/shm is only 64 MB, hence the free-space check.
    """
    with contextlib.suppress(OSError):
        stat = os.statvfs(SHM_DIR)
        if stat.f_bavail * stat.f_frsize >= SHM_MIN_FREE and os.access(SHM_DIR, os.W_OK):
            return SHM_DIR
    return None  # tempfile's default


def _child_env() -> dict[str, str]:
    """The environment without PG* variables, which would redirect pg_ctl or libpq."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env["LC_ALL"] = "C"
    return env


class PostgresServer:
    """One private PostgreSQL cluster: `start()`, use, `stop()` (or a `with` block)."""

    def __init__(self, *, bindir: Path | None = None, start_timeout: float = START_TIMEOUT):
        self._bindir = bindir
        self.start_timeout = start_timeout
        self.base_dir: Path | None = None
        self.port: int | None = None
        self.pid: int | None = None
        self._as_postgres = os.geteuid() == 0
        self._started = False

    # -- paths -------------------------------------------------------------------------------

    @property
    def bindir(self) -> Path:
        if self._bindir is None:
            self._bindir = find_bindir()
        return self._bindir

    @property
    def data_dir(self) -> Path:
        return self._base() / "data"

    @property
    def log_path(self) -> Path:
        return self._base() / "server.log"

    def _base(self) -> Path:
        if self.base_dir is None:
            raise RuntimeError("the PostgreSQL server has not been started")
        return self.base_dir

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> Self:
        """initdb, start on a free loopback port, create the `gallery` role. Raises on failure."""
        if self._started:
            return self
        bindir = self.bindir  # raises the install hint before anything is created
        self.base_dir = Path(tempfile.mkdtemp(prefix="gallery-pg-", dir=scratch_parent()))
        atexit.register(self.stop)
        self._started = True
        try:
            if self._as_postgres:
                user = pwd.getpwnam(OS_USER)
                os.chown(self.base_dir, user.pw_uid, user.pw_gid)
            self._run(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "-A",
                    "trust",
                    "-U",
                    SUPERUSER,
                    "--no-sync",
                    "-E",
                    "UTF8",
                    "--locale=C",
                ],
                what="initdb",
            )
            settings = {**SERVER_SETTINGS, "unix_socket_directories": str(self.base_dir)}
            with (self.data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
                conf.write("\n# gallery_desktop test settings\n")
                conf.writelines(f"{key} = '{value}'\n" for key, value in settings.items())
            self._start_on_free_port()
            with self.admin_connect() as conn:
                conn.execute(
                    sql.SQL("CREATE ROLE {} LOGIN CREATEDB NOSUPERUSER").format(
                        sql.Identifier(APP_ROLE)
                    )
                )
        except BaseException:
            self.stop()
            raise
        return self

    def _start_on_free_port(self) -> None:
        failures: list[str] = []
        for _attempt in range(START_ATTEMPTS):
            port = free_port()
            log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
            result = self._pg_ctl(
                "start",
                "-w",
                "-t",
                str(int(self.start_timeout)),
                "-l",
                str(self.log_path),
                "-o",
                f"-p {port}",
            )
            if result.returncode == 0:
                self.port = port
                self.pid = self._read_pid()
                self._wait_until_accepting()
                return
            failures.append(f"port {port}: {result.stdout}{result.stderr}".strip())
            # A half-started postmaster (say, lost a port race) must not linger.
            self._pg_ctl("stop", "-m", "immediate", "-w")
            if not self._lost_port_race(log_start):
                break  # anything but a taken port will fail the same way again
        raise RuntimeError(
            "PostgreSQL did not start:\n" + "\n".join(failures) + self._log_excerpt()
        )

    def _lost_port_race(self, log_start: int) -> bool:
        try:
            with self.log_path.open("rb") as log:
                log.seek(log_start)
                text = log.read().decode(errors="replace")
        except OSError:
            return True
        return "Address already in use" in text or "could not bind" in text

    def _wait_until_accepting(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while True:
            try:
                with self.admin_connect():
                    return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"PostgreSQL started but refuses connections: {exc}" + self._log_excerpt()
                    ) from exc
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its folder. Safe to call again."""
        if not self._started:
            return
        self._started = False
        atexit.unregister(self.stop)
        base = self.base_dir
        try:
            if base is not None and (self.data_dir / "postmaster.pid").exists():
                result = self._pg_ctl("stop", "-m", "fast", "-w", "-t", "30")
                if result.returncode != 0:
                    self._pg_ctl("stop", "-m", "immediate", "-w", "-t", "10")
            if self.pid is not None and _alive(self.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
        finally:
            if base is not None:
                shutil.rmtree(base, ignore_errors=True)
            self.base_dir = None

    def is_running(self) -> bool:
        """Started, not stopped, and the postmaster process is alive."""
        return self._started and self.pid is not None and _alive(self.pid)

    # -- using it ----------------------------------------------------------------------------

    def url(self, dbname: str) -> str:
        """The SQLAlchemy URL for `dbname` as the non-superuser `gallery` role."""
        return f"postgresql+psycopg://{APP_ROLE}@{HOST}:{self._port()}/{dbname}"

    def admin_connect(self, dbname: str = "postgres") -> psycopg.Connection[Any]:
        """An autocommit connection as the `postgres` superuser. Close it (or use `with`)."""
        return psycopg.connect(
            host=HOST,
            port=self._port(),
            user=SUPERUSER,
            dbname=dbname,
            autocommit=True,
            connect_timeout=10,
        )

    def create_database(self, name: str, template: str | None = None) -> None:
        """An empty database owned by `gallery` (copied from `template` when given)."""
        query = sql.SQL("CREATE DATABASE {} OWNER {}").format(
            sql.Identifier(name), sql.Identifier(APP_ROLE)
        )
        if template is not None:
            query = sql.SQL("{} TEMPLATE {}").format(query, sql.Identifier(template))
        with self.admin_connect() as conn:
            conn.execute(query)

    def drop_database(self, name: str) -> None:
        """Drop `name` if it exists, disconnecting anyone still using it."""
        with self.admin_connect() as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    # -- helpers -----------------------------------------------------------------------------

    def _port(self) -> int:
        if self.port is None or not self._started:
            raise RuntimeError("the PostgreSQL server is not running")
        return self.port

    def _run(self, args: list[str], *, what: str) -> subprocess.CompletedProcess[str]:
        result = self._exec(args)
        if result.returncode != 0:
            raise RuntimeError(
                f"{what} failed (exit {result.returncode}):\n{result.stdout}{result.stderr}"
            )
        return result

    def _pg_ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self._exec([str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), *args])

    def _exec(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        """Run a server tool, as the `postgres` OS user when we are root."""
        extra: dict[str, Any] = {}
        if self._as_postgres:
            # Python drops privileges itself (setgid/setgroups/setuid before exec): no
            # dependency on runuser/su/setpriv, no PAM session, no login shell.
            extra = {"user": OS_USER, "group": pwd.getpwnam(OS_USER).pw_gid, "extra_groups": []}
        try:
            return subprocess.run(
                args,
                capture_output=True,
                text=True,
                cwd=self._base(),
                env=_child_env(),
                timeout=COMMAND_TIMEOUT,
                check=False,
                **extra,
            )
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(
                f"{Path(args[0]).name} timed out after {COMMAND_TIMEOUT:.0f}s" + self._log_excerpt()
            ) from exc

    def _read_pid(self) -> int:
        return int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])

    def _log_excerpt(self) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "\n(no server log)"
        return f"\n--- server log ({self.log_path}) ---\n{text[-LOG_TAIL:]}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is gone for our purposes; /proc says so on Linux.
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True
