"""Helpers for the end-to-end mutation tests: GraphQL over HTTP with bearer tokens, global IDs."""

from __future__ import annotations

from typing import Any

import httpx
from strawberry.relay import to_base64

from .tokens import bearer

SJ_WRITE = ("region:sjaelland:write",)
NJ_WRITE = ("region:nordjylland:write",)
SJ_SUBJECT = "editor@sjaelland"

PAYLOAD_ERRORS = "errors { field code message }"


def gid(type_name: str, key: object) -> str:
    """The global ID of a read-side node."""
    return to_base64(type_name, str(key))


def gql(
    client: httpx.Client,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    scopes: tuple[str, ...] = SJ_WRITE,
    subject: str = SJ_SUBJECT,
    token: bool = True,
) -> dict[str, Any]:
    """POST one operation; returns the whole response body (data and any top-level errors)."""
    headers = bearer(*scopes, subject=subject) if token else {}
    response = client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def mutate(client: httpx.Client, name: str, input_: dict[str, Any], selection: str, **kwargs: Any) -> dict[str, Any]:
    """Run mutation `name(input:)`; returns its payload and asserts there is no top-level error."""
    input_type = kwargs.pop("input_type", name[0].upper() + name[1:] + "Input")
    body = gql(
        client,
        f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {selection} {PAYLOAD_ERRORS} }} }}",
        {"input": input_},
        **kwargs,
    )
    assert "errors" not in body, body
    return body["data"][name]


def ok(payload: dict[str, Any], key: str) -> dict[str, Any]:
    """The object of a successful payload."""
    assert payload["errors"] == [], payload["errors"]
    assert payload[key] is not None
    return payload[key]


def refused(payload: dict[str, Any], key: str | None = None) -> list[tuple[list[Any], str]]:
    """The (field, code) pairs of a refused payload, whose object is null."""
    assert payload["errors"], payload
    if key is not None:
        assert payload[key] is None
    return [(e["field"], e["code"]) for e in payload["errors"]]
