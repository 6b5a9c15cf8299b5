"""The response cache: answers of read queries, reused while the data they were computed from is unchanged.

An answer is kept under a key made of

- what the caller may see: its scopes (they decide its schema, its permissions and its row-level-security
  context) and the server's PUBLIC_CONTRACTS setting;
- the request as sent: the method and the JSON body of a POST (document, operation name and variables) or
  the query string of a GET, byte for byte;
- the *data versions* of every tenant the caller can read, and of the shared tables (`*`), read from
  PostgreSQL before the operation runs (`kkr_cache.data_version`, migration 0013).  Every committed write
  changes the versions of the tenants it touched, by trigger, in its own transaction.

So a read that starts after a write was acknowledged reads the new version and cannot meet an answer from
before the write, in whichever worker process or instance it lands: the processes share nothing but the
database, and each keeps its own cache (least recently used first out, `RESPONSE_CACHE_MAX_BYTES`).  An
answer is only kept when it is a query's, has status 200 and no errors; `RESPONSE_CACHE_TTL_SECONDS` bounds
how long an entry lives in any case.  Concurrent misses of one key in a process wait for the first one's
answer instead of each computing it (at most REQUEST_TIMEOUT_SECONDS; then, or if it fails, they compute
their own).

Answers that depend on who asks beyond the scopes (the `viewer` field: subject, client) are marked by their
resolver (`RequestContext.personal`): such a request is then looked up per caller.  A resolver that reads
the identity in any other way than through its scopes must mark the answer in the same way.

`CachedResponses` is route middleware on /graphql after authentication and the rate limit: a hit is
answered there, before the request is parsed, with no statement of its own when the rate limit read the
versions in its statement (`rate_limited(with_data_versions=True)`; otherwise one: the versions; and the
access-log entry for calls it records); a miss goes on to GraphQL, which leaves what the cache needs in `request.state`
(`graphql_operation` from `graphql_http`, `errors`, `graphql_context`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import OrderedDict
from dataclasses import dataclass

from graphql import OperationType
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import metrics
from .auth.access_log import is_logged, record_access
from .auth.http import identity_of
from .auth.identity import AGGREGATES_READ, BENCHMARK_READ, Identity
from .database import Database, DatabaseUnavailable, fetch_row, is_unreachable
from .graphql_http import JSON, _content_type, negotiate
from .settings import Settings

#: Response header saying whether the answer came from the cache (`hit`), was computed (`miss`).
CACHE_HEADER = "X-Cache"
SHARED = "*"

#: Where the rate limit leaves the data versions it read in the same statement (`scope["state"]`).
DATA_VERSIONS = "data_versions"


def versions_sql(tenants: str) -> str:
    """A scalar query: the data versions of the tenants in parameter `tenants` (a text[]; NULL: all)."""
    return (
        "SELECT coalesce(string_agg(tenant || '=' || version, ',' ORDER BY tenant), '')"
        f" FROM kkr_cache.data_version WHERE {tenants}::text[] IS NULL OR tenant = ANY({tenants}::text[])"
    )


_VERSIONS = versions_sql("$1")

#: The entry stored under a request's scope key when its answer depends on the caller (see module docstring).
_PERSONAL = b"personal"


def readable_tenants(identity: Identity, settings: Settings) -> frozenset[str] | None:
    """The tenants whose data an answer for `identity` may contain (None: every tenant)."""
    if identity.scopes & {BENCHMARK_READ, AGGREGATES_READ} or settings.public_contracts:
        return None  # cross-region reads, or every region's published contracts
    return identity.readable_regions | {SHARED}


def _digest(*parts: str | bytes) -> bytes:
    """SHA-256 of the parts, each prefixed by its length (no two lists of parts give the same input)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.digest()


@dataclass
class Pending:
    """A miss: where to keep the answer once it has been computed (`key`: the scope's key)."""

    key: bytes
    identity: Identity


@dataclass
class _Entry:
    body: bytes
    expires: float
    #: The operation's name, for the access log of a hit.
    operation_name: str | None = None


