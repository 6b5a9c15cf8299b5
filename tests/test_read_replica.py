"""Read replicas (`kkr.platform.replicas`) against a real streaming replica on loopback (`tests/replication.py`).

The replica's replay is paused to make it visibly behind: what a read then finds tells where it ran.  A
query that misses a row the primary has was answered by the replica; one that finds it read from the
primary (or a replica that caught up).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from kkr.platform import migrate
from kkr.platform.database import app_url_for
from kkr.platform.importer.load import load
from kkr.platform.replicas import COMMIT_LSN_HEADER, READ_AFTER_LSN_HEADER, parse_lsn, replica_url
from kkr.platform.settings import Settings

from .conftest import LiveServer, require
from .replication import ReplicatedCluster
from .tokens import bearer

SJAELLAND_HUB = "QnVzaW5lc3NIdWI6c2phZWxsYW5k"  # BusinessHub:sjaelland
CREATE = """mutation($input: CreateResultContractInput!) {
  createResultContract(input: $input) {
    resultContract { id year rowVersion businessHub { id name } }
    errors { field code message }
  }
}"""
NODE = "query Contract($id: ID!) { node(id: $id) { ... on ResultContract { id year } } }"
WRITER = bearer("region:sjaelland:write", subject="replica-writer")
READER = bearer("region:sjaelland:read", subject="replica-reader")


@pytest.fixture(scope="module")
async def cluster(tmp_path_factory: pytest.TempPathFactory, settings: Settings) -> AsyncIterator[ReplicatedCluster]:
    """A primary with the migrated demo data and its streaming replica."""
    binaries = ReplicatedCluster(tmp_path_factory.mktemp("replication")).bin
    require(shutil.which("pg_basebackup", path=str(binaries)), f"pg_basebackup in {binaries}")
    cluster = ReplicatedCluster(tmp_path_factory.mktemp("replication")).start()
    try:
        admin = create_async_engine(cluster.primary_url(), isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            await conn.execute(text("CREATE DATABASE kkr"))
        await admin.dispose()
        await migrate.upgrade(cluster.primary_url("kkr"))
        await load(cluster.primary_url("kkr"), settings.tenants_dir)
        yield cluster
    except BaseException:
        print(cluster.log())
        raise
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
async def replica_owner(cluster: ReplicatedCluster) -> AsyncIterator[AsyncEngine]:
    """A superuser connection to the replica (to pause and resume its replay)."""
    engine = create_async_engine(cluster.replica_url("kkr"), isolation_level="AUTOCOMMIT")
    yield engine
    await engine.dispose()


async def replayed(replica: AsyncEngine) -> int:
    async with replica.connect() as conn:
        lsn = (await conn.execute(text("SELECT pg_last_wal_replay_lsn()::text"))).scalar_one()
    return parse_lsn(lsn) or 0


async def wait_replayed(replica: AsyncEngine, lsn: str) -> None:
    target = parse_lsn(lsn)
    assert target is not None
    for _ in range(600):
        if await replayed(replica) >= target:
            return
        await _sleep(0.05)
    raise AssertionError(f"the replica did not replay to {lsn}")


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


@contextlib.asynccontextmanager
async def replay_paused(replica: AsyncEngine) -> AsyncIterator[None]:
    """The replica keeps receiving WAL but applies none of it until the block ends."""
    async with replica.connect() as conn:
        await conn.execute(text("SELECT pg_wal_replay_pause()"))
        for _ in range(200):
            state = (await conn.execute(text("SELECT pg_get_wal_replay_pause_state()"))).scalar_one()
            if state == "paused":
                break
            await _sleep(0.05)
        assert state == "paused"
    try:
        yield
    finally:
        async with replica.connect() as conn:
            await conn.execute(text("SELECT pg_wal_replay_resume()"))


@contextlib.contextmanager
def server(settings: Settings, cluster: ReplicatedCluster, **changes: Any) -> Iterator[httpx.Client]:
    configured = settings.model_copy(
        update={
            "database_url": cluster.primary_url("kkr").render_as_string(hide_password=False),
            "app_database_url": None,
            "database_replica_url": cluster.replica_url("kkr").render_as_string(hide_password=False),
            "replica_max_wait_seconds": 0.3,
            "response_cache_enabled": False,
            **changes,
        }
    )
    with LiveServer(configured) as live, httpx.Client(base_url=live.url, timeout=30) as client:
        yield client


def replica_reads(client: httpx.Client) -> dict[str, float]:
    """`kkr_replica_reads_total` by `served_by`, from the server's /metrics."""
    from prometheus_client.parser import text_string_to_metric_families

    families = text_string_to_metric_families(client.get("/metrics").text)
    samples = [s for f in families if f.name == "kkr_replica_reads" for s in f.samples if s.name.endswith("_total")]
    return {s.labels["served_by"]: s.value for s in samples}


