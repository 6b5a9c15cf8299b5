"""Cross-origin access (platform/cors.py, setting CORS_ALLOWED_ORIGINS) and why a cross-site form cannot
run a mutation: /graphql takes mutations only as POST with a JSON body (platform/graphql_http.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from kkr.platform.settings import Settings

from .conftest import LiveServer
from .mutation_helpers import SJ_WRITE, gid
from .test_rate_limits import fresh_address
from .tokens import bearer

DASHBOARD = "https://dashboard.example.dk"
EVIL = "https://evil.example"
QUERY = {"query": "{ __typename }"}


def preflight(client: httpx.Client, origin: str, headers: str = "authorization, content-type") -> httpx.Response:
    return client.options(
        "/graphql",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": headers},
    )


@pytest.fixture(scope="module")
def allowing(settings: Settings) -> Iterator[httpx.Client]:
    """A server that lets the dashboard's pages in (and allows one anonymous request per window and address)."""
    allowed = settings.model_copy(
        update={
            "cors_allowed_origins": [DASHBOARD, "http://localhost:5173"],
            "rate_limit_anonymous": 1,
            "max_body_bytes": 4096,
        }
    )
    with LiveServer(allowed) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def test_by_default_no_origin_is_allowed(client: httpx.Client) -> None:
    refused = preflight(client, DASHBOARD)
    assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
    answered = client.post("/graphql", json=QUERY, headers={"Origin": DASHBOARD})
    assert answered.status_code == 200  # answered, but a browser does not hand it to the other site's script
    assert "access-control-allow-origin" not in answered.headers


def test_an_allowed_origin_may_send_what_a_graphql_client_needs(allowing: httpx.Client) -> None:
    ok = preflight(allowing, DASHBOARD, "authorization, content-type, x-request-id, kkr-read-after-lsn")
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == DASHBOARD
    assert {m.strip() for m in ok.headers["access-control-allow-methods"].split(",")} == {"GET", "POST"}
    allowed_headers = {h.strip().lower() for h in ok.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "x-request-id", "kkr-read-after-lsn"} <= allowed_headers
    assert "access-control-allow-credentials" not in ok.headers and ok.headers["access-control-max-age"] == "600"
    assert preflight(allowing, DASHBOARD, "x-api-key").status_code == 400  # a header it does not need

    answer = allowing.post("/graphql", json=QUERY, headers={"Origin": DASHBOARD, **bearer(subject="cors")})
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == DASHBOARD
    exposed = {h.strip().lower() for h in answer.headers["access-control-expose-headers"].split(",")}
    assert exposed == {"x-request-id", "retry-after", "kkr-commit-lsn"}  # read replicas: docs/operations.md
    assert "origin" in answer.headers["vary"].lower()


def test_other_origins_stay_out_of_an_allowing_server(allowing: httpx.Client) -> None:
    for origin in (EVIL, "https://dashboard.example.dk.evil.example", "http://dashboard.example.dk", "null"):
        refused = preflight(allowing, origin)
        assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers, origin
        answered = allowing.post("/graphql", json=QUERY, headers={"Origin": origin, **bearer(subject="cors")})
        assert "access-control-allow-origin" not in answered.headers, origin


def test_refusals_carry_the_cors_headers_so_the_page_can_read_them(allowing: httpx.Client) -> None:
    origin = {"Origin": "http://localhost:5173"}
    too_large = allowing.post("/graphql", content=b" " * 5000, headers={**origin, "Content-Type": "application/json"})
    assert too_large.status_code == 413 and too_large.headers["access-control-allow-origin"] == origin["Origin"]
    transport = httpx.HTTPTransport(local_address=fresh_address())  # an address of its own (one request each)
    with httpx.Client(base_url=allowing.base_url, transport=transport) as anonymous:
        assert anonymous.post("/graphql", json=QUERY, headers=origin).status_code == 200
        limited = anonymous.post("/graphql", json=QUERY, headers=origin)
    assert limited.status_code == 429 and limited.headers["access-control-allow-origin"] == origin["Origin"]
    assert "retry-after" in limited.headers["access-control-expose-headers"].lower()


def test_origins_are_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    for bad in (
        "*",
        "https://dashboard.example.dk/",
        "https://dashboard.example.dk/app",
        "dashboard.example.dk",
        "https://*.example.dk",
        "ftp://example.dk",
    ):
        with pytest.raises(ValidationError, match="not an origin"):
            Settings(cors_allowed_origins=[bad])
    monkeypatch.delenv("CORS_ALLOWED_ORIGINS", raising=False)
    assert Settings(_env_file=None).cors_allowed_origins == []
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", json.dumps([DASHBOARD, "http://localhost:5173", "http://[::1]:8080"]))
    assert Settings(_env_file=None).cors_allowed_origins == [DASHBOARD, "http://localhost:5173", "http://[::1]:8080"]


# --- CSRF: what a cross-site page can send without CORS (a "simple" request) never runs a mutation ----------


def create_team(name: str) -> str:
    region = gid("Region", "sjaelland")
    return (
        f'mutation {{ createGrowthTeam(input: {{regionId: "{region}", name: "{name}", geography: "Sjælland"}}) '
        "{ growthTeam { id } errors { code } } }"
    )


async def teams_named(owner_engine: AsyncEngine, name: str) -> int:
    async with owner_engine.begin() as conn:  # a non-superuser owner is under row-level security too
        await conn.execute(text("SELECT set_config('kkr.read_tenants', 'sjaelland', true)"))
        return (await conn.execute(text("SELECT count(*) FROM growth_team WHERE name = :n"), {"n": name})).scalar_one()


@pytest.mark.usefixtures("demo_data")
async def test_form_posts_and_get_requests_never_run_a_mutation(
    client: httpx.Client, owner_engine: AsyncEngine
) -> None:
    name = f"CSRF {uuid.uuid4().hex[:8]}"
    document = create_team(name)
    body = json.dumps({"query": document})
    token = bearer(*SJ_WRITE)  # even with a token, which a cross-site form could not send
    attempts = [
        client.post("/graphql", data={"query": document}, headers={**token, "Origin": EVIL}),  # urlencoded
        client.post("/graphql", content=body, headers={**token, "Content-Type": "text/plain", "Origin": EVIL}),
        client.post("/graphql", content=body, headers={"Content-Type": "text/plain;charset=UTF-8", "Origin": EVIL}),
        client.post("/graphql", files={"query": (None, document)}, headers={**token, "Origin": EVIL}),  # multipart
        client.post("/graphql", content=body, headers={**token, "Content-Type": "application/graphql"}),
    ]
    for response in attempts:
        assert response.status_code == 415, (response.request.headers["content-type"], response.text)
        assert response.headers["accept-post"] == "application/json"
        assert "Unsupported Media Type" in response.json()["errors"][0]["message"]
    assert attempts[0].request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert attempts[3].request.headers["content-type"].startswith("multipart/form-data")
    by_get = client.get("/graphql", params={"query": document}, headers={**token, "Accept": "text/html"})
    assert by_get.status_code == 405 and by_get.headers["allow"] == "POST"
    assert await teams_named(owner_engine, name) == 0

    done = client.post("/graphql", json={"query": document}, headers=token)  # the same document as JSON runs
    assert done.status_code == 200 and done.json()["data"]["createGrowthTeam"]["errors"] == [], done.text
    assert await teams_named(owner_engine, name) == 1
