"""`viewer`: every caller, anonymous included, can ask who it is (and nothing more), over HTTP against the live server."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from kkr.platform.auth.clients import register_client
from kkr.platform.database import TenantContext, apply_tenant_context

from .tokens import bearer

VIEWER = "{ viewer { subject clientId scopes readableRegions writableRegions isAnonymous } }"


def viewer(client: httpx.Client, headers: dict[str, str]) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": VIEWER}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["viewer"]


def test_anonymous_callers_learn_they_are_anonymous(client: httpx.Client) -> None:
    assert viewer(client, {}) == {
        "subject": "anonymous",
        "clientId": None,
        "scopes": [],
        "readableRegions": [],
        "writableRegions": [],
        "isAnonymous": True,
    }


def test_a_regional_writer_with_two_regions(client: httpx.Client) -> None:
    headers = bearer("region:sjaelland:write", "region:nordjylland:read", "benchmark:read", subject="anne@kkr.dk")
    assert viewer(client, headers) == {
        "subject": "anne@kkr.dk",
        "clientId": None,
        "scopes": ["benchmark:read", "region:nordjylland:read", "region:sjaelland:write"],
        "readableRegions": ["nordjylland", "sjaelland"],
        "writableRegions": ["sjaelland"],
        "isAnonymous": False,
    }


async def test_a_machine_client_sees_its_client_id(client: httpx.Client, owner_engine: AsyncEngine, demo_data) -> None:
    client_id = f"viewer-{uuid.uuid4().hex[:8]}"
    async with AsyncSession(owner_engine) as session, session.begin():
        await apply_tenant_context(session, TenantContext(flags=frozenset({"admin"}), actor="test"))
        secret = (
            await register_client(
                session,
                client_id,
                name="Viewer test client",
                scopes=["region:nordjylland:read"],
                tenants=["nordjylland"],
            )
        ).secret
    token = client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert token.status_code == 200, token.text
    seen = viewer(client, {"Authorization": f"Bearer {token.json()['access_token']}"})
    assert seen["clientId"] == client_id and seen["isAnonymous"] is False
    assert seen["scopes"] == ["region:nordjylland:read"] and seen["readableRegions"] == ["nordjylland"]
    assert seen["writableRegions"] == []


def test_anonymous_introspection_is_a_valid_schema_with_only_the_viewer(client: httpx.Client) -> None:
    """GraphiQL builds a client schema from introspection: an anonymous caller's must be valid (Query has a field)."""
    from graphql import build_client_schema, get_introspection_query, validate_schema

    response = client.post("/graphql", json={"query": get_introspection_query()})
    assert response.status_code == 200, response.text
    schema = build_client_schema(response.json()["data"])
    assert validate_schema(schema) == []
    assert schema.query_type is not None and set(schema.query_type.fields) == {"viewer"}
    assert schema.mutation_type is None
    viewer_type = schema.get_type("Viewer")
    assert viewer_type is not None and viewer_type.description and schema.query_type.fields["viewer"].description
    assert schema.get_type("ResultContract") is None


def test_the_viewer_field_is_open_explicitly() -> None:
    """Deny by default stays the rule: `viewer` declares its own permission class that admits everyone."""
    from strawberry.types.base import StrawberryObjectDefinition

    from kkr.schema.permissions import Everyone
    from kkr.schema.schema import schema

    query = schema.get_type_by_name("Query")
    assert isinstance(query, StrawberryObjectDefinition)
    [viewer_field] = [f for f in query.fields if f.python_name == "viewer"]
    assert viewer_field.permission_classes == [Everyone]
