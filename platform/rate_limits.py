"""Per-caller rate limits, counted in PostgreSQL so that every worker process and instance shares them.

The counters live in the database (migration 0011: a sliding-window counter per bucket, one call of the
SECURITY DEFINER function `kkr_rate_limit` per request).  Who is counted, the *bucket*:

- a caller with a verified token: its client id (`client:<id>`: every token of one machine client), or
  else its subject (`subject:<sub>`: a person from the identity provider); limit
  `RATE_LIMIT_AUTHENTICATED` requests per `RATE_LIMIT_WINDOW_SECONDS`;
- anyone else: the peer address (`address:<ip>`, IPv6 by its /64, the block one host usually has); limit
  `RATE_LIMIT_ANONYMOUS`.  The address is the ASGI scope's `client`: behind a reverse proxy start uvicorn
  with `--proxy-headers --forwarded-allow-ips=<the proxy's address>`, which puts the client's address
  there.  No request header is read here, so a caller cannot choose its bucket.

`RateLimit` is route middleware, placed after bearer authentication (it needs the verified identity,
`platform/auth/http.py`) on /graphql and the aggregate exports, and on /oauth/token (where the caller is
anonymous until the token endpoint has checked its secret, so it is counted by address).  A refused
request gets 429 with `Retry-After` (whole seconds) and a JSON body: GraphQL-over-HTTP `errors` with
`extensions.code = "RATE_LIMITED"`, or an OAuth error object at /oauth/token.  Refused requests are not
counted.

The limiter fails open: when the database does not answer within `CALL_TIMEOUT` seconds or the call fails,
the request goes on (and meets the database's own failure, SERVICE_UNAVAILABLE, if it is down), and the
limiter does not ask again for `BACKOFF_SECONDS`, so an outage adds no delay to every request.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import json
import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from . import metrics
from .auth.http import identity_of
from .auth.identity import Identity
from .database import fetch_row
from .graphql_http import JSON, _content_type, negotiate
from .response_cache import DATA_VERSIONS, readable_tenants, versions_sql

RATE_LIMITED = "RATE_LIMITED"
#: Longest wait for the database's answer before the request goes on unlimited.
CALL_TIMEOUT = 1.0
#: After a failed or late answer, how long requests go on without asking the database.
BACKOFF_SECONDS = 5.0

_HIT = "SELECT allowed, retry_after FROM kkr_rate_limit($1, $2, $3, $4)"
#: The same, and the response cache's data versions of the tenants in $5, in one round trip.
_HIT_AND_VERSIONS = (
    f"SELECT hit.allowed, hit.retry_after, ({versions_sql('$5')}) AS versions"
    " FROM kkr_rate_limit($1, $2, $3, $4) AS hit"
)
_MAX_KEY = 200

log = logging.getLogger("kkr.rate_limits")


@dataclass(frozen=True)
class Decision:
    """The database's answer for one hit: allowed, or refused for `retry_after` whole seconds (>= 1)."""

    allowed: bool
    retry_after: int = 0
    #: The caller's data versions, when asked for (`RateLimiter.hit`'s `versions_of`).
    versions: str | None = None


class RateLimiter:
    """Asks `kkr_rate_limit` (migration 0011) whether a bucket may have one more hit."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine  # one statement per call, outside any transaction block (`fetch_row`)
        self._paused_until = 0.0
        self._calls: set[asyncio.Task[Decision]] = set()

    async def hit(
        self,
        bucket: str,
        max_hits: int,
        window_seconds: int,
        *,
        consume: bool = True,
        versions_of: frozenset[str] | bool | None = False,
    ) -> Decision | None:
        """Count one hit of `bucket` if it is allowed (with `consume` false: only ask whether it would be).
        `versions_of` (tenants, None: all; False: not asked): also read their data versions for the response
        cache in the same statement (`Decision.versions`).

        None when the database gave no answer in time: the caller goes on as if allowed."""
        if time.monotonic() < self._paused_until:
            return None
        call = asyncio.ensure_future(self._call(bucket, max_hits, window_seconds, consume, versions_of))
        self._calls.add(call)  # a late call finishes on its own (never cancelled mid-statement)
        call.add_done_callback(self._finished)
        done, _ = await asyncio.wait({call}, timeout=CALL_TIMEOUT)
        if not done:
            self._pause(f"no answer within {CALL_TIMEOUT} s")
            return None
        if call.exception() is not None:
            exc = call.exception()
            self._pause(f"{type(exc).__name__}: {str(exc)[:200]}")
            return None
        return call.result()

    async def _call(
        self, bucket: str, max_hits: int, window_seconds: int, consume: bool, versions_of: frozenset[str] | bool | None
    ) -> Decision:
        if versions_of is False:
            row = await fetch_row(self.engine, _HIT, bucket, max_hits, window_seconds, consume)
        else:
            tenants = sorted(versions_of) if isinstance(versions_of, frozenset) else None
            row = await fetch_row(self.engine, _HIT_AND_VERSIONS, bucket, max_hits, window_seconds, consume, tenants)
        assert row is not None  # the function returns one row
        if row["allowed"]:
            return Decision(True, versions=row.get("versions"))
        return Decision(False, max(1, math.ceil(row["retry_after"])))

    def _finished(self, call: asyncio.Task[Decision]) -> None:
        self._calls.discard(call)
        if not call.cancelled():
            call.exception()  # retrieved: a late failure is not reported again as "never retrieved"

    def _pause(self, reason: str) -> None:
        self._paused_until = time.monotonic() + BACKOFF_SECONDS
        log.warning("rate limits not checked for %.0f s (requests go on unlimited): %s", BACKOFF_SECONDS, reason)


def _short(key: str) -> str:
    """Keys stay short whatever a token's subject holds."""
    if len(key) <= _MAX_KEY:
        return key
    kind = key.partition(":")[0]
    return f"{kind}-sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def address_key(client: tuple[str, int] | None) -> str:
    """The bucket of an anonymous caller: its address, an IPv6 address by its /64 network."""
    host = client[0] if client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return _short(f"address:{host}")
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"address:{address.ipv4_mapped}"
        return f"address:{ipaddress.IPv6Network((address, 64), strict=False)}"
    return f"address:{address}"


