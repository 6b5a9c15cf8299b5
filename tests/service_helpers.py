"""Helpers for the service and mutation tests: callers, one transaction per call, fresh rows.

`call()` runs a service as its mutation does, without HTTP: the raw values (by Python name, ids as
their keys) go through the mutation's input declaration (rules, paths) into the service."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from kkr.platform.auth.identity import Identity
from kkr.platform.database import Database
from kkr.platform.services.validation import Input
from kkr.schema.common import mutations
from kkr.schema.schema import schema as _schema  # noqa: F401 (declares every mutation)

SJ_EDITOR = Identity(subject="editor@sjaelland", scopes=frozenset({"region:sjaelland:write"}))
NJ_EDITOR = Identity(subject="editor@nordjylland", scopes=frozenset({"region:nordjylland:write"}))
#: Reads Nordjylland (e.g. a shared partnership) but edits Sjælland only.
SJ_EDITOR_NJ_READER = Identity(
    subject="editor2@sjaelland", scopes=frozenset({"region:sjaelland:write", "region:nordjylland:read"})
)

Service = Callable[..., Awaitable[Any]]

_years = itertools.count(2040)


def fresh_year() -> int:
    """A contract year no other test uses (hub and year identify a contract)."""
    return next(_years)


def checked(service: Service, data: Mapping[str, Any]) -> Input:
    """The values as the service gets them from its mutation: ids decoded, every field's rule applied."""
    return mutations.input_for(service, data)


async def call(db: Database, identity: Identity, service: Service, data: Mapping[str, Any]) -> Any:
    """Run one service in its own transaction, as its mutation does (the field rules first, then the
    service's own; a problem either finds refuses the whole call)."""
    values = checked(service, data)
    async with db.transaction(identity.tenant_context()) as session:
        return await mutations.call(session, identity, service, mutations.SERVICES[service][0], values)


async def owner_row(engine: AsyncEngine, table: str, id_: Any) -> dict[str, Any] | None:
    """A row as the table owner sees it (bypassing row-level security), to check what is really stored."""
    async with engine.connect() as conn:
        row = (await conn.execute(text(f'SELECT * FROM "{table}" WHERE id = :id'), {"id": id_})).mappings().first()
    return dict(row) if row else None


async def stored(engine: AsyncEngine, table: str, id_: Any) -> dict[str, Any]:
    """The stored row (as the owner sees it), which must exist."""
    row = await owner_row(engine, table, id_)
    assert row is not None, (table, id_)
    return row


async def owner_count(engine: AsyncEngine, sql: str, **params: Any) -> int:
    async with engine.connect() as conn:
        count: int = (await conn.execute(text(sql), params)).scalar_one()
        return count
