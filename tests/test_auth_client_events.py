"""Client changes reach the API's client cache at once (LISTEN/NOTIFY), also after the listening
connection was lost; without a listener, or during a lookup that races a change, nothing stale is cached."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from kkr.platform.auth import clients
from kkr.platform.auth.client_events import ClientChangeListener
from kkr.platform.auth.clients import CHANNEL, ClientStatusCache


async def eventually(condition: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def notify(engine: AsyncEngine, client_id: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("SELECT pg_notify(:channel, :id)"), {"channel": CHANNEL, "id": client_id})


async def test_the_listener_forgets_changed_clients_and_reconnects(owner_url, owner_engine: AsyncEngine) -> None:
    cache = ClientStatusCache(db=None, max_age=3600)  # type: ignore[arg-type]
    listener = ClientChangeListener(owner_url, cache, retry_seconds=0.1)
    await listener.start()
    try:
        assert cache.reliable
        cache._cache["kl-one"] = (time.monotonic(), None)
        await notify(owner_engine, "kl-one")
        assert await eventually(lambda: "kl-one" not in cache._cache)

        async with owner_engine.begin() as conn:  # a database restart, as the listener sees it
            killed = (
                await conn.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND query LIKE 'LISTEN%'"
                    )
                )
            ).scalar_one()
        assert killed >= 1  # ours, and the live test server's listener if it runs
        assert await eventually(lambda: not cache.reliable)
        assert await eventually(lambda: cache.reliable)  # reconnected
        cache._cache["kl-two"] = (time.monotonic(), None)
        await notify(owner_engine, "kl-two")
        assert await eventually(lambda: "kl-two" not in cache._cache)
    finally:
        await listener.stop()
    assert not cache.reliable


async def test_without_a_listener_every_use_asks_the_database(monkeypatch) -> None:
    lookups: list[str] = []

    async def find(db, client_id: str) -> None:
        lookups.append(client_id)

    monkeypatch.setattr(clients, "find_client", find)
    cache = ClientStatusCache(db=None, max_age=3600)  # type: ignore[arg-type]
    await cache("kl")
    await cache("kl")
    assert lookups == ["kl", "kl"]
    cache.reliable = True
    await cache("kl")
    await cache("kl")
    assert lookups == ["kl", "kl", "kl"]


async def test_a_change_during_a_lookup_keeps_the_older_answer_out_of_the_cache(monkeypatch) -> None:
    cache = ClientStatusCache(db=None, max_age=3600)  # type: ignore[arg-type]
    cache.reliable = True

    async def find_then_disable(db, client_id: str) -> None:
        cache.forget(client_id)  # the disable is committed and heard while this read is under way
        return None

    monkeypatch.setattr(clients, "find_client", find_then_disable)
    await cache("kl")
    assert "kl" not in cache._cache
