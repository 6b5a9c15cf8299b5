"""Stateless app servers (docs/scale-out.md): two `kkr serve` processes on one database behave as one service.

A write through one instance is read through the other at once (the response cache follows the data versions
in PostgreSQL), a machine client disabled through one (or by the `kkr disable-client` CLI) is refused by the
other well before its client cache (CLIENT_CACHE_SECONDS, 10 s) would expire, and one caller's rate limit is
counted across both.  The instances run on a database of their own (migrated, the demo data loaded), so
that their small rate limit and their writes touch nothing of the suite's shared database.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import URL

from kkr.platform import migrate
from kkr.platform.importer.load import load
from kkr.platform.settings import Settings

from .conftest import create_database, drop_database
from .mutation_helpers import gid
from .processes import serve_env, stop_process, wait_until_answering
from .tokens import bearer

KKR = Path(sys.executable).with_name("kkr")
LIMIT = 5
CLIENT_CACHE_SECONDS = 10
YEAR = 2093
CONTRACTS = "query($year: Int) { resultContracts(year: $year) { totalCount nodes { title year } } }"
CREATE = """mutation($input: CreateResultContractInput!) {
  createResultContract(input: $input) { resultContract { id title } errors { field code message } }
}"""
REGISTER = """mutation($input: RegisterClientInput!) {
  registerClient(input: $input) { clientSecret errors { field code message } }
}"""
DISABLE = """mutation($input: DisableClientInput!) {
  disableClient(input: $input) { client { disabledAt } errors { field code message } }
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Instance:
    """One `kkr serve` process on `database`, with the suite's identity settings and a small rate limit."""

    def __init__(self, settings: Settings, database: URL, workdir: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"serve-{self.port}.log"
        env = serve_env(
            settings,
            database,
            RATE_LIMIT_ENABLED="true",
            RATE_LIMIT_AUTHENTICATED=str(LIMIT),
            RATE_LIMIT_ANONYMOUS="10000",
            RATE_LIMIT_WINDOW_SECONDS="60",
            CLIENT_CACHE_SECONDS=str(CLIENT_CACHE_SECONDS),
        )
        with self.log_path.open("wb") as out:
            self.proc = subprocess.Popen(
                [str(KKR), "serve", "--port", str(self.port)],
                cwd=workdir,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def wait_ready(self, timeout: float = 60) -> None:
        wait_until_answering(self.proc, f"{self.base}/readyz", timeout, self.log)

    def post(self, query: str, variables: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        """One GraphQL request on a fresh connection."""
        return httpx.post(f"{self.base}/graphql", json={"query": query, "variables": variables}, headers=headers)

    def stop(self) -> None:
        stop_process(self.proc)


def data(response: httpx.Response, field: str) -> Any:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"][field]


@pytest.fixture(scope="module")
async def database(settings: Settings) -> AsyncIterator[URL]:
    """A fresh database of this module's own: migrated, with the demo data."""
    url = await create_database("kkr_scale_out")
    try:
        await migrate.upgrade(url)
        await load(url, settings.tenants_dir)
        yield url
    finally:
        await drop_database(url)


@pytest.fixture(scope="module")
def instances(
    settings: Settings, database: URL, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Instance, Instance]]:
    workdir = tmp_path_factory.mktemp("scale-out")
    started: list[Instance] = []
    try:
        started += [Instance(settings, database, workdir), Instance(settings, database, workdir)]
        for instance in started:
            instance.wait_ready()
        yield started[0], started[1]
    finally:
        for instance in started:
            instance.stop()


def test_a_write_through_one_instance_is_read_through_the_other_at_once(
    instances: tuple[Instance, Instance],
) -> None:
    a, b = instances
    reader = bearer("region:sjaelland:read", subject="reader@scale-out")
    before = b.post(CONTRACTS, {"year": YEAR}, reader)
    assert data(before, "resultContracts")["totalCount"] == 0
    cached = b.post(CONTRACTS, {"year": YEAR}, reader)
    assert (before.headers["x-cache"], cached.headers["x-cache"]) == ("miss", "hit"), "B caches the empty answer"

    title = f"Resultatkontrakt {YEAR} (skrevet gennem instans A)"
    written = a.post(
        CREATE,
        {"input": {"businessHubId": gid("BusinessHub", "sjaelland"), "year": YEAR, "title": title}},
        bearer("region:sjaelland:write", subject="editor@scale-out"),
    )
    assert data(written, "createResultContract")["errors"] == []

    after = b.post(CONTRACTS, {"year": YEAR}, reader)  # the very next read through B, no waiting
    assert data(after, "resultContracts") == {"totalCount": 1, "nodes": [{"title": title, "year": YEAR}]}
    assert after.headers["x-cache"] == "miss", "B's cached answer was dropped: sjaelland's data version changed"


def test_a_client_disabled_through_one_instance_is_refused_by_the_other(
    instances: tuple[Instance, Instance],
) -> None:
    a, b = instances
    admin = bearer("admin", subject="operator@scale-out")
    registered = data(
        a.post(
            REGISTER,
            {"input": {"clientId": "scale-out-bi", "name": "Scale-out BI", "scopes": ["benchmark:read"]}},
            admin,
        ),
        "registerClient",
    )
    assert registered["errors"] == []
    issued = httpx.post(
        f"{a.base}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=("scale-out-bi", registered["clientSecret"]),
    )
    assert issued.status_code == 200, issued.text
    token = {"Authorization": f"Bearer {issued.json()['access_token']}"}
    viewer = "{ viewer { clientId } }"
    assert data(b.post(viewer, {}, token), "viewer") == {"clientId": "scale-out-bi"}  # B has it cached now

    disabled = data(a.post(DISABLE, {"input": {"clientId": "scale-out-bi"}}, admin), "disableClient")
    assert disabled["errors"] == [] and disabled["client"]["disabledAt"]
    started = time.monotonic()
    refused = b.post(viewer, {}, token)
    while refused.status_code != 401 and time.monotonic() - started < CLIENT_CACHE_SECONDS / 2:
        time.sleep(0.05)  # the change reaches B's listener (LISTEN/NOTIFY) within milliseconds
        refused = b.post(viewer, {}, token)
    assert refused.status_code == 401, refused.text
    assert "disabled" in refused.json()["error_description"]
    assert time.monotonic() - started < CLIENT_CACHE_SECONDS / 2, "pushed, not expired from B's cache"
    again = httpx.post(
        f"{b.base}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=("scale-out-bi", registered["clientSecret"]),
    )
    assert again.status_code == 401 and again.json()["error"] == "invalid_client"


@pytest.mark.parametrize("sixth", [0, 1], ids=["sixth-to-A", "sixth-to-B"])
def test_one_callers_rate_limit_is_counted_across_both_instances(
    instances: tuple[Instance, Instance], sixth: int
) -> None:
    pair = instances
    token = bearer("region:sjaelland:read", subject=f"rate-{sixth}@scale-out")
    order = [pair[(i + sixth + 1) % 2] for i in range(LIMIT)]  # alternating; the sixth goes to pair[sixth]
    assert order[-1] is not pair[sixth]
    statuses = [instance.post("{ regions { slug } }", {}, token).status_code for instance in order]
    assert statuses == [200] * LIMIT, "neither instance alone has seen more than three requests"
    over = pair[sixth].post("{ regions { slug } }", {}, token)
    assert over.status_code == 429, over.text
    assert int(over.headers["retry-after"]) >= 1
    assert over.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    other = pair[1 - sixth].post("{ regions { slug } }", {}, token)
    assert other.status_code == 429, "the other instance refuses the caller too"
    fresh = pair[1 - sixth].post("{ regions { slug } }", {}, bearer("region:sjaelland:read", subject="other@scale-out"))
    assert fresh.status_code == 200, "the limit is per caller, not per instance"


def test_a_client_disabled_by_the_cli_is_refused_by_both_instances(
    instances: tuple[Instance, Instance], database: URL
) -> None:
    """An operator's `kkr register-client` / `kkr disable-client`, a third process, reaches both servers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "APP_DATABASE_URL"))}
    env["DATABASE_URL"] = database.render_as_string(hide_password=False)

    def kkr(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(KKR), *args], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done

    printed = kkr("register-client", "scale-out-cli", "--name", "Scale-out CLI", "--scope", "aggregates:read")
    secret = next(line.split(": ", 1)[1] for line in printed.stdout.splitlines() if line.startswith("client_secret"))
    tokens = []
    for instance in instances:
        issued = httpx.post(
            f"{instance.base}/oauth/token", data={"grant_type": "client_credentials"}, auth=("scale-out-cli", secret)
        )
        assert issued.status_code == 200, issued.text
        tokens.append({"Authorization": f"Bearer {issued.json()['access_token']}"})
    for instance in instances:  # each token on the other instance: every process knows the client
        for token in tokens:
            assert data(instance.post("{ viewer { clientId } }", {}, token), "viewer") == {"clientId": "scale-out-cli"}

    kkr("disable-client", "scale-out-cli")
    started = time.monotonic()
    for instance in instances:
        for token in tokens:
            refused = instance.post("{ viewer { clientId } }", {}, token)
            while refused.status_code != 401 and time.monotonic() - started < CLIENT_CACHE_SECONDS / 2:
                time.sleep(0.05)
                refused = instance.post("{ viewer { clientId } }", {}, token)
            assert refused.status_code == 401, refused.text
    assert time.monotonic() - started < CLIENT_CACHE_SECONDS / 2, "pushed to both, not expired from their caches"
