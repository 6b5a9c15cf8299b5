"""A walk over the schema each audience sees, over HTTP against the demo data.

For KL (`benchmark:read`), a ministry (`aggregates:read`), both together and an
anonymous caller: the caller's own introspection is fetched, then every field it
shows is selected (to a bounded depth, through interfaces and unions) and run.
Nothing it shows may answer FORBIDDEN: what a caller may not use is not in its
schema, and a document that asks for it fails validation, for nested fields as
for root fields.  The walk is generic: fields added later are walked too.

Required arguments are filled from values the caller read itself in a first pass
(`region(slug:)` gets a `Region.slug` it saw, `node(id:)` an id it saw), else from
`ARGUMENTS`, else with a type-correct guess; a guessed argument may give a clear
input error, never FORBIDDEN or an internal error.

Hostile cases: KL asks by global id (node/nodes) for draft contracts, local goals
and what hangs below them (ids read with regional tokens): null, and row-level
security keeps those rows from KL's transactions as well.  A ministry reaches no
row at all: no Node type, no `id`, and node/nodes fail validation.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graphql import GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema, get_named_type, is_composite_type
from sqlalchemy import text
from strawberry.relay import from_base64

from kkr.platform.settings import Settings

from .conftest import LiveServer
from .schema_walk import (
    chunks,
    collect,
    data_of,
    field_name,
    hidden_fields,
    is_validation_failure,
    objects,
    paths_to_types,
    post,
    schema_of,
    walk,
)

pytestmark = pytest.mark.usefixtures("demo_data")

KL = ("benchmark:read",)
MINISTRY = ("aggregates:read",)
AUDIENCES: dict[str, tuple[str, ...]] = {
    "KL": KL,
    "ministry": MINISTRY,
    "KL and ministry": KL + MINISTRY,
    "anonymous": (),
}
#: Every scope at once: its schema is the whole schema (the reference for what the others do not see).
EVERYTHING = ("region:sjaelland:write", "region:nordjylland:write", "benchmark:read", "aggregates:read", "admin")
SJ_WRITE, NJ_WRITE = ("region:sjaelland:write",), ("region:nordjylland:write",)

# --- fixtures -------------------------------------------------------------------------------------------------------

#: The walk reads the whole schema in a few documents, far beyond what a client sends: its server lifts the
#: query limits on aliases, root fields, repeated fields and cost (schema/limits; the other limits hold).
WALK_LIMITS = {"max_aliases": 100_000, "max_root_fields": 10_000, "max_repeated_fields": 10_000, "max_cost": 10**12}


@pytest.fixture(scope="module")
def module_client(settings: Settings) -> Iterator[httpx.Client]:
    with (
        LiveServer(settings.model_copy(update=WALK_LIMITS)) as server,
        httpx.Client(base_url=server.url, timeout=60) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def full_schema(module_client: httpx.Client) -> GraphQLSchema:
    return schema_of(module_client, EVERYTHING)


@pytest.fixture(scope="module")
def schemas(module_client: httpx.Client) -> dict[str, GraphQLSchema]:
    return {audience: schema_of(module_client, scopes) for audience, scopes in AUDIENCES.items()}


@pytest.fixture(scope="module")
def walks(module_client: httpx.Client, schemas: dict[str, GraphQLSchema]) -> dict[str, dict[str, dict[str, Any]]]:
    return {audience: walk(module_client, AUDIENCES[audience], schemas[audience]) for audience in AUDIENCES}


# --- the walk -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("audience", list(AUDIENCES))
def test_nothing_the_caller_sees_answers_forbidden(walks: dict[str, dict[str, dict[str, Any]]], audience: str) -> None:
    problems = []
    for field, body in walks[audience].items():
        for error in body.get("errors") or []:
            code = (error.get("extensions") or {}).get("code")
            if code == "FORBIDDEN" or error["message"] == "Internal server error.":
                problems.append((field, error.get("path"), code, error["message"]))
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)


@pytest.mark.parametrize("audience", list(AUDIENCES))
def test_the_walk_reads_data(walks: dict[str, dict[str, dict[str, Any]]], audience: str) -> None:
    """Not a vacuous walk: every root field answered, most of them without any error."""
    bodies = walks[audience]
    assert "viewer" in bodies and bodies["viewer"]["data"]["viewer"]["isAnonymous"] == (audience == "anonymous")
    answered = [name for name, body in bodies.items() if body.get("data") and body["data"].get(name) is not None]
    assert len(answered) >= len(bodies) * 0.7, {n: b.get("errors") for n, b in bodies.items() if n not in answered}


def test_kl_reads_reference_data_and_comparable_figures(walks: dict[str, dict[str, dict[str, Any]]]) -> None:
    bodies = walks["KL"]
    for field in ("regions", "businessHubs", "comparableFigures", "benchmarkObservations", "node", "nodes"):
        assert field in bodies and "errors" not in bodies[field], (field, bodies.get(field))
    assert len(bodies["regions"]["data"]["regions"]) == 5
    # node(id:) and nodes(ids:) got ids KL read itself: they resolve
    assert bodies["node"]["data"]["node"] is not None and all(bodies["nodes"]["data"]["nodes"])


def test_kl_reads_no_draft_and_no_local_goal_anywhere(
    walks: dict[str, dict[str, dict[str, Any]]], schemas: dict[str, GraphQLSchema]
) -> None:
    """In every row KL's walk read (objects of types outside the ministry's aggregate part), no draft contract
    status and no local goal category."""
    aggregate_types = set(schemas["ministry"].type_map)
    for audience in ("KL", "KL and ministry"):
        schema = schemas[audience]
        for field, body in walks[audience].items():
            for obj in objects(body.get("data")):
                typename = obj.get("__typename")
                if typename is None or typename in aggregate_types:
                    continue
                graphql_type = schema.get_type(typename)
                for key, value in obj.items():
                    definition = (
                        graphql_type.fields.get(field_name(key))
                        if isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType))
                        else None
                    )
                    if definition is None:
                        continue
                    enum = get_named_type(definition.type).name
                    assert not (enum == "ContractStatus" and value == "DRAFT"), (field, obj)
                    assert not (enum == "GoalCategory" and value == "LOCAL"), (field, obj)


# --- what the caller does not see fails validation -----------------------------------------------------------------


@pytest.mark.parametrize("audience", list(AUDIENCES))
def test_hidden_fields_fail_validation(
    module_client: httpx.Client, full_schema: GraphQLSchema, schemas: dict[str, GraphQLSchema], audience: str
) -> None:
    """Every field the caller's types lack (root or nested) is unknown to it, without suggestions; one document
    asks for all of them, each reached through fields the caller does see."""
    schema = schemas[audience]
    hidden = hidden_fields(full_schema, schema)
    assert hidden
    if audience.startswith("KL"):
        assert ("BusinessHub", "offices", True) in hidden and ("BusinessHub", "boardMembers", True) in hidden
    paths = paths_to_types(schema)
    for chunk in chunks(hidden):
        selections = []
        for i, (type_name, field, composite) in enumerate(chunk):
            opening, closing = paths[type_name]
            selections.append(f"h{i}: {opening}{field}{' { __typename }' if composite else ''}{closing}")
        body = post(module_client, AUDIENCES[audience], "{ " + " ".join(selections) + " }")
        assert is_validation_failure(body), body
        messages = {e["message"] for e in body["errors"]}
        assert messages == {f"Cannot query field '{f}' on type '{t}'." for t, f, _ in chunk}


@pytest.mark.parametrize("audience", list(AUDIENCES))
def test_hidden_types_are_unknown(
    module_client: httpx.Client, full_schema: GraphQLSchema, schemas: dict[str, GraphQLSchema], audience: str
) -> None:
    schema = schemas[audience]
    hidden = [
        name for name, t in full_schema.type_map.items() if not name.startswith("__") and name not in schema.type_map
    ]
    assert hidden
    aliases = " ".join(f't{i}: __type(name: "{name}") {{ name }}' for i, name in enumerate(hidden))
    assert set(data_of(module_client, AUDIENCES[audience], f"{{ {aliases} }}").values()) == {None}
    objects_ = [name for name in hidden if isinstance(full_schema.get_type(name), GraphQLObjectType)]
    for chunk in chunks(objects_):
        fragments = " ".join(f"... on {name} {{ __typename }}" for name in chunk)
        body = post(module_client, AUDIENCES[audience], f"{{ __typename {fragments} }}")
        assert is_validation_failure(body)
        assert {e["message"] for e in body["errors"]} == {f"Unknown type '{name}'." for name in chunk}


@pytest.mark.parametrize("audience", list(AUDIENCES))
def test_mutations_are_unknown(
    module_client: httpx.Client, full_schema: GraphQLSchema, schemas: dict[str, GraphQLSchema], audience: str
) -> None:
    assert schemas[audience].mutation_type is None
    assert full_schema.mutation_type is not None
    name = next(iter(full_schema.mutation_type.fields))
    body = post(module_client, AUDIENCES[audience], f"mutation {{ {name} {{ __typename }} }}")
    assert is_validation_failure(body)
    assert any("mutation" in e["message"] for e in body["errors"]), body


# --- the ministry: aggregates only -----------------------------------------------------------------------------------


def test_a_ministry_reaches_no_row(
    schemas: dict[str, GraphQLSchema], full_schema: GraphQLSchema, module_client: httpx.Client
) -> None:
    schema = schemas["ministry"]
    node = full_schema.get_type("Node")
    assert isinstance(node, GraphQLInterfaceType) and schema.query_type is not None
    rows = {t.name for t in full_schema.get_possible_types(node)}
    assert "Node" not in schema.type_map and not rows & set(schema.type_map)
    assert not {"node", "nodes"} & set(schema.query_type.fields)
    for name, graphql_type in schema.type_map.items():
        if isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType)) and not name.startswith("__"):
            assert "id" not in graphql_type.fields, name  # nothing the ministry reads has a row identity
    for query in (
        '{ node(id: "UmVnaW9uOnNqYWVsbGFuZA==") { id } }',
        '{ nodes(ids: ["UmVnaW9uOnNqYWVsbGFuZA=="]) { id } }',
        "{ regions { slug } }",
        "{ resultContracts { totalCount } }",
        "{ comparableFigures { region } }",
        "{ benchmarkObservations { totalCount } }",
        "{ publishedContracts { region } }",
    ):
        body = post(module_client, MINISTRY, query)
        assert is_validation_failure(body), (query, body)
        assert any(e["message"].startswith("Cannot query field") for e in body["errors"]), body


# --- KL and global ids ----------------------------------------------------------------------------------------------

CONTRACT_TREE = """{ resultContracts(first: 100, allVersions: true) { nodes { id status published
  goals(first: 100) { nodes { id category indicators(first: 100) { nodes { id
    targets(first: 100) { nodes { id results(first: 100) { nodes { id } } } } } } } } } } }"""


def forbidden_ids(client: httpx.Client) -> dict[str, list[str]]:
    """Global ids KL must never resolve, read with the regions' own tokens: draft contracts and everything in them,
    local goals (of any contract) and everything below them.  Also, for contrast, published national goals'."""
    ids: dict[str, list[str]] = {
        "contract": [],
        "goal": [],
        "indicator": [],
        "target": [],
        "result": [],
        "comparable goal": [],
    }
    for scopes in (SJ_WRITE, NJ_WRITE):
        for contract in data_of(client, scopes, CONTRACT_TREE)["resultContracts"]["nodes"]:
            draft = contract["status"] == "DRAFT"
            if draft:
                ids["contract"].append(contract["id"])
            for goal in contract["goals"]["nodes"]:
                if not (draft or goal["category"] == "LOCAL"):
                    if contract["published"] and goal["category"] == "NATIONAL":
                        ids["comparable goal"].append(goal["id"])
                    continue
                ids["goal"].append(goal["id"])
                for indicator in goal["indicators"]["nodes"]:
                    ids["indicator"].append(indicator["id"])
                    for target in indicator["targets"]["nodes"]:
                        ids["target"].append(target["id"])
                        ids["result"].extend(r["id"] for r in target["results"]["nodes"])
    return ids


