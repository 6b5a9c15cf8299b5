"""Opening a transaction without pinging the pooled connection first: a connection that died while idle in
the pool (the server restarted, an operator terminated it) costs no request an error."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from kkr.platform.database import Database, TenantContext

CTX = TenantContext.for_tenant("sjaelland")


async def test_connections_lost_in_the_pool_are_replaced_without_an_error(
    app_url: URL, owner_engine: AsyncEngine, demo_data
) -> None:
    db = Database(app_url, pool_size=2)
    try:
        pids = set()
        sessions = [await db.begin(CTX) for _ in range(2)]  # two connections, back in the pool when closed
        for session in sessions:
            pids.add(await session.scalar(text("SELECT pg_backend_pid()")))
            await session.close()
        async with owner_engine.begin() as conn:
            await conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM unnest(CAST(:pids AS int[])) AS pid"), {"pids": list(pids)}
            )
        for _ in range(3):
            async with db.transaction(CTX) as session:
                assert await session.scalar(text("SELECT count(*) FROM region")) > 0
                assert await session.scalar(text("SELECT pg_backend_pid()")) not in pids
                assert await session.scalar(text("SELECT current_setting('kkr.read_tenants')")) == "sjaelland"
    finally:
        await db.dispose()
