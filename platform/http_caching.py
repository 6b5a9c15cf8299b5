"""HTTP caching of GraphQL answers: `Cache-Control`, `ETag` and `304 Not Modified` for GET queries.

A GET query's answer (status 200, no errors; a response-cache hit or a computed one) carries

- `ETag`: SHA-256 of who asked (scopes, subject, client) and the body, so no two callers share one;
- `Cache-Control: private, no-cache` for a caller with a token: only the caller's own (browser) cache may
  keep it, and must ask again each time (`If-None-Match` -> 304 while the answer is unchanged); a shared
  cache never keeps it, so it never serves one tenant's answer to another.  An anonymous caller's answer is
  the same for every anonymous caller: `public, no-cache`;
- `Vary: Authorization, Accept`: a cache keys the answer on the token and the negotiated media type.

Everything else /graphql answers (POST, mutations, errors) is `Cache-Control: no-store`.  Route
middleware on /graphql, outside the trusted documents' and the response cache's, so their refusals and
hits get the same headers.
"""

from __future__ import annotations

import hashlib

from graphql import OperationType
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .auth.http import identity_of
from .response_cache import CACHE_HEADER

NO_STORE = "no-store"


def _cacheable(state: object, headers: MutableHeaders, status: int) -> bool:
    if status != 200:
        return False
    if headers.get(CACHE_HEADER) == "hit":
        return True  # only answers without errors are kept
    operation = getattr(state, "graphql_operation", None)
    return operation is not None and operation.operation is OperationType.QUERY and not getattr(state, "errors", None)


def _etag(partition: str, body: bytes) -> str:
    digest = hashlib.sha256(partition.encode("utf-8"))
    digest.update(b"\0")
    digest.update(body)
    return f'"{digest.hexdigest()[:40]}"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {c.strip().removeprefix("W/") for c in if_none_match.split(",")}
    return "*" in candidates or etag in candidates


class HttpCaching:
    """ASGI route middleware for /graphql (module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] != "GET":

            async def no_store(message: Message) -> None:
                if message["type"] == "http.response.start":
                    MutableHeaders(scope=message).setdefault("cache-control", NO_STORE)
                await send(message)

            await self.app(scope, receive, no_store)
            return
        request = Request(scope)
        start: Message | None = None
        chunks: list[bytes] = []

        async def hold(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await self._answer(request, start, b"".join(chunks), send)
            else:
                await send(message)

        await self.app(scope, receive, hold)

    async def _answer(self, request: Request, start: Message | None, body: bytes, send: Send) -> None:
        assert start is not None, "a response starts before its body"
        headers = MutableHeaders(scope=start)
        if not _cacheable(request.state, headers, start["status"]):
            headers.setdefault("cache-control", NO_STORE)
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        identity = identity_of(request)
        etag = _etag(" ".join([identity.subject, identity.client_id or "", *sorted(identity.scopes)]), body)
        headers["etag"] = etag
        headers["cache-control"] = "public, no-cache" if identity.is_anonymous else "private, no-cache"
        headers.add_vary_header("Authorization")
        headers.add_vary_header("Accept")
        if _matches(request.headers.get("if-none-match"), etag):
            kept = {k: v for k, v in headers.items() if k in ("etag", "cache-control", "vary", CACHE_HEADER.lower())}
            not_modified = MutableHeaders(kept)
            await send({"type": "http.response.start", "status": 304, "headers": not_modified.raw})
            await send({"type": "http.response.body", "body": b""})
            return
        await send(start)
        await send({"type": "http.response.body", "body": body})


def http_caching() -> Middleware:
    """Route middleware for /graphql (after `rate_limited()`, before `trusted_documents()`)."""
    return Middleware(HttpCaching)
