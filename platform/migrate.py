"""Running Alembic migrations from the platform (CLI, start-up, tests).

Alembic is configured here, in code, from the location of the `kkr.migrations` package (the checkout's
`migrations/` through the `kkr/migrations` link, or the wheel's copy): no `alembic.ini` is read at run time.
`alembic.ini` is for developers' `alembic` command (e.g. `alembic revision --autogenerate`).

Every run takes a transaction-scoped advisory lock first (`MIGRATION_LOCK`): instances started together (or a
migration job next to a starting server) migrate one after the other, and the later ones find the database
at the head already.  The whole run is one transaction (PostgreSQL's DDL is transactional): a migration
that fails leaves the schema as it was.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import create_async_engine

from .database import async_url
from .settings import packaged

#: The advisory lock every migration run holds for its transaction.
MIGRATION_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('kkr.platform.migrate'))")


def alembic_config() -> Config:
    """Alembic's configuration: the migrations of the installed `kkr.migrations` package."""
    config = Config()
    config.set_main_option("script_location", str(packaged("migrations")))
    config.set_main_option("path_separator", "os")
    return config


async def _run(url: str | URL, action: str, revision: str) -> None:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.begin() as connection:
            await connection.execute(MIGRATION_LOCK)

            def run(sync_connection: Connection) -> None:
                config = alembic_config()
                config.attributes["connection"] = sync_connection
                getattr(command, action)(config, revision)

            await connection.run_sync(run)
    finally:
        await engine.dispose()


async def upgrade(url: str | URL, revision: str = "head") -> None:
    """Upgrade the database at `url` (the owner's) to `revision`."""
    await _run(url, "upgrade", revision)


async def downgrade(url: str | URL, revision: str = "base") -> None:
    """Downgrade the database at `url` (the owner's) to `revision`."""
    await _run(url, "downgrade", revision)


async def current_revision(url: str | URL) -> str | None:
    """The revision the database at `url` is at (None: not migrated)."""
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as connection:

            def revision(sync_connection: Connection) -> str | None:
                return MigrationContext.configure(sync_connection).get_current_revision()

            return await connection.run_sync(revision)
    finally:
        await engine.dispose()


def head_revision() -> str | None:
    """The newest revision of the migrations."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
