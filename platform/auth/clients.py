"""Registered machine clients: secrets (scrypt), registration and disabling, lookup and state (API).

Operators write clients from the command line (`kkr register-client`,
`kkr disable-client`) or through the API with the `admin` scope (`registerClient`,
`disableClient`).  Both go through `register_client()` / `disable_client()` here and
the SECURITY DEFINER functions of migration 0006, in a transaction with the `admin`
flag (the API role itself can only read `oauth_client`).  Every use of a
client's token re-checks the client (cached for `client_cache_seconds` at most);
disabling a client is announced to every API process at once (`client_events`),
so its tokens stop working from the next request on.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ..database import NO_TENANT, Database
from ..models import OAuthClient, Region
from ..services.errors import ErrorCode, FieldError, ServiceError
from .identity import ADMIN, AGGREGATES_READ, BENCHMARK_READ, REGION_SCOPE

# scrypt: N=2^15, r=8, p=1 (~32 MiB, tens of milliseconds) - OWASP's recommended minimum is N=2^17 with
# p=1 for passwords; client secrets are 256-bit random values, so brute force is not the threat here.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**15, 8, 1
_CLIENT_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
KNOWN_SCOPES = frozenset({BENCHMARK_READ, AGGREGATES_READ, ADMIN})


class ClientError(ServiceError, ValueError):
    """A registration request is invalid (bad id, unknown scope, ...): one `FieldError` per problem.

    Field paths name the registration's fields (`client_id`, `name`, `scopes`, `tenants`,
    `expires_at`), so the API reports them as mutation errors; `str()` is the messages alone."""

    def __str__(self) -> str:
        return "; ".join(error.message for error in self.errors)


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
            secret.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=64 * 1024 * 1024,
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def scope_errors(scopes: Iterable[str], tenants: Iterable[str]) -> list[FieldError]:
    """Every scope must be known, and region scopes must name one of the client's tenants."""
    tenants = set(tenants)
    errors = []
    for index, scope in enumerate(scopes):
        match = REGION_SCOPE.match(scope)
        if match:
            if match["slug"] not in tenants:
                errors.append(
                    FieldError(
                        ("scopes", index),
                        ErrorCode.INVALID,
                        f"scope {scope!r} names a region the"
                        f" client is not registered for ({sorted(tenants)}); add it to the tenants",
                    )
                )
        elif scope not in KNOWN_SCOPES:
            errors.append(
                FieldError(
                    ("scopes", index),
                    ErrorCode.INVALID,
                    f"unknown scope {scope!r}; the scopes are"
                    f" {', '.join(sorted(KNOWN_SCOPES))} and region:<slug>:read|write",
                )
            )
    return errors


def check_scopes(scopes: Iterable[str], tenants: Iterable[str]) -> None:
    """Raise `ClientError` unless every scope is known and region scopes name one of the tenants."""
    if errors := scope_errors(scopes, tenants):
        raise ClientError(errors)


@dataclass(frozen=True)
class NewClient:
    """A valid registration (scopes and tenants sorted, without repeats), not yet stored."""

    client_id: str
    name: str
    scopes: list[str]
    tenants: list[str]
    expires_at: dt.datetime | None


async def validate_client(
    session: AsyncSession,
    client_id: str,
    *,
    name: str,
    scopes: Iterable[str],
    tenants: Iterable[str] = (),
    expires_at: dt.datetime | None = None,
) -> NewClient:
    """The one validation of a new client, for the command line and the API alike.

    Checks the id's form and that it is free, the name, at least one scope, every scope known,
    region scopes within the tenants, the tenants existing regions, and the expiry in the future;
    raises `ClientError` with every problem found."""
    scopes, tenants = list(scopes), list(tenants)
    errors: list[FieldError] = []
    if not _CLIENT_ID.match(client_id):
        errors.append(
            FieldError(
                ("client_id",), ErrorCode.INVALID, "the client id must be 3-64 characters of a-z, 0-9, '.', '_' and '-'"
            )
        )
    elif await session.scalar(select(OAuthClient.client_id).where(OAuthClient.client_id == client_id)) is not None:
        errors.append(FieldError(("client_id",), ErrorCode.DUPLICATE, f"the client {client_id!r} already exists"))
    if not name.strip():
        errors.append(FieldError(("name",), ErrorCode.REQUIRED, "the client needs a name (who it is)"))
    if not scopes:
        errors.append(FieldError(("scopes",), ErrorCode.REQUIRED, "a client needs at least one scope"))
    errors += scope_errors(scopes, tenants)
    known = set()
    if tenants:
        known = set((await session.scalars(select(Region.slug).where(Region.slug.in_(tenants)))).all())
    errors += [
        FieldError(
            ("tenants", index), ErrorCode.INVALID, f"unknown region {tenant!r}; the regions are the slugs of `regions`"
        )
        for index, tenant in enumerate(tenants)
        if tenant not in known
    ]
    if expires_at is not None:
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=dt.UTC)
        if expires_at <= dt.datetime.now(dt.UTC):
            errors.append(
                FieldError(("expires_at",), ErrorCode.INVALID, f"the expiry {expires_at.isoformat()} lies in the past")
            )
    if errors:
        raise ClientError(errors)
    return NewClient(client_id, name.strip(), sorted(set(scopes)), sorted(set(tenants)), expires_at)


