"""Trusted documents (platform/trusted_documents.py): requests by `documentId`, trusted-only callers, and HTTP
caching of GET answers (platform/http_caching.py), against a live server with the demo data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import validate

import kkr.schema.limits.document as documents
from kkr.platform.auth.identity import Identity
from kkr.platform.contract import manifest_path, operation_files, read_operation
from kkr.platform.settings import Environment, Settings
from kkr.platform.trusted_documents import document_id, manifest_text, trusted_documents_required

from .conftest import LiveServer
from .tokens import bearer

DASHBOARD = read_operation("regional/Dashboard")
DASHBOARD_ID = document_id(DASHBOARD)
MUTATION = 'mutation Touch { deleteResultContract(id: "x") { __typename } }\n'
SJAELLAND = "region:sjaelland:read"
GRAPHQL_RESPONSE = "application/graphql-response+json"

pytestmark = pytest.mark.usefixtures("demo_data")


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The contract's Dashboard and a mutation (to show GET refuses it)."""
    folder = tmp_path_factory.mktemp("operations") / "regional"
    folder.mkdir()
    (folder / "Dashboard.graphql").write_text(DASHBOARD, encoding="utf-8")
    (folder / "Touch.graphql").write_text(MUTATION, encoding="utf-8")
    path = folder.parent / "trusted-documents.json"
    path.write_text(manifest_text(sorted(folder.glob("*.graphql"))), encoding="utf-8")
    return path


def _trusted_only(settings: Settings, manifest: Path) -> Settings:
    """Production settings on which Sjælland readers (by scope) may send only trusted documents."""
    return settings.model_copy(
        update={
            "environment": Environment.production,
            "trusted_documents_manifest": manifest,
            "trusted_documents_required_for": [f"scope:{SJAELLAND}"],
            "response_cache_enabled": False,  # every request runs: what parsing and validation cost shows
        }
    )


@pytest.fixture(scope="module")
def server(settings: Settings, manifest: Path) -> Iterator[httpx.Client]:
    with LiveServer(_trusted_only(settings, manifest)) as live, httpx.Client(base_url=live.url, timeout=30) as client:
        yield client


def _persisted(client: httpx.Client, *scopes: str, **body: Any) -> httpx.Response:
    return client.post("/graphql", json=body, headers=bearer(*scopes))


def test_the_committed_manifest_is_generated_from_the_registered_operations() -> None:
    assert manifest_path().read_text(encoding="utf-8") == manifest_text(operation_files()), (
        "frontend-contract/trusted-documents.json is stale: run `kkr export-schema` and commit it"
    )
    manifest = json.loads(manifest_path().read_text(encoding="utf-8"))
    assert manifest[DASHBOARD_ID] == DASHBOARD
    assert all(key == document_id(text) for key, text in manifest.items())


def test_document_ids_are_the_sha256_of_the_source_text() -> None:
    # The example of the GraphQL-over-HTTP persisted-documents appendix.
    example = "query ($id: ID!) {\n  user(id: $id) {\n    name\n  }\n}"
    assert document_id(example) == "sha256:7dba4bd717b41f10434822356a93c32b1fb4907b983e854300ad839f84cdcd6e"


def test_a_document_id_request_answers_as_the_document_would(server: httpx.Client) -> None:
    variables = {"region": "sjaelland", "year": None}
    persisted = _persisted(server, "region:nordjylland:read", SJAELLAND, documentId=DASHBOARD_ID, variables=variables)
    assert persisted.status_code == 200, persisted.text
    free = server.post(
        "/graphql", json={"query": DASHBOARD, "variables": variables}, headers=bearer("region:nordjylland:read")
    )
    assert persisted.json()["data"]["region"]["name"] == "Sjælland"
    assert persisted.json()["data"]["region"]["resultContracts"]["totalCount"] > 0
    # The same document sent in full by a Nordjylland reader: row-level security hides Sjælland's contracts.
    assert free.json()["data"]["region"]["resultContracts"]["totalCount"] == 0


def test_a_trusted_only_caller_may_not_send_a_free_form_document(server: httpx.Client) -> None:
    for accept, status in (("application/json", 200), (GRAPHQL_RESPONSE, 400)):
        response = server.post(
            "/graphql",
            json={"query": "{ regions { name } }"},
            headers={**bearer(SJAELLAND), "Accept": accept},
        )
        assert response.status_code == status
        body = response.json()
        assert "data" not in body
        [error] = body["errors"]
        assert error["extensions"]["code"] == "PERSISTED_DOCUMENT_REQUIRED"
        assert "documentId" in error["message"]
    by_get = server.get("/graphql", params={"query": "{ regions { name } }"}, headers=bearer(SJAELLAND))
    assert by_get.json()["errors"][0]["extensions"]["code"] == "PERSISTED_DOCUMENT_REQUIRED"
    # By its documentId the same caller is answered.
    answered = _persisted(server, SJAELLAND, documentId=DASHBOARD_ID, variables={"region": "sjaelland"})
    assert "errors" not in answered.json() and answered.json()["data"]["region"]["name"] == "Sjælland"


