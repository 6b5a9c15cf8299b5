"""Reading and writing rows for the services: tenant checks, optimistic concurrency, and
database errors turned into field errors.

Rows are looked up through row-level security, so another region's row is
simply not found; a row the caller can read but not write (a partner's) is
FORBIDDEN.  `flush()` runs the pending SQL in a savepoint and maps every
constraint violation to an error naming the input field.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol, TypeVar

from sqlalchemy import CheckConstraint, Column, ForeignKeyConstraint, UniqueConstraint, inspect, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql import visitors

from ..auth.identity import Identity
from ..models import Base, Region
from ..models.base import TenantOwned
from .errors import ErrorCode, Path, ServiceError, forbidden, not_found, stale
from .validation import Input

M = TypeVar("M")
#: A tenant-owned row (every model the services change).
T = TypeVar("T", bound=TenantOwned)


class Keyed(Protocol):
    """A model with a UUID `id` (tenant-owned, or shared such as a partnership)."""

    id: Any


K = TypeVar("K", bound=Keyed)

#: Human names of the tables, for messages.
LABELS: dict[str, str] = {
    "result_contract": "result contract",
    "goal": "goal",
    "indicator": "indicator",
    "target": "target",
    "result": "result",
    "growth_team": "growth team",
    "growth_team_member": "growth-team member",
    "climate_initiative": "climate initiative",
    "climate_participant": "climate participant",
    "climate_target": "climate target",
    "business_hub": "business hub",
    "framework_agreement": "framework agreement",
    "national_goal": "national goal",
    "partnership": "partnership",
    "municipality": "municipality",
    "source_document": "source document",
    "region": "region",
}


def label(model: type | Any) -> str:
    table = getattr(model, "__tablename__", str(model))
    return LABELS.get(table, table.replace("_", " "))


def require_write(identity: Identity, region: str, field: Path | str) -> None:
    """FORBIDDEN unless the caller holds `region:<region>:write`."""
    if region not in identity.writable_regions:
        raise forbidden(field, region)


async def find(session: AsyncSession, model: type[K], id_: uuid.UUID | None) -> K | None:
    """The row with this id, if the caller's tenant context lets them see it."""
    if id_ is None:
        return None
    return (await session.scalars(select(model).where(model.id == id_))).one_or_none()


async def load(session: AsyncSession, model: type[T], id_: uuid.UUID | None, field: Path | str) -> T:
    """The row with this id, or NOT_FOUND naming the input field."""
    row = await find(session, model, id_)
    if row is None:
        raise not_found(field, label(model))
    return row


async def load_writable(
    session: AsyncSession, identity: Identity, model: type[T], id_: uuid.UUID | None, field: Path | str
) -> T:
    """A row the caller may change: NOT_FOUND if invisible, FORBIDDEN if only readable."""
    row = await load(session, model, id_, field)
    require_write(identity, row.tenant_id, field)
    return row


def check_version(row: Any, version: int | None, field: Path | str = "row_version") -> None:
    """STALE_VERSION unless the caller saw the row's current version."""
    if version is None:
        raise ServiceError.one(field, ErrorCode.REQUIRED, "is required: the version you last read.")
    if row.row_version != version:
        raise stale(field, label(row), row.row_version, version)


async def load_for_change(
    session: AsyncSession, identity: Identity, model: type[T], id_: uuid.UUID | None, version: int | None
) -> T:
    """The row to update or delete, at the version the caller last read."""
    row = await load_writable(session, identity, model, id_, "id")
    check_version(row, version)
    return row


async def named(session: AsyncSession, identity: Identity, model: type[T], data: Input, field: str) -> T:
    """The row the input's `field` names (a new row's parent), which the caller may change."""
    return await load_writable(session, identity, model, data.get(field), field)


async def for_change(session: AsyncSession, identity: Identity, model: type[T], data: Input) -> T:
    """The row an update or delete names (`id`), at the version the caller last read (`row_version`)."""
    return await load_for_change(session, identity, model, data.get("id"), data.get("row_version"))


def child(model: Callable[..., M], parent: Any, link: str, values: Mapping[str, Any]) -> M:
    """A new row of `model` under `parent`, in its region: a fresh id and the parent's id in `link`."""
    return model(id=uuid.uuid4(), tenant_id=parent.tenant_id, **{link: parent.id}, **values)


