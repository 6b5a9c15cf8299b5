"""The per-request context GraphQL resolvers receive: who is asking and a database session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from .auth.identity import ANONYMOUS, PUBLIC_CONTRACTS, Identity
from .database import Database, TenantContext, apply_tenant_context
from .settings import Settings


@dataclass
class RequestContext:
    """One request's view of the platform.

    `identity` comes from a verified token only, and with it the tenant context.  Reads share one session
    (opened on first use, closed when the operation ends); each mutation runs
    in its own transaction via `transaction()`.
    """

    db: Database
    settings: Settings
    identity: Identity = ANONYMOUS
    request: Request | None = None
    loaders: dict[str, Any] = field(default_factory=dict)
    _session: AsyncSession | None = None
    _published: AsyncSession | None = None

    @property
    def tenant(self) -> TenantContext:
        return self.identity.tenant_context()

    async def _begin(self, ctx: TenantContext, *, read_only: bool = False) -> AsyncSession:
        session = self.db.sessionmaker()
        await session.begin()
        if read_only:
            await session.execute(text("SET TRANSACTION READ ONLY"))
        await apply_tenant_context(session, ctx)
        return session

    async def session(self) -> AsyncSession:
        if self._session is None:
            self._session = await self._begin(self.tenant)
        return self._session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self.db.transaction(self.tenant) as session:
            yield session

    async def published_contracts_session(self) -> AsyncSession:
        """The read transaction of the published-contracts query (one per request, like `session()`).
        With PUBLIC_CONTRACTS=true it also sees every region's published contracts and their goals
        (nothing below them: policies `public_read`); otherwise it is the caller's own context."""
        if self._published is None:
            ctx = self.tenant
            if self.settings.public_contracts:
                ctx = replace(ctx, flags=ctx.flags | {PUBLIC_CONTRACTS})
            self._published = await self._begin(ctx, read_only=True)
        return self._published

    async def close(self) -> None:
        for name in ("_session", "_published"):
            session = getattr(self, name)
            if session is not None:
                setattr(self, name, None)
                await session.rollback()
                await session.close()
