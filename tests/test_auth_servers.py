"""Servers of their own: identity-provider key rotation without a restart, a JWKS served over HTTP,
PUBLIC_CONTRACTS=true, and the access log of cross-region calls."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from kkr.platform.auth.keys import JwksUrl, generate_signing_key
from kkr.platform.auth.tokens import InvalidToken, TokenVerifier, TrustedIssuer
from kkr.platform.settings import Settings

from .conftest import LiveServer
from .tokens import AUDIENCE, TEST_ISSUER, auth_settings, bearer, claims_for, mint, public_jwks, write_public_jwks

QUERY = {"query": "{ __typename }"}
OLD, NEW = generate_signing_key("RSA"), generate_signing_key("EC")


def status(client: httpx.Client, key: dict[str, Any]) -> int:
    return client.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {mint(key=key)}"}).status_code


def test_key_rotation_without_downtime(settings: Settings, tmp_path: Path) -> None:
    """Old and new keys both work while both are published; old-key tokens fail once it is removed."""
    server_settings = settings.model_copy(update=auth_settings(tmp_path, OLD))
    assert server_settings.idp_jwks is not None
    jwks = Path(server_settings.idp_jwks)
    with LiveServer(server_settings) as server, httpx.Client(base_url=server.url) as client:
        assert (status(client, OLD), status(client, NEW)) == (200, 401)
        write_public_jwks(jwks, OLD, NEW)  # 1. publish the new key next to the old one
        assert (status(client, OLD), status(client, NEW)) == (200, 200)
        write_public_jwks(jwks, NEW)  # 2. the identity provider signs with the new key; drop the old one
        assert status(client, NEW) == 200
        refused = client.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {mint(key=OLD)}"})
        assert refused.status_code == 401 and "unknown key" in refused.json()["error_description"]


@pytest.fixture
def jwks_http(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A JWKS served over HTTP from a file, like an identity provider's jwks_uri."""
    document = tmp_path / "jwks.json"
    write_public_jwks(document, OLD)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = document.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/jwks.json", document
    httpd.shutdown()


async def test_a_jwks_url_is_refetched_for_an_unknown_kid(jwks_http: tuple[str, Path]) -> None:
    url, document = jwks_http
    source = JwksUrl(url, max_age=3600, min_refresh=0)
    verifier = TokenVerifier([TrustedIssuer(TEST_ISSUER, source)], audience=AUDIENCE, algorithms=["RS256", "ES256"])
    assert (await verifier.verify(mint("benchmark:read", key=OLD))).scopes == {"benchmark:read"}
    with pytest.raises(InvalidToken, match="unknown key"):
        await verifier.verify(mint(key=NEW))
    document.write_text(json.dumps(public_jwks(OLD, NEW)))
    assert (await verifier.verify(mint("admin", key=NEW))).scopes == {"admin"}  # fetched again on the new kid


def test_public_contracts_setting_opens_published_contracts_to_anonymous(settings: Settings, demo_data) -> None:
    with (
        LiveServer(settings.model_copy(update={"public_contracts": True})) as server,
        httpx.Client(base_url=server.url) as client,
    ):
        body = client.post(
            "/graphql", json={"query": "{ publishedContracts { region year status goals { category } } }"}
        ).json()
        contracts = body["data"]["publishedContracts"]
        assert {c["region"] for c in contracts} == {"sjaelland", "nordjylland"}
        assert all(c["status"] in ("ADOPTED", "SIGNED", "REPORTED") for c in contracts)
        assert any(g["category"] == "LOCAL" for c in contracts for g in c["goals"])
        other = client.post("/graphql", json={"query": "{ resultContracts(first: 1) { nodes { id } } }"}).json()
        assert other["errors"][0]["message"] == "Cannot query field 'resultContracts' on type 'Query'."
        fields = client.post("/graphql", json={"query": "{ __schema { queryType { fields { name } } } }"}).json()
        assert [f["name"] for f in fields["data"]["__schema"]["queryType"]["fields"]] == [
            "publishedContracts",
            "viewer",
        ]
        # Many aliases are answered alike (from the request's one transaction: test_auth_db.py), as many as the
        # query limits allow at the root (MAX_ROOT_FIELDS, MAX_REPEATED_FIELDS: 30).
        aliases = " ".join(f"c{i}: publishedContracts {{ year }}" for i in range(30))
        many = client.post("/graphql", json={"query": f"{{ {aliases} }}"}, timeout=20).json()
        assert "errors" not in many and len(many["data"]) == 30 and many["data"]["c29"] == many["data"]["c0"]
        # The setting opens the public projection only, not other regions' rows to regional staff.
        staff = bearer("region:sjaelland:read")
        published = client.post("/graphql", json={"query": "{ publishedContracts { region } }"}, headers=staff).json()
        assert {c["region"] for c in published["data"]["publishedContracts"]} == {"sjaelland", "nordjylland"}
        own = client.post(
            "/graphql", json={"query": "{ resultContracts(first: 100) { nodes { regionSlug } } }"}, headers=staff
        ).json()
        assert {n["regionSlug"] for n in own["data"]["resultContracts"]["nodes"]} == {"sjaelland"}
        goals = client.post(
            "/graphql", json={"query": "{ goals(first: 100) { nodes { regionSlug } } }"}, headers=staff
        ).json()
        assert {n["regionSlug"] for n in goals["data"]["goals"]["nodes"]} <= {"sjaelland"}


async def test_cross_region_calls_are_logged(client: httpx.Client, owner_engine, demo_data) -> None:
    query = "query Figures($year: Int) { comparableFigures(year: $year) { region } }"
    headers = bearer("benchmark:read", subject="analyst@kl.dk")
    response = client.post("/graphql", json={"query": query, "variables": {"year": 2020}}, headers=headers)
    assert response.status_code == 200 and "errors" not in response.json()
    client.post(
        "/graphql",
        json={"query": "{ regions { slug } }"},
        headers=bearer("region:sjaelland:read", subject="not-logged"),
    )
    async with owner_engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT client, subject, scopes, operation_name, document_sha256, variables FROM access_log"
                    " WHERE subject IN ('analyst@kl.dk', 'not-logged')"
                )
            )
        ).all()
    assert len(rows) == 1
    row = rows[0]
    assert (row.client, row.scopes, row.operation_name) == ("analyst@kl.dk", ["benchmark:read"], "Figures")
    assert row.document_sha256 == hashlib.sha256(query.encode()).hexdigest()
    assert row.variables == {"year": 2020}


async def test_the_access_log_names_the_chosen_operation_and_keeps_odd_variables(
    client: httpx.Client,
    owner_engine,
    demo_data,
) -> None:
    document = "query A { regions { slug } } query B($note: String!) { comparableFigures { region } region(slug: $note) { slug } }"
    body = {"query": document, "operationName": "B", "variables": {"note": "nul\u0000byte"}}
    response = client.post("/graphql", json=body, headers=bearer("benchmark:read", subject="two-ops@kl.dk"))
    # Refused before it runs (PostgreSQL text cannot hold U+0000), and still logged.
    assert response.json()["errors"][0]["message"] == (
        "Variable note: text may not contain the NUL character (U+0000) or unpaired surrogates."
    )
    async with owner_engine.connect() as conn:
        row = (
            await conn.execute(text("SELECT operation_name, variables FROM access_log WHERE subject = 'two-ops@kl.dk'"))
        ).one()
    assert row.operation_name == "B" and row.variables == {"note": "nul\ufffdbyte"}


def test_claims_helper_defaults() -> None:
    assert claims_for()["scope"] == ""
