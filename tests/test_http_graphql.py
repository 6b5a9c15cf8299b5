"""GraphQL over HTTP (GraphQL Foundation spec) against the live server: methods, media types, status codes."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from kkr.platform.graphql_http import GRAPHQL_RESPONSE_JSON, negotiate

from .api_client import SJAELLAND_READ
from .tokens import bearer

pytestmark = pytest.mark.usefixtures("demo_data")

QUERY = '{ municipality(code: "269") { name } }'
GRAPHQL_RESPONSE = "application/graphql-response+json; charset=utf-8"


def headers(accept: str | None = None, **extra: str) -> dict[str, str]:
    result = {**bearer(SJAELLAND_READ), **extra}
    if accept is not None:
        result["Accept"] = accept
    return result


def post(client: httpx.Client, body: Any, accept: str | None = None, **extra: str) -> httpx.Response:
    return client.post("/graphql", json=body, headers=headers(accept, **extra))


def test_post_json_with_each_response_media_type(client: httpx.Client) -> None:
    legacy = post(client, {"query": QUERY}, "application/json")
    assert legacy.status_code == 200 and legacy.headers["content-type"] == "application/json"
    assert legacy.json()["data"] == {"municipality": {"name": "Solrød"}} and "errors" not in legacy.json()
    modern = post(client, {"query": QUERY}, GRAPHQL_RESPONSE_JSON)
    assert modern.status_code == 200 and modern.headers["content-type"] == GRAPHQL_RESPONSE
    assert modern.json() == legacy.json()


def test_accept_negotiation(client: httpx.Client) -> None:
    assert post(client, {"query": QUERY}).headers["content-type"] == "application/json"  # no Accept: legacy
    assert post(client, {"query": QUERY}, "*/*").headers["content-type"] == "application/json"
    both = f"{GRAPHQL_RESPONSE_JSON}, application/json;q=0.9"
    assert post(client, {"query": QUERY}, both).headers["content-type"] == GRAPHQL_RESPONSE
    assert (
        post(client, {"query": QUERY}, f"application/json, {GRAPHQL_RESPONSE_JSON};q=0.5").headers["content-type"]
        == "application/json"
    )
    refused = post(client, {"query": QUERY}, "application/xml")
    assert refused.status_code == 406


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/json"),
        ("", "application/json"),
        ("*/*", "application/json"),
        ("application/*", "application/json"),
        (GRAPHQL_RESPONSE_JSON, GRAPHQL_RESPONSE_JSON),
        (f"application/json;q=0.2, {GRAPHQL_RESPONSE_JSON}", GRAPHQL_RESPONSE_JSON),
        (f"{GRAPHQL_RESPONSE_JSON};q=0, application/json", "application/json"),
        ("text/html", None),
        ("application/xml, text/*;q=0.8", None),
    ],
)
def test_negotiate(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept) == expected


def test_get_runs_queries_with_variables(client: httpx.Client) -> None:
    response = client.get(
        "/graphql",
        params={
            "query": "query M($code: String!) { municipality(code: $code) { name } }",
            "variables": '{"code": "269"}',
            "operationName": "M",
        },
        headers=headers(GRAPHQL_RESPONSE_JSON),
    )
    assert response.status_code == 200 and response.headers["content-type"] == GRAPHQL_RESPONSE
    assert response.json()["data"] == {"municipality": {"name": "Solrød"}} and "errors" not in response.json()


def test_get_never_runs_a_mutation(client: httpx.Client) -> None:
    for accept in ("application/json", GRAPHQL_RESPONSE_JSON):
        response = client.get("/graphql", params={"query": "mutation { __typename }"}, headers=headers(accept))
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"
        assert "must be sent with POST" in response.json()["errors"][0]["message"]
    named = client.get(
        "/graphql",
        params={"query": "query Q { __typename } mutation M { __typename }", "operationName": "M"},
        headers=headers(),
    )
    assert named.status_code == 405


def test_other_methods_are_not_allowed(client: httpx.Client) -> None:
    for method in ("PUT", "DELETE", "PATCH"):
        response = client.request(method, "/graphql", json={"query": QUERY}, headers=headers())
        assert response.status_code == 405
        assert "POST" in response.headers["allow"]


@pytest.mark.parametrize(
    "document", ["{ municipality(code: ", "{ noSuchField }", "query($c: String!) { municipality(code: $c) { name } }"]
)
def test_request_errors_are_400_with_graphql_response_json_and_200_with_json(
    client: httpx.Client, document: str
) -> None:
    modern = post(client, {"query": document}, GRAPHQL_RESPONSE_JSON)
    assert modern.status_code == 400 and modern.headers["content-type"] == GRAPHQL_RESPONSE
    assert "data" not in modern.json() and modern.json()["errors"]
    legacy = post(client, {"query": document}, "application/json")
    assert legacy.status_code == 200 and legacy.headers["content-type"] == "application/json"
    assert "data" not in legacy.json() and legacy.json()["errors"]


def test_field_errors_are_200_with_data(client: httpx.Client) -> None:
    document = (
        '{ municipality(code: "269") { name } '
        'region(slug: "sjaelland") { municipalities(after: "bm9wZQ==") { totalCount } } }'
    )
    partial = post(client, {"query": document}, GRAPHQL_RESPONSE_JSON)
    assert partial.status_code == 200
    body = partial.json()
    assert body["data"] == {"municipality": {"name": "Solrød"}, "region": None}
    assert body["errors"][0]["path"] == ["region", "municipalities"]
    # A field the caller may not use is not in its schema (schema/visibility.py): a request error like any
    # unknown field, never a FORBIDDEN field error with partial data.
    hidden = client.post(
        "/graphql",
        json={"query": '{ businessHub(slug: "sjaelland") { name offices { id } } }'},
        headers={**bearer("benchmark:read"), "Accept": GRAPHQL_RESPONSE_JSON},
    )
    assert hidden.status_code == 400 and "data" not in hidden.json()
    assert hidden.json()["errors"][0]["message"] == "Cannot query field 'offices' on type 'BusinessHub'."


def test_several_operations_need_an_operation_name(client: httpx.Client) -> None:
    document = 'query A { municipality(code: "269") { name } } query B { __typename }'
    chosen = post(client, {"query": document, "operationName": "B"}, GRAPHQL_RESPONSE_JSON)
    assert chosen.status_code == 200 and chosen.json()["data"] == {"__typename": "Query"}
    assert "errors" not in chosen.json()
    missing = post(client, {"query": document}, GRAPHQL_RESPONSE_JSON)
    assert missing.status_code == 400 and "operationName" in missing.json()["errors"][0]["message"]
    assert post(client, {"query": document}, "application/json").status_code == 200


def test_malformed_requests_are_400(client: httpx.Client) -> None:
    bad_json = client.post(
        "/graphql", content=b"{not json", headers=headers(GRAPHQL_RESPONSE_JSON, **{"Content-Type": "application/json"})
    )
    assert bad_json.status_code == 400
    assert post(client, {"variables": {}}).status_code == 400  # no query
    assert post(client, {"query": QUERY, "variables": "not an object"}).status_code == 400
    assert client.get("/graphql", headers=headers("application/json")).status_code == 400


MALFORMED_POSTS = {  # body -> what the message must name
    "not JSON": (b"{not json", "not valid JSON"),
    "not UTF-8": (b'{"query": "\xff"}', "not valid JSON"),
    "a batch (JSON array)": (json.dumps([{"query": QUERY}, {"query": QUERY}]).encode(), "Batching is not supported"),
    "a JSON string": (b'"{ __typename }"', "must be a JSON object"),
    "no query": (b'{"variables": {}}', "no `query`"),
    "a null query": (b'{"query": null}', "no `query`"),
    "an empty query": (b'{"query": ""}', "no `query`"),
    "a query that is not a string": (b'{"query": 42}', "`query` must be a string"),
    "variables that are a string": (
        json.dumps({"query": QUERY, "variables": "x"}).encode(),
        '`variables` must be a JSON object (or null), not "x"',
    ),
    "variables that are a list": (json.dumps({"query": QUERY, "variables": [1]}).encode(), "`variables` must be"),
    "extensions that are a string": (json.dumps({"query": QUERY, "extensions": "x"}).encode(), "`extensions` must be"),
    "an operationName that is not a string": (
        json.dumps({"query": QUERY, "operationName": 1}).encode(),
        "`operationName` must be a string",
    ),
}


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE_JSON, "application/json", None])
@pytest.mark.parametrize("case", list(MALFORMED_POSTS))
def test_malformed_posts_get_a_json_error_body_with_the_negotiated_media_type(
    client: httpx.Client, case: str, accept: str | None
) -> None:
    """Not a well-formed GraphQL-over-HTTP request: 400 with either media type, and a message naming the problem."""
    content, message = MALFORMED_POSTS[case]
    response = client.post("/graphql", content=content, headers=headers(accept, **{"Content-Type": "application/json"}))
    assert response.status_code == 400, response.text
    expected = GRAPHQL_RESPONSE if accept == GRAPHQL_RESPONSE_JSON else "application/json"
    assert response.headers["content-type"] == expected
    body = response.json()
    assert set(body) == {"errors"}, body
    [error] = body["errors"]
    assert message in error["message"], error
    assert error["extensions"] == {"code": "BAD_REQUEST"}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "no `query`"),
        ({"query": QUERY, "variables": "{not json"}, "The `variables` parameter is not valid JSON"),
        ({"query": QUERY, "variables": ""}, "The `variables` parameter is not valid JSON"),
        ({"query": QUERY, "variables": '"x"'}, "`variables` must be a JSON object"),
        ({"query": QUERY, "extensions": "[1]"}, "`extensions` must be a JSON object"),
    ],
)
def test_malformed_gets_get_a_json_error_body(client: httpx.Client, params: dict[str, str], message: str) -> None:
    for accept in (GRAPHQL_RESPONSE_JSON, "application/json"):
        response = client.get("/graphql", params=params, headers=headers(accept))
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith(accept)
        assert message in response.json()["errors"][0]["message"]


def test_an_unknown_operation_name_is_a_request_error(client: httpx.Client) -> None:
    document = 'query A { municipality(code: "269") { name } } query B { __typename }'
    modern = post(client, {"query": document, "operationName": "C"}, GRAPHQL_RESPONSE_JSON)
    assert modern.status_code == 400 and modern.headers["content-type"] == GRAPHQL_RESPONSE
    assert modern.json() == {
        "errors": [
            {
                "message": 'Unknown operation named "C": the document defines "A", "B".',
                "extensions": {"code": "BAD_REQUEST"},
            }
        ]
    }
    # A well-formed request: with application/json a GraphQL request error is 200 (as a missing operationName).
    legacy = post(client, {"query": "{ __typename }", "operationName": "Q"}, "application/json")
    assert legacy.status_code == 200 and legacy.headers["content-type"] == "application/json"
    assert "data" not in legacy.json() and "only an unnamed operation" in legacy.json()["errors"][0]["message"]
    get = client.get(
        "/graphql", params={"query": document, "operationName": "C"}, headers=headers(GRAPHQL_RESPONSE_JSON)
    )
    assert get.status_code == 400 and 'Unknown operation named "C"' in get.json()["errors"][0]["message"]


def test_a_mutation_via_get_from_a_browser_is_405(client: httpx.Client) -> None:
    for accept in ("text/html", "text/html,application/xhtml+xml,*/*;q=0.8"):
        response = client.get("/graphql", params={"query": "mutation { __typename }"}, headers=headers(accept))
        assert response.status_code == 405, response.text
        assert response.headers["allow"] == "POST"
        assert response.headers["content-type"] == "application/json"
        assert "must be sent with POST" in response.json()["errors"][0]["message"]
    # A browser opening a URL with a query still gets the result as JSON.
    query = client.get("/graphql", params={"query": "{ __typename }"}, headers=headers("text/html"))
    assert query.status_code == 200 and query.json()["data"] == {"__typename": "Query"}
    assert "errors" not in query.json()


def test_a_post_body_must_be_json(client: httpx.Client) -> None:
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/graphql"):
        response = client.post(
            "/graphql", content=QUERY.encode(), headers=headers("application/json", **{"Content-Type": content_type})
        )
        assert response.status_code == 415, content_type
        assert response.headers["accept-post"] == "application/json"
    charset = client.post(
        "/graphql",
        content=b'{"query": "{ __typename }"}',
        headers=headers(None, **{"Content-Type": "application/json; charset=utf-8"}),
    )
    assert charset.status_code == 200 and charset.json()["data"] == {"__typename": "Query"}
    assert "errors" not in charset.json()


def test_graphiql_is_served_to_browsers_only(client: httpx.Client) -> None:
    page = client.get("/graphql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    api = client.get("/graphql", params={"query": "{ __typename }"}, headers={"Accept": "application/json"})
    assert api.json()["data"] == {"__typename": "Query"} and "errors" not in api.json()


@pytest.mark.parametrize(
    ("variables", "literal", "message"),
    [
        ({"slug": "sj\u0000"}, "$slug", "Variable slug: text may not contain the NUL character"),
        ({"slug": "sj\ud800"}, "$slug", "Variable slug: text may not contain"),
        ({}, '"sj\\u0000"', "A string literal is not storable"),
    ],
)
def test_unstorable_text_is_refused_with_a_clear_error(client, variables, literal, message) -> None:
    declaration = "($slug: String!)" if variables else ""
    query = f"query{declaration} {{ region(slug: {literal}) {{ slug }} }}"
    raw = json.dumps({"query": query, "variables": variables}).encode()  # \ud800 stays an escape, as clients send it
    body = client.post(
        "/graphql", content=raw, headers={"Content-Type": "application/json", **bearer("region:sjaelland:read")}
    ).json()
    assert body["errors"][0]["message"].startswith(message)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT" and body.get("data") is None


def test_unexpected_errors_are_masked_and_client_errors_are_not() -> None:
    from graphql import GraphQLError
    from sqlalchemy.exc import DBAPIError
    from strawberry.relay.types import GlobalIDValueError

    from kkr.platform.services.errors import ErrorCode, ServiceError
    from kkr.schema.common.errors import InvalidInput
    from kkr.schema.masking import is_unexpected

    database = DBAPIError("INSERT INTO access_log ... secret parameters", {}, Exception("boom"))
    assert is_unexpected(GraphQLError(str(database), original_error=database))
    assert is_unexpected(GraphQLError("bug", original_error=KeyError("x")))
    assert not is_unexpected(GraphQLError("FORBIDDEN: needs a scope"))
    assert is_unexpected(GraphQLError("deep", original_error=ValueError("internal detail")))
    assert not is_unexpected(GraphQLError("bad", original_error=InvalidInput("Value cannot represent a UUID")))
    assert not is_unexpected(GraphQLError("bad id", original_error=GlobalIDValueError("not a global id")))
    refused = ServiceError.one("input", ErrorCode.NOT_FOUND, "No such row.")
    assert not is_unexpected(GraphQLError(str(refused), original_error=refused))


@pytest.mark.parametrize(
    ("query", "variables", "fragment"),
    [
        ("query($s: DateTime) { auditEvents(since: $s) { totalCount } }", {"s": "not a time"}, "not a time"),
        ("query($id: ID!) { node(id: $id) { id } }", {"id": "garbage"}, "garbage"),
        ('{ node(id: "garbage") { id } }', {}, "garbage"),
        ("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["R29hbDp4"]}, ""),
    ],
)
def test_bad_values_get_their_own_message_not_a_masked_one(client, query, variables, fragment) -> None:
    body = client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=bearer("region:sjaelland:read")
    ).json()
    messages = [e["message"] for e in body.get("errors") or []]
    assert "Internal server error." not in messages, messages
    assert any(fragment in m for m in messages) or body.get("data"), body