def bucket_of(identity: Identity, client: tuple[str, int] | None) -> str:
    """Who a request is counted against: client id, else token subject, else (anonymous) address."""
    if identity.client_id:
        return _short(f"client:{identity.client_id}")
    if not identity.is_anonymous:
        return _short(f"subject:{identity.subject}")
    return address_key(client)


def refusal_body(style: str, setting: str, max_hits: int, window: int, retry_after: int, who: str) -> dict[str, Any]:
    message = (
        f"Too many requests: {who} sent more than {max_hits} requests in {window} s (the limit, setting "
        f"{setting}); retry in {retry_after} s."
    )
    if style == "oauth":
        return {"error": "temporarily_unavailable", "error_description": message}
    return {
        "errors": [
            {
                "message": message,
                "extensions": {
                    "code": RATE_LIMITED,
                    "limit": setting,
                    "max": max_hits,
                    "windowSeconds": window,
                    "retryAfter": retry_after,
                },
            }
        ]
    }


class RateLimit:
    """ASGI route middleware: count the request against its caller's bucket, refuse it with 429 when over.

    `style` is the shape of the refusal: "graphql" (GraphQL-over-HTTP JSON) or "oauth" (an OAuth error)."""

    def __init__(self, app: ASGIApp, style: str = "graphql", with_data_versions: bool = False) -> None:
        self.app = app
        self.style = style
        self.with_data_versions = with_data_versions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope["app"].state if scope["type"] == "http" and "app" in scope else None
        settings = getattr(state, "settings", None)
        if state is None or settings is None or not settings.rate_limit_enabled:
            await self.app(scope, receive, send)
            return
        identity = identity_of(Request(scope))
        authenticated = not identity.is_anonymous
        setting, max_hits = (
            ("RATE_LIMIT_AUTHENTICATED", settings.rate_limit_authenticated)
            if authenticated
            else ("RATE_LIMIT_ANONYMOUS", settings.rate_limit_anonymous)
        )
        window = settings.rate_limit_window_seconds
        versions_of = (
            readable_tenants(identity, settings)
            if self.with_data_versions and getattr(state, "response_cache", None) is not None
            else False
        )
        decision = await state.rate_limiter.hit(
            bucket_of(identity, scope.get("client")), max_hits, window, versions_of=versions_of
        )
        if decision is None or decision.allowed:
            if decision is not None and decision.versions is not None:
                scope.setdefault("state", {})[DATA_VERSIONS] = decision.versions
            await self.app(scope, receive, send)
            return
        metrics.rate_limit_refused(setting)
        who = "this client" if authenticated else "this address"
        await self._refuse(
            scope,
            send,
            refusal_body(self.style, setting, max_hits, window, decision.retry_after, who),
            decision.retry_after,
        )

    async def _refuse(self, scope: Scope, send: Send, body: dict[str, Any], retry_after: int) -> None:
        media_type = (
            JSON if self.style == "oauth" else _content_type(negotiate(Request(scope).headers.get("accept")) or JSON)
        )
        payload = json.dumps(body).encode()
        headers = [
            (b"content-type", media_type.encode()),
            (b"content-length", str(len(payload)).encode()),
            (b"retry-after", str(retry_after).encode()),
            (b"cache-control", b"no-store"),
        ]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


def rate_limited(style: str = "graphql", *, with_data_versions: bool = False) -> Middleware:
    """Route middleware for an endpoint under the rate limits (after `bearer_auth_middleware()`, if any).
    `with_data_versions`: the same statement reads the caller's data versions for the response cache
    (`kkr.platform.response_cache`, route middleware after this one), saving it a round trip."""
    return Middleware(RateLimit, style=style, with_data_versions=with_data_versions)
