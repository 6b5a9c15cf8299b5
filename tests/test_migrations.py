"""Migrations: a full round trip on an empty database, and agreement with the models.

That the wheel ships the migrations' SQL files is tests/test_wheel_install.py's.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from kkr.platform import migrate
from kkr.platform.models import Base

from .conftest import create_database, drop_database


async def test_upgrade_downgrade_upgrade_on_an_empty_database() -> None:
    url = await create_database("kkr_migrations")
    try:
        await migrate.upgrade(url)
        assert await migrate.current_revision(url) == migrate.head_revision()
        await migrate.downgrade(url, "base")
        assert await migrate.current_revision(url) is None
        engine = create_async_engine(url)
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: c.dialect.get_table_names(c))
        await engine.dispose()
        assert set(tables) <= {"alembic_version"}, tables
        await migrate.upgrade(url)
        assert await migrate.current_revision(url) == migrate.head_revision()
    finally:
        await drop_database(url)


async def test_models_and_migrations_agree(owner_engine) -> None:
    async with owner_engine.connect() as conn:
        diff = await conn.run_sync(
            lambda c: compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata)
        )
    assert diff == [], diff


async def test_concurrent_migrations_run_one_after_the_other() -> None:
    """Two instances starting together on an empty database: both upgrades succeed (the advisory lock makes
    the second wait, then find the head), and the schema is there once."""
    import asyncio

    url = await create_database("kkr_concurrent")
    try:
        await asyncio.gather(migrate.upgrade(url), migrate.upgrade(url))
        assert await migrate.current_revision(url) == migrate.head_revision()
    finally:
        await drop_database(url)