def test_callers_outside_the_rule_and_operators_keep_free_form_documents(server: httpx.Client) -> None:
    query = {"query": "{ regions { slug } }"}
    for scopes in (("region:nordjylland:read",), (SJAELLAND, "admin")):
        body = server.post("/graphql", json=query, headers=bearer(*scopes)).json()
        assert "errors" not in body, body


def test_an_unknown_document_id_is_not_found(server: httpx.Client) -> None:
    for unknown in ("sha256:" + "0" * 64, "md5:abc", "x-custom:1"):
        response = _persisted(server, "region:nordjylland:read", documentId=unknown)
        assert response.status_code == 200
        body = response.json()
        assert "data" not in body
        assert body["errors"][0]["extensions"]["code"] == "PERSISTED_DOCUMENT_NOT_FOUND"


def test_malformed_persisted_requests_are_bad_requests(server: httpx.Client) -> None:
    both = _persisted(server, "region:nordjylland:read", documentId=DASHBOARD_ID, query=DASHBOARD)
    not_a_string = _persisted(server, "region:nordjylland:read", documentId=42)
    for response in (both, not_a_string):
        assert response.status_code == 400
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_a_mutation_by_get_is_refused(server: httpx.Client) -> None:
    response = server.get("/graphql", params={"documentId": document_id(MUTATION)}, headers=bearer("admin"))
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_get_by_document_id_is_cacheable_per_caller(server: httpx.Client) -> None:
    params = {"documentId": DASHBOARD_ID, "variables": json.dumps({"region": "sjaelland"}, separators=(",", ":"))}
    first = server.get("/graphql", params=params, headers=bearer(SJAELLAND))
    assert first.status_code == 200, first.text
    assert first.json()["data"]["region"]["name"] == "Sjælland"
    assert first.headers["cache-control"] == "private, no-cache"  # never kept by a shared cache
    assert {"authorization", "accept"} <= {v.strip().lower() for v in first.headers["vary"].split(",")}
    etag = first.headers["etag"]
    again = server.get("/graphql", params=params, headers={**bearer(SJAELLAND), "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    # Another caller with the same answer gets another tag: one caller's tag never validates another's copy.
    other = server.get("/graphql", params=params, headers={**bearer(SJAELLAND, subject="other"), "If-None-Match": etag})
    assert other.status_code == 200 and other.headers["etag"] != etag
    # Anonymous answers are the same for every anonymous caller: a shared cache may keep them.
    anonymous = server.get("/graphql", params={"query": "{ __typename }"})
    assert anonymous.headers["cache-control"] == "public, no-cache"
    # POSTs and answers with errors are not for caches.
    posted = _persisted(server, SJAELLAND, documentId=DASHBOARD_ID, variables={"region": "sjaelland"})
    assert posted.headers["cache-control"] == "no-store"
    failed = server.get("/graphql", params={"documentId": "sha256:" + "1" * 64}, headers=bearer(SJAELLAND))
    assert failed.headers["cache-control"] == "no-store"


def test_a_document_id_request_is_parsed_and_validated_once(
    settings: Settings, manifest: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"parse": 0, "validate": 0}
    parse = documents._parse

    def counted_parse(*args: Any, **kwargs: Any) -> Any:
        calls["parse"] += 1
        return parse(*args, **kwargs)

    def counted_validate(*args: Any, **kwargs: Any) -> Any:
        calls["validate"] += 1
        return validate(*args, **kwargs)

    monkeypatch.setattr(documents, "_parse", counted_parse)
    monkeypatch.setattr("kkr.schema.visibility.validate", counted_validate)
    scopes = ("region:midtjylland:read",)
    # A server of its own: its manifest was parsed when it started, and nothing was validated yet.
    with LiveServer(_trusted_only(settings, manifest)) as live, httpx.Client(base_url=live.url, timeout=30) as server:
        for year in (2019, 2020, 2021, 2022):
            variables = {"region": "midtjylland", "year": year}
            body = _persisted(server, *scopes, documentId=DASHBOARD_ID, variables=variables)
            assert "errors" not in body.json(), body.text
        assert calls == {"parse": 0, "validate": 1}
        # The same text sent in full (plus a space) is parsed: the manifest's parsed copy is only for its id.
        server.post("/graphql", json={"query": DASHBOARD + " ", "variables": {"region": "x"}}, headers=bearer(*scopes))
        assert calls["parse"] == 1


def test_who_must_send_trusted_documents(settings: Settings) -> None:
    rules = ["client:ministry-system", "scope:aggregates:read", "anonymous"]
    production = settings.model_copy(
        update={"environment": Environment.production, "trusted_documents_required_for": rules}
    )
    assert trusted_documents_required(Identity("svc", frozenset(), client_id="ministry-system"), production)
    assert trusted_documents_required(Identity("svc", frozenset({"aggregates:read"})), production)
    assert trusted_documents_required(Identity("anonymous"), production)
    assert not trusted_documents_required(Identity("kl", frozenset({"benchmark:read"})), production)
    assert not trusted_documents_required(Identity("op", frozenset({"aggregates:read", "admin"})), production)
    development = production.model_copy(update={"environment": Environment.development})
    assert not trusted_documents_required(Identity("anonymous"), development)
    with pytest.raises(ValueError, match="client:<id>"):
        Settings(trusted_documents_required_for=["ministry"])
