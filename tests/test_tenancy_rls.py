"""Row-level security, tested as the application role with hand-written hostile SQL.

With tenant A's context, B's rows cannot be read, inserted, updated or
deleted, even by statements without a WHERE clause; with no context, no
tenant row is visible at all.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import CursorResult, text
from sqlalchemy.exc import DBAPIError, ProgrammingError
from sqlalchemy.ext.asyncio import create_async_engine

from kkr.platform import migrate
from kkr.platform.database import Database, TenantContext, app_url_for

from .conftest import create_database, drop_database

A, B = "sjaelland", "nordjylland"
A_ROW, B_ROW = uuid.uuid4(), uuid.uuid4()
PARTNERSHIP, CONTRACT, SHARED_GOAL = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


@pytest.fixture(scope="module")
async def rls_owner_url():
    """A database of this module's own, so that only the rows below exist."""
    url = await create_database("kkr_rls")
    await migrate.upgrade(url)
    yield url
    await drop_database(url)


@pytest.fixture(scope="module")
async def app_db(rls_owner_url, settings) -> AsyncIterator[Database]:
    db = Database(app_url_for(rls_owner_url, settings.app_db_role), pool_size=2)
    yield db
    await db.dispose()


@pytest.fixture(scope="module")
async def owner_engine(rls_owner_url):
    engine = create_async_engine(rls_owner_url)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module", autouse=True)
async def two_tenants(owner_engine) -> None:
    async with owner_engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO region (slug, name, kkr_name, position) VALUES"
                " ('sjaelland', 'Sjælland', 'KKR Sjælland', 2), ('nordjylland', 'Nordjylland', 'KKR Nordjylland', 5),"
                " ('hovedstaden', 'Hovedstaden', 'KKR Hovedstaden', 1) ON CONFLICT DO NOTHING"
            )
        )
        await conn.execute(text("SELECT set_config('kkr.write_tenants', 'sjaelland,nordjylland', true)"))
        await conn.execute(
            text(
                "INSERT INTO kkr_member (tenant_id, id, name, role) VALUES (:a, :ia, 'Anna A', 'chair'),"
                " (:b, :ib, 'Bo B', 'chair')"
            ),
            {"a": A, "ia": A_ROW, "b": B, "ib": B_ROW},
        )
        await conn.execute(
            text(
                "INSERT INTO partnership (id, kind, title, parties) VALUES"
                " (:p, 'shared_goal', 'Greater Copenhagen', ARRAY['sjaelland', 'hovedstaden'])"
            ),
            {"p": PARTNERSHIP},
        )
        await conn.execute(
            text(
                "INSERT INTO business_hub (slug, name, region_slug) VALUES ('sjaelland', 'Erhvervshus Sjælland',"
                " 'sjaelland') ON CONFLICT DO NOTHING"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO result_contract (tenant_id, id, business_hub_slug, year, title) VALUES"
                " ('sjaelland', :c, 'sjaelland', 2031, 'RLS test contract')"
            ),
            {"c": CONTRACT},
        )
        await conn.execute(
            text(
                "INSERT INTO goal (tenant_id, id, contract_id, code, category, title, partnership_id) VALUES"
                " ('sjaelland', :shared, :c, 'S1', 'local', 'Shared with Hovedstaden', :p),"
                " ('sjaelland', :own, :c, 'S2', 'local', 'Sjælland only', NULL)"
            ),
            {"shared": SHARED_GOAL, "own": uuid.uuid4(), "c": CONTRACT, "p": PARTNERSHIP},
        )


async def scalar(db: Database, ctx: TenantContext, sql: str, **params: object) -> Any:
    async with db.sessionmaker() as session, session.begin():
        from kkr.platform.database import apply_tenant_context

        await apply_tenant_context(session, ctx)
        result = await session.execute(text(sql), params)
        assert isinstance(result, CursorResult)
        value = result.scalar() if result.returns_rows else result.rowcount
        await session.rollback()
        return value


A_WRITE = TenantContext.for_tenant(A, write=True, actor="test")
A_READ = TenantContext.for_tenant(A)


async def test_the_app_role_is_neither_owner_nor_bypassing(app_db: Database) -> None:
    row = await scalar(
        app_db, A_READ, "SELECT (rolsuper OR rolbypassrls)::int FROM pg_roles WHERE rolname = current_user"
    )
    assert row == 0
    owned = await scalar(app_db, A_READ, "SELECT count(*) FROM pg_tables WHERE tableowner = current_user")
    assert owned == 0


async def test_no_context_sees_no_tenant_rows(app_db: Database) -> None:
    assert await scalar(app_db, TenantContext(), "SELECT count(*) FROM kkr_member") == 0


async def test_select_without_where_sees_own_rows_only(app_db: Database) -> None:
    assert await scalar(app_db, A_READ, "SELECT count(*) FROM kkr_member") == 1
    assert await scalar(app_db, A_READ, "SELECT string_agg(DISTINCT tenant_id, ',') FROM kkr_member") == A
    assert await scalar(app_db, A_READ, "SELECT count(*) FROM kkr_member WHERE id = :id", id=B_ROW) == 0


