"""Bearer JWTs: issuing the platform's own tokens and verifying every token a request carries.

Verification (authlib's JOSE) checks, in order: the compact form, the algorithm
against an allow-list of public-key algorithms, the `kid` against the trusted
key sets (each bound to one issuer), the signature, then `iss`, `aud`, `exp`,
`nbf` and `iat` with a small clock-skew allowance.  Tokens the platform issued
to a registered client also have the client's current state checked.

A verified token is remembered (`cache_entries`, by its SHA-256; failures never are) until its `exp` plus
the leeway, exactly as long as verifying it again would accept it.  A remembered token is accepted again
only while the key that signed it is still the same object in its issuer's key set (a key set that was
re-read, after a rotation or a removed key, sends every token through full verification again), and a
client token's client is checked again every time (`client_check`, with its own short cache), so a
disabled client's cached tokens stop working as soon as uncached ones would.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
import warnings
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import authlib.deprecate  # noqa: F401 - installs authlib's own warning filter before ours
from cachetools import LRUCache

from .identity import Identity
from .keys import KeyLoadError, KeySource, algorithm_of

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.jose import JsonWebToken, KeySet
    from authlib.jose.errors import (
        BadSignatureError,
        ExpiredTokenError,
        InvalidClaimError,
        InvalidTokenError,
        JoseError,
        MissingClaimError,
    )
    from authlib.jose.rfc7517 import Key

#: Key type each algorithm family needs (an RS256 token is never checked with an EC key and vice versa).
_KEY_TYPE_OF = {"RS": "RSA", "PS": "RSA", "ES": "EC"}


class InvalidToken(Exception):
    """The bearer token is not acceptable; `description` says why (sent to the caller)."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


@dataclass(frozen=True)
class TrustedIssuer:
    """An issuer and the keys its tokens are signed with.  `platform` marks the platform's own tokens."""

    issuer: str
    keys: KeySource
    platform: bool = False


#: Checks a registered client's state; returns a reason to refuse, or None when the client is usable.
ClientCheck = Callable[[str], Awaitable[str | None]]


def scopes_of(claims: dict[str, Any]) -> frozenset[str]:
    """Scopes from the `scope` claim (space-separated, RFC 8693) or an `scp` list."""
    raw = claims.get("scope", claims.get("scp", ""))
    if isinstance(raw, str):
        return frozenset(raw.split())
    if isinstance(raw, list) and all(isinstance(s, str) for s in raw):
        return frozenset(raw)
    raise InvalidToken("The token's scope claim is malformed.")


def _segment(data: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))


def unverified_header(token: str) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("The token is not a signed JWT (expected three dot-separated parts).")
    try:
        header = _segment(parts[0])
    except ValueError as exc:
        raise InvalidToken("The token's header is not valid base64url-encoded JSON.") from exc
    if not isinstance(header, dict):
        raise InvalidToken("The token's header is not a JSON object.")
    return header


