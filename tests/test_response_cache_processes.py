"""No stale read across worker processes and instances: real `kkr serve` processes on the suite's database.

Instance A runs two worker processes, instance B one; all three cache the same answer first (each worker's
first answer is a miss, so two misses from A prove both of its workers hold it).  A write through A is then
read from both instances on fresh connections: every read sees it, whichever process answers.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import URL

from kkr.platform.settings import Settings

from .mutation_helpers import SJ_WRITE, gid
from .processes import serve_env, stop_process, wait_until_answering
from .tokens import bearer

KKR = Path(sys.executable).with_name("kkr")
TEAMS = "query Teams { growthTeams { totalCount nodes { name geography } } }"
NAME = "Vækstteam på tværs af processer"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Instance:
    """One `kkr serve` process (with its workers) on the suite's database."""

    def __init__(self, settings: Settings, owner_url: URL, workdir: Path, workers: int) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"serve-{self.port}.log"
        env = serve_env(settings, owner_url, CLIENT_CACHE_SECONDS="0")
        with self.log_path.open("wb") as out:
            self.proc = subprocess.Popen(
                [str(KKR), "serve", "--port", str(self.port), "--workers", str(workers)],
                cwd=workdir,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout: float = 60) -> None:
        wait_until_answering(
            self.proc, f"{self.base}/readyz", timeout, lambda: self.log_path.read_text(errors="replace")[-4000:]
        )

    def read(self) -> tuple[str, dict[str, Any]]:
        """(X-Cache, growthTeams) on a fresh connection."""
        response = httpx.post(
            f"{self.base}/graphql", json={"query": TEAMS}, headers=bearer("region:sjaelland:read"), timeout=30
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return response.headers["x-cache"], body["data"]["growthTeams"]

    def stop(self) -> None:
        stop_process(self.proc)


@pytest.fixture
def instances(
    settings: Settings, owner_url: URL, demo_data: object, tmp_path: Path
) -> Iterator[tuple[Instance, Instance]]:
    started = [Instance(settings, owner_url, tmp_path, workers=2), Instance(settings, owner_url, tmp_path, workers=1)]
    try:
        for instance in started:
            instance.wait_ready()
        yield started[0], started[1]
    finally:
        for instance in started:
            instance.stop()


def _reads(instance: Instance, count: int) -> list[tuple[str, dict[str, Any]]]:
    """`count` reads, eight at a time, so that both workers of a two-worker instance take some."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda _: instance.read(), range(count)))


def test_a_write_is_seen_by_every_worker_and_every_instance(instances: tuple[Instance, Instance]) -> None:
    a, b = instances
    warm = _reads(a, 8)
    for _ in range(20):  # until both of A's workers have answered (and cached) once
        if sum(cache == "miss" for cache, _ in warm) >= 2:
            break
        warm += _reads(a, 8)
    assert sum(cache == "miss" for cache, _ in warm) == 2, "both workers of instance A cache the answer"
    warm_b = [b.read() for _ in range(3)]
    assert [cache for cache, _ in warm_b] == ["miss", "hit", "hit"]
    before = warm[0][1]
    assert all(teams == before for _, teams in warm + warm_b)
    assert {"name": NAME, "geography": "Nyborg"} not in before["nodes"]

    written = httpx.post(
        f"{a.base}/graphql",
        headers=bearer(*SJ_WRITE, subject="editor@sjaelland"),
        timeout=30,
        json={
            "query": "mutation($input: CreateGrowthTeamInput!) { createGrowthTeam(input: $input) {"
            " growthTeam { id } errors { message } } }",
            "variables": {"input": {"regionId": gid("Region", "sjaelland"), "name": NAME, "geography": "Nyborg"}},
        },
    )
    created = written.json()["data"]["createGrowthTeam"]
    assert created["errors"] == [], written.text

    after = _reads(a, 24) + _reads(b, 8)
    stale = [teams for _, teams in after if {"name": NAME, "geography": "Nyborg"} not in teams["nodes"]]
    assert not stale, f"{len(stale)} of {len(after)} reads after the write were stale"
    assert all(teams["totalCount"] == before["totalCount"] + 1 for _, teams in after)
    assert sum(cache == "miss" for cache, _ in after) >= 2 and any(cache == "hit" for cache, _ in after)

    deleted = httpx.post(
        f"{b.base}/graphql",
        headers=bearer(*SJ_WRITE, subject="editor@sjaelland"),
        timeout=30,
        json={
            "query": "mutation($input: DeleteInput!) { deleteGrowthTeam(input: $input) { errors { message } } }",
            "variables": {"input": {"id": created["growthTeam"]["id"], "rowVersion": 1}},
        },
    )
    assert deleted.json()["data"]["deleteGrowthTeam"]["errors"] == [], deleted.text
    assert all(teams == before for _, teams in _reads(a, 8) + _reads(b, 4)), "the delete is seen everywhere too"
