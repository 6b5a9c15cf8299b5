"""The audit trail is append-only (migration 0010): no role, the table's owner included, may UPDATE, DELETE
or TRUNCATE `audit_event`, while every tenant write still appends its row through `kkr_audit()`.

The application role was never granted more than SELECT, so PostgreSQL's privilege check refuses it
first; the owner (a superuser under the tests, where privileges do not apply) meets the triggers."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from kkr.platform import migrate
from kkr.platform.database import Database, TenantContext

from .conftest import _server_url, require

TENANT = "sjaelland"
ROW = uuid.uuid4()
STATEMENTS = {
    "UPDATE": "UPDATE audit_event SET actor = 'forger'",
    "DELETE": "DELETE FROM audit_event",
    "TRUNCATE": "TRUNCATE audit_event",
}


def sqlstate(exc: DBAPIError) -> str | None:
    orig = exc.orig
    return getattr(orig, "sqlstate", None) or getattr(getattr(orig, "__cause__", None), "sqlstate", None)


async def audit_rows(owner_engine: AsyncEngine, row_id: uuid.UUID | None = None) -> int:
    async with owner_engine.connect() as conn:
        if row_id is None:
            return (await conn.execute(text("SELECT count(*) FROM audit_event"))).scalar_one()
        return (
            await conn.execute(text("SELECT count(*) FROM audit_event WHERE row_id = :id"), {"id": row_id})
        ).scalar_one()


@pytest.fixture(scope="module", autouse=True)
async def audited_row(owner_engine: AsyncEngine, app_db: Database) -> None:
    """A tenant row written by the API role, so that the trail holds rows of its own (and the statements
    below have rows to hit)."""
    async with owner_engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO region (slug, name, kkr_name, position)"
                " VALUES ('sjaelland', 'Sjælland', 'KKR Sjælland', 2) ON CONFLICT DO NOTHING"
            )
        )
    async with app_db.transaction(TenantContext.for_tenant(TENANT, write=True, actor="append-only")) as session:
        await session.execute(
            text("INSERT INTO kkr_member (tenant_id, id, name, role) VALUES (:t, :id, 'Ada Append', 'member')"),
            {"t": TENANT, "id": ROW},
        )
    assert await audit_rows(owner_engine, ROW) == 1


async def test_the_triggers_are_installed_and_fire_always(owner_engine: AsyncEngine) -> None:
    async with owner_engine.connect() as conn:
        triggers: dict[str, str] = dict(
            (
                await conn.execute(
                    text(
                        "SELECT tgname, tgenabled::text FROM pg_trigger"
                        " WHERE tgrelid = 'audit_event'::regclass AND NOT tgisinternal"
                    )
                )
            ).all()
        )
    # 'A': ENABLE ALWAYS, also under session_replication_role = replica
    assert triggers == {"audit_event_append_only": "A", "audit_event_no_truncate": "A"}


@pytest.mark.parametrize("operation", list(STATEMENTS))
async def test_the_app_role_cannot_change_or_remove_audit_rows(
    app_db: Database,
    owner_engine: AsyncEngine,
    operation: str,
) -> None:
    before = await audit_rows(owner_engine)
    with pytest.raises(DBAPIError, match="permission denied for table audit_event") as raised:
        async with app_db.transaction(TenantContext.for_tenant(TENANT, write=True, actor="forger")) as session:
            await session.execute(text(STATEMENTS[operation]))
    assert sqlstate(raised.value) == "42501"
    assert await audit_rows(owner_engine) == before


@pytest.mark.parametrize("operation", list(STATEMENTS))
async def test_the_owner_cannot_change_or_remove_audit_rows(owner_engine: AsyncEngine, operation: str) -> None:
    before = await audit_rows(owner_engine)
    assert before > 0
    with pytest.raises(DBAPIError, match=f"audit_event is append-only: {operation} is not allowed") as raised:
        async with owner_engine.begin() as conn:
            await conn.execute(text(STATEMENTS[operation]))
    assert sqlstate(raised.value) == "42501"
    assert await audit_rows(owner_engine) == before


async def test_replication_mode_does_not_silence_the_rule(owner_engine: AsyncEngine) -> None:
    """`session_replication_role = replica` skips ordinary triggers; these are ENABLE ALWAYS."""
    async with owner_engine.connect() as conn:
        superuser = (await conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))).scalar()
    require(superuser, "setting session_replication_role needs a superuser (the embedded server's owner is one)")
    for operation, statement in STATEMENTS.items():
        with pytest.raises(DBAPIError, match=f"append-only: {operation} is not allowed"):
            async with owner_engine.begin() as conn:
                await conn.execute(text("SET LOCAL session_replication_role = replica"))
                await conn.execute(text(statement))


async def test_a_tenant_write_still_appends_an_audit_row(app_db: Database, owner_engine: AsyncEngine) -> None:
    before = await audit_rows(owner_engine, ROW)
    writer = TenantContext.for_tenant(TENANT, write=True, actor="append-only")
    async with app_db.transaction(writer) as session:
        await session.execute(text("UPDATE kkr_member SET name = 'Ada Appended' WHERE id = :id"), {"id": ROW})
    async with app_db.transaction(writer) as session:
        await session.execute(text("DELETE FROM kkr_member WHERE id = :id"), {"id": ROW})
    async with owner_engine.connect() as conn:
        trail = (
            await conn.execute(
                text(
                    "SELECT operation, actor, before ->> 'name', after ->> 'name' FROM audit_event"
                    " WHERE row_id = :id ORDER BY id"
                ),
                {"id": ROW},
            )
        ).all()
    assert len(trail) == before + 2
    assert [tuple(r) for r in trail[-2:]] == [
        ("update", "append-only", "Ada Append", "Ada Appended"),
        ("delete", "append-only", "Ada Appended", None),
    ]


async def _admin(*statements: str) -> None:
    engine = create_async_engine(_server_url().set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        for statement in statements:
            await conn.execute(text(statement))
    await engine.dispose()


async def test_an_owner_that_is_no_superuser_is_refused_too() -> None:
    """As on managed PostgreSQL: the owner is a plain role (FORCEd row-level security applies to it, so it
    states a write context to see the rows at all)."""
    name = f"kkr_audit_owner_{uuid.uuid4().hex[:8]}"
    await _admin(f'CREATE ROLE "{name}" LOGIN CREATEROLE NOSUPERUSER', f'CREATE DATABASE "{name}" OWNER "{name}"')
    try:
        url = _server_url().set(database=name, username=name, password=None)
        await migrate.upgrade(url)
        engine = create_async_engine(url)
        context = (
            "SELECT set_config('kkr.write_tenants', 'sjaelland', true),"
            " set_config('kkr.read_tenants', 'sjaelland', true)"
        )
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    text(
                        "INSERT INTO region (slug, name, kkr_name, position)"
                        " VALUES ('sjaelland', 'Sjælland', 'KKR Sjælland', 2)"
                    )
                )
                await conn.execute(text(context))
                await conn.execute(
                    text("INSERT INTO kkr_member (tenant_id, name, role) VALUES ('sjaelland', 'x', 'member')")
                )
            for operation, statement in STATEMENTS.items():
                refused = f"audit_event is append-only: {operation} is not allowed"
                with pytest.raises(DBAPIError, match=refused) as raised:
                    async with engine.begin() as conn:
                        await conn.execute(text(context))
                        await conn.execute(text(statement))
                assert sqlstate(raised.value) == "42501"
            async with engine.begin() as conn:
                await conn.execute(text(context))
                assert (await conn.execute(text("SELECT count(*) FROM audit_event"))).scalar_one() == 1
        finally:
            await engine.dispose()
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'DROP ROLE IF EXISTS "{name}"')
