"""Bearer tokens reach the server: a valid token is accepted, a broken one gets 401."""

from __future__ import annotations

import httpx

from .tokens import bearer


def test_a_valid_token_is_accepted(client: httpx.Client) -> None:
    response = client.post("/graphql", json={"query": "{ __typename }"}, headers=bearer("region:sjaelland:read"))
    assert response.status_code == 200, response.text


def test_a_garbage_token_gets_401_with_a_challenge(client: httpx.Client) -> None:
    response = client.post("/graphql", json={"query": "{ __typename }"}, headers={"Authorization": "Bearer abc"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token", error_description=')
