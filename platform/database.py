"""Database engines and tenant-scoped transactions.

The API connects as the application role, which owns no table and lacks
BYPASSRLS.  Every transaction states its tenant context first, with
`set_config(..., true)` so it ends with the transaction; PostgreSQL's
row-level security does the rest.  A transaction with no context sees no
tenant rows at all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from . import embedded
from .settings import Settings


@dataclass(frozen=True)
class TenantContext:
    """What one transaction may see and change, derived from a verified identity only."""

    read_tenants: frozenset[str] = frozenset()
    write_tenants: frozenset[str] = frozenset()
    actor: str = "anonymous"
    #: Extra row-level-security switches (e.g. cross-region benchmark reads), name -> on.
    flags: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def for_tenant(cls, tenant: str, *, write: bool = False, actor: str = "system") -> TenantContext:
        tenants = frozenset({tenant})
        return cls(read_tenants=tenants, write_tenants=tenants if write else frozenset(), actor=actor)


NO_TENANT = TenantContext()

_SET_CONTEXT = text(
    "SELECT set_config('kkr.read_tenants', :read, true), set_config('kkr.write_tenants', :write, true),"
    " set_config('kkr.actor', :actor, true), set_config('kkr.flags', :flags, true)"
)


async def apply_tenant_context(session: AsyncSession, ctx: TenantContext) -> None:
    """State the tenant context for the current transaction (local to it)."""
    await session.execute(
        _SET_CONTEXT,
        {
            "read": ",".join(sorted(ctx.read_tenants)),
            "write": ",".join(sorted(ctx.write_tenants)),
            "actor": ctx.actor,
            "flags": ",".join(sorted(ctx.flags)),
        },
    )


def async_url(url: str | URL) -> URL:
    """Normalise a postgresql:// URL to the asyncpg driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed


def app_url_for(owner_url: str | URL, role: str) -> URL:
    """The application role's URL on the same server and database as the owner's."""
    return async_url(owner_url).set(username=role, password=None)


@dataclass(frozen=True)
class DatabaseUrls:
    owner: URL
    app: URL


def resolve_urls(settings: Settings) -> DatabaseUrls:
    """Owner and application URLs; starts the embedded server when none is configured."""
    owner = settings.database_url or embedded.start(settings.embedded_data_dir)
    app = settings.app_database_url or app_url_for(owner, settings.app_db_role)
    return DatabaseUrls(owner=async_url(owner), app=async_url(app))


class Database:
    """The application's engine plus tenant-scoped transactions."""

    def __init__(self, url: str | URL, *, pool_size: int = 10, echo: bool = False) -> None:
        self.engine: AsyncEngine = create_async_engine(
            async_url(url),
            pool_size=pool_size,
            pool_pre_ping=True,
            echo=echo,
            # The row-level-security policies give plans many small subplans; PostgreSQL's JIT
            # then spends seconds compiling what runs in milliseconds (seen on PostgreSQL 15).
            connect_args={"server_settings": {"jit": "off"}},
        )
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self, ctx: TenantContext, *, read_only: bool = False) -> AsyncIterator[AsyncSession]:
        """One transaction with `ctx` applied; commits on success, rolls back on error."""
        async with self.sessionmaker() as session, session.begin():
            if read_only:
                await session.execute(text("SET TRANSACTION READ ONLY"))
            await apply_tenant_context(session, ctx)
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
