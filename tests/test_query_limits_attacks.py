"""The attacks of issue 10 against the live server with the default limits: each is refused before it runs,
fast, with a well-formed GraphQL-over-HTTP answer naming the limit (schema/limits, docs/security.md)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from kkr.platform.settings import Settings

from .api_client import SJAELLAND_READ
from .tokens import bearer

pytestmark = pytest.mark.usefixtures("demo_data")

DEFAULTS = Settings()

#: Generous: these took 7 to 140 s before the limits; refused, they take milliseconds.
FAST = 2.0

DEEP_CONTRACTS = (
    "resultContracts { nodes { title goals { nodes { code indicators { nodes { name targets { nodes "
    "{ value latestResult { value } fulfilment { status } } } } } } } } }"
)


def refused(client: httpx.Client, body: dict[str, Any], code: str, *scopes: str) -> dict[str, Any]:
    """Posts `body`; asserts a fast, well-formed refusal with `code` and returns the error."""
    started = time.monotonic()
    response = client.post("/graphql", json=body, headers=bearer(*(scopes or (SJAELLAND_READ,))))
    elapsed = time.monotonic() - started
    assert elapsed < FAST, f"{code}: answered after {elapsed:.2f} s"
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    answer = response.json()
    assert set(answer) <= {"errors", "extensions"} and len(answer["errors"]) == 1, response.text[:500]
    [error] = answer["errors"]
    assert error["extensions"]["code"] == code, error
    assert error["extensions"]["limit"] in error["message"] and error["extensions"]["max"] > 0, error
    return error


def test_a_thousand_aliases_of_a_deep_contract_selection(client: httpx.Client) -> None:
    document = "{ " + " ".join(f"c{i}: {DEEP_CONTRACTS}" for i in range(1000)) + " }"
    assert len(document) > 150_000  # the 190 KB document
    error = refused(client, {"query": document}, "DOCUMENT_TOO_LARGE")
    assert error["extensions"]["actual"] == len(document)
    # Within the document and token limits, the aliases are refused.
    smaller = "{ " + " ".join(f"c{i}: {DEEP_CONTRACTS}" for i in range(DEFAULTS.max_aliases + 1)) + " }"
    assert len(smaller) < DEFAULTS.max_document_chars
    refused(client, {"query": smaller}, "TOO_MANY_ALIASES")
    # Without aliases the same field repeated is refused before validation compares every pair.
    repeated = "{ " + " ".join([DEEP_CONTRACTS] * (DEFAULTS.max_repeated_fields + 1)) + " }"
    refused(client, {"query": repeated}, "TOO_MANY_REPEATED_FIELDS")


def test_ten_thousand_aliases_of_regions(client: httpx.Client) -> None:
    document = "{ " + " ".join(f"r{i}: regions {{ slug name }}" for i in range(10_000)) + " }"
    refused(client, {"query": document}, "DOCUMENT_TOO_LARGE")
    tokens = "{ " + " ".join(f"r{i}:regions{{slug}}" for i in range(2000)) + " }"
    assert len(tokens) < DEFAULTS.max_document_chars
    refused(client, {"query": tokens}, "TOO_MANY_TOKENS")
    aliases = "{ " + " ".join(f"r{i}: regions {{ slug }}" for i in range(1000)) + " }"
    refused(client, {"query": aliases}, "TOO_MANY_ALIASES")


def test_three_cycles_of_municipality_fan_out(client: httpx.Client) -> None:
    level = "municipalities(first: 100) { nodes { name region { %s } } }"
    document = "{ " + level % (level % (level % "slug")) + " }"
    error = refused(client, {"query": document}, "QUERY_TOO_COSTLY")
    assert error["extensions"]["actual"] == 4_040_401 and error["extensions"]["max"] == DEFAULTS.max_cost
    # Without `first` a region's municipalities are assumed at their largest count (29): refused too.
    cycle = "municipalities { nodes { name region { %s } } }"
    refused(client, {"query": "{ " + level % (cycle % (cycle % "slug")) + " }"}, "QUERY_TOO_COSTLY")
    # Via variables, as clients send page sizes.
    query = (
        "query($n: Int) { municipalities(first: $n) { nodes { region { municipalities(first: $n) { nodes { "
        "region { municipalities(first: $n) { nodes { name } } } } } } } } }"
    )
    refused(client, {"query": query, "variables": {"n": 100}}, "QUERY_TOO_COSTLY")


def test_a_document_of_half_a_million_tokens(client: httpx.Client) -> None:
    document = "{ viewer { " + "subject " * 500_000 + "} }"  # 4 MB: over the body limit
    started = time.monotonic()
    response = client.post("/graphql", json={"query": document}, headers=bearer(SJAELLAND_READ))
    assert time.monotonic() - started < FAST and response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    # Within the body limit: the document's size, then its tokens, are refused before it is parsed whole.
    refused(client, {"query": "{ viewer { " + "subject " * 100_000 + "} }"}, "DOCUMENT_TOO_LARGE")
    refused(client, {"query": "{ viewer { " + "a " * 45_000 + "} }"}, "TOO_MANY_TOKENS")
    refused(client, {"query": "{ viewer { subject } }" + "\n#" * 45_000}, "TOO_MANY_TOKENS")  # comments count


def test_a_search_of_a_hundred_thousand_words(client: httpx.Client) -> None:
    words = " ".join(f"ord{i}" for i in range(100_000))
    query = "query($q: String) { goals(search: $q) { totalCount } }"
    refused(client, {"query": query, "variables": {"q": words}}, "VARIABLES_TOO_LARGE")
    refused(client, {"query": '{ goals(search: "%s") { totalCount } }' % words}, "DOCUMENT_TOO_LARGE")  # noqa: UP031
    # Within the other limits the search itself is refused, before PostgreSQL parses it.
    error = refused(client, {"query": query, "variables": {"q": " ".join(["vækst"] * 1000)}}, "SEARCH_TOO_COMPLEX")
    assert error["extensions"]["limit"] == "MAX_SEARCH_CHARS"
    error = refused(client, {"query": query, "variables": {"q": "a " * 50}}, "SEARCH_TOO_COMPLEX")
    assert error["extensions"] == {
        "code": "SEARCH_TOO_COMPLEX",
        "limit": "MAX_SEARCH_TERMS",
        "max": DEFAULTS.max_search_terms,
        "actual": 50,
    }


def test_fragments_that_fan_out_are_measured_in_linear_time(client: httpx.Client) -> None:
    """Each fragment spreads the next twice: 2^40 spreads, measured once per fragment."""
    fragments = " ".join(
        f"fragment F{i} on Viewer {{ a{i}: subject ...F{i + 1} b{i}: subject ...F{i + 1} }}" for i in range(40)
    )
    document = "{ viewer { ...F0 } } " + fragments + " fragment F40 on Viewer { subject }"
    error = refused(client, {"query": document}, "TOO_MANY_ALIASES")
    assert error["extensions"]["actual"] > 2**40
    deep = " ".join(
        f"fragment G{i} on Region {{ municipalities {{ nodes {{ region {{ ...G{i + 1} }} }} }} }}" for i in range(10)
    )
    document = '{ region(slug: "sjaelland") { ...G0 } } ' + deep + " fragment G10 on Region { slug }"
    refused(client, {"query": document}, "QUERY_TOO_DEEP")


def test_introspection_attacks_are_bounded(client: httpx.Client) -> None:
    deep = "{ __schema { types { " + "ofType { " * 30 + "name" + " }" * 30 + " } } }"
    refused(client, {"query": deep}, "QUERY_TOO_DEEP")
    many = "{ " + " ".join(f"s{i}: __schema {{ types {{ name }} }}" for i in range(DEFAULTS.max_aliases + 1)) + " }"
    refused(client, {"query": many}, "TOO_MANY_ALIASES")
    fan_out = "{ __schema { types { " + "fields { type { ofType { " * 5 + "name" + " } } }" * 5 + " } } }"
    refused(client, {"query": fan_out}, "QUERY_TOO_COSTLY")
    repeated = "{ __schema { types { " + "name " * (DEFAULTS.max_repeated_fields + 1) + "} } }"
    refused(client, {"query": repeated}, "TOO_MANY_REPEATED_FIELDS")


def test_directives_repeated_on_one_field(client: httpx.Client) -> None:
    document = "{ viewer { subject " + "@include(if: true) " * 1000 + "} }"
    refused(client, {"query": document}, "TOO_MANY_DIRECTIVES")


def test_the_server_still_answers_at_once(client: httpx.Client) -> None:
    started = time.monotonic()
    assert client.get("/healthz").status_code == 200
    body = client.post(
        "/graphql", json={"query": '{ municipality(code: "269") { name } }'}, headers=bearer(SJAELLAND_READ)
    ).json()
    assert body["data"] == {"municipality": {"name": "Solrød"}} and time.monotonic() - started < FAST
