"""Validate every curated file, then load: shared data in one transaction, each tenant in its own.

Ids are derived from natural keys (UUID v5), so loading twice changes nothing,
and a row removed from a tenant's files is removed from the database (rows
created through the API have random ids and are never touched).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from typing import cast as typed

import yaml
from sqlalchemy import ColumnElement, Table, Text, cast, delete, func, literal_column, true, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import URL, ScalarResult
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from ..database import TenantContext, apply_tenant_context, async_url
from ..models import TENANT_TABLES, AuditEvent, Base
from ..models.base import Versioned
from .catalogue import Catalogue, Row
from .figures import CURATED_ONLY, check_lineage_members
from .national import NATIONAL_FILES
from .records import DataError, InvalidData, Reader
from .regional import TENANT_FILES, TenantReader, check_contract_versions, read_contract

CHUNK = 500


@dataclass
class Plan:
    """Everything to write, validated: the shared rows and each tenant's rows."""

    national: list[Row] = field(default_factory=list)
    tenants: dict[str, list[Row]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


class _Documents:
    """Every YAML file read, each parsed once (a national file may hold several lists)."""

    def __init__(self, root: Path, plan: Plan, errors: list[DataError]) -> None:
        self.root, self.plan, self.errors = root, plan, errors
        self._parsed: dict[Path, object] = {}

    def name(self, path: Path) -> str:
        return str(path.relative_to(self.root.parent))

    def get(self, path: Path, key: str) -> Any:
        """The top-level `key` of the file at `path`, or None (with an error) when the file has none."""
        if path not in self._parsed:
            self.plan.files.append(self.name(path))
            try:
                self._parsed[path] = yaml.safe_load(path.read_text(encoding="utf-8"))
            except yaml.YAMLError as exc:
                self._parsed[path] = _INVALID
                self.errors.append(DataError(self.name(path), "(file)", "(yaml)", f"not valid YAML: {exc}"))
        document = self._parsed[path]
        if document is _INVALID:
            return None
        if not isinstance(document, dict) or key not in document:
            self.errors.append(DataError(self.name(path), "(file)", key, f"the file must have a top-level '{key}'"))
            return None
        return document[key]


_INVALID = object()


def _readers(name: str, key: str, items: Any, cat: Catalogue, errors: list[DataError]) -> list[Reader]:
    if not isinstance(items, list):
        errors.append(DataError(name, "(file)", key, "expected a list"))
        return []
    readers = []
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("measure") is not None and item.get("year") is not None:
            label = " ".join(
                str(item[k]) for k in ("measure", "year", "municipality", "region", "hub") if item.get(k) is not None
            )
        else:
            label = next(
                (
                    str(item[k])
                    for k in ("key", "slug", "code", "name", "hub", "indicator_key")
                    if isinstance(item, dict) and item.get(k) is not None
                ),
                f"#{i + 1}",
            )
        readers.append(Reader(name, f"record {i + 1} ({label})", item, errors, cat.sources))
    return readers


def read_all(root: Path) -> Plan:
    """Read and validate every file under `root` (the tenants/ folder); raise InvalidData on any error."""
    errors: list[DataError] = []
    cat, plan = Catalogue(), Plan()
    documents = _Documents(root, plan, errors)
    national = root / "national"
    for file_name, key, reader, required in NATIONAL_FILES:
        path = national / file_name
        if not path.exists():
            if required:
                errors.append(DataError(documents.name(path), "(file)", "(file)", "is missing"))
            continue
        items = documents.get(path, key)
        if key == "sources" and isinstance(items, list):  # sources may refer to themselves first
            cat.sources.update({i["key"]: None for i in items if isinstance(i, dict) and isinstance(i.get("key"), str)})
        if items is not None:
            reader(_readers(documents.name(path), key, items, cat, errors), cat, plan.national)
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name != "national"):
        tenant = folder.name
        if tenant not in cat.regions:
            errors.append(
                DataError(
                    str(folder.relative_to(root.parent)),
                    "(folder)",
                    "(name)",
                    f"{tenant!r} is not a region slug from national/regions.yaml",
                )
            )
            continue
        rows = plan.tenants.setdefault(tenant, [])
        for file_name, key, read_tenant in TENANT_FILES[:2]:
            _read_tenant_file(documents, folder / file_name, key, tenant, read_tenant, cat, rows)
        previous: dict[tuple[Any, ...], Reader] = {}
        for path in sorted((folder / "contracts").glob("*.yaml")):
            document = documents.get(path, "contract")
            if document is not None:
                read_contract(
                    tenant, Reader(documents.name(path), "contract", document, errors, cat.sources), cat, rows, previous
                )
        check_contract_versions(previous)
        for file_name, key, read_tenant in TENANT_FILES[2:]:
            _read_tenant_file(documents, folder / file_name, key, tenant, read_tenant, cat, rows)
        for row in rows:  # a tenant's rows belong to the region whose folder holds them
            row.values["tenant_id"] = tenant
    check_lineage_members(cat)
    if errors:
        raise InvalidData(errors)
    return plan


def _read_tenant_file(
    documents: _Documents, path: Path, key: str, tenant: str, reader: TenantReader, cat: Catalogue, rows: list[Row]
) -> None:
    if path.exists():
        items = documents.get(path, key)
        if items is not None:
            reader(tenant, _readers(documents.name(path), key, items, cat, documents.errors), cat, rows)


