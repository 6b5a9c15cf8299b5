"""The client-credentials flow end to end: register by CLI, get a token over HTTP, call the API,
disable by CLI, get refused; and the development-only `kkr mint-token`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL

from kkr.platform.auth.clients import hash_secret, verify_secret
from kkr.platform.settings import Settings

from .conftest import LiveServer

QUERY = {"query": "{ __typename }"}


def kkr(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the real command line (`python -m kkr.platform.cli` is what the `kkr` script calls)."""
    return subprocess.run(
        [sys.executable, "-m", "kkr.platform.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def owner_env(owner_url: URL) -> dict[str, str]:
    return {"DATABASE_URL": owner_url.render_as_string(hide_password=False), "ENVIRONMENT": "development"}


def register(owner_env: dict[str, str], client_id: str, *args: str) -> str:
    done = kkr("register-client", client_id, "--name", f"Test client {client_id}", *args, env=owner_env)
    assert done.returncode == 0, done.stderr
    assert "shown only this once" in done.stderr
    secret = re.search(r"^client_secret: (\S+)$", done.stdout, re.M)
    assert secret is not None, done.stdout
    return secret[1]


def get_token(client: httpx.Client, client_id: str, secret: str, scope: str | None = None) -> httpx.Response:
    data = {"grant_type": "client_credentials"} | ({"scope": scope} if scope else {})
    return client.post("/oauth/token", data=data, auth=(client_id, secret))


def test_client_credentials_flow_end_to_end(client: httpx.Client, owner_env: dict[str, str]) -> None:
    secret = register(owner_env, "em-dataportal", "--scope", "aggregates:read", "--expires-in-days", "30")

    response = get_token(client, "em-dataportal", secret)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["scope"] == "aggregates:read" and 0 < body["expires_in"] <= 3600
    assert response.headers["cache-control"] == "no-store"
    api = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.post("/graphql", json=QUERY, headers=api).status_code == 200

    done = kkr("disable-client", "em-dataportal", env=owner_env)
    assert done.returncode == 0, done.stderr

    refused = client.post("/graphql", json=QUERY, headers=api)
    assert refused.status_code == 401
    assert "disabled" in refused.json()["error_description"]
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]
    again = get_token(client, "em-dataportal", secret)
    assert again.status_code == 401 and again.json()["error"] == "invalid_client"
    assert "disabled" in again.json()["error_description"]


def test_the_server_metadata_points_at_the_token_endpoint(
    client: httpx.Client, settings: Settings, owner_env: dict[str, str]
) -> None:
    metadata = client.get("/.well-known/oauth-authorization-server").json()  # RFC 8414
    assert metadata["issuer"] == settings.token_issuer
    assert metadata["grant_types_supported"] == ["client_credentials"]
    assert client.get(metadata["jwks_uri"]).json()["keys"]
    secret = register(owner_env, "kl-discovered", "--scope", "benchmark:read")
    token = client.post(
        metadata["token_endpoint"], data={"grant_type": "client_credentials"}, auth=("kl-discovered", secret)
    )
    assert token.status_code == 200 and token.json()["token_type"] == "Bearer"


def test_the_token_endpoint_refuses_bad_credentials_and_scopes(client: httpx.Client, owner_env: dict[str, str]) -> None:
    secret = register(owner_env, "kl-benchmark", "--scope", "benchmark:read")
    assert get_token(client, "kl-benchmark", "wrong").status_code == 401
    assert get_token(client, "nobody", secret).status_code == 401
    assert get_token(client, "kl-benchmark", secret, scope="admin").json()["error"] == "invalid_scope"
    form = client.post(
        "/oauth/token", data={"grant_type": "client_credentials", "client_id": "kl-benchmark", "client_secret": secret}
    )
    assert form.status_code == 200 and form.json()["scope"] == "benchmark:read"
    other = client.post("/oauth/token", data={"grant_type": "password"}, auth=("kl-benchmark", secret))
    assert other.json()["error"] == "unsupported_grant_type"


async def test_expired_clients_get_no_tokens(client: httpx.Client, owner_env: dict[str, str], owner_engine) -> None:
    secret = register(owner_env, "old-client", "--scope", "aggregates:read", "--expires-in-days", "1")
    assert get_token(client, "old-client", secret).status_code == 200
    async with owner_engine.begin() as conn:  # a day later
        await conn.execute(
            text("UPDATE oauth_client SET expires_at = now() - interval '1 second' WHERE client_id = 'old-client'")
        )
    response = get_token(client, "old-client", secret)
    assert response.status_code == 401 and "expired" in response.json()["error_description"]


def test_register_client_validates_its_input(owner_env: dict[str, str], demo_data) -> None:
    assert kkr("register-client", "x1x", "--scope", "root", env=owner_env).returncode == 1
    bad_region = kkr("register-client", "region-client", "--scope", "region:sjaelland:read", env=owner_env)
    assert bad_region.returncode == 1 and "not registered for" in bad_region.stderr
    unknown = kkr(
        "register-client", "region-client", "--scope", "region:atlantis:read", "--tenant", "atlantis", env=owner_env
    )
    assert unknown.returncode == 1 and "unknown region 'atlantis'" in unknown.stderr
    past = kkr(
        "register-client", "region-client", "--scope", "aggregates:read", "--expires", "2020-01-01", env=owner_env
    )
    assert past.returncode == 1 and "lies in the past" in past.stderr
    register(owner_env, "region-client", "--scope", "region:sjaelland:read", "--tenant", "sjaelland")
    assert kkr("register-client", "region-client", "--scope", "aggregates:read", env=owner_env).returncode == 1
    assert kkr("disable-client", "no-such-client", env=owner_env).returncode == 1


def test_disabling_reaches_a_server_that_caches_client_state(settings: Settings, owner_env: dict[str, str]) -> None:
    """With an hour-long client cache, the disable is still effective at once (LISTEN/NOTIFY)."""
    secret = register(owner_env, "kl-cached", "--scope", "benchmark:read")
    with (
        LiveServer(settings.model_copy(update={"client_cache_seconds": 3600})) as server,
        httpx.Client(base_url=server.url) as client,
    ):
        token = get_token(client, "kl-cached", secret).json()["access_token"]
        api = {"Authorization": f"Bearer {token}"}
        assert client.post("/graphql", json=QUERY, headers=api).status_code == 200  # now cached as usable
        assert kkr("disable-client", "kl-cached", env=owner_env).returncode == 0
        for _ in range(50):  # the notification arrives asynchronously, normally within milliseconds
            refused = client.post("/graphql", json=QUERY, headers=api)
            if refused.status_code == 401:
                break
            time.sleep(0.1)
        assert refused.status_code == 401 and "disabled" in refused.json()["error_description"]


def test_secrets_are_stored_as_scrypt_hashes() -> None:
    stored = hash_secret("s3cret")
    assert stored.startswith("scrypt$") and "s3cret" not in stored
    assert verify_secret("s3cret", stored) and not verify_secret("S3cret", stored)
    assert hash_secret("s3cret") != stored  # salted


def test_mint_token_gives_a_token_the_server_accepts(client: httpx.Client, settings: Settings) -> None:
    env = {
        "ENVIRONMENT": "development",
        "SIGNING_KEY_FILE": str(settings.signing_key_file),
        "TOKEN_ISSUER": settings.token_issuer,
        "AUTH_AUDIENCE": settings.auth_audience,
    }
    done = kkr("mint-token", "--scope", "region:sjaelland:write", "--scope", "benchmark:read", env=env)
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert client.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_mint_token_refuses_in_production() -> None:
    done = kkr("mint-token", "--scope", "admin", env={"ENVIRONMENT": "production"})
    assert done.returncode == 2 and "production" in done.stderr and not done.stdout