@pytest.fixture(scope="module")
def kl_forbidden_ids(module_client: httpx.Client) -> dict[str, list[str]]:
    ids = forbidden_ids(module_client)
    for kind in ("contract", "goal", "indicator", "target", "result", "comparable goal"):
        assert ids[kind], f"the demo data has no {kind} for this test"
    return ids


def test_kl_gets_null_for_drafts_and_local_goals_by_node_id(
    module_client: httpx.Client, kl_forbidden_ids: dict[str, list[str]]
) -> None:
    for kind in ("contract", "goal", "indicator", "target", "result", "comparable goal"):
        for global_id in kl_forbidden_ids[kind][:5]:  # all of them through nodes(ids:) below
            body = post(module_client, KL, "query($id: ID!) { node(id: $id) { id __typename } }", {"id": global_id})
            assert body["data"] == {"node": None} and "errors" not in body, (kind, global_id, body)
    everything = list(
        itertools.chain.from_iterable(
            kl_forbidden_ids[k] for k in ("contract", "goal", "indicator", "target", "result", "comparable goal")
        )
    )
    for page in range(0, len(everything), 100):
        ids = everything[page : page + 100]
        body = post(module_client, KL, "query($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }", {"ids": ids})
        assert body["data"] == {"nodes": [None] * len(ids)} and "errors" not in body, body


