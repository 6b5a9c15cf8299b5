"""The aggregates' fact table (kkr_facts.contract_target, migration 0008) stays exact after every kind of write.

After each write below, in the writing transaction and after concurrent commits, the table holds exactly the
rows its defining view (`kkr_facts.contract_target_source`: comparable targets with their latest result,
computed from the contract tables) gives.  The single writes run as the owner with a tenant context (the
importer's way) and are rolled back; the concurrent ones run as the API's role and commit, then restore the
demo data.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from kkr.platform.database import Database, TenantContext

pytestmark = pytest.mark.usefixtures("demo_data")

ALL_TENANTS = (
    "SELECT set_config('kkr.read_tenants', (SELECT string_agg(slug, ',') FROM region), true),"
    " set_config('kkr.write_tenants', (SELECT string_agg(slug, ',') FROM region), true),"
    " set_config('kkr.actor', 'test-facts', true)"
)
DIFFERENCE = """
SELECT (SELECT count(*) FROM (SELECT * FROM kkr_facts.contract_target
                              EXCEPT ALL SELECT * FROM kkr_facts.contract_target_source) x) AS stale,
       (SELECT count(*) FROM (SELECT * FROM kkr_facts.contract_target_source
                              EXCEPT ALL SELECT * FROM kkr_facts.contract_target) y) AS missing,
       (SELECT count(*) FROM kkr_facts.contract_target) AS facts
"""

NEW_RESULT = (
    "INSERT INTO result (tenant_id, target_id, revision, value) SELECT CAST(:tenant AS varchar),"
    " CAST(:target AS uuid), max(revision) + 1, {value} FROM result"
    " WHERE tenant_id = :tenant AND target_id = :target"
)


class Rollback(Exception):
    pass


async def assert_exact(conn: AsyncConnection) -> int:
    """The fact table equals its view (read with every tenant); returns its number of rows."""
    await conn.execute(text(ALL_TENANTS))
    stale, missing, facts = (await conn.execute(text(DIFFERENCE))).one()
    assert (stale, missing) == (0, 0), f"{stale} stale and {missing} missing facts"
    return facts


@asynccontextmanager
async def owner_writes(owner: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A transaction of the owner with every tenant's context, rolled back at the end."""
    with pytest.raises(Rollback):
        async with owner.begin() as conn:
            await conn.execute(text(ALL_TENANTS))
            yield conn
            raise Rollback


async def one(conn: AsyncConnection, sql: str, **params: object) -> dict[str, Any]:
    row = (await conn.execute(text(sql), params)).mappings().first()
    assert row is not None, sql
    return dict(row)


async def a_fact(conn: AsyncConnection) -> dict[str, Any]:
    await conn.execute(text(ALL_TENANTS))
    return await one(
        conn,
        "SELECT * FROM kkr_facts.contract_target WHERE result_value IS NOT NULL"
        " ORDER BY tenant_id, year, business_hub_slug, target_id LIMIT 1",
    )


async def new_version_sql(conn: AsyncConnection) -> str:
    """INSERT of a copy of a contract as its next version (published as it is), without goals."""
    columns = [
        c
        for (c,) in await conn.execute(
            text(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'result_contract'"
                " AND table_schema = 'public' AND is_generated = 'NEVER' AND column_name NOT IN ('id', 'version')"
                " ORDER BY ordinal_position"
            )
        )
    ]
    names = ", ".join(f'"{c}"' for c in columns)
    return (
        f"INSERT INTO result_contract (id, version, {names}) SELECT gen_random_uuid(), version + 1, {names}"
        " FROM result_contract WHERE tenant_id = :tenant AND id = :contract RETURNING id"
    )