async def insert(session: AsyncSession, first: M, *more: Any, fields: Mapping[str, Path] | None = None) -> M:
    """Insert new rows, given parents before children; returns the first, refreshed with its defaults.

    The models declare no relationships, so the rows of each table are flushed before the next
    table's (the unit of work would not know that a goal must follow its contract).
    """
    rows = (first, *more)
    async with _saving(session, fields=fields):
        for previous, row in zip((None, *rows), rows, strict=False):
            if previous is not None and type(previous) is not type(row):
                await session.flush()
            session.add(row)
    await session.refresh(first)
    return first


async def update(
    session: AsyncSession, row: M, values: Mapping[str, Any], fields: Mapping[str, Path] | None = None
) -> M:
    """Apply changed column values to a row (its row_version guards against lost updates)."""
    async with _saving(session, row=row, fields=fields):
        for column, value in values.items():
            setattr(row, column, value)
    await session.refresh(row)
    return row


async def remove(session: AsyncSession, row: M) -> M:
    """Delete a row (children go with it by ON DELETE CASCADE)."""
    async with _saving(session, row=row):
        await session.delete(row)
    return row


@asynccontextmanager
async def _saving(
    session: AsyncSession, *, row: Any = None, fields: Mapping[str, Path] | None = None
) -> AsyncIterator[None]:
    """Make changes and flush them in a savepoint; a violated constraint or a lost race
    becomes a `ServiceError` (the savepoint keeps the session usable to say which version won).

    `fields` maps a column to the input path to blame (default: the column's input name).
    """
    model, row_id = (type(row), _row_id(row)) if row is not None else (None, None)
    try:
        async with session.begin_nested():
            yield
            await session.flush()
    except StaleDataError:
        current = await _current_version(session, model, row_id)
        if current is None:
            raise ServiceError.one(
                "id", ErrorCode.NOT_FOUND, f"The {label(model)} was deleted by someone else meanwhile."
            ) from None
        raise ServiceError.one(
            "row_version",
            ErrorCode.STALE_VERSION,
            f"The {label(model)} was changed by someone else while you saved: its current version is {current}."
            " Reload it and apply your change again.",
        ) from None
    except DBAPIError as exc:
        raise database_error(exc, fields or {}) from None


def _row_id(row: Any) -> uuid.UUID | None:
    """The row's id from its identity key (no attribute load, so also for an expired row)."""
    state = inspect(row)
    keys = [c.key for c in state.mapper.primary_key]
    return dict(zip(keys, state.identity or (), strict=False)).get("id")


async def _current_version(session: AsyncSession, model: Any, row_id: uuid.UUID | None) -> int | None:
    if model is None:
        return None
    return (await session.execute(select(model.row_version).where(model.id == row_id))).scalar_one_or_none()


def _constraint_index() -> dict[str, tuple[str, list[str], str | None]]:
    """Constraint name -> (table, columns, referred table) from the models' metadata."""
    index: dict[str, tuple[str, list[str], str | None]] = {}
    for table in Base.metadata.sorted_tables:
        for constraint in table.constraints:
            if not isinstance(constraint.name, str):
                continue
            if isinstance(constraint, ForeignKeyConstraint):
                index[constraint.name] = (table.name, list(constraint.column_keys), constraint.referred_table.name)
            elif isinstance(constraint, UniqueConstraint):
                index[constraint.name] = (table.name, [c.name for c in constraint.columns], None)
            elif isinstance(constraint, CheckConstraint):
                columns = [e.name for e in visitors.iterate(constraint.sqltext) if isinstance(e, Column)]
                index[constraint.name] = (table.name, columns, None)
    return index


_CONSTRAINTS = _constraint_index()


def _field(column: str, fields: Mapping[str, Path]) -> Path:
    """The path to blame for a column: as the service says, else the column (the mutation pipeline names
    the input field that fills it); a row's region is its `region_id`."""
    return fields.get(column) or ("region_id" if column == "tenant_id" else column,)


def _human(column: str) -> str:
    for suffix in ("_id", "_slug", "_key"):
        column = column.removesuffix(suffix)
    return column.replace("_", " ")


