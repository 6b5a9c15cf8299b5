"""Bearer tokens for tests: a test identity provider whose key the live server trusts.

    from .tokens import bearer

    def test_something(client, demo_data):
        response = client.post("/graphql", json={"query": "..."}, headers=bearer("region:sjaelland:read"))

`mint()` signs a JWT like the regional staff's identity provider would (issuer
`TEST_ISSUER`, audience `AUDIENCE`, scopes in the space-separated `scope`
claim); any claim can be overridden (None removes it) for negative tests.
The session's `settings` fixture (tests/conftest.py) gets `auth_settings()`.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from kkr.platform.auth.keys import generate_signing_key, parse_key_set, write_key_set

TEST_ISSUER = "https://idp.test.kkr.invalid"
AUDIENCE = "kkr-platform"
PLATFORM_ISSUER = "urn:kkr-platform:test"

#: The test identity provider's private key (an RSA JWK with kid/alg/use), generated once per test run.
IDP_KEY: dict[str, Any] = generate_signing_key("RSA")


def claims_for(*scopes: str, subject: str = "test-user", lifetime: int = 3600, **overrides: Any) -> dict[str, Any]:
    """The payload mint() signs; `overrides` replace claims, None removes one."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": TEST_ISSUER,
        "aud": AUDIENCE,
        "sub": subject,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
        "scope": " ".join(scopes),
    }
    for name, value in overrides.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


def sign(claims: dict[str, Any], key: dict[str, Any] | None = None, **header: Any) -> str:
    """Sign `claims` with `key` (default: the test IdP's); header fields (alg, kid, ...) can be overridden."""
    from authlib.jose import JsonWebToken

    key = key or IDP_KEY
    head = {"alg": key.get("alg", "RS256"), "kid": key["kid"], "typ": "JWT"}
    head.update(header)
    head = {name: value for name, value in head.items() if value is not None}
    unnamed = {name: value for name, value in key.items() if name != "kid"}  # the header alone names the key
    return JsonWebToken([head["alg"]]).encode(head, claims, unnamed, check=False).decode()


def mint(*scopes: str, key: dict[str, Any] | None = None, **overrides: Any) -> str:
    """A bearer token from the test identity provider for `scopes` (e.g. "region:sjaelland:write")."""
    return sign(claims_for(*scopes, **overrides), key)


def bearer(*scopes: str, **overrides: Any) -> dict[str, str]:
    """`Authorization` header for the given scopes: `client.post(..., headers=bearer("benchmark:read"))`."""
    return {"Authorization": f"Bearer {mint(*scopes, **overrides)}"}


def public_jwks(*keys: dict[str, Any]) -> dict[str, Any]:
    """The public JWKS document for private JWKs."""
    from kkr.platform.auth.keys import public_jwks as _public

    return _public(parse_key_set({"keys": list(keys)}, origin="test"))


def write_public_jwks(path: Path, *keys: dict[str, Any]) -> Path:
    write_key_set(path, public_jwks(*keys)["keys"])
    return path


def auth_settings(directory: Path, *idp_keys: dict[str, Any]) -> dict[str, Any]:
    """Settings for a server that trusts the test IdP (IDP_KEY unless keys are given) and has its own
    signing key in `directory`; client state is never cached so disabling takes effect at once."""
    directory.mkdir(parents=True, exist_ok=True)
    jwks = write_public_jwks(directory / "idp-jwks.json", *(idp_keys or (IDP_KEY,)))
    signing = directory / "signing-keys.json"
    if not signing.exists():
        write_key_set(signing, [generate_signing_key("EC")])
    return {
        "auth_audience": AUDIENCE,
        "idp_issuer": TEST_ISSUER,
        "idp_jwks": str(jwks),
        "token_issuer": PLATFORM_ISSUER,
        "signing_key_file": signing,
        "client_cache_seconds": 0,
        "token_failure_limit": 1000,  # the shared test server sees many deliberate failures (see test_auth_clients)
    }
