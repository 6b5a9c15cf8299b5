"""The verified-token cache (`TokenVerifier(cache_entries=...)`): a remembered token is accepted only as long
as verifying it again would accept it (its exp plus the leeway, its key still trusted, its client usable)."""

from __future__ import annotations

import time

import pytest

from kkr.platform.auth.keys import JwksFile, StaticKeys, parse_key_set
from kkr.platform.auth.tokens import InvalidToken, TokenVerifier, TrustedIssuer

from .tokens import AUDIENCE, IDP_KEY, TEST_ISSUER, mint, public_jwks, write_public_jwks


def verifier_for(source, **options) -> TokenVerifier:
    return TokenVerifier(
        [TrustedIssuer(TEST_ISSUER, source, platform=options.pop("platform", False))],
        audience=AUDIENCE,
        algorithms=["RS256"],
        cache_entries=100,
        **options,
    )


def static_keys() -> StaticKeys:
    return StaticKeys(parse_key_set(public_jwks(IDP_KEY), origin="test"))


async def test_a_remembered_token_gives_the_same_identity_without_verifying_again(monkeypatch) -> None:
    verifier = verifier_for(static_keys())
    token = mint("region:sjaelland:read")
    first = await verifier.verify(token)
    decoded: list[str] = []
    monkeypatch.setattr(verifier, "_decode", lambda *args: decoded.append("again"))
    assert await verifier.verify(token) is first
    assert decoded == []
    with pytest.raises(TypeError):  # another token is verified in full (here: by the stub, which fails)
        await verifier.verify(mint("region:sjaelland:read"))


async def test_a_remembered_token_is_refused_once_past_exp_plus_leeway(monkeypatch) -> None:
    verifier = verifier_for(static_keys(), leeway=5)
    now = time.time()
    token = mint("region:sjaelland:read", exp=int(now) + 10)
    await verifier.verify(token)
    monkeypatch.setattr(time, "time", lambda: now + 14)  # within the leeway: still accepted
    await verifier.verify(token)
    monkeypatch.setattr(time, "time", lambda: now + 17)
    with pytest.raises(InvalidToken, match="expired"):
        await verifier.verify(token)


async def test_a_remembered_client_token_is_refused_as_soon_as_its_client_is(tmp_path) -> None:
    refusals: dict[str, str | None] = {"em-dataportal": None}

    async def client_state(client_id: str) -> str | None:  # the ClientStatusCache's answer at this moment
        return refusals[client_id]

    verifier = verifier_for(static_keys(), platform=True, client_check=client_state)
    token = mint("aggregates:read", client_id="em-dataportal")
    assert (await verifier.verify(token)).client_id == "em-dataportal"
    refusals["em-dataportal"] = "The client 'em-dataportal' is disabled."
    with pytest.raises(InvalidToken, match="disabled"):
        await verifier.verify(token)
    refusals["em-dataportal"] = None  # re-enabled (a new registration): accepted again, like an uncached token
    assert (await verifier.verify(token)).client_id == "em-dataportal"


async def test_a_removed_key_stops_its_remembered_tokens(tmp_path) -> None:
    path = write_public_jwks(tmp_path / "jwks.json", IDP_KEY)
    verifier = verifier_for(JwksFile(path))
    token = mint("region:sjaelland:read")
    await verifier.verify(token)
    path.write_text('{"keys": []}')
    with pytest.raises(InvalidToken, match="unknown key"):
        await verifier.verify(token)


async def test_failures_are_not_remembered() -> None:
    verifier = verifier_for(static_keys())
    with pytest.raises(InvalidToken):
        await verifier.verify(mint("region:sjaelland:read", aud="someone-else"))
    assert verifier._verified is not None and len(verifier._verified) == 0