def database_error(exc: DBAPIError, fields: Mapping[str, Path]) -> Exception:
    """A `ServiceError` for a constraint violation PostgreSQL reported; other errors unchanged."""
    cause = getattr(exc.orig, "__cause__", None)
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(cause, "sqlstate", None)
    name = getattr(cause, "constraint_name", None)
    detail = getattr(cause, "detail", None) or ""
    table, columns, referred = _CONSTRAINTS.get(name or "", (getattr(cause, "table_name", ""), [], None))
    columns = [c for c in columns if c != "tenant_id"] or columns
    # a unique key's last column tells rows apart (a goal's code within its contract)
    blamed = columns[-1] if sqlstate == "23505" and columns else (columns[0] if columns else None)
    path = _field(blamed, fields) if blamed else ("id",)
    names = ", ".join(_human(c) for c in columns)
    if sqlstate == "23505":  # unique_violation
        return ServiceError.one(
            path, ErrorCode.DUPLICATE, f"Another {label(table)} with the same {names} already exists."
        )
    if sqlstate == "23503":  # foreign_key_violation
        if "still referenced" in detail:
            return ServiceError.one(
                ("id",),
                ErrorCode.IN_USE,
                f"This {label(referred or '')} is still referred to by a {label(table)}; change or delete that first.",
            )
        return ServiceError.one(path, ErrorCode.NOT_FOUND, f"No {label(referred or '')} with this key exists.")
    if sqlstate == "23514":  # check_violation
        return ServiceError.one(path, ErrorCode.INVALID, f"The value of {names or 'this field'} is not allowed.")
    if sqlstate == "23502":  # not_null_violation
        column = getattr(cause, "column_name", None) or ""
        return ServiceError.one(_field(column, fields), ErrorCode.REQUIRED, "is required.")
    if sqlstate in ("22001", "22003"):  # string too long, numeric out of range
        return ServiceError.one(("id",), ErrorCode.INVALID, "A value is too long or too large.")
    if sqlstate == "42501":  # insufficient privilege, e.g. a row-level-security policy
        return ServiceError.one(("region_id",), ErrorCode.FORBIDDEN, "The database refused the change for your region.")
    return exc


async def parent(session: AsyncSession, model: type[T], tenant: str, id_: uuid.UUID) -> T:
    """The parent row of a row of the same tenant (the foreign key guarantees it exists)."""
    query = select(model).where(model.tenant_id == tenant, model.id == id_)
    return (await session.scalars(query)).one()


async def check_partnership(
    session: AsyncSession, partnership_id: uuid.UUID | None, region: str, field: str, check: Any
) -> None:
    """A linked partnership must be visible to the region and have it as a party."""
    from ..models import Partnership

    if partnership_id is None:
        return
    partnership = await find(session, Partnership, partnership_id)
    if partnership is None:
        check.error(field, ErrorCode.NOT_FOUND, "No partnership with this id exists in a region you can see.")
    elif region not in partnership.parties:
        check.error(
            field, ErrorCode.INVALID, f"Region '{region}' is not a party of the partnership '{partnership.title}'."
        )


async def region_for_new(
    session: AsyncSession, identity: Identity, region: str | None, field: str = "region_id"
) -> str:
    """The region a new top-level object goes to: the one given, or the caller's only writable one."""
    if region is None:
        writable = sorted(identity.writable_regions)
        if len(writable) != 1:
            raise ServiceError.one(
                field, ErrorCode.REQUIRED, "is required: say which region the new object belongs to."
            )
        region = writable[0]
    if await session.get(Region, region) is None:
        raise ServiceError.one(field, ErrorCode.NOT_FOUND, f"No region '{region}' exists.")
    require_write(identity, region, field)
    return region


async def check_nested_sources(
    session: AsyncSession, rows: Sequence[Mapping[str, Any]], field: str, check: Any
) -> None:
    """Nested rows' source documents must exist (a database error could not say which row was at fault)."""
    from ..models import SourceDocument

    for i, values in enumerate(rows):
        key = values.get("source_document_key")
        if key is not None and await session.get(SourceDocument, key) is None:
            check.error((field, i, "source_document"), ErrorCode.NOT_FOUND, f"No source document '{key}' exists.")
