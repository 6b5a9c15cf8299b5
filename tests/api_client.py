"""GraphQL over HTTP for the API tests: POST to the live server with a bearer token for the given scopes."""

from __future__ import annotations

from typing import Any

import httpx

from .tokens import bearer

SJAELLAND_READ = "region:sjaelland:read"
NORDJYLLAND_READ = "region:nordjylland:read"


def post(client: httpx.Client, query: str, variables: dict[str, Any] | None = None, *scopes: str) -> dict[str, Any]:
    """The whole response body (data and errors); status 200 expected."""
    headers = bearer(*scopes) if scopes else {}
    response = client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def gql(client: httpx.Client, query: str, variables: dict[str, Any] | None = None, *scopes: str) -> dict[str, Any]:
    """`data` of a query that must succeed without errors."""
    body = post(client, query, variables, *scopes)
    assert "errors" not in body, body["errors"]
    return body["data"]


def error_messages(body: dict[str, Any]) -> list[str]:
    return [e["message"] for e in body.get("errors", [])]


def nodes(connection: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in connection["edges"]] if "edges" in connection else connection["nodes"]
