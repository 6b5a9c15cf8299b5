"""The per-request context GraphQL resolvers receive: who is asking and a database session."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from graphql import OperationType
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from .auth.identity import ANONYMOUS, PUBLIC_CONTRACTS, Identity
from .database import Database, TenantContext, discard
from .replicas import READ_AFTER_LSN_HEADER, ReadReplica, commit_position, writer_of
from .response_cache import DATA_VERSIONS, readable_tenants
from .settings import Settings
from .tenant_criteria import restrict, tenants_to_filter


class RequestFinished(RuntimeError):
    """A read asked for the request's session after the request ended (its result is discarded)."""


@dataclass
class RequestContext:
    """One request's view of the platform.

    `identity` comes from a verified token only, and with it the tenant context.  Reads share one session
    (opened on first use, closed when the operation ends); each mutation runs
    in its own transaction via `transaction()`.

    With a read replica (`replica`, `kkr.platform.replicas`), the read sessions of a query that has written
    nothing open there, once it holds what the caller must see; a mutation's commit position is kept in
    `commit_lsn` (the response's `KKR-Commit-LSN` header).

    Sibling fields run concurrently, so the reads take `statement_lock` around each statement
    (`kkr.schema.common.database`).  A field may be cancelled while its statement runs (graphql-core
    cancels the siblings of a failed non-null field; the request's time limit cancels everything), which
    leaves the connection unusable: `close()` takes the same lock, then rolls back or, if that fails,
    drops the connection.  It never raises, and it is called both when the operation ends and, in any
    case, when the HTTP request ends (`kkr.platform.app`).
    """

    db: Database
    settings: Settings
    identity: Identity = ANONYMOUS
    request: Request | None = None
    loaders: dict[str, Any] = field(default_factory=dict)
    statement_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    #: The operation's name (given, or the only operation's), for the request's log line.
    operation_name: str | None = None
    #: The answer depends on who asks beyond the scopes (e.g. `viewer`): the response cache keeps it per
    #: caller (`kkr.platform.response_cache`).  Set by such resolvers.
    personal: bool = False
    #: The streaming read replica, if one is configured.
    replica: ReadReplica | None = None
    #: The primary's WAL position after this request's last committed mutation (with a replica only).
    commit_lsn: str | None = None
    _wrote: bool = False
    _session: AsyncSession | None = None
    _published: AsyncSession | None = None
    _closed: bool = False

    @property
    def tenant(self) -> TenantContext:
        return self.identity.tenant_context()

    @property
    def request_id(self) -> str | None:
        """The HTTP request's id (`kkr.platform.request_log`), for error reports."""
        return getattr(self.request.state, "request_id", None) if self.request is not None else None

    async def session(self) -> AsyncSession:
        if self._session is None:
            self._check_open()
            self._session = await self._begin_read(self.tenant)
        return self._session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A write transaction on the primary; from its start on, this request reads from the primary too."""
        self._wrote = True
        async with self.db.transaction(self.tenant) as session:
            yield session
        if self.replica is not None:
            self.commit_lsn = await commit_position(self.db)
            self.replica.remember_commit(writer_of(self.identity), self.commit_lsn)

    async def published_contracts_session(self) -> AsyncSession:
        """The read transaction of the published-contracts query (one per request, like `session()`).
        With PUBLIC_CONTRACTS=true it also sees every region's published contracts and their goals
        (nothing below them: policies `public_read`); otherwise it is the caller's own context."""
        if self._published is None:
            self._check_open()
            ctx = self.tenant
            if self.settings.public_contracts:
                ctx = replace(ctx, flags=ctx.flags | {PUBLIC_CONTRACTS})
            self._published = await self._begin_read(ctx, read_only=True)
        return self._published

    async def _begin_read(self, ctx: TenantContext, *, read_only: bool = False) -> AsyncSession:
        """A read transaction: on the replica when this request may read there and it is fresh enough (the
        module docstring of `kkr.platform.replicas`), otherwise on the primary.  Its ORM reads name the
        caller's tenants in their SQL when `ctx` reads own regions only (`kkr.platform.tenant_criteria`)."""
        session: AsyncSession | None = None
        if self.replica is not None and self._reads_replica():
            assert self.request is not None
            position = self.replica.required_position(
                writer_of(self.identity), self.request.headers.get(READ_AFTER_LSN_HEADER)
            )
            versions = self.request.scope.get("state", {}).get(DATA_VERSIONS)
            tenants = readable_tenants(self.identity, self.settings)
            session = await self.replica.begin(ctx, position=position, versions=versions, tenants=tenants)
        if session is None:
            session = await self.db.begin(ctx, read_only=read_only)
        restrict(session, tenants_to_filter(ctx))
        return session

    def _reads_replica(self) -> bool:
        """A query (never a mutation) that has written nothing."""
        operation = getattr(self.request.state, "graphql_operation", None) if self.request is not None else None
        return not self._wrote and operation is not None and operation.operation is OperationType.QUERY

    async def close(self) -> None:
        """End the read transactions (nothing to keep); idempotent, never raises an `Exception`.
        Work still pending after it (results graphql-core discards) cannot open a new session."""
        self._closed = True
        sessions = [s for s in (self._session, self._published) if s is not None]
        self._session = self._published = None
        if not sessions:
            return
        locked = False
        try:
            # Wait for a statement still running (a cancelled field's DataLoader batch) to finish or time out.
            async with asyncio.timeout(self.settings.statement_timeout_seconds + 1):
                await self.statement_lock.acquire()
            locked = True
        except TimeoutError:
            pass  # discard() then drops the busy connection
        try:
            for session in sessions:
                await discard(session)
        finally:
            if locked:
                self.statement_lock.release()

    def _check_open(self) -> None:
        if self._closed:
            raise RequestFinished("the request has ended; its database session is closed")