def test_kl_cannot_name_contract_types(module_client: httpx.Client, kl_forbidden_ids: dict[str, list[str]]) -> None:
    """Contracts, goals, targets and results are not in KL's schema: it cannot even ask for their fields."""
    global_id = kl_forbidden_ids["goal"][0]
    body = post(module_client, KL, "query($id: ID!) { node(id: $id) { ... on Goal { title } } }", {"id": global_id})
    assert is_validation_failure(body) and body["errors"][0]["message"] == "Unknown type 'Goal'."


TABLES = {
    "contract": "result_contract",
    "goal": "goal",
    "indicator": "indicator",
    "target": "target",
    "result": "result",
}


async def test_row_level_security_keeps_them_from_kl_too(app_db, kl_forbidden_ids: dict[str, list[str]]) -> None:
    """Below the schema: in KL's transactions the same rows do not exist (policies benchmark_read), while the
    published contracts' national goals do (KL's comparisons read them)."""
    from kkr.platform.auth.identity import Identity

    kl = Identity("kl@test", frozenset(KL)).tenant_context()

    def keys(kind: str) -> list[uuid.UUID]:
        return [uuid.UUID(from_base64(global_id)[1]) for global_id in kl_forbidden_ids[kind]]

    async with app_db.transaction(kl) as session:
        for kind, table in TABLES.items():
            count = await session.scalar(
                text(f"SELECT count(*) FROM {table} WHERE id = ANY(:ids)"), {"ids": keys(kind)}
            )
            assert count == 0, (kind, count)
        visible = await session.scalar(
            text("SELECT count(*) FROM goal WHERE id = ANY(:ids)"), {"ids": keys("comparable goal")}
        )
        assert visible == len(kl_forbidden_ids["comparable goal"])