async def test_the_facts_are_exact_after_every_kind_of_write(owner_engine: AsyncEngine) -> None:
    async with owner_engine.connect() as conn:
        before = await assert_exact(conn)
        fact = await a_fact(conn)
        await conn.rollback()
    assert before > 0
    key = {
        "tenant": fact["tenant_id"],
        "target": fact["target_id"],
        "indicator": fact["indicator_id"],
        "goal": fact["goal_id"],
        "contract": fact["contract_id"],
        "hub": fact["business_hub_slug"],
    }
    writes = [
        # results: a new revision, then the latest revision deleted
        [
            NEW_RESULT.format(value=12345),
            "DELETE FROM result WHERE tenant_id = :tenant AND target_id = :target AND revision ="
            " (SELECT max(revision) FROM result WHERE tenant_id = :tenant AND target_id = :target)",
            "DELETE FROM result WHERE tenant_id = :tenant AND target_id = :target",
        ],
        # targets: updated, a new one, deleted
        [
            "UPDATE target SET value = coalesce(value, 0) + 1, period_label = 'Q9', segment = 'ny'"
            " WHERE tenant_id = :tenant AND id = :target",
            "INSERT INTO target (tenant_id, indicator_id, period_label, unit, value) VALUES (:tenant, :indicator,"
            " 'extra', 'count', 7)",
            "DELETE FROM target WHERE tenant_id = :tenant AND id = :target",
        ],
        # indicators and goals: renamed, out of the comparable categories and back, moved off a national goal
        [
            "UPDATE indicator SET name = name || ' (ny)' WHERE tenant_id = :tenant AND id = :indicator",
            "UPDATE goal SET category = 'local' WHERE tenant_id = :tenant AND id = :goal",
            "UPDATE goal SET category = 'common', national_goal_id = NULL WHERE tenant_id = :tenant AND id = :goal",
            "DELETE FROM indicator WHERE tenant_id = :tenant AND id = :indicator",
            "DELETE FROM goal WHERE tenant_id = :tenant AND id = :goal",
        ],
        # contracts: unpublished, republished, another year, a newer published version (no goals), deleted
        [
            "UPDATE result_contract SET published = false WHERE tenant_id = :tenant AND id = :contract",
            "UPDATE result_contract SET published = true WHERE tenant_id = :tenant AND id = :contract",
            "UPDATE result_contract SET status = 'draft' WHERE tenant_id = :tenant AND id = :contract",
            "UPDATE result_contract SET status = 'signed', year = year + 40 WHERE tenant_id = :tenant AND id = :contract",
            "new version",
            "DELETE FROM result_contract WHERE tenant_id = :tenant AND id = :new",
            "DELETE FROM result_contract WHERE tenant_id = :tenant AND id = :contract",
        ],
        # the hub moves to another region
        [
            "UPDATE business_hub SET region_slug = (SELECT min(slug) FROM region WHERE slug <> business_hub.region_slug)"
            " WHERE slug = :hub"
        ],
    ]
    for statements in writes:
        async with owner_writes(owner_engine) as conn:
            params = dict(key)
            for statement in statements:
                if statement == "new version":
                    params["new"] = (await conn.execute(text(await new_version_sql(conn)), params)).scalar()
                else:
                    await conn.execute(text(statement), params)
                await assert_exact(conn)
    async with owner_engine.connect() as conn:
        assert await assert_exact(conn) == before


async def writer_waits(owner: AsyncEngine) -> bool:
    async with owner.connect() as conn:
        return bool(
            (
                await conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
                    )
                )
            ).scalar()
        )


@pytest.mark.parametrize("first", ["publication", "result"])
async def test_concurrent_writers_of_one_group_leave_exact_facts(
    first: str, app_db: Database, owner_engine: AsyncEngine
) -> None:
    """A contract unpublished while a result of it is written (either first): each trigger's refresh waits for
    the other's commit (advisory lock per (tenant, hub, year)), so the committed facts are exact."""
    async with owner_engine.connect() as conn:
        fact = await a_fact(conn)
        await conn.rollback()
    params = {"tenant": fact["tenant_id"], "target": fact["target_id"], "contract": fact["contract_id"]}
    writer = TenantContext.for_tenant(fact["tenant_id"], write=True, actor="test-facts")
    statements = {
        "publication": "UPDATE result_contract SET published = false WHERE tenant_id = :tenant AND id = :contract",
        "result": NEW_RESULT.format(value=4242),
    }
    second = "result" if first == "publication" else "publication"

    async def write_second() -> None:
        async with app_db.transaction(writer) as session:
            await session.execute(text(statements[second]), params)

    try:
        async with app_db.transaction(writer) as session:
            await session.execute(text(statements[first]), params)
            task = asyncio.create_task(write_second())
            for _ in range(100):  # until the second writer waits for the first one's lock
                if await writer_waits(owner_engine) or task.done():
                    break
                await asyncio.sleep(0.05)
            assert not task.done(), "the second writer did not wait for the first"
        await task
        async with owner_engine.connect() as conn:
            await assert_exact(conn)
            await conn.rollback()
    finally:  # the demo data as it was
        async with owner_engine.begin() as conn:
            await conn.execute(text(ALL_TENANTS))
            await conn.execute(
                text("UPDATE result_contract SET published = true WHERE tenant_id = :tenant AND id = :contract"), params
            )
            await conn.execute(
                text("DELETE FROM result WHERE tenant_id = :tenant AND target_id = :target AND value = 4242"), params
            )
            await assert_exact(conn)


async def test_the_facts_are_not_readable_by_the_api(app_db: Database) -> None:
    ministry = TenantContext(flags=frozenset({"aggregates:read"}), actor="ministry")
    for statement in (
        "SELECT count(*) FROM kkr_facts.contract_target",
        "SELECT count(*) FROM kkr_facts.contract_target_source",
        "SELECT kkr_contract_fact_refresh_targets('{}', '{}')",
    ):
        with pytest.raises(Exception, match="permission denied"):
            async with app_db.transaction(ministry, read_only=True) as session:
                await session.execute(text(statement))
