"""Registered machine clients: secrets (scrypt), registration and disabling (owner), lookup and state (API).

Operators write clients with the owner's connection (`kkr register-client`,
`kkr disable-client`); the API role can only read them.  Every use of a
client's token re-checks the client (cached for `client_cache_seconds` at most);
disabling a client is announced to every API process at once (`client_events`),
so its tokens stop working from the next request on.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..database import NO_TENANT, Database
from ..models import OAuthClient, Region
from .identity import ADMIN, AGGREGATES_READ, BENCHMARK_READ, REGION_SCOPE

# scrypt: N=2^15, r=8, p=1 (~32 MiB, tens of milliseconds) - OWASP's recommended minimum is N=2^17 with
# p=1 for passwords; client secrets are 256-bit random values, so brute force is not the threat here.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**15, 8, 1
_CLIENT_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
KNOWN_SCOPES = frozenset({BENCHMARK_READ, AGGREGATES_READ, ADMIN})


class ClientError(ValueError):
    """A registration request is invalid (bad id, unknown scope, ...)."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        secret.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, maxmem=64 * 1024 * 1024, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_secret(secret: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            secret.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
            maxmem=64 * 1024 * 1024, dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def check_scopes(scopes: Iterable[str], tenants: Iterable[str]) -> None:
    """Every scope must be known, and region scopes must name one of the client's tenants."""
    tenants = set(tenants)
    for scope in scopes:
        match = REGION_SCOPE.match(scope)
        if match:
            if match["slug"] not in tenants:
                raise ClientError(f"scope {scope!r} names a region the client is not registered for ({sorted(tenants)})")
        elif scope not in KNOWN_SCOPES:
            raise ClientError(f"unknown scope {scope!r}")


@dataclass(frozen=True)
class RegisteredClient:
    """What the API needs of a client (never the secret itself)."""

    client_id: str
    secret_hash: str
    scopes: frozenset[str]
    tenants: frozenset[str]
    expires_at: dt.datetime | None
    disabled_at: dt.datetime | None

    @classmethod
    def from_row(cls, row: OAuthClient) -> RegisteredClient:
        return cls(row.client_id, row.secret_hash, frozenset(row.scopes), frozenset(row.tenants),
                   row.expires_at, row.disabled_at)

    def refusal(self, now: dt.datetime | None = None) -> str | None:
        """Why the client may not be used now, or None."""
        now = now or dt.datetime.now(dt.UTC)
        if self.disabled_at is not None:
            return f"The client {self.client_id!r} is disabled."
        if self.expires_at is not None and self.expires_at <= now:
            return f"The client {self.client_id!r} has expired."
        return None


#: The NOTIFY channel on which client changes are announced to the API processes.
CHANNEL = "kkr_client_changed"


# --- operators (owner connection) ------------------------------------------------------------------


async def register_client(
    session: AsyncSession,
    client_id: str,
    *,
    name: str,
    scopes: Iterable[str],
    tenants: Iterable[str] = (),
    expires_at: dt.datetime | None = None,
    created_by: str | None = None,
) -> str:
    """Store a new client and return its secret (shown once; only its hash is stored)."""
    if not _CLIENT_ID.match(client_id):
        raise ClientError("the client id must be 3-64 characters of a-z, 0-9, '.', '_' and '-'")
    scopes, tenants = sorted(set(scopes)), sorted(set(tenants))
    if not scopes:
        raise ClientError("a client needs at least one scope")
    check_scopes(scopes, tenants)
    if expires_at is not None and expires_at <= dt.datetime.now(dt.UTC):
        raise ClientError(f"the expiry {expires_at.isoformat()} lies in the past")
    known = set((await session.scalars(select(Region.slug).where(Region.slug.in_(tenants)))).all())
    if unknown := [tenant for tenant in tenants if tenant not in known]:
        raise ClientError(f"unknown region(s) {unknown}; the regions are the slugs of `regions`")
    if await session.get(OAuthClient, client_id) is not None:
        raise ClientError(f"the client {client_id!r} already exists")
    secret = secrets.token_urlsafe(32)
    session.add(OAuthClient(client_id=client_id, name=name, secret_hash=hash_secret(secret), scopes=scopes,
                            tenants=tenants, expires_at=expires_at, created_by=created_by))
    await session.flush()
    return secret


async def disable_client(session: AsyncSession, client_id: str) -> bool:
    """Disable a client (its tokens stop working); False when there is no such client.

    Every API process hears of it when the transaction commits (`client_events`)."""
    result = await session.execute(
        update(OAuthClient).where(OAuthClient.client_id == client_id)
        .values(disabled_at=dt.datetime.now(dt.UTC)).returning(OAuthClient.client_id)
    )
    if result.first() is None:
        return False
    await session.execute(text("SELECT pg_notify(:channel, :client_id)"), {"channel": CHANNEL, "client_id": client_id})
    return True


# --- the API (application role) --------------------------------------------------------------------


async def find_client(db: Database, client_id: str) -> RegisteredClient | None:
    async with db.transaction(NO_TENANT, read_only=True) as session:
        row = await session.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))
        return RegisteredClient.from_row(row) if row is not None else None


class ClientStatusCache:
    """Checks that a token's client is still usable; remembers the answer for `max_age` seconds."""

    def __init__(self, db: Database, *, max_age: float) -> None:
        self.db = db
        self.max_age = max_age
        self._cache: dict[str, tuple[float, str | None]] = {}

    async def __call__(self, client_id: str) -> str | None:
        now = time.monotonic()
        cached = self._cache.get(client_id)
        if cached is not None and now - cached[0] < self.max_age:
            return cached[1]
        client = await find_client(self.db, client_id)
        refusal = client.refusal() if client is not None else f"The client {client_id!r} is not registered."
        if self.max_age > 0:
            self._cache[client_id] = (now, refusal)
        return refusal

    def forget(self, client_id: str) -> None:
        """The client changed (see `client_events`): ask the database next time."""
        self._cache.pop(client_id, None)

    def forget_all(self) -> None:
        self._cache.clear()