@dataclass
class Summary:
    """What a load changed, per table."""

    counts: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, table: str, outcome: str, n: int = 1) -> None:
        self.counts.setdefault(table, Counter())[outcome] += n

    @property
    def changed(self) -> int:
        return sum(c["inserted"] + c["updated"] + c["deleted"] for c in self.counts.values())

    def lines(self) -> list[str]:
        out = []
        for table, c in self.counts.items():
            out.append(
                f"  {table:<26} inserted {c['inserted']:>4}  updated {c['updated']:>4}"
                f"  deleted {c['deleted']:>4}  unchanged {c['unchanged']:>4}"
            )
        out.append(f"  {'total changed':<26} {self.changed}")
        return out


Groups = dict[type[Base], list[dict[str, Any]]]


def _group(rows: list[Row]) -> Groups:
    groups: Groups = {}
    for row in rows:
        groups.setdefault(row.model, []).append(row.values)
    return groups


def _table(model: type[Base]) -> Table:
    return typed(Table, model.__table__)


async def _upsert(session: AsyncSession, model: type[Base], rows: list[dict[str, Any]], summary: Summary) -> None:
    table = _table(model)
    keys = [c.name for c in table.primary_key.columns]
    columns = list(rows[0])
    for start in range(0, len(rows), CHUNK):
        stmt = insert(table).values(rows[start : start + CHUNK])
        data_columns = [c for c in columns if c not in keys]
        # Column objects as keys: a column named like a SQL attribute ("comparator") is then unambiguous.
        updates: dict[Any, Any] = {table.c[c]: stmt.excluded[c] for c in data_columns}
        if issubclass(model, Versioned):
            updates[table.c.row_version] = table.c.row_version + 1
        changed = tuple_(*[table.c[c] for c in data_columns]).is_distinct_from(
            tuple_(*[stmt.excluded[c] for c in data_columns])
        )
        stmt = stmt.on_conflict_do_update(index_elements=keys, set_=updates, where=changed)
        inserted: ScalarResult[bool] = await session.scalars(stmt.returning(literal_column("xmax = 0")))
        outcomes = list(inserted)
        summary.add(table.name, "inserted", sum(outcomes))
        summary.add(table.name, "updated", len(outcomes) - sum(outcomes))
        summary.add(table.name, "unchanged", len(rows[start : start + CHUNK]) - len(outcomes))


async def _delete(session: AsyncSession, table: Table, summary: Summary, *conditions: ColumnElement[bool]) -> None:
    result = await session.execute(delete(table).where(*conditions))
    summary.add(table.name, "deleted", getattr(result, "rowcount", 0) or 0)


async def _remove_stale(session: AsyncSession, tenant: str, groups: Groups, summary: Summary) -> None:
    """Delete curated rows (UUID v5) of this tenant that are no longer in its files (children first)."""
    for model in reversed(TENANT_MODELS):
        table = _table(model)
        ids = [r["id"] for r in groups.get(model, [])]
        curated = func.substr(cast(table.c.id, Text), 15, 1) == "5"
        await _delete(
            session, table, summary, table.c.tenant_id == tenant, curated, table.c.id.not_in(ids) if ids else true()
        )


async def _remove_stale_curated(session: AsyncSession, groups: Groups, summary: Summary) -> None:
    """Delete rows of the curated-only national tables that the files no longer hold."""
    for model in CURATED_ONLY:
        table = _table(model)
        keys = [table.c[c.name] for c in table.primary_key.columns]
        present = [tuple(r[c.name] for c in keys) for r in groups.get(model, [])]
        await _delete(session, table, summary, tuple_(*keys).not_in(present) if present else true())


#: The tenant tables the importer writes (every tenant table but the audit trail, `models.TENANT_TABLES`), in
#: dependency order: parents first.
TENANT_MODELS: tuple[type[Base], ...] = tuple(
    mapper.class_
    for table in Base.metadata.sorted_tables
    if table.name in TENANT_TABLES and table.name != AuditEvent.__tablename__
    for mapper in Base.registry.mappers
    if mapper.local_table is table
)


async def load(url: str | URL, root: Path, progress: Callable[[str], None] = lambda _: None) -> Summary:
    """Validate everything under `root`, then write it.  Returns what changed."""
    plan = read_all(root)
    progress(f"validated {len(plan.files)} files")
    summary = Summary()
    engine = create_async_engine(async_url(url))
    sessions = async_sessionmaker(engine)
    try:
        regions = frozenset(r.values["slug"] for r in plan.national if r.model.__tablename__ == "region")
        async with sessions() as session, session.begin():
            await apply_tenant_context(session, TenantContext(regions, regions, actor="importer"))
            groups = _group(plan.national)
            for model, national_rows in groups.items():
                await _upsert(session, model, national_rows, summary)
            await _remove_stale_curated(session, groups, summary)
        progress(f"national: {len(plan.national)} records")
        for tenant, tenant_rows in plan.tenants.items():
            groups = _group(tenant_rows)
            async with sessions() as session, session.begin():
                await apply_tenant_context(session, TenantContext.for_tenant(tenant, write=True, actor="importer"))
                await _remove_stale(session, tenant, groups, summary)
                for model, model_rows in groups.items():
                    await _upsert(session, model, model_rows, summary)
            progress(f"{tenant}: {len(tenant_rows)} records")
    finally:
        await engine.dispose()
    return summary
