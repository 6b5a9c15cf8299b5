"""Database engines and tenant-scoped transactions.

The API connects as the application role, which owns no table and lacks
BYPASSRLS.  Every transaction states its tenant context first, with
`set_config(..., true)` so it ends with the transaction; PostgreSQL's
row-level security does the rest.  A transaction with no context sees no
tenant rows at all.

The same statement sets the transaction's `statement_timeout` (setting
STATEMENT_TIMEOUT_SECONDS for the API), so no extra round trip is spent on it.
When the server cannot be reached, `Database` remembers it for
DB_RETRY_AFTER_SECONDS: requests in that window fail at once with
`DatabaseUnavailable` instead of each waiting for a connection attempt
(`kkr.platform.failures` turns it into 503 SERVICE_UNAVAILABLE); the first
request after the window tries again, so recovery needs no restart.

Pooled connections are not pinged before use (`pool_pre_ping` costs three round trips per checkout: BEGIN,
an empty query, ROLLBACK).  A connection that died in the pool (the server restarted) fails the first
statement of its transaction instead; SQLAlchemy then invalidates it and every older pooled connection, and
`begin` opens the transaction once more on a fresh one: nothing had been done in it yet.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from . import embedded
from .settings import Settings
from .settings_check import SettingsError


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
    " set_config('kkr.actor', :actor, true), set_config('kkr.flags', :flags, true),"
    " set_config('statement_timeout', coalesce(:timeout, current_setting('statement_timeout')), true)"
)


async def apply_tenant_context(
    session: AsyncSession, ctx: TenantContext, *, statement_timeout_ms: int | None = None
) -> None:
    """State the tenant context for the current transaction (local to it), and its statement timeout
    (milliseconds; None keeps the server's)."""
    await session.execute(
        _SET_CONTEXT,
        {
            "read": ",".join(sorted(ctx.read_tenants)),
            "write": ",".join(sorted(ctx.write_tenants)),
            "actor": ctx.actor,
            "flags": ",".join(sorted(ctx.flags)),
            "timeout": None if statement_timeout_ms is None else str(statement_timeout_ms),
        },
    )


class DatabaseUnavailable(Exception):
    """The database server cannot be reached (refused, timed out, shutting down, connection lost)."""


#: asyncpg's errors that mean the server is gone or refuses connections (SQLSTATE classes 08, 57P0x, 53300).
_UNREACHABLE = (
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
)


def lost_in_pool(exc: BaseException) -> bool:
    """A pooled connection found dead by a statement (SQLAlchemy invalidated it): the server went away."""
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def is_unreachable(exc: BaseException, *, connecting: bool = False) -> bool:
    """Whether `exc` (or what it wraps) says the database server cannot be reached.  While `connecting`,
    any network error (`OSError`: refused, reset, timed out, no route) counts: asyncpg raises them bare."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (DatabaseUnavailable, *_UNREACHABLE)):
            return True
        if lost_in_pool(current):
            return True
        if connecting and isinstance(current, OSError):
            return True
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return False


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
    """Owner and application URLs; starts the embedded server when none is configured (development only:
    in production a missing DATABASE_URL is a `SettingsError`, not a database inside the container)."""
    if settings.database_url is None and not settings.is_development:
        raise SettingsError(
            "DATABASE_URL=(not set): required with ENVIRONMENT=production (the embedded PostgreSQL is for "
            "development only)"
        )
    owner = settings.database_url or embedded.start(settings.embedded_data_dir)
    app = settings.app_database_url or app_url_for(owner, settings.app_db_role)
    return DatabaseUrls(owner=async_url(owner), app=async_url(app))


class Database:
    """The application's engine plus tenant-scoped transactions.

    `statement_timeout` (seconds, None: the server's) applies to every transaction opened here and by
    the request context; `connect_timeout` bounds each new connection; `retry_after` is how long the
    database counts as unavailable after a failed connection (`mark_unavailable`)."""

    def __init__(
        self,
        url: str | URL,
        *,
        pool_size: int = 10,
        echo: bool = False,
        connect_timeout: float = 10,
        statement_timeout: float | None = None,
        retry_after: float = 2,
    ) -> None:
        self.engine: AsyncEngine = create_async_engine(
            async_url(url),
            pool_size=pool_size,
            pool_pre_ping=False,  # see the module docstring: `begin` retries on a connection found dead
            echo=echo,
            # Error messages name the statement but never its parameters (a caller's 10 MB search string).
            hide_parameters=True,
            # The row-level-security policies give plans many small subplans; PostgreSQL's JIT
            # then spends seconds compiling what runs in milliseconds (seen on PostgreSQL 15).
            connect_args={"server_settings": {"jit": "off"}, "timeout": connect_timeout},
        )
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        self.statement_timeout_ms = None if statement_timeout is None else max(1, round(statement_timeout * 1000))
        self.retry_after = retry_after
        self._unavailable_until = 0.0

    @classmethod
    def from_settings(cls, url: str | URL, settings: Settings) -> Database:
        """The API's database: pool size, connect and statement timeouts from the settings."""
        return cls(
            url,
            pool_size=settings.db_pool_size,
            connect_timeout=settings.db_connect_timeout_seconds,
            statement_timeout=settings.statement_timeout_seconds,
            retry_after=settings.db_retry_after_seconds,
        )

    def mark_unavailable(self) -> None:
        """Remember that the server could not be reached: for `retry_after` seconds, fail at once.  Failures
        within that window (the refusals themselves, requests that were in flight) do not extend it, so the
        first request after it always tries again."""
        now = time.monotonic()
        if now >= self._unavailable_until:
            self._unavailable_until = now + self.retry_after

    def mark_available(self) -> None:
        self._unavailable_until = 0.0

    def check_available(self) -> None:
        """Raise `DatabaseUnavailable` while a recent failure says the server is unreachable."""
        if time.monotonic() < self._unavailable_until:
            raise DatabaseUnavailable("the database was unreachable moments ago")

    async def begin(self, ctx: TenantContext, *, read_only: bool = False) -> AsyncSession:
        """A new session in a transaction with `ctx` (and the statement timeout) applied; the caller ends it.

        When the pooled connection turns out to be dead (lost while idle in the pool), the transaction is
        opened once more on a new connection (the module docstring)."""
        self.check_available()
        for attempt in (1, 2):
            session = self.sessionmaker()
            try:
                await session.begin()
                if read_only:
                    await session.execute(text("SET TRANSACTION READ ONLY"))
                await apply_tenant_context(session, ctx, statement_timeout_ms=self.statement_timeout_ms)
            except BaseException as exc:
                await discard(session)
                if attempt == 1 and lost_in_pool(exc):
                    continue
                self._raise_if_unreachable(exc)
                raise
            self.mark_available()
            return session
        raise AssertionError("unreachable")  # pragma: no cover

    def _raise_if_unreachable(self, exc: BaseException) -> None:
        if isinstance(exc, Exception) and is_unreachable(exc, connecting=True):
            self.mark_unavailable()
            raise DatabaseUnavailable(str(exc)) from exc

    @asynccontextmanager
    async def transaction(self, ctx: TenantContext, *, read_only: bool = False) -> AsyncIterator[AsyncSession]:
        """One transaction with `ctx` applied; commits on success, rolls back on error."""
        session = await self.begin(ctx, read_only=read_only)
        try:
            yield session
            await session.commit()
        except BaseException:
            await discard(session)
            raise
        await session.close()

    async def dispose(self) -> None:
        await self.engine.dispose()


#: How long ending a transaction may take before its connection is dropped instead.
DISCARD_TIMEOUT_SECONDS = 2


async def discard(session: AsyncSession) -> None:
    """End a session whose connection may be unusable (lost, cancelled mid-statement): roll back if that
    works, otherwise invalidate the connection (the pool drops it and opens a fresh one later).  Never raises
    an `Exception`: a read transaction has nothing to keep, and its end must not fail the request."""
    try:
        async with asyncio.timeout(DISCARD_TIMEOUT_SECONDS):  # a server that no longer answers
            await session.rollback()
            await session.close()
    except Exception:
        with suppress(Exception):
            await session.invalidate()


async def fetch_row(engine: AsyncEngine, sql: str, *args: object) -> asyncpg.Record | None:
    """Run one statement outside any transaction block, straight on the driver (asyncpg: `$1` parameters,
    its prepared-statement cache): the platform's small per-request calls (rate limit, data versions, access
    log) cost one round trip and no SQLAlchemy execution.  A connection that fails other than by an error the
    server sent is dropped from the pool; when it was a pooled one found dead (the server restarted, no
    pre-ping: the module docstring), the statement runs once more on a fresh connection, as `Database.begin`
    opens its transaction once more."""
    for attempt in (1, 2):
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            try:
                return await driver.fetchrow(sql, *args)  # type: ignore[union-attr]
            except BaseException as exc:  # cancelled mid-statement, lost, closed: not an error the server sent
                if isinstance(exc, asyncpg.PostgresError) and not driver.is_closed():  # type: ignore[union-attr]
                    raise
                await conn.invalidate()
                if attempt == 2 or not isinstance(
                    exc, (asyncpg.ConnectionDoesNotExistError, asyncpg.InterfaceError, ConnectionError)
                ):
                    raise
    raise AssertionError("unreachable")  # pragma: no cover
