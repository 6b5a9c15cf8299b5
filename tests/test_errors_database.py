"""The database: unreachable, slow, or gone mid-request; each a clear, fast, well-formed answer (issue 10).

Each test runs a live server of its own with the settings it needs: pointed at a closed port (nothing
listens: the connection is refused), with short time limits while the test holds a lock on `region` from
an owner connection (so `{ regions { slug } }` waits on it), or while the test terminates the request's
backend.  The big fault test (a PostgreSQL stopped and started again) is tests/test_faults.py.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from kkr.platform.settings import Settings

from .conftest import LiveServer, _free_port
from .tokens import bearer

REGIONS = {"query": "{ regions { slug } }"}
READER = bearer("region:sjaelland:read")


@pytest.fixture
def serve(settings: Settings) -> Iterator[Any]:
    servers: list[LiveServer] = []

    def start(**changes: Any) -> httpx.Client:
        server = LiveServer(settings.model_copy(update=changes)).__enter__()
        servers.append(server)
        return httpx.Client(base_url=server.url, timeout=30)

    yield start
    for server in servers:
        server.__exit__(None, None, None)


@pytest.fixture
async def region_locked(owner_engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """An owner transaction holding ACCESS EXCLUSIVE on `region` until the test ends."""
    async with owner_engine.connect() as conn:
        await conn.execute(text("BEGIN"))
        await conn.execute(text("LOCK TABLE region IN ACCESS EXCLUSIVE MODE"))
        yield conn
        await conn.rollback()


def test_an_unreachable_database_is_a_fast_503_with_retry_after(serve) -> None:
    client = serve(app_database_url=f"postgresql://kkr_app@127.0.0.1:{_free_port()}/nowhere", db_retry_after_seconds=3)
    for _ in range(5):
        started = time.monotonic()
        response = client.post(
            "/graphql", json=REGIONS, headers={**READER, "Accept": "application/graphql-response+json"}
        )
        assert time.monotonic() - started < 2.5, "not refused fast"
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "3"
        assert response.headers["content-type"].startswith("application/graphql-response+json")
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        assert error["extensions"]["requestId"] == response.headers["x-request-id"]
        assert "asyncpg" not in error["message"] and "refused" not in error["message"]
    mutation = client.post(
        "/graphql",
        headers=bearer("region:sjaelland:write"),
        json={
            "query": 'mutation { deleteGrowthTeam(input: {id: "R3Jvd3RoVGVhbTowMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDA=",'
            " rowVersion: 1}) { deletedId errors { code } } }"
        },
    )
    assert mutation.status_code == 503 and mutation.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert client.get("/healthz").status_code == 200  # liveness: the process is fine
    assert client.get("/readyz").json()["reason"] == "database unreachable"


async def test_a_statement_past_the_statement_timeout_is_request_timeout(serve, region_locked, demo_data) -> None:
    client = serve(statement_timeout_seconds=0.3)
    response = await asyncio.to_thread(client.post, "/graphql", json=REGIONS, headers=READER)
    assert response.status_code == 200, response.text
    body = response.json()
    [error] = body["errors"]
    assert error["extensions"] == {"code": "REQUEST_TIMEOUT", "limit": "STATEMENT_TIMEOUT_SECONDS", "max": 0.3}
    assert "STATEMENT_TIMEOUT_SECONDS" in error["message"] and "canceling" not in error["message"]
    await region_locked.rollback()  # the lock is gone: the same server answers again
    again = await asyncio.to_thread(client.post, "/graphql", json=REGIONS, headers=READER)
    assert again.status_code == 200 and "errors" not in again.json(), again.text


async def test_the_statement_timeout_is_set_with_the_tenant_context(app_db) -> None:
    from kkr.platform.database import NO_TENANT, Database

    db = Database(app_db.engine.url, pool_size=1, statement_timeout=1.5)
    try:
        async with db.transaction(NO_TENANT) as session:
            assert await session.scalar(text("SHOW statement_timeout")) == "1500ms"
        async with app_db.transaction(NO_TENANT) as session:  # none configured: the server's
            assert await session.scalar(text("SHOW statement_timeout")) == "0"
    finally:
        await db.dispose()


async def test_a_request_past_its_time_limit_is_504_and_its_connection_is_freed(
    serve, region_locked, owner_engine, demo_data
) -> None:
    client = serve(request_timeout_seconds=0.5, statement_timeout_seconds=30)
    started = time.monotonic()
    response = await asyncio.to_thread(client.post, "/graphql", json=REGIONS, headers=READER)
    assert time.monotonic() - started < 5
    assert response.status_code == 504, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "REQUEST_TIMEOUT" and "REQUEST_TIMEOUT_SECONDS" in error["message"]
    await region_locked.rollback()
    again = await asyncio.to_thread(client.post, "/graphql", json=REGIONS, headers=READER)
    assert again.status_code == 200 and "errors" not in again.json(), again.text


async def test_a_connection_lost_mid_statement_is_503_not_driver_text(
    serve, region_locked, owner_engine, demo_data
) -> None:
    """What a request in flight meets when the database goes away ("cannot switch to state 15" before)."""
    client = serve()
    outcome: dict[str, httpx.Response] = {}
    thread = threading.Thread(
        target=lambda: outcome.setdefault("response", client.post("/graphql", json=REGIONS, headers=READER))
    )
    thread.start()
    async with owner_engine.connect() as watcher:
        for _ in range(200):
            waiting = await watcher.scalar(
                text("SELECT pid FROM pg_locks WHERE NOT granted AND relation = 'region'::regclass LIMIT 1")
            )
            if waiting:
                break
            await asyncio.sleep(0.05)
        assert waiting, "the request never waited on the lock"
        await watcher.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": waiting})
        await watcher.commit()
    await asyncio.to_thread(thread.join, 20)
    response = outcome["response"]
    assert response.status_code == 503, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    await region_locked.rollback()
    for _ in range(20):  # recovery needs no restart (the breaker waits DB_RETRY_AFTER_SECONDS at most)
        again = await asyncio.to_thread(client.post, "/graphql", json=REGIONS, headers=READER)
        if again.status_code == 200:
            break
        await asyncio.sleep(0.25)
    assert again.status_code == 200 and "errors" not in again.json(), again.text
