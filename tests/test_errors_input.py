"""A caller's mistake gets the caller's error, BAD_USER_INPUT naming the argument, never a masked one
(issue 10, "Errors"): global ids (one message for every id that is not valid, so hidden type names cannot
be confirmed) and year arguments (bounded in one place: `kkr.schema.common.bounds`)."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from .api_client import NORDJYLLAND_READ, SJAELLAND_READ, post
from .tokens import bearer

KL = "benchmark:read"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def errors_of(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["message"], e["extensions"]["code"]) for e in body.get("errors") or []]


MALFORMED = {
    "not base64": "!!!",
    "no colon": b64("justtext"),
    "NUL in the key": b64("Region:sja\x00elland"),
    "NUL in the type": b64("Reg\x00ion:sjaelland"),
    "empty key": b64("Region:"),
    "no GraphQL name": b64("1Region:x"),
}


@pytest.mark.parametrize("value", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_id_is_the_one_invalid_id_error(client: httpx.Client, demo_data, value: str) -> None:
    as_literal = post(client, f'{{ node(id: "{value}") {{ id }} }}', None, SJAELLAND_READ)
    as_variable = post(client, "query($id: ID!) { node(id: $id) { id } }", {"id": value}, SJAELLAND_READ)
    for body in (as_literal, as_variable):
        assert body["data"] == {"node": None}
        assert errors_of(body) == [("Argument 'id' is not a valid id.", "BAD_USER_INPUT")]
    in_list = post(
        client,
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        {"ids": [b64("Region:sjaelland"), value]},
        SJAELLAND_READ,
    )
    assert errors_of(in_list) == [("Argument 'ids[1]' is not a valid id.", "BAD_USER_INPUT")]


def test_unknown_and_hidden_type_names_cannot_be_told_apart(client: httpx.Client, demo_data) -> None:
    """`node(id:)` answers a well-formed id of a type outside the caller's schema with null, whether the type
    exists elsewhere (KL: ResultContract; everyone: OAuthClient, not a Node type) or not at all (Node, Nope)."""
    contract = post(client, "{ resultContracts(first: 1) { nodes { id } } }", None, NORDJYLLAND_READ)["data"][
        "resultContracts"
    ]["nodes"][0]["id"]
    for scopes in ((KL,), (SJAELLAND_READ,), ("admin",)):
        answers = set()
        for value in (
            b64("Node:1"),
            b64("Nope:x"),
            b64("OAuthClient:x"),
            b64("AuditEvent:x"),
            *([contract] if scopes == (KL,) else []),
        ):
            body = post(client, "query($id: ID!) { node(id: $id) { id } }", {"id": value}, *scopes)
            answers.add(repr({k: v for k, v in body.items() if k != "extensions"}))
        assert len(answers) == 1, (scopes, answers)
        if scopes != ("admin",):
            assert answers == {repr({"data": {"node": None}})}


@pytest.mark.parametrize(
    ("query", "argument"),
    [
        ('query($id: ID!) { goal(contract: $id, code: "1") { code } }', "contract"),
        ("query($id: ID!) { goals(nationalGoal: $id) { totalCount } }", "nationalGoal"),
    ],
)
def test_an_argument_of_one_type_refuses_every_other_id_alike(
    client: httpx.Client, demo_data, query: str, argument: str
) -> None:
    expected = [(f"Argument '{argument}' is not a valid id.", "BAD_USER_INPUT")]
    for value in (
        b64("Region:sjaelland"),
        b64("OAuthClient:x"),
        b64("Nope:x"),
        b64("ResultContract:not-a-uuid"),
        b64("NationalGoal:not-a-uuid"),
        *MALFORMED.values(),
    ):
        if argument == "nationalGoal" and value == b64("ResultContract:not-a-uuid"):
            continue
        body = post(client, query, {"id": value}, SJAELLAND_READ)
        assert errors_of(body) == expected, (value, body)


def test_a_mutation_refuses_foreign_and_malformed_ids_with_one_message(client: httpx.Client, demo_data) -> None:
    mutation = """mutation($id: ID!) { updateGrowthTeam(input: {id: $id, rowVersion: 1, name: "x"}) {
        growthTeam { id } errors { field code message } } }"""
    answers = set()
    for value in (
        b64("Region:sjaelland"),
        b64("OAuthClient:x"),
        b64("Nope:x"),
        b64("GrowthTeam:not-a-uuid"),
        b64("GrowthTeam:a\x00b"),
    ):
        response = client.post(
            "/graphql", json={"query": mutation, "variables": {"id": value}}, headers=bearer("region:sjaelland:write")
        )
        payload = response.json()["data"]["updateGrowthTeam"]
        answers.add(repr(payload))
    assert answers == {
        repr(
            {
                "growthTeam": None,
                "errors": [
                    {"field": ["input", "id"], "code": "INVALID", "message": "This is not a valid GrowthTeam id."}
                ],
            }
        )
    }
    body = client.post(
        "/graphql", json={"query": mutation, "variables": {"id": "!!!"}}, headers=bearer("region:sjaelland:write")
    ).json()
    assert errors_of(body) == [("Argument 'input.id' is not a valid id.", "BAD_USER_INPUT")]


YEAR_FIELDS = [
    ("goals(year: {v}) {{ totalCount }}", "year", SJAELLAND_READ),
    ("resultContracts(year: {v}) {{ totalCount }}", "year", SJAELLAND_READ),
    ("resultContracts(yearFrom: {v}) {{ totalCount }}", "yearFrom", SJAELLAND_READ),
    ("resultContracts(yearTo: {v}) {{ totalCount }}", "yearTo", SJAELLAND_READ),
    ('region(slug: "sjaelland") {{ resultContracts(year: {v}) {{ totalCount }} }}', "year", SJAELLAND_READ),
    ("climateInitiatives(year: {v}) {{ totalCount }}", "year", SJAELLAND_READ),
    ("comparableFigures(year: {v}) {{ region }}", "year", KL),
]


@pytest.mark.parametrize(
    ("selection", "argument", "scope"), YEAR_FIELDS, ids=[f[0].split("(")[0] + ":" + f[1] for f in YEAR_FIELDS]
)
def test_year_arguments_are_bounded(client: httpx.Client, demo_data, selection: str, argument: str, scope: str) -> None:
    for value in (2147483647, -2147483648, 32768, 999, 10000):
        body = post(client, "{ " + selection.format(v=value) + " }", None, scope)
        assert errors_of(body) == [(f"Argument '{argument}' must be a year from 1000 to 9999.", "BAD_USER_INPUT")]
    ok = post(client, "{ " + selection.format(v=2020) + " }", None, scope)
    assert "errors" not in ok, ok


def test_version_argument_is_bounded(client: httpx.Client, demo_data) -> None:
    """`version` is a smallint column: 32768 was a masked internal error (found by tests/test_fuzz.py)."""
    selection = 'resultContract(businessHub: "sjaelland", year: 2021, version: {v}) {{ version }}'
    for value in (32768, 2147483647, 0, -1):
        body = post(client, "{ " + selection.format(v=value) + " }", None, SJAELLAND_READ)
        assert errors_of(body) == [("Argument 'version' must be a version from 1 to 32767.", "BAD_USER_INPUT")]
    ok = post(client, "{ " + selection.format(v=1) + " }", None, SJAELLAND_READ)
    assert ok["data"]["resultContract"]["version"] == 1, ok


def test_every_year_argument_of_the_schema_is_bounded() -> None:
    """No field escapes the one place: every Int argument named like a year has the bounded resolver."""
    from graphql import GraphQLObjectType, get_named_type

    from kkr.schema.common.bounds import YEAR_ARGUMENTS
    from kkr.schema.schema import schema

    found = 0
    for graphql_type in schema._schema.type_map.values():
        if isinstance(graphql_type, GraphQLObjectType) and not graphql_type.name.startswith("__"):
            for name, field in graphql_type.fields.items():
                years = {
                    a
                    for a, arg in field.args.items()
                    if get_named_type(arg.type).name == "Int" and ("year" in a.lower())
                }
                assert years <= YEAR_ARGUMENTS, (graphql_type.name, name, years)
                if years:
                    found += 1
                    assert field.resolve.__name__ == "resolve_bounded", (graphql_type.name, name)
    assert found >= 8
