"""Back up and restore ONE region's rows (docs/operations.md): `python -m kkr.platform.tenant_dump`.

    python -m kkr.platform.tenant_dump dump sjaelland /backups/sjaelland-2026-12-02
    python -m kkr.platform.tenant_dump restore /backups/sjaelland-2026-12-02      # into DATABASE_URL

`pg_dump` has no row filter, so one tenant is exported table by table with
`COPY (SELECT ... WHERE tenant_id = $1) TO STDOUT` (CSV with a header line),
all tables in one REPEATABLE READ, READ ONLY transaction (one snapshot), into a
directory with a `manifest.json`: the region, the database's migration revision,
and per table its columns, row count and SHA-256.  What is exported: every
tenant table (row-level security and a `tenant_id`), the region's audit trail,
and the partnerships the region is a party of.  Not exported: shared reference
data (regions, hubs, municipalities, national goals, ...: `kkr load-demo` or the
whole-database dump restores those), `kkr_facts.contract_target` (derived: its
triggers rebuild it as the rows go in), machine clients and the access log.

`restore` reads the files into a database at the same migration revision that
already has the reference data and none of this region's rows, in ONE
transaction (all or nothing), as the owner: first the audit trail (rows already
there must be identical; the identity sequence is moved past the restored ids),
then the partnerships (kept if they exist), then the tables in foreign-key
order.  Every file is checked against the manifest (rows and SHA-256), every row
must carry the region's `tenant_id`, and the transaction's tenant context is that
region only, so row-level security refuses any other region's row for an owner
that is subject to it.  The triggers run: the fact table follows, and each
restored row gets an `insert` audit event with the actor `restore:<region>`
(the restore is part of the trail, after the restored history).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import URL, make_url

FORMAT = 1
#: Tenant tables in foreign-key order (parents first); a table's rows are written in the ORDER BY given.
TABLES: tuple[tuple[str, str], ...] = (
    ("kkr_member", "id"),
    ("hub_office", "id"),
    ("hub_board_member", "id"),
    ("result_contract", "version, id"),  # a later version references the one it supersedes
    ("goal", "id"),
    ("indicator", "id"),
    ("target", "id"),
    ("result", "id"),
    ("growth_team", "id"),
    ("growth_team_member", "id"),
    ("climate_initiative", "id"),
    ("climate_participant", "id"),
    ("climate_target", "id"),
)
AUDIT, PARTNERSHIP = "audit_event", "partnership"


class RestoreRefused(Exception):
    """The dump does not fit the target database (or is damaged); nothing was written."""


def dsn(url: str | URL) -> str:
    """A libpq-style URL for asyncpg from a SQLAlchemy one (`postgresql+asyncpg://` ...)."""
    return (
        make_url(str(url) if isinstance(url, URL) else url)
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )


async def _columns(conn: asyncpg.Connection, table: str) -> list[str]:
    """The table's stored columns (generated ones, the search vectors, are computed again on restore)."""
    rows = await conn.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1"
        " AND is_generated = 'NEVER' ORDER BY ordinal_position",
        table,
    )
    return [r["column_name"] for r in rows]


async def _revision(conn: asyncpg.Connection) -> str:
    revision: str = await conn.fetchval("SELECT version_num FROM alembic_version")
    return revision


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _column_list(columns: list[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


async def dump(url: str | URL, tenant: str, directory: Path) -> dict[str, Any]:
    """Write `tenant`'s rows into `directory` (created; must not exist) and return the manifest."""
    directory.mkdir(parents=True)
    conn = await asyncpg.connect(dsn(url))
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            if not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM region WHERE slug = $1)", tenant):
                raise ValueError(f"no region {tenant!r} in this database")
            # an owner subject to row-level security reads this region (the filters below do the rest)
            await conn.execute("SELECT set_config('kkr.read_tenants', $1, true)", tenant)
            manifest: dict[str, Any] = {
                "format": FORMAT,
                "tenant": tenant,
                "revision": await _revision(conn),
                "created_at": dt.datetime.now(dt.UTC).isoformat(),
                "tables": [],
            }
            plan = [(AUDIT, "tenant_id = $1", "id"), (PARTNERSHIP, "$1 = ANY (parties)", "id")]
            plan += [(table, "tenant_id = $1", order) for table, order in TABLES]
            for table, where, order in plan:
                columns = await _columns(conn, table)
                path = directory / f"{table}.csv"
                await conn.copy_from_query(
                    f"SELECT {_column_list(columns)} FROM {table} WHERE {where} ORDER BY {order}",
                    tenant,
                    output=str(path),
                    format="csv",
                    header=True,
                )
                rows = await conn.fetchval(f"SELECT count(*) FROM {table} WHERE {where}", tenant)
                manifest["tables"].append(
                    {"table": table, "file": path.name, "columns": columns, "rows": rows, "sha256": _sha256(path)}
                )
    finally:
        await conn.close()
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


async def restore(url: str | URL, directory: Path) -> dict[str, int]:
    """Restore the dump in `directory` into the database at `url` (one transaction); returns rows per table."""
    manifest = json.loads((directory / "manifest.json").read_text())
    if manifest.get("format") != FORMAT:
        raise RestoreRefused(f"unknown dump format {manifest.get('format')!r}")
    tenant = manifest["tenant"]
    entries = {entry["table"]: entry for entry in manifest["tables"]}
    for entry in entries.values():
        path = directory / entry["file"]
        if _sha256(path) != entry["sha256"]:
            raise RestoreRefused(f"{path} does not match its SHA-256 in the manifest")
    conn = await asyncpg.connect(dsn(url))
    restored: dict[str, int] = {}
    try:
        async with conn.transaction():
            revision = await _revision(conn)
            if revision != manifest["revision"]:
                raise RestoreRefused(
                    f"the dump is of migration {manifest['revision']}, the database is at"
                    f" {revision}: migrate (`kkr migrate {manifest['revision']}`) first"
                )
            if not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM region WHERE slug = $1)", tenant):
                raise RestoreRefused(f"no region {tenant!r}: load the reference data first")
            await conn.execute(
                "SELECT set_config('kkr.read_tenants', $1, true), set_config('kkr.write_tenants', $1,"
                " true), set_config('kkr.actor', $2, true)",
                tenant,
                f"restore:{tenant}",
            )
            present = [
                t
                for t, _ in TABLES
                if await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {t} WHERE tenant_id = $1)", tenant)
            ]
            if present:
                raise RestoreRefused(f"the database already has rows of {tenant!r} in {', '.join(present)}")
            restored[AUDIT] = await _restore_audit(conn, directory, entries[AUDIT], tenant)
            restored[PARTNERSHIP] = await _restore_partnerships(conn, directory, entries[PARTNERSHIP], tenant)
            for table, _ in TABLES:
                staged = await _stage(conn, directory, entries[table], tenant)
                columns = _column_list(entries[table]["columns"])
                await conn.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {staged}")
                restored[table] = entries[table]["rows"]
    finally:
        await conn.close()
    return restored