class ResponseCache:
    """One process's cache of answers (see the module docstring)."""

    def __init__(self, engine: AsyncEngine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.max_bytes = settings.response_cache_max_bytes
        self.max_entry_bytes = settings.response_cache_max_entry_bytes
        self.ttl = settings.response_cache_ttl_seconds
        self.wait_seconds = settings.request_timeout_seconds
        self._entries: OrderedDict[bytes, _Entry] = OrderedDict()
        self._bytes = 0
        #: The answers being computed, by key: their requests' waiters (see `lookup`).
        self._computing: dict[bytes, asyncio.Future[_Entry | None]] = {}

    @classmethod
    def from_settings(cls, db: Database, settings: Settings) -> ResponseCache | None:
        return cls(db.engine, settings) if settings.response_cache_enabled else None

    async def versions(self, tenants: frozenset[str] | None) -> str:
        """The current data versions of `tenants` (None: all), as one string."""
        row = await fetch_row(self.engine, _VERSIONS, None if tenants is None else sorted(tenants))
        assert row is not None, "an aggregate without GROUP BY returns one row"
        versions: str = row[0]
        return versions

    async def lookup(
        self, identity: Identity, db: Database, method: str, payload: bytes, versions: str | None = None
    ) -> _Entry | Pending | None:
        """The cached answer of a request (`payload`: a POST's body, a GET's query string), or `Pending` (a
        miss: `finish` it), or None (no answer from the cache: the database is unavailable).  `versions`:
        the caller's data versions if read already in this request (by the rate limit), else read here."""
        try:
            db.check_available()  # while the database is down, answer as if there were no cache
            if versions is None:
                versions = await self.versions(readable_tenants(identity, self.settings))
        except Exception as exc:
            if not isinstance(exc, DatabaseUnavailable) and is_unreachable(exc, connecting=True):
                db.mark_unavailable()
            return None
        key = _digest(" ".join(sorted(identity.scopes)), str(self.settings.public_contracts), method, versions, payload)
        entry = self._get(key)
        if entry is not None and entry.body == _PERSONAL:
            entry = self._get(_personal_key(key, identity))
        if entry is None:
            entry = await self._wait_for(key)
        if entry is None:
            self._computing.setdefault(key, asyncio.get_running_loop().create_future())
            return Pending(key, identity)
        return entry

    async def _wait_for(self, key: bytes) -> _Entry | None:
        """The answer another request of this process is computing for `key`, once it has it (None: none
        is being computed, it failed, was personal, or took longer than `wait_seconds`)."""
        computing = self._computing.get(key)
        if computing is None:
            return None
        try:
            return await asyncio.wait_for(asyncio.shield(computing), self.wait_seconds)
        except TimeoutError:
            return None

    def finish(
        self, pending: Pending, body: bytes | None, *, operation_name: str | None = None, personal: bool = True
    ) -> None:
        """End a miss: keep `body` (None: nothing to keep) and hand it to the requests waiting for it."""
        entry = None if body is None else _Entry(body, time.monotonic() + self.ttl, operation_name)
        if entry is not None:
            if personal:
                self._put(pending.key, _Entry(_PERSONAL, entry.expires))
                self._put(_personal_key(pending.key, pending.identity), entry)
            else:
                self._put(pending.key, entry)
        computing = self._computing.pop(pending.key, None)
        if computing is not None and not computing.done():
            computing.set_result(None if personal else entry)

    def _get(self, key: bytes) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires < time.monotonic():
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry

    def _put(self, key: bytes, entry: _Entry) -> None:
        if len(entry.body) > self.max_entry_bytes:
            return
        self._drop(key)
        self._entries[key] = entry
        self._bytes += len(entry.body)
        while self._bytes > self.max_bytes and self._entries:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: bytes) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry.body)

    def __len__(self) -> int:
        return len(self._entries)


def _personal_key(key: bytes, identity: Identity) -> bytes:
    return _digest(key, identity.subject, identity.client_id or "")


class CachedResponses:
    """ASGI route middleware for /graphql: answer from the response cache, or compute and keep (see the
    module docstring).  Requests the cache cannot answer alike go on untouched: other methods, a POST whose
    body is not JSON, an Accept header neither JSON type satisfies, a GET without a query (GraphiQL)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cache: ResponseCache | None = getattr(scope["app"].state, "response_cache", None)
        request = Request(scope, receive)
        media_type = negotiate(request.headers.get("accept"))
        if cache is None or scope["type"] != "http" or media_type is None:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "POST" and request.headers.get("content-type", "").split(";")[0].strip() == JSON:
            payload = await request.body()  # bounded by the request limits (RequestLimits, outside)
            receive = replay_body(payload, receive)
        elif scope["method"] == "GET" and b"query=" in scope["query_string"]:
            payload = scope["query_string"]
        else:
            await self.app(scope, receive, send)
            return
        db: Database = scope["app"].state.db
        identity = identity_of(request)
        found = await cache.lookup(identity, db, scope["method"], payload, scope.get("state", {}).get(DATA_VERSIONS))
        if isinstance(found, _Entry):
            metrics.cache_lookup(scope, hit=True, operation_name=found.operation_name)
            if is_logged(identity):
                await _record_hit(db, identity, found, scope["method"], payload, request)
            await _send_body(send, found.body, _content_type(media_type))
        elif found is None:
            await self.app(scope, receive, send)
        else:
            metrics.cache_lookup(scope, hit=False)
            await self._compute(scope, receive, send, cache, found)

    async def _compute(
        self, scope: Scope, receive: Receive, send: Send, cache: ResponseCache, pending: Pending
    ) -> None:
        """Run the request; keep its answer when it is a query's without errors (status 200)."""
        state = Request(scope).state
        kept: list[bytes] | None = None
        operation_name = None

        async def capture(message: Message) -> None:
            nonlocal kept, operation_name
            if message["type"] == "http.response.start":
                operation = getattr(state, "graphql_operation", None)
                if (
                    message["status"] == 200
                    and operation is not None
                    and operation.operation is OperationType.QUERY
                    and not getattr(state, "errors", None)
                ):
                    kept = []
                    operation_name = operation.name.value if operation.name else None
                    MutableHeaders(scope=message)[CACHE_HEADER] = "miss"
            elif message["type"] == "http.response.body" and kept is not None:
                kept.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            context = getattr(state, "graphql_context", None)
            cache.finish(
                pending,
                b"".join(kept) if kept is not None else None,
                operation_name=operation_name,
                personal=getattr(context, "personal", True),
            )


def replay_body(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the body read already to the application, then waits as the original."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


async def _send_body(send: Send, body: bytes, content_type: str) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
        (CACHE_HEADER.lower().encode(), b"hit"),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _record_hit(
    db: Database, identity: Identity, entry: _Entry, method: str, payload: bytes, request: Request
) -> None:
    """The access-log entry of a hit: the same as the operation would have written (`schema/access_log.py`)."""
    if method == "POST":
        parameters = json.loads(payload)
        document, variables = parameters.get("query"), parameters.get("variables")
    else:
        document = request.query_params.get("query")
        variables = json.loads(request.query_params.get("variables") or "null")
    await record_access(db, identity, operation_name=entry.operation_name, document=document, variables=variables)


def cached_responses() -> Middleware:
    """Route middleware for /graphql (after `bearer_auth_middleware()` and `rate_limited()`)."""
    return Middleware(CachedResponses)
