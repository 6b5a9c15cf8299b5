"""What every benchmark here needs: the real server, a token, interleaved rounds, medians, p90 and ratios.

    with Server(url, workdir) as server:              # uvicorn create_app, one worker, as `kkr serve`
        token = server.token("aggregates:read")
        timings = await interleaved([("http", http), ("floor", floor)], rounds=30, warmup=3)
    timings.median("http"), timings.p90("http"), timings.ratio("http", "floor")

A step is an async function returning the number of rows it got.  Each round runs every step once, in an
order rotating from round to round, so that a busy machine slows every step alike; the warm-up rounds are
discarded.  Times are kept in milliseconds.
"""

from __future__ import annotations

import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

from kkr.platform.auth.keys import generate_signing_key, read_key_set, write_key_set
from kkr.platform.auth.tokens import issue_token

#: The checkout the benchmarks run from (they are not part of the package).
REPO_ROOT = Path(__file__).resolve().parent.parent

ISSUER = "urn:kkr-platform:benchmark"
AUDIENCE = "kkr-platform"

Step = Callable[[], Awaitable[int]]


# --- the server and its token -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`uvicorn kkr.platform.app:create_app --factory`, one worker, in a subprocess (as `kkr serve` runs it),
    on database `url` with a signing key of its own written to `workdir`."""

    def __init__(self, url, workdir: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        key_file = workdir / "signing-keys.json"
        write_key_set(key_file, [generate_signing_key("EC")])
        self.keys = read_key_set(key_file, private=True)
        env = {k: v for k, v in os.environ.items() if k not in ("APP_DATABASE_URL",)}
        env.update(
            DATABASE_URL=url.render_as_string(hide_password=False),
            ENVIRONMENT="development",
            SIGNING_KEY_FILE=str(key_file),
            TOKEN_ISSUER=ISSUER,
            AUTH_AUDIENCE=AUDIENCE,
            LOG_LEVEL="warning",
        )
        self.command = [
            sys.executable,
            "-m",
            "uvicorn",
            "kkr.platform.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            "1",
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        self.env, self.workdir = env, workdir
        self.process: subprocess.Popen[bytes] | None = None

    def token(self, *scopes: str, subject: str = "benchmark:aggregates") -> str:
        """A bearer token with `scopes`, signed by this server's key, valid for an hour."""
        return issue_token(self.keys, issuer=ISSUER, audience=AUDIENCE, subject=subject, scopes=scopes, lifetime=3600)

    def __enter__(self) -> Server:
        self.process = process = subprocess.Popen(self.command, env=self.env, cwd=self.workdir)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError("the server did not start")
            time.sleep(0.2)

    def __exit__(self, *exc: object) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


# --- timing ---------------------------------------------------------------------------------------------


@dataclass
class Timings:
    """Milliseconds per step name, in the order the steps were first timed; rows as last returned."""

    samples: dict[str, list[float]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)

    def add(self, what: str, seconds: float, rows: int) -> None:
        self.samples.setdefault(what, []).append(seconds * 1000)
        self.rows[what] = rows

    def median(self, what: str) -> float:
        return statistics.median(self.samples[what])

    def p90(self, what: str) -> float:
        values = self.samples[what]
        return statistics.quantiles(values, n=10, method="inclusive")[8] if len(values) > 1 else values[0]

    def min(self, what: str) -> float:
        return min(self.samples[what])

    def ratio(self, what: str, floor: str) -> float:
        """Median of `what` over the median of `floor` (measured in the same rounds)."""
        return self.median(what) / self.median(floor)


async def interleaved(steps: list[tuple[str, Step]], rounds: int, warmup: int) -> Timings:
    """`rounds` timed rounds after `warmup` discarded ones; each round runs every step once, the order rotating
    by one step from round to round."""
    timings = Timings()
    for what, _ in steps:  # the table's order is the steps' order, whichever ran first
        timings.samples[what] = []
    for n in range(warmup + rounds):
        k = n % len(steps)
        for what, step in steps[k:] + steps[:k]:
            started = time.perf_counter()
            rows = await step()
            elapsed = time.perf_counter() - started
            if n >= warmup:
                timings.add(what, elapsed, rows)
    return timings


# --- what a report says about the run ---------------------------------------------------------------------


async def slowest_statements(conn: asyncpg.Connection, run: Callable[[], Awaitable[object]], top: int = 3) -> str:
    """The statements `run()` executes on `conn`, nested ones included, as auto_explain reports them
    (EXPLAIN ANALYZE), the `top` slowest first; a sentence when the server has no auto_explain."""
    messages: list[str] = []

    def listen(_conn: asyncpg.Connection, message: asyncpg.PostgresLogMessage) -> None:
        messages.append(message.message)

    conn.add_log_listener(listen)
    try:
        try:
            await conn.execute("LOAD 'auto_explain'")
        except asyncpg.PostgresError as exc:  # e.g. a server built without contrib modules
            return f"auto_explain is not available: {exc}"
        await conn.execute(
            "SET auto_explain.log_min_duration = 0; "
            "SET auto_explain.log_analyze = on; SET auto_explain.log_nested_statements = on; "
            "SET client_min_messages = log"
        )
        await run()
    finally:
        await conn.execute("RESET client_min_messages; SET auto_explain.log_min_duration = -1")
        conn.remove_log_listener(listen)

    def duration(message: str) -> float:
        return float(message.split("duration: ")[1].split(" ms")[0]) if "duration: " in message else 0.0

    return "\n\n".join(sorted((m for m in messages if "Query Text" in m), key=duration, reverse=True)[:top])


def commit() -> str:
    """The commit measured, marked when the code the benchmark runs has uncommitted changes."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True).stdout.strip()

    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "benchmarks", "migrations", "platform", "schema")
    return git("rev-parse", "--short", "HEAD") + (" (with uncommitted changes)" if dirty else "")


def machine() -> str:
    return (
        f"{os.cpu_count()} cores ({platform.machine()}), {platform.python_implementation()} {platform.python_version()}"
    )