async def _stage(conn: asyncpg.Connection, directory: Path, entry: dict[str, Any], tenant: str | None) -> str:
    """COPY a file into a temporary table shaped like its table; check its row count (and tenant)."""
    table, staged = entry["table"], f"restore_{entry['table']}"
    await conn.execute(f"CREATE TEMPORARY TABLE {staged} (LIKE {table}) ON COMMIT DROP")
    await conn.copy_to_table(
        staged, source=str(directory / entry["file"]), columns=entry["columns"], format="csv", header=True
    )
    rows = await conn.fetchval(f"SELECT count(*) FROM {staged}")
    if rows != entry["rows"]:
        raise RestoreRefused(f"{entry['file']} has {rows} rows, the manifest says {entry['rows']}")
    if tenant is not None and await conn.fetchval(f"SELECT count(*) FROM {staged} WHERE tenant_id <> $1", tenant):
        raise RestoreRefused(f"{entry['file']} has rows of another region than {tenant!r}")
    return staged


async def _restore_audit(conn: asyncpg.Connection, directory: Path, entry: dict[str, Any], tenant: str) -> int:
    """The trail first: append the rows not there yet (one already there must be identical), then move the
    identity sequence past them so that the events of the restore itself get new ids."""
    staged = await _stage(conn, directory, entry, tenant)
    columns = _column_list(entry["columns"])
    differing = await conn.fetchval(
        f"SELECT count(*) FROM {staged} s JOIN audit_event a USING (tenant_id, id) WHERE to_jsonb(s) <> to_jsonb(a)"
    )
    if differing:
        raise RestoreRefused(f"{differing} audit event(s) of {tenant!r} in the database differ from the dump's")
    await conn.execute(
        f"INSERT INTO audit_event ({columns}) OVERRIDING SYSTEM VALUE SELECT {columns} FROM {staged}"
        " ON CONFLICT (id, tenant_id) DO NOTHING"
    )
    sequence = await conn.fetchval("SELECT pg_get_serial_sequence('audit_event', 'id')")
    await conn.execute(
        f"SELECT setval('{sequence}', greatest((SELECT max(id) FROM audit_event), (SELECT last_value FROM {sequence})))"
    )
    return int(entry["rows"])


async def _restore_partnerships(conn: asyncpg.Connection, directory: Path, entry: dict[str, Any], tenant: str) -> int:
    """Partnerships of several regions: inserted unless they exist (another party's restore may have made them)."""
    staged = await _stage(conn, directory, entry, None)
    if await conn.fetchval(f"SELECT count(*) FROM {staged} WHERE NOT $1 = ANY (parties)", tenant):
        raise RestoreRefused(f"{entry['file']} has partnerships {tenant!r} is no party of")
    columns = _column_list(entry["columns"])
    # a shared row passes row-level security's check only if every party may write, for this statement
    parties = await conn.fetchval(
        f"SELECT coalesce(string_agg(DISTINCT p, ','), $1) FROM {staged}, unnest(parties) p", tenant
    )
    await conn.execute("SELECT set_config('kkr.write_tenants', $1, true)", parties)
    await conn.execute(
        f"INSERT INTO partnership ({columns}) SELECT {columns} FROM {staged} ON CONFLICT (id) DO NOTHING"
    )
    await conn.execute("SELECT set_config('kkr.write_tenants', $1, true)", tenant)
    return int(entry["rows"])


def main(argv: list[str] | None = None) -> int:
    from .database import resolve_urls
    from .settings import get_settings

    parser = argparse.ArgumentParser(prog="python -m kkr.platform.tenant_dump", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    out = sub.add_parser("dump", help="write one region's rows into a new directory")
    out.add_argument("tenant", help="the region's slug, e.g. sjaelland")
    out.add_argument("directory", type=Path)
    back = sub.add_parser("restore", help="restore a region's dump into DATABASE_URL (one transaction)")
    back.add_argument("directory", type=Path)
    args = parser.parse_args(argv)
    url = resolve_urls(get_settings()).owner
    try:
        if args.command == "dump":
            manifest = asyncio.run(dump(url, args.tenant, args.directory))
            for entry in manifest["tables"]:
                print(f"{entry['table']:<22} {entry['rows']:>7} rows")
        else:
            for table, rows in asyncio.run(restore(url, args.directory)).items():
                print(f"{table:<22} {rows:>7} rows restored")
    except (RestoreRefused, ValueError, FileExistsError) as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
