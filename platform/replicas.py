"""Read replicas: read-only GraphQL operations on a streaming replica, everything else on the primary.

With DATABASE_REPLICA_URL set, a request's read transaction (`RequestContext.session()`) opens on the replica
when the request is a query and has written nothing; mutations, the reads of a mutation's payload (after its
write, in the same request), the rate limit, the access log and the machine clients' state stay on the
primary.  The API connects to the replica as the application role with the application URL's credentials
(`replica_url`), never as the owner: row-level security applies there as on the primary.

A replica lags behind.  A read goes to the replica only when the replica holds what the read must see, and
otherwise waits for it up to REPLICA_MAX_WAIT_SECONDS, then reads from the primary:

- **the caller's own writes** (read-your-writes): every committed mutation answers with the primary's WAL
  position after its commit in the response header `KKR-Commit-LSN`; a client that sends it back as
  `KKR-Read-After-LSN` is served by a replica that has replayed that far (any instance).  The process also
  remembers each caller's last commit position for REMEMBER_SECONDS, so a client that sends nothing reads
  its own writes too when its next request lands on the same process.
- **the data versions of the request** (`kkr.platform.response_cache`): when the request read its tenants'
  data versions on the primary (the response cache's key), the replica must show the same versions, so an
  answer cached under those versions was computed from exactly that data: the cache never keeps a stale
  replica's answer under a current key.  Versions are random per write (no order): a replica that is
  ahead of them (a write committed since) fails the check too, and that read goes to the primary.

An unreachable replica costs nothing but its reads' detour: `Database.begin` raises `DatabaseUnavailable`
(at once for DB_RETRY_AFTER_SECONDS after a failure) and the read goes to the primary.  docs/operations.md,
"Read replicas", shows the setup.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from cachetools import TTLCache
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncSession

from .auth.identity import Identity
from .database import Database, DatabaseUnavailable, TenantContext, async_url, discard, fetch_row
from .metrics import REPLICA_READS
from .response_cache import versions_sql
from .settings import Settings

log = logging.getLogger(__name__)

#: Response header: the primary's WAL position after a mutation's commit.
COMMIT_LSN_HEADER = "KKR-Commit-LSN"
#: Request header: read only from a replica that has replayed at least this far (a `KKR-Commit-LSN` value).
READ_AFTER_LSN_HEADER = "KKR-Read-After-LSN"
#: How long a process remembers a caller's last commit position.
REMEMBER_SECONDS = 300
_LSN = re.compile(r"([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})")
_POLL_SECONDS = 0.02

#: The primary's WAL position now (after this session's commit, which is flushed before it returns).
COMMIT_LSN_SQL = "SELECT pg_current_wal_lsn()::text"
#: The replica's replayed position (a primary given as replica: its own position) and the data versions.
_REPLICA_STATE = text(
    "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END::text,"
    f" ({versions_sql('CAST(:tenants AS text[])')})"
)


def parse_lsn(value: str) -> int | None:
    """A PostgreSQL LSN (`16/B374D848`) as a number, or None if `value` is not one."""
    match = _LSN.fullmatch(value.strip())
    return (int(match[1], 16) << 32) | int(match[2], 16) if match else None


def valid_read_after(value: str | None) -> bool:
    """Whether a `KKR-Read-After-LSN` header is absent or a WAL position."""
    return value is None or parse_lsn(value) is not None


def writer_of(identity: Identity) -> str | None:
    """Whose writes a later read must see: the machine client, or the token's subject (None: anonymous)."""
    if identity.is_anonymous:
        return None
    return f"client:{identity.client_id}" if identity.client_id else f"subject:{identity.subject}"


def replica_url(replica: str | URL, app: URL) -> URL:
    """The replica's URL with the application role's user and password (`app`): never another role."""
    return async_url(make_url(replica)).set(username=app.username, password=app.password)


class ReadReplica:
    """The replica's engine, its freshness checks and the callers' last commit positions."""

    def __init__(self, db: Database, *, max_wait: float, remember_entries: int = 10_000) -> None:
        self.db = db
        self.max_wait = max_wait
        self._last_commit: TTLCache[str, int] = TTLCache(maxsize=remember_entries, ttl=REMEMBER_SECONDS)

    @classmethod
    def from_settings(cls, app_url: URL, settings: Settings) -> ReadReplica | None:
        """The configured replica (DATABASE_REPLICA_URL), or None."""
        if not settings.database_replica_url:
            return None
        url = replica_url(settings.database_replica_url, app_url)
        return cls(Database.from_settings(url, settings), max_wait=settings.replica_max_wait_seconds)

    def remember_commit(self, caller: str | None, lsn: str) -> None:
        """Remember `caller`'s last commit position (anonymous callers are not remembered)."""
        position = parse_lsn(lsn)
        if caller is not None and position is not None:
            self._last_commit[caller] = max(position, self._last_commit.get(caller, 0))

    def required_position(self, caller: str | None, read_after: str | None) -> int | None:
        """How far the replica must have replayed for `caller`: its last commit here, or what it sent."""
        positions = [p for p in (self._last_commit.get(caller) if caller else None, _position(read_after)) if p]
        return max(positions) if positions else None

    async def begin(
        self,
        ctx: TenantContext,
        *,
        position: int | None,
        versions: str | None,
        tenants: frozenset[str] | None,
    ) -> AsyncSession | None:
        """A read transaction on the replica with `ctx`, once it has replayed to `position` and shows the data
        `versions` of `tenants` (None: all); None when it does not within `max_wait` or cannot be reached."""
        try:
            session = await self.db.begin(ctx)
        except DatabaseUnavailable:
            REPLICA_READS.labels("unreachable").inc()
            return None
        try:
            if await self._caught_up(session, position, versions, tenants):
                REPLICA_READS.labels("replica").inc()
                return session
            REPLICA_READS.labels("behind").inc()
        except Exception:
            REPLICA_READS.labels("unreachable").inc()
            log.warning("read replica: freshness check failed; reading from the primary", exc_info=True)
        await discard(session)
        return None

    async def _caught_up(
        self, session: AsyncSession, position: int | None, versions: str | None, tenants: frozenset[str] | None
    ) -> bool:
        if position is None and versions is None:
            return True
        deadline = time.monotonic() + self.max_wait
        params = {"tenants": None if tenants is None else sorted(tenants)}
        while True:
            replayed, shown = (await session.execute(_REPLICA_STATE, params)).one()
            at = parse_lsn(replayed or "")
            if (position is None or (at is not None and at >= position)) and (versions is None or shown == versions):
                return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(_POLL_SECONDS)

    @asynccontextmanager
    async def read_transaction(
        self, primary: Database, ctx: TenantContext, identity: Identity, read_after: str | None
    ) -> AsyncIterator[AsyncSession]:
        """A read-only transaction outside GraphQL (the aggregate exports): on the replica once it has replayed
        the caller's writes, else on the primary."""
        position = self.required_position(writer_of(identity), read_after)
        session = await self.begin(ctx, position=position, versions=None, tenants=None)
        if session is None:
            async with primary.transaction(ctx, read_only=True) as session:
                yield session
            return
        try:
            yield session
        finally:
            await discard(session)

    async def dispose(self) -> None:
        await self.db.dispose()


def _position(read_after: str | None) -> int | None:
    return parse_lsn(read_after) if read_after else None


async def commit_position(primary: Database) -> str:
    """The primary's WAL position now: after a commit that just returned, at or past its commit record."""
    row = await fetch_row(primary.engine, COMMIT_LSN_SQL)
    assert row is not None
    return str(row[0])