class TokenVerifier:
    """Turns a bearer token into a verified Identity, or raises InvalidToken."""

    def __init__(
        self,
        issuers: Iterable[TrustedIssuer],
        *,
        audience: str,
        algorithms: Iterable[str],
        leeway: int = 60,
        client_check: ClientCheck | None = None,
        platform_tokens_need_client: bool = False,
        cache_entries: int = 0,
    ) -> None:
        """`platform_tokens_need_client` (production): tokens of the platform's own issuer must name a
        registered client, so each can be revoked; development tokens from `kkr mint-token` name none.
        `cache_entries`: how many verified tokens to remember (module docstring); 0 remembers none."""
        self.issuers = tuple(issuers)
        self.platform_tokens_need_client = platform_tokens_need_client
        self.audience = audience
        self.algorithms = frozenset(algorithms)
        self.leeway = leeway
        self.client_check = client_check
        self._verified: LRUCache[bytes, _Verified] | None = LRUCache(cache_entries) if cache_entries > 0 else None

    async def verify(self, token: str) -> Identity:
        if self._verified is None:
            return (await self._verify(token)).identity
        digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
        found = self._verified.get(digest)
        if found is not None and await self._still_valid(found):
            if found.identity.client_id is not None:
                await self._check_client(found.identity.client_id)
            return found.identity
        self._verified.pop(digest, None)
        verified = await self._verify(token)
        self._verified[digest] = verified
        return verified.identity

    async def _still_valid(self, verified: _Verified) -> bool:
        """Whether a remembered token would still pass: not past exp + leeway, its key unchanged."""
        if time.time() > verified.expires + self.leeway:
            return False
        try:
            keys = await verified.issuer.keys.key_set()
        except KeyLoadError:
            return False
        return any(key is verified.key for key in keys.keys)

    async def _verify(self, token: str) -> _Verified:
        header = unverified_header(token)
        alg = header.get("alg")
        if alg not in self.algorithms:
            raise InvalidToken(f"The signing algorithm {alg!r} is not accepted (allowed: {sorted(self.algorithms)}).")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("The token's header names no signing key (kid).")
        issuer, key = await self._find_key(kid)
        if key.kty != _KEY_TYPE_OF.get(alg[:2]) or algorithm_of(key) != alg:
            raise InvalidToken(f"The signing key {kid!r} is not for algorithm {alg!r}.")
        claims = self._decode(token, alg, key, issuer)
        identity = await self._identity(claims, issuer)
        return _Verified(identity, issuer, key, claims["exp"])

    async def _find_key(self, kid: str) -> tuple[TrustedIssuer, Key]:
        unavailable: list[str] = []
        for refresh in (False, True):
            unavailable.clear()
            for issuer in self.issuers:
                try:
                    keys: KeySet = await issuer.keys.key_set(refresh=refresh)
                except KeyLoadError:
                    unavailable.append(issuer.issuer)
                    continue
                for key in keys.keys:
                    if key.kid == kid:
                        return issuer, key
        if unavailable:
            raise InvalidToken(f"Unknown signing key (kid {kid!r}); the keys of {unavailable} are unavailable.")
        raise InvalidToken(f"The token is signed with an unknown key (kid {kid!r}).")

    def _decode(self, token: str, alg: str, key: Key, issuer: TrustedIssuer) -> dict[str, Any]:
        options = {
            "iss": {"essential": True, "value": issuer.issuer},
            "aud": {"essential": True, "value": self.audience},
            "sub": {"essential": True},
            "exp": {"essential": True},
            "iat": {"essential": True},
        }
        try:
            claims = JsonWebToken([alg]).decode(token, key, claims_options=options)
        except BadSignatureError as exc:
            raise InvalidToken("The token's signature is invalid.") from exc
        except JoseError as exc:
            raise InvalidToken(f"The token cannot be decoded ({exc.error}).") from exc
        except ValueError as exc:
            raise InvalidToken("The token cannot be decoded.") from exc
        try:
            claims.validate(now=int(time.time()), leeway=self.leeway)
        except ExpiredTokenError as exc:
            raise InvalidToken("The token has expired.") from exc
        except MissingClaimError as exc:
            claim = (exc.description or "").split("'")[1:2] or ["?"]
            raise InvalidToken(f"The token lacks the required claim {claim[0]!r}.") from exc
        except InvalidClaimError as exc:
            raise InvalidToken(_claim_message(exc)) from exc
        except InvalidTokenError as exc:
            raise InvalidToken("The token is not valid yet (nbf or iat lies in the future).") from exc
        return dict(claims)

    async def _identity(self, claims: dict[str, Any], issuer: TrustedIssuer) -> Identity:
        subject = claims["sub"]
        if not isinstance(subject, str) or subject == "anonymous":
            raise InvalidToken("The token's subject is not acceptable.")
        client_id = claims.get("client_id") if issuer.platform else None
        if issuer.platform and client_id is None and self.platform_tokens_need_client:
            raise InvalidToken("The token names no client (client_id); this server accepts only client tokens.")
        if client_id is not None:
            if not isinstance(client_id, str):
                raise InvalidToken("The token's client_id claim is malformed.")
            await self._check_client(client_id)
        return Identity(subject=subject, scopes=scopes_of(claims), client_id=client_id)

    async def _check_client(self, client_id: str) -> None:
        if self.client_check is None:
            raise InvalidToken("Client tokens cannot be checked by this server.")
        refusal = await self.client_check(client_id)
        if refusal:
            raise InvalidToken(refusal)


@dataclass(frozen=True)
class _Verified:
    """A verified token: who it stands for, and what its acceptance rests on."""

    identity: Identity
    issuer: TrustedIssuer
    key: Key
    expires: int | float


def _claim_message(exc: InvalidClaimError) -> str:
    claim = exc.claim_name
    messages = {
        "iss": "The token's issuer does not match its signing key's issuer.",
        "aud": "The token is not meant for this API (wrong audience).",
        "exp": "The token's exp claim is malformed.",
        "nbf": "The token's nbf claim is malformed.",
        "iat": "The token's iat claim is malformed.",
    }
    return messages.get(claim, f"The token's {claim} claim is invalid.")


def issue_token(
    keys: KeySet,
    *,
    issuer: str,
    audience: str,
    subject: str,
    scopes: Iterable[str],
    lifetime: int,
    client_id: str | None = None,
) -> str:
    """A JWT signed with the first key of `keys` (the platform's current signing key)."""
    key = keys.keys[0]
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
        "scope": " ".join(sorted(set(scopes))),
    }
    if client_id is not None:
        claims["client_id"] = client_id
    header = {"alg": algorithm_of(key), "kid": key.kid, "typ": "JWT"}
    token: bytes = JsonWebToken([header["alg"]]).encode(header, claims, key)
    return token.decode()
