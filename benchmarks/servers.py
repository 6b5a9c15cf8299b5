"""The servers the load benchmarks drive: the platform as production runs it, and the raw-SQL floor.

    with Platform(url, workdir, workers=2) as platform, Floor(url, workdir, workers=2) as floor:
        token = platform.token("region:sjaelland:read")
        platform.rss_mb(), floor.base

`Platform` runs the production command, `kkr serve --workers N` with `ENVIRONMENT=production`: no GraphiQL,
tokens from an identity provider (a key of its own, whose public JWKS file is `IDP_JWKS`), `kkr serve`'s
migrations, uvicorn's supervisor and N workers.  `Floor` runs `benchmarks/floor_app.py` under uvicorn with
the same number of workers.  Both use uvloop and httptools when importable: `SERVER_PACKAGES` (a folder
with them, e.g. `pip install --target DIR uvloop httptools`) is put on the servers' PYTHONPATH only, so the
development environment the tests use is left as it is.  `extra_env` passes settings (rate limits, say).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import httpx
import psutil

from benchmarks.harness import REPO_ROOT
from kkr.platform.auth.keys import generate_signing_key, parse_key_set, public_jwks, write_key_set

IDP_ISSUER = "https://idp.benchmark.kkr.invalid"
AUDIENCE = "kkr-platform"
KKR = Path(sys.executable).with_name("kkr")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_packages() -> str | None:
    """The folder of uvloop and httptools for the servers (env SERVER_PACKAGES), if it exists."""
    folder = os.environ.get("SERVER_PACKAGES")
    return folder if folder and Path(folder).is_dir() else None


def _pythonpath(env: dict[str, str]) -> None:
    parts = [str(REPO_ROOT), *(p for p in [server_packages()] if p), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in parts if p)


class _Process:
    """A server subprocess, healthy at `health`, stopped by SIGTERM (its workers with it)."""

    name = "server"
    health = "/healthz"

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir
        self.process: subprocess.Popen | None = None
        self.command: list[str] = []
        self.env: dict[str, str] = {}

    def __enter__(self):
        log = (self.workdir / f"{self.name}.log").open("ab")
        self.process = subprocess.Popen(
            self.command, env=self.env, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(self.base + self.health, timeout=2).status_code == 200 and self._all_workers():
                    return self
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError(
                    f"{self.name} did not start; see {self.workdir / (self.name + '.log')}:\n" + self.log()[-3000:]
                )
            time.sleep(0.3)

    def _all_workers(self) -> bool:
        return len(self.processes()) >= self.workers + (1 if self.workers > 1 else 0)

    def log(self) -> str:
        path = self.workdir / f"{self.name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def processes(self) -> list[psutil.Process]:
        """This server's processes (the supervisor and its workers; multiprocessing's helpers left out)."""
        try:
            root = psutil.Process(self.process.pid)
            found = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []
        return [p for p in found if "multiprocessing.resource_tracker" not in " ".join(_cmdline(p))]

    def rss_mb(self) -> float:
        """Resident memory of the server's processes, summed, in MB."""
        total = 0
        for p in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                total += p.memory_info().rss
        return total / 1e6

    def cpu_seconds(self) -> float:
        total = 0.0
        for p in self.processes():
            try:
                times = p.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        return total

    #: The database the server uses (its owner's URL), set by the subclass: `wait_idle` watches it too.
    database_url = None

    def wait_idle(self, limit_s: float = 600) -> float:
        """Wait until the server is idle (under 5 % of a core over half a second) and its database runs no
        statement: requests a load generator abandoned at the end of its run are still being answered (their
        statements may keep PostgreSQL busy while the server only waits); returns the seconds waited."""
        started = time.monotonic()
        last = self.cpu_seconds()
        while time.monotonic() - started < limit_s:
            time.sleep(0.5)
            now = self.cpu_seconds()
            if now - last < 0.025 and not self._database_busy():
                break
            last = now
        return time.monotonic() - started

    def _database_busy(self) -> bool:
        if self.database_url is None:
            return False
        return bool(_in_thread(_active_statements(self.database_url)))

    def __exit__(self, *exc: object) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            for p in self.processes():
                p.kill()
            self.process.wait(timeout=10)


