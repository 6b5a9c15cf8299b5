"""Production servers (managed PostgreSQL) rarely let the schema owner be a superuser.  With an owner
that is not one, FORCEd row-level security applies to the owner too: migrations, the demo load, the
aggregate functions (SECURITY DEFINER, policies `aggregate_scan`) and the API's isolation must still work."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import create_async_engine

from kkr.platform import migrate
from kkr.platform.database import Database, TenantContext, app_url_for
from kkr.platform.importer.load import load

from .conftest import _server_url


async def _admin(statements: list[str]) -> None:
    engine = create_async_engine(_server_url().set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        for statement in statements:
            await conn.execute(text(statement))
    await engine.dispose()


@pytest.fixture(scope="module")
async def plain_owner_url(settings) -> AsyncIterator[URL]:
    name = f"kkr_plain_owner_{uuid.uuid4().hex[:8]}"
    await _admin([f'CREATE ROLE "{name}" LOGIN CREATEROLE NOSUPERUSER', f'CREATE DATABASE "{name}" OWNER "{name}"'])
    url = _server_url().set(database=name, username=name, password=None)
    try:
        await migrate.upgrade(url)
        await load(url, settings.tenants_dir)
        yield url
    finally:
        await _admin([f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'DROP ROLE IF EXISTS "{name}"'])


async def test_the_owner_is_no_superuser(plain_owner_url: URL) -> None:
    engine = create_async_engine(plain_owner_url)
    async with engine.connect() as conn:
        assert (
            await conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
        ).scalar() is False
    await engine.dispose()


async def test_aggregates_and_isolation_with_a_plain_owner(plain_owner_url: URL, settings) -> None:
    app = Database(app_url_for(plain_owner_url, settings.app_db_role), pool_size=1)
    try:
        ministry = TenantContext(flags=frozenset({"aggregates:read"}), actor="ministry")
        async with app.transaction(ministry, read_only=True) as session:
            counts = (await session.execute(text("SELECT count(*) FROM kkr_contract_status_counts()"))).scalar_one()
            national = (await session.execute(text("SELECT count(*) FROM kkr_national_goal_results()"))).scalar_one()
            rows = (await session.execute(text("SELECT count(*) FROM result_contract"))).scalar_one()
        assert counts > 0 and national > 0 and rows == 0
        kl = TenantContext(flags=frozenset({"benchmark:read"}), actor="kl")
        async with app.transaction(kl, read_only=True) as session:
            local = (await session.execute(text("SELECT count(*) FROM goal WHERE category = 'local'"))).scalar_one()
            comparable = (await session.execute(text("SELECT count(*) FROM goal"))).scalar_one()
        assert local == 0 and comparable > 0
        async with app.transaction(TenantContext.for_tenant("nordjylland"), read_only=True) as session:
            regions = (await session.execute(text("SELECT DISTINCT tenant_id FROM result_contract"))).scalars().all()
        assert regions == ["nordjylland"]
    finally:
        await app.dispose()
