"""Bearer-token verification over real HTTP: every kind of bad token gets 401 with a clear reason."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import pytest

from kkr.platform.auth.keys import generate_signing_key
from kkr.platform.settings import Settings

from .tokens import AUDIENCE, IDP_KEY, PLATFORM_ISSUER, TEST_ISSUER, bearer, claims_for, mint, public_jwks, sign

QUERY = {"query": "{ __typename }"}
OTHER_KEY = generate_signing_key("RSA")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"


def post(client: httpx.Client, token: str) -> httpx.Response:
    return client.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {token}"})


def assert_refused(response: httpx.Response, fragment: str, error: str = "invalid_token") -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["error"] == error
    assert fragment.lower() in body["error_description"].lower(), body
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith(f'Bearer error="{error}", error_description="'), challenge


def test_a_valid_token_is_accepted(client: httpx.Client) -> None:
    assert post(client, mint("region:sjaelland:read")).status_code == 200


def test_the_scheme_is_case_insensitive(client: httpx.Client) -> None:
    response = client.post("/graphql", json=QUERY, headers={"Authorization": f"bearer {mint()}"})
    assert response.status_code == 200


def test_a_token_expired_within_the_clock_skew_is_still_accepted(client: httpx.Client) -> None:
    now = int(time.time())
    assert post(client, mint(exp=now - 20, iat=now - 600, nbf=now - 600)).status_code == 200


NOW = int(time.time())
REJECTED = [
    ("expired", dict(exp=NOW - 3600, iat=NOW - 7200, nbf=NOW - 7200), "expired"),
    ("not yet valid", dict(nbf=NOW + 3600), "not valid yet"),
    ("issued in the future", dict(iat=NOW + 3600), "not valid yet"),
    ("wrong issuer", dict(iss="https://evil.example"), "issuer"),
    ("wrong audience", dict(aud="another-api"), "audience"),
    ("no audience", dict(aud=None), "'aud'"),
    ("no expiry", dict(exp=None), "'exp'"),
    ("no subject", dict(sub=None), "'sub'"),
    ("non-numeric expiry", dict(exp="tomorrow"), "exp"),
]


@pytest.mark.parametrize(("case", "overrides", "fragment"), REJECTED, ids=[c[0] for c in REJECTED])
def test_bad_claims_are_refused(client: httpx.Client, case: str, overrides: dict[str, Any], fragment: str) -> None:
    now = int(time.time())
    fresh: dict[str, Any] = {k: (v - NOW + now if isinstance(v, int) else v) for k, v in overrides.items()}
    assert_refused(post(client, mint("region:sjaelland:read", **fresh)), fragment)


def test_an_unknown_kid_is_refused(client: httpx.Client) -> None:
    assert_refused(post(client, mint(key=OTHER_KEY)), "unknown key")


def test_a_missing_kid_is_refused(client: httpx.Client) -> None:
    token = sign(claims_for("region:sjaelland:read"), IDP_KEY, kid=None)
    assert_refused(post(client, token), "no signing key")


def test_a_bad_signature_is_refused(client: httpx.Client) -> None:
    forged = sign(claims_for("admin"), OTHER_KEY, kid=IDP_KEY["kid"])
    assert_refused(post(client, forged), "signature")


def test_a_tampered_payload_is_refused(client: httpx.Client) -> None:
    header, _, signature = mint("region:sjaelland:read").split(".")
    payload = b64(json.dumps(claims_for("admin")).encode())
    assert_refused(post(client, f"{header}.{payload}.{signature}"), "signature")


def test_alg_none_is_refused(client: httpx.Client) -> None:
    token = unsigned({"alg": "none", "kid": IDP_KEY["kid"], "typ": "JWT"}, claims_for("admin")) + "."
    assert_refused(post(client, token), "'none' is not accepted")


def test_hs256_signed_with_the_public_key_is_refused(client: httpx.Client) -> None:
    """The classic key-confusion attack: HMAC with the RSA public key (as PEM and as JWKS JSON) as secret."""
    from authlib.jose import JsonWebKey

    public = JsonWebKey.import_key(IDP_KEY).as_pem(is_private=False)
    for secret in (public, json.dumps(public_jwks(IDP_KEY)).encode()):
        signing_input = unsigned({"alg": "HS256", "kid": IDP_KEY["kid"], "typ": "JWT"}, claims_for("admin"))
        signature = b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())
        assert_refused(post(client, f"{signing_input}.{signature}"), "'HS256' is not accepted")


def test_a_key_is_only_good_for_its_own_algorithm(client: httpx.Client, settings: Settings) -> None:
    """The platform's key is an EC key: a token naming it with RS256 is refused before any crypto."""
    assert settings.signing_key_file is not None
    platform_kid = json.loads(settings.signing_key_file.read_text())["keys"][0]["kid"]
    token = sign(claims_for("admin", iss=PLATFORM_ISSUER), OTHER_KEY, kid=platform_kid)
    assert_refused(post(client, token), "not for algorithm")