async def test_update_and_delete_without_where_touch_own_rows_only(app_db: Database, owner_engine) -> None:
    assert await scalar(app_db, A_WRITE, "UPDATE kkr_member SET name = 'hacked'") == 1
    assert await scalar(app_db, A_WRITE, "UPDATE kkr_member SET name = 'hacked' WHERE id = :id", id=B_ROW) == 0
    assert await scalar(app_db, A_WRITE, "DELETE FROM kkr_member") == 1
    assert await scalar(app_db, A_WRITE, "DELETE FROM kkr_member WHERE tenant_id = :b", b=B) == 0
    async with owner_engine.connect() as conn:
        assert (
            await conn.execute(text("SELECT name FROM kkr_member WHERE id = :id"), {"id": B_ROW})
        ).scalar() == "Bo B"


async def test_insert_into_another_tenant_is_refused(app_db: Database) -> None:
    with pytest.raises(DBAPIError, match="row-level security"):
        await scalar(app_db, A_WRITE, "INSERT INTO kkr_member (tenant_id, name, role) VALUES (:b, 'x', 'member')", b=B)


async def test_moving_a_row_to_another_tenant_is_refused(app_db: Database) -> None:
    with pytest.raises(DBAPIError, match="row-level security"):
        await scalar(app_db, A_WRITE, "UPDATE kkr_member SET tenant_id = :b", b=B)


async def test_read_only_context_cannot_write(app_db: Database) -> None:
    assert await scalar(app_db, A_READ, "UPDATE kkr_member SET name = 'x'") == 0
    assert await scalar(app_db, A_READ, "DELETE FROM kkr_member") == 0
    with pytest.raises(DBAPIError, match="row-level security"):
        await scalar(app_db, A_READ, "INSERT INTO kkr_member (tenant_id, name, role) VALUES (:a, 'x', 'member')", a=A)


async def test_row_security_cannot_be_switched_off(app_db: Database) -> None:
    with pytest.raises(DBAPIError):
        await scalar(app_db, A_READ, "ALTER TABLE kkr_member DISABLE ROW LEVEL SECURITY")
    with pytest.raises(DBAPIError, match="row-level security"):
        async with app_db.sessionmaker() as session, session.begin():
            await session.execute(text("SET LOCAL row_security = off"))
            await session.execute(text("SELECT count(*) FROM kkr_member"))


async def test_audit_trail_of_another_tenant_is_invisible(app_db: Database) -> None:
    # The fixture's inserts were audited by the trigger for both tenants.
    assert await scalar(app_db, A_READ, "SELECT count(*) FROM audit_event WHERE tenant_id = :b", b=B) == 0
    assert await scalar(app_db, A_READ, "SELECT count(*) FROM audit_event WHERE row_id = :id", id=A_ROW) >= 1


async def test_partnerships_are_visible_to_their_parties_only(app_db: Database) -> None:
    assert await scalar(app_db, A_READ, "SELECT count(*) FROM partnership") == 1
    assert await scalar(app_db, TenantContext.for_tenant(B), "SELECT count(*) FROM partnership") == 0


async def test_a_shared_goal_is_visible_to_both_parties_and_nobody_else(app_db: Database) -> None:
    partner = TenantContext.for_tenant("hovedstaden", write=True)
    assert await scalar(app_db, partner, "SELECT string_agg(title, ',') FROM goal") == "Shared with Hovedstaden"
    assert await scalar(app_db, partner, "SELECT count(*) FROM result_contract") == 0  # the contract stays private
    assert await scalar(app_db, partner, "UPDATE goal SET title = 'x'") == 0  # readable, not writable
    assert await scalar(app_db, TenantContext.for_tenant(B), "SELECT count(*) FROM goal") == 0
    assert await scalar(app_db, A_READ, "SELECT count(*) FROM goal") == 2


async def test_shared_reference_data_is_read_only_for_the_app(app_db: Database) -> None:
    assert await scalar(app_db, TenantContext(), "SELECT count(*) FROM region") >= 2
    with pytest.raises(ProgrammingError, match="permission denied"):
        await scalar(app_db, A_WRITE, "UPDATE region SET name = 'x'")


async def test_results_are_never_updated_in_place(app_db: Database) -> None:
    with pytest.raises(ProgrammingError, match="permission denied"):
        await scalar(app_db, A_WRITE, "UPDATE result SET value = 1")


async def test_a_temporary_table_cannot_divert_the_audit_trail(app_db: Database, owner_engine) -> None:
    """The trigger writes public.audit_event even when the API role shadows it with a temporary table."""
    async with owner_engine.connect() as conn:
        before = (
            await conn.execute(text("SELECT count(*) FROM audit_event WHERE row_id = :id"), {"id": A_ROW})
        ).scalar()
    async with app_db.sessionmaker() as session, session.begin():
        from kkr.platform.database import apply_tenant_context

        await apply_tenant_context(session, TenantContext.for_tenant(A, write=True, actor="attacker"))
        await session.execute(text("CREATE TEMP TABLE audit_event (LIKE public.audit_event) ON COMMIT DROP"))
        await session.execute(text("UPDATE kkr_member SET name = 'Anna B' WHERE id = :id"), {"id": A_ROW})
        assert (await session.execute(text("SELECT count(*) FROM pg_temp.audit_event"))).scalar() == 0
    async with owner_engine.connect() as conn:
        rows = (
            (await conn.execute(text("SELECT actor FROM audit_event WHERE row_id = :id ORDER BY id"), {"id": A_ROW}))
            .scalars()
            .all()
        )
    assert len(rows) == before + 1 and rows[-1] == "attacker"
