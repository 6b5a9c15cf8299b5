"""Reading through the request's session, one statement at a time.

Strawberry resolves sibling fields concurrently, but one `AsyncSession` (and
one asyncpg connection) runs one statement at a time.  Every read of the schema
goes through `scalars()` / `execute()` here, which serialise on a per-request
lock.  The session itself (`info.context.session()`) carries the tenant context,
so row-level security applies to every statement.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Executable, Select
from sqlalchemy.engine import Result
from sqlalchemy.ext.asyncio import AsyncSession

_LOCK = "__session_lock__"


S = TypeVar("S", bound=Select[Any])


def where_given(statement: S, *filters: tuple[Any, Any]) -> S:
    """`statement` with `column == value` for each `(column, value)` whose value was given: a filter
    argument left out (None) filters nothing."""
    conditions: list[ColumnElement[bool]] = [column == value for column, value in filters if value is not None]
    return statement.where(*conditions) if conditions else statement


def session_lock(context: Any) -> asyncio.Lock:
    """The request's lock around its database sessions (one statement at a time)."""
    statement_lock = getattr(context, "statement_lock", None)
    if isinstance(statement_lock, asyncio.Lock):
        return statement_lock  # RequestContext.close() waits on it too
    lock = context.loaders.get(_LOCK)
    if not isinstance(lock, asyncio.Lock):
        lock = context.loaders[_LOCK] = asyncio.Lock()
    return lock


async def execute(context: Any, statement: Executable, params: dict[str, Any] | None = None) -> Result[Any]:
    """Run one statement in the request's read transaction (tenant context applied)."""
    async with session_lock(context):
        session: AsyncSession = await context.session()
        return await session.execute(statement, params or {})


async def scalars(context: Any, statement: Executable, params: dict[str, Any] | None = None) -> Sequence[Any]:
    """The first column of every row of `statement` (ORM objects for `select(Model)`)."""
    async with session_lock(context):
        session: AsyncSession = await context.session()
        return (await session.scalars(statement, params or {})).all()


async def scalar(context: Any, statement: Executable, params: dict[str, Any] | None = None) -> Any:
    """The single value of `statement`."""
    async with session_lock(context):
        session: AsyncSession = await context.session()
        return await session.scalar(statement, params or {})
