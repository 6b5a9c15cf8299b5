"""Every table the API reads changes a data version when written (migration 0013), and only the database
changes them."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from kkr.platform.database import Database, TenantContext

#: Written only together with a tracked table, or never read by the API (migration 0013's docstring).
UNTRACKED = {"access_log", "audit_event", "alembic_version"}


async def test_every_table_is_tracked_by_always_enabled_triggers(owner_engine: AsyncEngine) -> None:
    async with owner_engine.connect() as conn:
        rows = (
            await conn.execute(
                text("""
            SELECT c.relname,
                   EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id'
                           AND NOT a.attisdropped) AS per_tenant,
                   array_agg(t.tgname::text ORDER BY t.tgname) FILTER (WHERE t.tgname IS NOT NULL) AS triggers,
                   bool_and(t.tgenabled = 'A') AS always
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_trigger t ON t.tgrelid = c.oid AND t.tgname LIKE 'kkr_cache_%'
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
            GROUP BY c.relname, c.oid ORDER BY c.relname
        """)
            )
        ).all()
    assert len(rows) > 20
    for name, per_tenant, triggers, always in rows:
        if name in UNTRACKED:
            assert triggers is None, name
            continue
        expected = (
            ["kkr_cache_delete", "kkr_cache_insert", "kkr_cache_truncate", "kkr_cache_update"]
            if per_tenant
            else ["kkr_cache_write"]
        )
        assert (triggers, always) == (expected, True), f"{name}: call kkr_cache.track('{name}') in its migration"


async def _versions(engine: AsyncEngine) -> dict[str, str]:
    async with engine.connect() as conn:
        return dict((await conn.execute(text("SELECT tenant, version::text FROM kkr_cache.data_version"))).all())


async def test_a_write_changes_its_tenants_version_only(
    owner_engine: AsyncEngine, app_db: Database, demo_data: object
) -> None:
    before = await _versions(owner_engine)
    async with app_db.transaction(TenantContext.for_tenant("sjaelland", write=True)) as session:
        await session.execute(text("UPDATE growth_team SET geography = geography WHERE tenant_id = 'sjaelland'"))
        # Not visible to other transactions before the commit.
        assert await _versions(owner_engine) == before
    after = await _versions(owner_engine)
    assert after["sjaelland"] != before["sjaelland"]
    assert {k: v for k, v in after.items() if k != "sjaelland"} == {k: v for k, v in before.items() if k != "sjaelland"}
    async with app_db.transaction(TenantContext.for_tenant("sjaelland", write=True)) as session:
        await session.execute(text("UPDATE growth_team SET geography = geography WHERE false"))
    assert await _versions(owner_engine) == after, "a statement that changes no row changes no version"
    async with owner_engine.begin() as conn:
        await conn.execute(text("UPDATE national_goal SET title = title"))
    shared = await _versions(owner_engine)
    assert shared["*"] != after["*"] and shared["sjaelland"] == after["sjaelland"]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE kkr_cache.data_version SET version = gen_random_uuid()",
        "INSERT INTO kkr_cache.data_version VALUES ('x', gen_random_uuid())",
        "SELECT kkr_cache.track('region')",
    ],
)
async def test_the_application_role_cannot_change_versions(app_db: Database, statement: str) -> None:
    with pytest.raises(DBAPIError, match="permission denied"):
        async with app_db.transaction(TenantContext.for_tenant("sjaelland", write=True)) as session:
            await session.execute(text(statement))
