"""The running server: health and a first GraphQL query over real HTTP."""

from __future__ import annotations

import httpx

from .tokens import bearer


def test_healthz_is_public_and_checks_the_database(client: httpx.Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_graphql_lists_the_five_regions(client: httpx.Client, demo_data) -> None:
    response = client.post(
        "/graphql", json={"query": "{ regions { slug name kkrName } }"}, headers=bearer("region:sjaelland:read")
    )
    assert response.status_code == 200, response.text
    regions = response.json()["data"]["regions"]
    assert [r["slug"] for r in regions] == ["hovedstaden", "sjaelland", "syddanmark", "midtjylland", "nordjylland"]
    assert regions[1] == {"slug": "sjaelland", "name": "Sjælland", "kkrName": "KKR Sjælland"}