def new_secret() -> tuple[str, str]:
    """A new client secret and its hash (only the hash is stored; the secret is shown once)."""
    secret = secrets.token_urlsafe(32)
    return secret, hash_secret(secret)


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
        return cls(
            row.client_id,
            row.secret_hash,
            frozenset(row.scopes),
            frozenset(row.tenants),
            row.expires_at,
            row.disabled_at,
        )

    def refusal(self, now: dt.datetime | None = None) -> str | None:
        """Why the client may not be used now, or None."""
        now = now or dt.datetime.now(dt.UTC)
        if self.disabled_at is not None:
            return f"The client {self.client_id!r} is disabled."
        if self.expires_at is not None and self.expires_at <= now:
            return f"The client {self.client_id!r} has expired."
        return None


#: The NOTIFY channel on which `kkr_disable_client` (migration 0006) announces client changes.
CHANNEL = "kkr_client_changed"


# --- operators (owner connection) ------------------------------------------------------------------


# --- the API (application role) --------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """A client registered through the API: its row and its secret (to be shown this once)."""

    client: OAuthClient
    secret: str


async def register_client(
    session: AsyncSession,
    client_id: str,
    *,
    name: str,
    scopes: Iterable[str],
    tenants: Iterable[str] = (),
    expires_at: dt.datetime | None = None,
) -> Registration:
    """Register a client in a transaction with the `admin` flag: an admin's API request
    (`RequestContext.transaction()`) or the command line (`admin_session`).

    The row is written by the SECURITY DEFINER function `kkr_register_client` (migration 0006), which
    refuses transactions without the `admin` flag and records the transaction's actor as `created_by`."""
    client = await validate_client(session, client_id, name=name, scopes=scopes, tenants=tenants, expires_at=expires_at)
    secret, secret_hash = await asyncio.to_thread(new_secret)  # scrypt takes tens of milliseconds
    try:
        async with session.begin_nested():
            await session.execute(
                text(
                    "SELECT kkr_register_client(:client_id, :name, :secret_hash, CAST(:scopes AS text[]),"
                    " CAST(:tenants AS text[]), :expires_at)"
                ),
                {
                    "client_id": client.client_id,
                    "name": client.name,
                    "secret_hash": secret_hash,
                    "scopes": client.scopes,
                    "tenants": client.tenants,
                    "expires_at": client.expires_at,
                },
            )
    except IntegrityError:  # registered by someone else since the check
        raise ClientError(
            [FieldError(("client_id",), ErrorCode.DUPLICATE, f"the client {client_id!r} already exists")]
        ) from None
    row = (await session.execute(select(OAuthClient).where(OAuthClient.client_id == client.client_id))).scalar_one()
    return Registration(row, secret)


async def disable_client(session: AsyncSession, client_id: str) -> OAuthClient:
    """Disable a client in a transaction with the `admin` flag; its tokens are refused once it commits.

    `kkr_disable_client` (migration 0006) writes and announces the change (`client_events`)."""
    found = await session.scalar(text("SELECT kkr_disable_client(:client_id)"), {"client_id": client_id})
    if not found:
        raise ClientError([FieldError(("client_id",), ErrorCode.NOT_FOUND, f"no client {client_id!r}")])
    query = select(OAuthClient).where(OAuthClient.client_id == client_id).execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one()


async def find_client(db: Database, client_id: str) -> RegisteredClient | None:
    async with db.transaction(NO_TENANT, read_only=True) as session:
        row = await session.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))
        return RegisteredClient.from_row(row) if row is not None else None


class ClientStatusCache:
    """Checks that a token's client is still usable; remembers the answer for `max_age` seconds.

    Only while `reliable` (a `ClientChangeListener` is connected and drops changed clients): otherwise
    every use asks the database.  A change heard during a lookup keeps that lookup's answer out of
    the cache (`_generation`), so a disable is never overwritten by an older read."""

    def __init__(self, db: Database, *, max_age: float) -> None:
        self.db = db
        self.max_age = max_age
        self.reliable = False
        self._cache: dict[str, tuple[float, str | None]] = {}
        self._generation = 0

    async def __call__(self, client_id: str) -> str | None:
        now = time.monotonic()
        cached = self._cache.get(client_id) if self.reliable else None
        if cached is not None and now - cached[0] < self.max_age:
            return cached[1]
        generation = self._generation
        client = await find_client(self.db, client_id)
        refusal = client.refusal() if client is not None else f"The client {client_id!r} is not registered."
        if self.max_age > 0 and self.reliable and generation == self._generation:
            self._cache[client_id] = (now, refusal)
        return refusal

    def forget(self, client_id: str) -> None:
        """The client changed (see `client_events`): ask the database next time."""
        self._generation += 1
        self._cache.pop(client_id, None)

    def forget_all(self) -> None:
        self._generation += 1
        self._cache.clear()