async def _active_statements(url) -> int:
    conn = await asyncpg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        return await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND state = 'active' AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()


def _in_thread(coroutine):
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _cmdline(p: psutil.Process) -> list[str]:
    try:
        return p.cmdline()
    except psutil.Error:
        return []


class Platform(_Process):
    """`kkr serve --workers N` in production mode on database `url` (the owner's URL: it migrates)."""

    name = "platform"

    def __init__(self, url, workdir: Path, workers: int, extra_env: dict[str, str] | None = None) -> None:
        super().__init__(workdir)
        self.workers = workers
        self.database_url = url
        self.idp_key = generate_signing_key("RSA")
        jwks = workdir / f"idp-jwks-{self.port}.json"  # one set per server: several may share `workdir`
        jwks.write_text(json.dumps(public_jwks(parse_key_set({"keys": [self.idp_key]}, origin="benchmark"))))
        signing = workdir / f"signing-keys-{self.port}.json"
        write_key_set(signing, [generate_signing_key("EC")])
        env = {k: v for k, v in os.environ.items() if k not in ("APP_DATABASE_URL",)}
        env.update(
            DATABASE_URL=url.set(drivername="postgresql").render_as_string(hide_password=False),
            ENVIRONMENT="production",
            IDP_ISSUER=IDP_ISSUER,
            IDP_JWKS=str(jwks),
            AUTH_AUDIENCE=AUDIENCE,
            SIGNING_KEY_FILE=str(signing),
            LOG_LEVEL="warning",
            **(extra_env or {}),
        )
        _pythonpath(env)
        self.env = env
        self.command = [str(KKR), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers)]

    def token(self, *scopes: str, subject: str = "benchmark", lifetime: int = 4 * 3600) -> str:
        """A bearer token from the benchmark's identity provider with `scopes`."""
        from authlib.jose import JsonWebToken

        now = int(time.time())
        claims = {
            "iss": IDP_ISSUER,
            "aud": AUDIENCE,
            "sub": subject,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "jti": uuid.uuid4().hex,
            "scope": " ".join(scopes),
        }
        key = {k: v for k, v in self.idp_key.items() if k != "kid"}
        header = {"alg": self.idp_key.get("alg", "RS256"), "kid": self.idp_key["kid"], "typ": "JWT"}
        return JsonWebToken([header["alg"]]).encode(header, claims, key, check=False).decode()


class Floor(_Process):
    """`uvicorn benchmarks.floor_app:create_app --factory --workers N` on database `url` (the owner)."""

    name = "floor"
    health = "/healthz"

    def __init__(
        self,
        url,
        workdir: Path,
        workers: int,
        definitions: Path,
        app_role: str = "kkr_app",
    ) -> None:
        super().__init__(workdir)
        self.workers = workers
        self.database_url = url
        env = dict(os.environ)
        env["FLOOR_WORKLOADS"] = str(definitions)
        env["FLOOR_DSN"] = url.set(drivername="postgresql").render_as_string(hide_password=False)
        env["FLOOR_KL_DSN"] = url.set(drivername="postgresql", username=app_role, password=None).render_as_string(
            hide_password=False
        )
        env["FLOOR_POOL_SIZE"] = "10"
        _pythonpath(env)
        self.env = env
        self.command = [
            sys.executable,
            "-m",
            "uvicorn",
            "benchmarks.floor_app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ]


def loop_and_http() -> str:
    """What uvicorn's `auto` picks for the servers: uvloop/httptools when SERVER_PACKAGES has them."""
    folder = server_packages()
    have = {name: (folder and (Path(folder) / name).is_dir()) or _importable(name) for name in ("uvloop", "httptools")}
    return f"loop {'uvloop' if have['uvloop'] else 'asyncio'}, http {'httptools' if have['httptools'] else 'h11'}"


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None
