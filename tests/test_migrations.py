"""Migrations: a full round trip on an empty database, and agreement with the models."""

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


def test_the_sql_files_of_the_migrations_are_package_data() -> None:
    """Migrations read SQL files beside them (e.g. 0009_aggregates/*.sql): setup.py must ship them in the wheel."""
    import ast
    from fnmatch import fnmatch

    from kkr.platform.settings import REPO_ROOT

    setup_call = next(
        node
        for node in ast.walk(ast.parse((REPO_ROOT / "setup.py").read_text()))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "setup"
    )
    package_data = ast.literal_eval(next(k.value for k in setup_call.keywords if k.arg == "package_data"))
    folder = REPO_ROOT / "migrations"
    files = [
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.suffix not in {".py", ".pyc", ".mako"}
    ]
    assert any(f.endswith(".sql") for f in files)
    shipped = package_data["kkr.migrations"]
    assert [f for f in files if not any(fnmatch(f, pattern) for pattern in shipped)] == []