def test_every_node_type_kl_sees_resolves_by_id(
    module_client: httpx.Client, schemas: dict[str, GraphQLSchema], walks: dict[str, dict[str, dict[str, Any]]]
) -> None:
    """The Node types in KL's schema are those it can look up: each id KL read resolves to itself."""
    schema = schemas["KL"]
    node = schema.get_type("Node")
    assert isinstance(node, GraphQLInterfaceType)
    node_types = {t.name for t in schema.get_possible_types(node)}
    seen: dict[tuple[str, str], list[Any]] = {}
    for body in walks["KL"].values():
        collect(body.get("data"), seen)
    ids = {name: seen[(name, "id")][0] for name in node_types if (name, "id") in seen}
    assert {"Region", "BusinessHub", "Municipality"} <= set(ids)
    body = post(
        module_client, KL, "query($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }", {"ids": list(ids.values())}
    )
    assert body["data"]["nodes"] == [{"id": i, "__typename": name} for name, i in ids.items()], body


def test_kl_nodes_keep_order_around_the_ids_it_may_not_resolve(
    module_client: httpx.Client, kl_forbidden_ids: dict[str, list[str]]
) -> None:
    region = data_of(module_client, KL, "{ regions { id } }")["regions"][0]["id"]
    hub = data_of(module_client, KL, "{ businessHubs(first: 1) { nodes { id } } }")["businessHubs"]["nodes"][0]["id"]
    ids = [kl_forbidden_ids["contract"][0], region, kl_forbidden_ids["goal"][0], hub, kl_forbidden_ids["result"][0]]
    nodes = data_of(module_client, KL, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})["nodes"]
    assert nodes == [None, {"id": region}, None, {"id": hub}, None]


# --- the pruned schemas themselves (in process) ----------------------------------------------------------------------


def test_callers_with_the_same_audience_share_one_pruned_schema() -> None:
    """Built once per audience (the permission classes that admit a caller), not per request or token."""
    from kkr.platform.auth.identity import Identity
    from kkr.schema.schema import schema
    from kkr.schema.visibility import visibility_of

    visibility = visibility_of(schema)

    def pruned(*scopes: str) -> GraphQLSchema:
        return visibility.schema_for(Identity(f"{scopes}@test", frozenset(scopes)), None)

    assert pruned("benchmark:read") is pruned("benchmark:read")
    assert pruned("region:sjaelland:read") is pruned("region:nordjylland:read")
    assert pruned("aggregates:read") is not pruned("benchmark:read")
    assert pruned() is pruned("no-such-scope")


@pytest.mark.parametrize("scopes", [KL, MINISTRY, KL + MINISTRY, (), ("region:sjaelland:read",), ("admin",)])
def test_a_pruned_schema_has_only_fields_its_audience_may_use(scopes: tuple[str, ...]) -> None:
    from kkr.platform.auth.identity import Identity
    from kkr.schema.schema import schema
    from kkr.schema.visibility import visibility_of

    visibility = visibility_of(schema)
    identity = Identity("pruned@test", frozenset(scopes))
    pruned = visibility.schema_for(identity, None)
    for (type_name, field), classes in visibility.guards.items():
        graphql_type = pruned.type_map.get(type_name)
        shown = isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType)) and field in graphql_type.fields
        if shown:
            assert all(cls().allows(identity, None) for cls in classes), (type_name, field)
    # it shares the full schema's leaves and inputs, so validation rules see the same arguments
    for name, graphql_type in pruned.type_map.items():
        if not name.startswith("__") and not is_composite_type(graphql_type):
            assert graphql_type is schema._schema.type_map[name], name
