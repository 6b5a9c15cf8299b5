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

import yaml
from sqlalchemy import Text, cast, delete, func, literal_column, true, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from ..database import TenantContext, apply_tenant_context, async_url
from ..models import (
    ClimateInitiative,
    ClimateParticipant,
    ClimateTarget,
    Goal,
    GoalLineage,
    GoalLineageMember,
    GrowthTeam,
    GrowthTeamMember,
    HubBoardMember,
    HubOffice,
    Indicator,
    KkrMember,
    MunicipalityFigure,
    MunicipalityMeasure,
    PrintedTotal,
    Result,
    ResultContract,
    Segment,
    SegmentSpelling,
    Target,
)
from ..models.base import Versioned
from .figures import check_lineage_members
from .national import NATIONAL_FILES, Catalogue, Row
from .records import DataError, InvalidData, Reader
from .regional import TENANT_FILES, check_contract_versions, read_contract

CHUNK = 500


@dataclass
class Plan:
    """Everything to write, validated: the shared rows and each tenant's rows."""

    national: list[Row] = field(default_factory=list)
    tenants: dict[str, list[Row]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


def _load_yaml(path: Path, root: Path, key: str, errors: list[DataError]) -> list[Any] | dict | None:
    name = str(path.relative_to(root.parent))
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        errors.append(DataError(name, "(file)", "(yaml)", f"not valid YAML: {exc}"))
        return None
    if not isinstance(document, dict) or key not in document:
        errors.append(DataError(name, "(file)", key, f"the file must have a top-level '{key}'"))
        return None
    return document[key]


def _readers(path: Path, root: Path, key: str, items: Any, cat: Catalogue, errors: list[DataError]) -> list[Reader]:
    name = str(path.relative_to(root.parent))
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
    national = root / "national"
    for file_name, key, reader, required in NATIONAL_FILES:
        path = national / file_name
        if not path.exists():
            if required:
                errors.append(DataError(str(path.relative_to(root.parent)), "(file)", "(file)", "is missing"))
            continue
        if str(path.relative_to(root.parent)) not in plan.files:  # a file may hold several lists
            plan.files.append(str(path.relative_to(root.parent)))
        items = _load_yaml(path, root, key, errors)
        if key == "sources" and isinstance(items, list):  # sources may refer to themselves first
            cat.sources.update({i["key"]: None for i in items if isinstance(i, dict) and isinstance(i.get("key"), str)})
        if items is not None:
            reader(_readers(path, root, key, items, cat, errors), cat, plan.national)
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
        for file_name, key, reader in TENANT_FILES[:2]:
            _read_tenant_file(folder / file_name, root, key, tenant, reader, cat, rows, plan, errors)
        previous: dict = {}
        for path in sorted((folder / "contracts").glob("*.yaml")):
            plan.files.append(str(path.relative_to(root.parent)))
            document = _load_yaml(path, root, "contract", errors)
            if document is not None:
                reader_ = Reader(str(path.relative_to(root.parent)), "contract", document, errors, cat.sources)
                read_contract(tenant, reader_, cat, rows, previous)
        check_contract_versions(previous)
        for file_name, key, reader in TENANT_FILES[2:]:
            _read_tenant_file(folder / file_name, root, key, tenant, reader, cat, rows, plan, errors)
    check_lineage_members(cat)
    if errors:
        raise InvalidData(errors)
    return plan


def _read_tenant_file(path, root, key, tenant, reader, cat, rows, plan, errors) -> None:
    if path.exists():
        plan.files.append(str(path.relative_to(root.parent)))
        items = _load_yaml(path, root, key, errors)
        if items is not None:
            reader(tenant, _readers(path, root, key, items, cat, errors), cat, rows)


@dataclass
class Summary:
    """What a load changed, per table."""

    counts: dict[str, Counter] = field(default_factory=dict)

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


def _group(rows: list[Row]) -> dict[type, list[dict[str, Any]]]:
    groups: dict[type, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row.model, []).append(row.values)
    return groups


async def _upsert(session: AsyncSession, model: type, rows: list[dict[str, Any]], summary: Summary) -> None:
    table = model.__table__
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
        result = await session.execute(stmt.returning(literal_column("xmax = 0")))
        outcomes = [inserted for (inserted,) in result]
        summary.add(table.name, "inserted", sum(outcomes))
        summary.add(table.name, "updated", len(outcomes) - sum(outcomes))
        summary.add(table.name, "unchanged", len(rows[start : start + CHUNK]) - len(outcomes))


async def _remove_stale(session: AsyncSession, tenant: str, groups: dict, models: list[type], summary: Summary) -> None:
    """Delete curated rows (UUID v5) of this tenant that are no longer in its files."""
    for model in reversed(models):
        table = model.__table__
        ids = [r["id"] for r in groups.get(model, [])]
        result = await session.execute(
            delete(table).where(
                table.c.tenant_id == tenant,
                func.substr(cast(table.c.id, Text), 15, 1) == "5",
                table.c.id.not_in(ids) if ids else true(),
            )
        )
        summary.add(table.name, "deleted", result.rowcount or 0)


#: National tables written only by the importer: rows no longer in the files are deleted (children first).
CURATED_ONLY = (
    GoalLineageMember,
    GoalLineage,
    SegmentSpelling,
    Segment,
    MunicipalityFigure,
    PrintedTotal,
    MunicipalityMeasure,
)


async def _remove_stale_curated(session: AsyncSession, groups: dict, summary: Summary) -> None:
    """Delete rows of the curated-only national tables that the files no longer hold."""
    for model in CURATED_ONLY:
        table = model.__table__
        keys = [table.c[c.name] for c in table.primary_key.columns]
        present = [tuple(r[c.name] for c in keys) for r in groups.get(model, [])]
        condition = tuple_(*keys).not_in(present) if present else true()
        result = await session.execute(delete(table).where(condition))
        summary.add(table.name, "deleted", result.rowcount or 0)


#: Tenant tables in dependency order (parents first).
TENANT_MODELS = (
    KkrMember,
    HubOffice,
    HubBoardMember,
    ResultContract,
    Goal,
    Indicator,
    Target,
    Result,
    GrowthTeam,
    GrowthTeamMember,
    ClimateInitiative,
    ClimateParticipant,
    ClimateTarget,
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
            for model, rows in groups.items():
                await _upsert(session, model, rows, summary)
            await _remove_stale_curated(session, groups, summary)
        progress(f"national: {len(plan.national)} records")
        for tenant, rows in plan.tenants.items():
            groups = _group(rows)
            async with sessions() as session, session.begin():
                await apply_tenant_context(session, TenantContext.for_tenant(tenant, write=True, actor="importer"))
                await _remove_stale(session, tenant, groups, list(TENANT_MODELS), summary)
                for model, model_rows in groups.items():
                    await _upsert(session, model, model_rows, summary)
            progress(f"{tenant}: {len(rows)} records")
    finally:
        await engine.dispose()
    return summary
