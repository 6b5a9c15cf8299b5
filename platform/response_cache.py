"""The response cache: answers of read queries, reused while the data they were computed from is unchanged.

An answer is kept under a key made of

- what the caller may see: its scopes (they decide its schema, its permissions and its row-level-security
  context) and the server's PUBLIC_CONTRACTS setting;
- the request: document, operation name and variables (canonical JSON);
- the *data versions* of every tenant the caller can read, and of the shared tables (`*`), read from
  PostgreSQL before the operation runs (`kkr_cache.data_version`, migration 0013).  Every committed write
  changes the versions of the tenants it touched, by trigger, in its own transaction.

So a read that starts after a write was acknowledged reads the new version and cannot meet an answer from
before the write, in whichever worker process or instance it lands: the processes share nothing but the
database, and each keeps its own cache (least recently used first out, `RESPONSE_CACHE_MAX_BYTES`).  An
answer is only kept when it has no errors; mutations are never cached.  `RESPONSE_CACHE_TTL_SECONDS` bounds
how long an entry lives in any case.  Concurrent misses of one key in a process wait for the first one's
answer instead of each computing it (at most `wait_seconds`; then, or if it fails, they compute their own).

Answers that depend on who asks beyond the scopes (the `viewer` field: subject, client) are marked by their
resolver (`RequestContext.personal`): such a document is then looked up per caller.  A resolver that reads
the identity in any other way than through its scopes must mark the answer in the same way.

A hit costs one statement (the versions); calls that the access log records (benchmark:read,
aggregates:read) are recorded on a hit too, before the answer is sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from graphql import OperationType
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response

from .auth.access_log import is_logged, record_access
from .auth.identity import AGGREGATES_READ, BENCHMARK_READ, Identity
from .database import Database, DatabaseUnavailable, fetch_row, is_unreachable
from .graphql_http import JSON, _content_type, negotiate
from .settings import Settings

#: Response header saying whether the answer came from the cache (`hit`), was computed (`miss`).
CACHE_HEADER = "X-Cache"
SHARED = "*"

_VERSIONS = (
    "SELECT coalesce(string_agg(tenant || '=' || version, ',' ORDER BY tenant), '')"
    " FROM kkr_cache.data_version WHERE $1::text[] IS NULL OR tenant = ANY($1::text[])"
)

#: The entry stored under a document's scope key when its answer depends on the caller (see module docstring).
_PERSONAL = b"personal"


def readable_tenants(identity: Identity, settings: Settings) -> frozenset[str] | None:
    """The tenants whose data an answer for `identity` may contain (None: every tenant)."""
    if identity.scopes & {BENCHMARK_READ, AGGREGATES_READ} or settings.public_contracts:
        return None  # cross-region reads, or every region's published contracts
    return identity.readable_regions | {SHARED}


def _digest(*parts: Any) -> str:
    # ASCII escapes: a lone surrogate (refused later, with a clear message) must not fail the hashing.
    encoded = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


@dataclass
class Pending:
    """A miss: where to keep the answer once it has been computed (`key`: the scope's key)."""

    key: str
    identity: Identity


@dataclass
class _Entry:
    body: bytes
    expires: float


class ResponseCache:
    """One process's cache of answers (see the module docstring)."""

    def __init__(self, engine: AsyncEngine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.max_bytes = settings.response_cache_max_bytes
        self.max_entry_bytes = settings.response_cache_max_entry_bytes
        self.ttl = settings.response_cache_ttl_seconds
        self.wait_seconds = settings.request_timeout_seconds
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._bytes = 0
        #: The answers being computed, by key: their requests' waiters (see `lookup`).
        self._computing: dict[str, asyncio.Future[bytes | None]] = {}

    @classmethod
    def from_settings(cls, db: Database, settings: Settings) -> ResponseCache | None:
        return cls(db.engine, settings) if settings.response_cache_enabled else None

    async def versions(self, tenants: frozenset[str] | None) -> str:
        """The current data versions of `tenants` (None: all), as one string."""
        row = await fetch_row(self.engine, _VERSIONS, None if tenants is None else sorted(tenants))
        return row[0]  # type: ignore[index]

    async def lookup(self, request: Request, identity: Identity, db: Database) -> Response | Pending | None:
        """The cached answer of this request, or `Pending` (a miss: keep the answer), or None (not
        cacheable).  Needs the request's parameters and operation (`graphql_http` leaves them in state)."""
        operation = getattr(request.state, "graphql_operation", None)
        parameters = getattr(request.state, "graphql_parameters", None)
        if operation is None or parameters is None or operation.operation is not OperationType.QUERY:
            return None
        try:
            db.check_available()  # while the database is down, answer as if there were no cache
            versions = await self.versions(readable_tenants(identity, self.settings))
        except Exception as exc:  # noqa: BLE001 - the operation itself meets and reports the failure
            if not isinstance(exc, DatabaseUnavailable) and is_unreachable(exc, connecting=True):
                db.mark_unavailable()
            return None
        key = _digest("scope", sorted(identity.scopes), self.settings.public_contracts, parameters.get("query"),
                      parameters.get("operationName"), parameters.get("variables") or {}, versions)
        body = self._get(key)
        if body == _PERSONAL:
            body = self._get(_personal_key(key, identity))
        if body is None:
            body = await self._wait_for(key)
        if body is None:
            self._computing.setdefault(key, asyncio.get_running_loop().create_future())
            return Pending(key, identity)
        if is_logged(identity):
            await record_access(db, identity, operation_name=operation.name.value if operation.name else None,
                                document=parameters.get("query"), variables=parameters.get("variables"))
        media_type = _content_type(negotiate(request.headers.get("accept")) or JSON)
        return Response(body, status_code=200, media_type=media_type, headers={CACHE_HEADER: "hit"})

    async def _wait_for(self, key: str) -> bytes | None:
        """The answer another request of this process is computing for `key`, once it has it (None: none
        is being computed, it failed, was personal, or took longer than `wait_seconds`)."""
        computing = self._computing.get(key)
        if computing is None:
            return None
        try:
            return await asyncio.wait_for(asyncio.shield(computing), self.wait_seconds)
        except TimeoutError:
            return None

    def finish(self, pending: Pending, response: Response | None, *, personal: bool) -> None:
        """End a miss: keep `response` (the caller checked it has no errors; None: nothing to keep) and hand
        it to the requests waiting for it."""
        body = None if response is None else bytes(response.body)
        if response is not None:
            response.headers[CACHE_HEADER] = "miss"
            if personal:
                self._put(pending.key, _PERSONAL)
                self._put(_personal_key(pending.key, pending.identity), body)  # type: ignore[arg-type]
            else:
                self._put(pending.key, body)  # type: ignore[arg-type]
        computing = self._computing.pop(pending.key, None)
        if computing is not None and not computing.done():
            computing.set_result(None if personal else body)

    def _get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires < time.monotonic():
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry.body

    def _put(self, key: str, body: bytes) -> None:
        if len(body) > self.max_entry_bytes:
            return
        self._drop(key)
        self._entries[key] = _Entry(body, time.monotonic() + self.ttl)
        self._bytes += len(body)
        while self._bytes > self.max_bytes and self._entries:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry.body)

    def __len__(self) -> int:
        return len(self._entries)


def _personal_key(key: str, identity: Identity) -> str:
    return _digest("personal", key, identity.subject, identity.client_id)