def create_contract(client: httpx.Client, year: int) -> tuple[dict[str, Any], str]:
    variables = {"input": {"businessHubId": SJAELLAND_HUB, "year": year, "title": f"Replikatest {year}"}}
    response = client.post("/graphql", json={"query": CREATE, "variables": variables}, headers=WRITER)
    assert response.status_code == 200, response.text
    payload = response.json()["data"]["createResultContract"]
    assert payload["errors"] == [], payload
    return payload["resultContract"], response.headers[COMMIT_LSN_HEADER]


def find(client: httpx.Client, contract_id: str, who: dict[str, str], **headers: str) -> Any:
    response = client.post("/graphql", json={"query": NODE, "variables": {"id": contract_id}}, headers=who | headers)
    assert response.status_code == 200, response.text
    assert "errors" not in response.json(), response.text
    return response.json()["data"]["node"]


async def test_queries_read_the_replica_mutations_the_primary_and_callers_read_their_own_writes(
    settings: Settings, cluster: ReplicatedCluster, replica_owner: AsyncEngine
) -> None:
    with server(settings, cluster) as client:
        before = replica_reads(client)
        async with replay_paused(replica_owner):
            contract, lsn = create_contract(client, 2031)
            # The mutation's payload, read after its write in the same request, comes from the primary: the
            # paused replica has no such contract.
            assert contract["year"] == 2031 and contract["businessHub"]["name"]
            assert (parse_lsn(lsn) or 0) > await replayed(replica_owner)

            # Another caller's query runs on the replica, which is behind: it does not find the new contract.
            assert find(client, contract["id"], READER) is None
            # The same caller sending the commit position back waits for the replica (paused: in vain), then
            # reads the primary.
            assert find(client, contract["id"], READER, **{READ_AFTER_LSN_HEADER: lsn}) == {
                "id": contract["id"],
                "year": 2031,
            }
            # The writer itself reads its write without sending anything: this process remembers its commit.
            assert find(client, contract["id"], WRITER) is not None

        # Replication goes on once replay resumes, and the replica then serves the row.
        await wait_replayed(replica_owner, lsn)
        assert find(client, contract["id"], READER) == {"id": contract["id"], "year": 2031}
        async with replica_owner.connect() as conn:
            app_sessions = (
                await conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE usename = 'kkr_app'"))
            ).scalar_one()
        assert app_sessions >= 1  # the API's pool holds connections to the replica, as the application role
        after = replica_reads(client)
        # Two reads on the replica (the stale one, the caught-up one), two on the primary while it was behind.
        assert after.get("replica", 0) - before.get("replica", 0) == 2
        assert after.get("behind", 0) - before.get("behind", 0) == 2


async def test_the_response_cache_never_keeps_a_stale_replica_answer(
    settings: Settings, cluster: ReplicatedCluster, replica_owner: AsyncEngine
) -> None:
    """With the response cache on, a read's tenants' data versions (read on the primary) must match the
    replica's: a replica behind them is not used, so no caller reads, and no cache keeps, an old answer."""
    with server(settings, cluster, response_cache_enabled=True) as client:
        async with replay_paused(replica_owner):
            contract, _ = create_contract(client, 2032)
            assert find(client, contract["id"], READER) == {"id": contract["id"], "year": 2032}
            assert find(client, contract["id"], READER) == {"id": contract["id"], "year": 2032}


async def test_an_unreachable_replica_sends_reads_to_the_primary(
    settings: Settings, cluster: ReplicatedCluster
) -> None:
    closed = ReplicatedCluster(cluster.root).replica_port  # a free port nobody listens on
    unreachable = f"postgresql://postgres@127.0.0.1:{closed}/kkr"
    with server(settings, cluster, database_replica_url=unreachable) as client:
        before = replica_reads(client).get("unreachable", 0)
        contract, _ = create_contract(client, 2033)
        assert find(client, contract["id"], READER) == {"id": contract["id"], "year": 2033}
        assert replica_reads(client).get("unreachable", 0) == before + 1


def test_the_replica_is_used_as_the_application_role_only(settings: Settings) -> None:
    app = app_url_for("postgresql://owner:secret@primary/kkr", "kkr_app").set(password="app-secret")
    url = replica_url("postgresql://owner:secret@replica:5433/kkr", app)
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "kkr_app",
        "app-secret",
        "replica",
        5433,
        "kkr",
    )


def test_a_malformed_read_after_position_is_a_bad_request(client: httpx.Client) -> None:
    response = client.post("/graphql", json={"query": "{ __typename }"}, headers={READ_AFTER_LSN_HEADER: "yesterday"})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert READ_AFTER_LSN_HEADER in error["message"]
    ok = client.post("/graphql", json={"query": "{ __typename }"}, headers={READ_AFTER_LSN_HEADER: "0/16B3748"})
    assert ok.status_code == 200