def test_a_key_is_only_good_for_its_own_issuer(client: httpx.Client) -> None:
    """The identity provider's key cannot sign tokens that claim to come from the platform."""
    assert_refused(post(client, mint("admin", iss=PLATFORM_ISSUER, client_id="x")), "issuer")


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Basic dXNlcjpwYXNz", "Token abc", "Bearer a b", "Bearer" + "\t" + "x y", "abc"],
)
def test_a_malformed_authorization_header_is_refused(client: httpx.Client, header: str) -> None:
    response = client.post("/graphql", json=QUERY, headers={"Authorization": header})
    assert_refused(response, "Bearer <token>", error="invalid_request")


@pytest.mark.parametrize("token", ["abc", "a.b", "a.b.c", "e30.e30.", "....", "x" * 20 + "." + "y" * 20 + ".z"])
def test_garbage_tokens_are_refused(client: httpx.Client, token: str) -> None:
    assert_refused(post(client, token), "")


def test_no_authorization_header_means_anonymous(client: httpx.Client) -> None:
    response = client.post("/graphql", json=QUERY)
    assert response.status_code == 200
    assert response.json()["data"] == {"__typename": "Query"} and "errors" not in response.json()


def test_the_platform_publishes_its_public_keys(client: httpx.Client) -> None:
    keys = client.get("/.well-known/jwks.json").json()["keys"]
    assert keys and all("d" not in key and key["kid"] for key in keys)


def test_healthz_ignores_tokens(client: httpx.Client) -> None:
    assert client.get("/healthz", headers={"Authorization": "Bearer nonsense"}).status_code == 200


def test_test_tokens_use_the_test_issuer() -> None:
    claims = claims_for("region:sjaelland:read")
    assert (claims["iss"], claims["aud"], claims["scope"]) == (TEST_ISSUER, AUDIENCE, "region:sjaelland:read")
    assert bearer("admin")["Authorization"].startswith("Bearer ey")


@pytest.mark.parametrize("algorithms", [["none"], ["HS256"], ["RS256", "HS512"], []])
def test_settings_accept_public_key_algorithms_only(algorithms: list[str]) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="JWT algorithm"):
        Settings(jwt_algorithms=algorithms)


async def test_an_unavailable_key_set_does_not_hide_the_other_issuers(tmp_path) -> None:
    from kkr.platform.auth.keys import JwksFile, StaticKeys, parse_key_set
    from kkr.platform.auth.tokens import InvalidToken, TokenVerifier, TrustedIssuer

    missing = TrustedIssuer("https://gone.example", JwksFile(tmp_path / "missing.json"))
    present = TrustedIssuer(TEST_ISSUER, StaticKeys(parse_key_set(public_jwks(IDP_KEY), origin="test")))
    verifier = TokenVerifier([missing, present], audience=AUDIENCE, algorithms=["RS256"])
    assert (await verifier.verify(mint("admin"))).scopes == {"admin"}
    with pytest.raises(InvalidToken, match="unavailable"):
        await verifier.verify(mint(key=OTHER_KEY))


def test_development_generates_its_signing_key_once(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kkr.platform.auth import keys

    path = tmp_path / "user" / "signing-keys.json"
    monkeypatch.setattr(keys, "dev_signing_key_path", lambda: path)
    first = keys.load_signing_keys(Settings(environment="development"))
    assert path.stat().st_mode & 0o777 == 0o600
    again = keys.load_signing_keys(Settings(environment="development"))
    assert first is not None and again is not None and again.keys[0].kid == first.keys[0].kid
    assert keys.load_signing_keys(Settings(environment="production")) is None


async def test_production_accepts_platform_tokens_only_when_they_name_a_client() -> None:
    """`kkr mint-token` tokens (no client_id) cannot be revoked: production refuses them."""
    from kkr.platform.auth.keys import StaticKeys, parse_key_set
    from kkr.platform.auth.tokens import InvalidToken, TokenVerifier, TrustedIssuer

    platform = TrustedIssuer(TEST_ISSUER, StaticKeys(parse_key_set(public_jwks(IDP_KEY), origin="test")), platform=True)

    async def active(client_id: str) -> str | None:
        return None

    verifier = TokenVerifier(
        [platform], audience=AUDIENCE, algorithms=["RS256"], client_check=active, platform_tokens_need_client=True
    )
    with pytest.raises(InvalidToken, match="names no client"):
        await verifier.verify(mint("admin"))
    assert (await verifier.verify(mint("aggregates:read", client_id="em-dataportal"))).client_id == "em-dataportal"


def test_production_refuses_an_identity_provider_jwks_over_plain_http() -> None:
    from kkr.platform.auth.config import trusted_issuers
    from kkr.platform.auth.keys import KeyLoadError

    plain: dict[str, Any] = {"idp_jwks": "http://idp.example/jwks.json", "idp_issuer": TEST_ISSUER}
    with pytest.raises(KeyLoadError, match="https"):
        trusted_issuers(Settings(environment="production", **plain))
    with pytest.raises(KeyLoadError, match="https"):
        trusted_issuers(Settings(environment="production", **plain | {"idp_jwks": "HTTP://idp.example/jwks.json"}))
    assert trusted_issuers(Settings(environment="development", **plain))[0].issuer == TEST_ISSUER
