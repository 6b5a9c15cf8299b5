"""The document caches: a repeated document is parsed once, and validated once per audience; the same text
from a caller of another audience is validated again against that caller's schema (schema/visibility.py)."""

from __future__ import annotations

import httpx
import pytest
from graphql import GraphQLSyntaxError

from kkr.platform.settings import Settings
from kkr.schema.limits import LimitExceeded, parse_document
from kkr.schema.limits import document as documents

from .tokens import bearer

QUERY = '{ businessHub(slug: "sjaelland") { name offices { totalCount } } }'


def test_a_repeated_document_is_parsed_once() -> None:
    settings = Settings()
    first = parse_document("{ regions { slug name } }", settings)
    assert parse_document("{ regions { slug name } }", settings) is first
    assert parse_document("{ regions { slug  name } }", settings) is not first  # another text
    tighter = settings.model_copy(update={"max_tokens": 100})
    assert parse_document("{ regions { slug name } }", tighter) is not first  # parsed within other limits


def test_refused_and_unparsable_documents_are_not_remembered() -> None:
    settings = Settings().model_copy(update={"max_tokens": 100})
    cache = documents.document_cache(settings)
    assert cache is not None
    size = len(cache)
    with pytest.raises(GraphQLSyntaxError):
        parse_document("{ regions { slug ", settings)
    with pytest.raises(LimitExceeded):
        parse_document("{ " + "a " * 200 + "}", settings)
    assert len(cache) == size


def test_the_cache_can_be_turned_off() -> None:
    settings = Settings(document_cache_chars=0)
    assert parse_document("{ __typename }", settings) is not parse_document("{ __typename }", settings)


def test_a_document_valid_for_one_audience_is_validated_again_for_another(client: httpx.Client, demo_data) -> None:
    for _ in range(2):
        region = client.post("/graphql", json={"query": QUERY}, headers=bearer("region:sjaelland:read")).json()
        assert region["data"]["businessHub"]["offices"]["totalCount"] >= 0, region
    kl = client.post("/graphql", json={"query": QUERY}, headers=bearer("benchmark:read")).json()
    assert kl.get("data") is None
    assert [e["message"] for e in kl["errors"]] == ["Cannot query field 'offices' on type 'BusinessHub'."]
    again = client.post("/graphql", json={"query": QUERY}, headers=bearer("region:sjaelland:read")).json()
    assert "errors" not in again, again
