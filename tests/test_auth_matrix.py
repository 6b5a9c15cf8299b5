"""Role × operation × tenant, end to end over HTTP against the live server.

Each role can do exactly what it should and nothing else: an operation it may
not use is unknown to it (the document fails validation against the role's part
of the schema, schema/visibility.py), one it may use returns only the rows of
its own tenant(s) or the comparable/aggregate figures it is entitled to.
Introspection shows each role exactly the root fields it may use.  The
permission classes behind the schema still answer FORBIDDEN if an operation
gets past validation (tested by executing without it).
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from .mutation_helpers import gid
from .tokens import bearer

pytestmark = pytest.mark.usefixtures("demo_data")

ROLES: dict[str, tuple[str, ...] | None] = {
    "anonymous": None,
    "sjaelland reader": ("region:sjaelland:read",),
    "sjaelland writer": ("region:sjaelland:write",),
    "nordjylland writer": ("region:nordjylland:write",),
    "KL benchmark": ("benchmark:read",),
    "ministry aggregates": ("aggregates:read",),
    "admin": ("admin",),
}
REGIONAL = {"sjaelland reader": {"sjaelland"}, "sjaelland writer": {"sjaelland"}, "nordjylland writer": {"nordjylland"}}


def call(client: httpx.Client, role: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    scopes = ROLES[role]
    headers = bearer(*scopes, subject=f"{role}@test") if scopes is not None else {}
    response = client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def forbidden(body: dict[str, Any]) -> bool:
    errors = body.get("errors") or []
    return bool(errors) and all(e.get("extensions", {}).get("code") == "FORBIDDEN" for e in errors)


def invalid(body: dict[str, Any]) -> bool:
    """The document failed validation: no data, and errors of the document (no path, code BAD_REQUEST)."""
    errors = body.get("errors") or []
    return (
        body.get("data") is None
        and bool(errors)
        and all("path" not in e and (e.get("extensions") or {}).get("code") == "BAD_REQUEST" for e in errors)
    )


def refused(body: dict[str, Any]) -> str | None:
    """ "UNKNOWN" when the operation is not in the caller's schema, "FORBIDDEN" when a permission refused it."""
    return "UNKNOWN" if invalid(body) else "FORBIDDEN" if forbidden(body) else None


# --- operations: each returns "FORBIDDEN" or a summary of what the role got --------------------------------------


def regional_contracts(client: httpx.Client, role: str) -> Any:
    body = call(client, role, "{ resultContracts(first: 100) { nodes { regionSlug status } } }")
    if outcome := refused(body):
        return outcome
    assert "errors" not in body, body
    return {n["regionSlug"] for n in body["data"]["resultContracts"]["nodes"]}


def other_region_by_filter(client: httpx.Client, role: str) -> Any:
    """Asking for another region's rows explicitly still returns none of them (RLS)."""
    other = "nordjylland" if REGIONAL.get(role) == {"sjaelland"} else "sjaelland"
    body = call(
        client, role, "query($r: String) { resultContracts(region: $r, first: 100) { nodes { id } } }", {"r": other}
    )
    if outcome := refused(body):
        return outcome
    return len(body["data"]["resultContracts"]["nodes"])


def nordjylland_id(client: httpx.Client, field: str) -> str:
    """The global id of Nordjylland's first `field` row (read with a Nordjylland token)."""
    body = call(client, "nordjylland writer", f"{{ {field}(first: 1) {{ nodes {{ id }} }} }}")
    return body["data"][field]["nodes"][0]["id"]


def nordjylland_contract_by_node(client: httpx.Client, role: str) -> Any:
    """A forged look-up: another region's contract by its global id is null, not an error that confirms it."""
    body = call(
        client,
        role,
        "query($id: ID!) { node(id: $id) { ... on ResultContract { regionSlug } } }",
        {"id": nordjylland_id(client, "resultContracts")},
    )
    if outcome := refused(body):
        return outcome
    assert "errors" not in body, body
    return body["data"]["node"] and body["data"]["node"]["regionSlug"]


def nordjylland_contract_by_any_node(client: httpx.Client, role: str) -> Any:
    """The same id asking only for `id`: null for everyone outside Nordjylland, KL included (its schema has no
    ResultContract, although row-level security lets it read published contracts for its comparisons)."""
    body = call(
        client,
        role,
        "query($id: ID!) { node(id: $id) { id } nodes(ids: [$id]) { id } }",
        {"id": (contract := nordjylland_id(client, "resultContracts"))},
    )
    if outcome := refused(body):
        return outcome
    assert "errors" not in body, body
    data = body["data"]
    assert data["nodes"] == [data["node"]]
    return data["node"] and data["node"]["id"] == contract


def nordjylland_contracts_nested(client: httpx.Client, role: str) -> Any:
    """Through a visible parent (the region, reference data) the nested rows are still the caller's own only."""
    body = call(client, role, '{ region(slug: "nordjylland") { resultContracts { totalCount } } }')
    if outcome := refused(body):
        return outcome
    assert "errors" not in body, body
    return body["data"]["region"]["resultContracts"]["totalCount"]


def delete_nordjylland_growth_team(client: httpx.Client, role: str) -> Any:
    """A delete with a stale version: Nordjylland's editor is told STALE_VERSION, everyone else NOT_FOUND."""
    body = call(
        client,
        role,
        "mutation($input: DeleteInput!) { deleteGrowthTeam(input: $input) { errors { code } } }",
        {"input": {"id": nordjylland_id(client, "growthTeams"), "rowVersion": 0}},
    )
    if outcome := refused(body):
        return outcome
    return [e["code"] for e in body["data"]["deleteGrowthTeam"]["errors"]]


def create_growth_team(region: str) -> Callable[[httpx.Client, str], Any]:
    def operation(client: httpx.Client, role: str) -> Any:
        body = call(
            client,
            role,
            "mutation($input: CreateGrowthTeamInput!) { createGrowthTeam(input: $input) {"
            " growthTeam { id rowVersion regionSlug } errors { code } } }",
            {
                "input": {
                    "name": f"Matrix {uuid.uuid4().hex[:8]}",
                    "geography": "test",
                    "regionId": gid("Region", region),
                }
            },
        )
        if outcome := refused(body):
            return outcome
        team = body["data"]["createGrowthTeam"]["growthTeam"]
        if team is None:
            return "REFUSED"
        deleted = call(
            client,
            role,
            "mutation($input: DeleteInput!) { deleteGrowthTeam(input: $input) { deletedId errors { code } } }",
            {"input": {"id": team["id"], "rowVersion": team["rowVersion"]}},
        )
        assert deleted["data"]["deleteGrowthTeam"]["errors"] == [], deleted  # leave the demo data as it was
        return team["regionSlug"]

    return operation


def comparable_figures(client: httpx.Client, role: str) -> Any:
    body = call(client, role, "{ comparableFigures { region goalCategory contractStatus } }")
    if outcome := refused(body):
        return outcome
    figures = body["data"]["comparableFigures"]
    assert figures and all(f["goalCategory"] != "LOCAL" and f["contractStatus"] != "DRAFT" for f in figures)
    return {f["region"] for f in figures}


def aggregates(client: httpx.Client, role: str) -> Any:
    body = call(
        client,
        role,
        "{ contractStatusCounts { year status contracts suppressed }"
        " nationalGoalResults { nationalGoalCode hubs average suppressed } }",
    )
    if outcome := refused(body):
        return outcome
    assert "errors" not in body, body
    data = body["data"]
    for row in [*data["contractStatusCounts"], *data["nationalGoalResults"]]:
        assert row["suppressed"] is True  # the demo data has at most two hubs per cell: all suppressed
    assert all(r["contracts"] is None for r in data["contractStatusCounts"])
    assert all(r["average"] is None for r in data["nationalGoalResults"])
    return "AGGREGATES"


def benchmark_observations(client: httpx.Client, role: str) -> Any:
    body = call(client, role, "{ benchmarkObservations(first: 5) { totalCount } }")
    return refused(body) or body["data"]["benchmarkObservations"]["totalCount"] > 0


def published_contracts(client: httpx.Client, role: str) -> Any:
    body = call(client, role, "{ publishedContracts { region status } }")
    if outcome := refused(body):
        return outcome
    contracts = body["data"]["publishedContracts"]
    assert all(c["status"] != "DRAFT" for c in contracts)
    return {c["region"] for c in contracts}


def oauth_clients(client: httpx.Client, role: str) -> Any:
    body = call(client, role, "{ oauthClients { clientId } }")
    return refused(body) or "CLIENTS"


def regions(client: httpx.Client, role: str) -> Any:
    body = call(client, role, "{ regions { slug } }")
    return refused(body) or len(body["data"]["regions"])


U = "UNKNOWN"  # not in the role's schema: the document fails validation
SJ, NJ = {"sjaelland"}, {"nordjylland"}
#: operation -> expected outcome per role, in the order of ROLES:
#: anonymous, sjaelland reader, sjaelland writer, nordjylland writer, KL, ministry, admin
EXPECTED: dict[str, tuple[Callable[[httpx.Client, str], Any], tuple[Any, ...]]] = {
    "reference data (regions)": (regions, (U, 5, 5, 5, 5, U, U)),
    "regional contracts": (regional_contracts, (U, SJ, SJ, NJ, U, U, U)),
    "another region's contracts by filter": (other_region_by_filter, (U, 0, 0, 0, U, U, U)),
    "mutation in sjaelland": (create_growth_team("sjaelland"), (U, U, "sjaelland", "REFUSED", U, U, U)),
    "mutation in nordjylland": (create_growth_team("nordjylland"), (U, U, "REFUSED", "nordjylland", U, U, U)),
    "nordjylland's contract by node id": (nordjylland_contract_by_node, (U, None, None, "nordjylland", U, U, U)),
    "nordjylland's contract by node id, any type": (
        nordjylland_contract_by_any_node,
        (U, None, None, True, None, U, U),
    ),
    # KL sees regions, not their contracts: the nested field is unknown to it (it used to answer FORBIDDEN).
    "nordjylland's contracts nested in its region": (nordjylland_contracts_nested, (U, 0, 0, 2, U, U, U)),
    "stale delete of a nordjylland growth team": (
        delete_nordjylland_growth_team,
        (U, U, ["NOT_FOUND"], ["STALE_VERSION"], U, U, U),
    ),
    "benchmark comparisons": (comparable_figures, (U, U, U, U, SJ | NJ, U, U)),
    "aggregates": (aggregates, (U, U, U, U, "AGGREGATES", "AGGREGATES", U)),
    "benchmark observations": (benchmark_observations, (U, True, True, True, True, U, U)),
    "published contracts (PUBLIC_CONTRACTS off)": (published_contracts, (U, SJ, SJ, NJ, U, U, U)),
    "admin: registered clients": (oauth_clients, (U, U, U, U, U, U, "CLIENTS")),
}
CASES = [(op, role, expected[i]) for op, (_, expected) in EXPECTED.items() for i, role in enumerate(ROLES)]


@pytest.mark.parametrize(("operation", "role", "expected"), CASES, ids=[f"{o} / {r}" for o, r, _ in CASES])
def test_role_operation_tenant(client: httpx.Client, operation: str, role: str, expected: Any) -> None:
    run = EXPECTED[operation][0]
    assert run(client, role) == expected


def test_a_ministry_cannot_reach_rows_through_node(client: httpx.Client) -> None:
    body = call(
        client, "ministry aggregates", "query($id: ID!) { node(id: $id) { id } }", {"id": gid("Region", "sjaelland")}
    )
    assert invalid(body) and "Cannot query field 'node' on type 'Query'." in [e["message"] for e in body["errors"]]


@pytest.mark.parametrize(
    ("scopes", "query", "path"),
    [
        (("aggregates:read",), "{ resultContracts(first: 1) { nodes { id } } }", ["resultContracts"]),
        (("benchmark:read",), '{ businessHub(slug: "sjaelland") { offices { id } } }', ["businessHub", "offices"]),
        ((), "{ regions { slug } }", ["regions"]),
    ],
)
async def test_permissions_still_refuse_past_validation(app_db, settings, scopes, query, path) -> None:
    """The second line of defence: executed without validation (on the full schema), a field the caller may not
    use answers FORBIDDEN with a message naming the scope needed."""
    from graphql import ExecutionResult, execute, parse

    from kkr.platform.auth.identity import Identity
    from kkr.platform.context import RequestContext
    from kkr.schema.schema import schema

    context = RequestContext(db=app_db, settings=settings, identity=Identity("past-validation@test", frozenset(scopes)))
    try:
        result = execute(schema._schema, parse(query), context_value=context)
        if inspect.isawaitable(result):
            result = await result
    finally:
        await context.close()
    assert isinstance(result, ExecutionResult) and result.errors is not None
    [error] = result.errors
    assert error.extensions is not None
    assert error.extensions["code"] == "FORBIDDEN" and "scope" in error.message
    assert error.path == path


# --- introspection ------------------------------------------------------------------------------------------------

ROOT_FIELDS = (
    "{ __schema { queryType { fields(includeDeprecated: true) { name } }"
    " mutationType { fields(includeDeprecated: true) { name } } } }"
)
#: Every caller, anonymous included, also sees `viewer` (who it is), so that its Query type is never empty.
VISIBLE: dict[str, set[str]] = {
    "anonymous": {"viewer"},
    "KL benchmark": {
        "comparableFigures",
        "contractStatusCounts",
        "nationalGoalResults",
        "benchmarkObservations",
        "regions",
        "region",
        "municipality",
        "municipalities",
        "businessHub",
        "businessHubs",
        "frameworkAgreement",
        "frameworkAgreements",
        "node",
        "nodes",
        "viewer",
    },
    "ministry aggregates": {"contractStatusCounts", "nationalGoalResults", "viewer"},
    "admin": {"oauthClients", "viewer"},
}
#: Roles whose root fields other parts of the platform add to (tests/test_audience_walk.py walks all of them).
GROWING = {"KL benchmark", "ministry aggregates"}
#: Mutations of the roles in VISIBLE (the regional roles are checked below).
VISIBLE_MUTATIONS: dict[str, set[str]] = {"admin": {"registerClient", "disableClient"}}


@pytest.mark.parametrize("role", list(ROLES))
def test_introspection_shows_only_what_the_role_may_use(client: httpx.Client, role: str) -> None:
    body = call(client, role, ROOT_FIELDS)
    assert "errors" not in body, body
    schema = body["data"]["__schema"]
    queries = {f["name"] for f in schema["queryType"]["fields"]}
    mutations = {f["name"] for f in (schema["mutationType"] or {"fields": []})["fields"]}
    if role in GROWING:  # KL's and the ministries' tools grow: at least these, and nothing regional or admin
        assert VISIBLE[role] <= queries and not mutations
        assert not queries & {"resultContracts", "publishedContracts", "growthTeams", "auditEvents", "oauthClients"}
    elif role in VISIBLE:
        assert queries == VISIBLE[role] and mutations == VISIBLE_MUTATIONS.get(role, set())
    else:
        assert {"regions", "resultContracts", "publishedContracts", "benchmarkObservations", "viewer"} <= queries
        assert not queries & {"comparableFigures", "contractStatusCounts", "oauthClients"}
        assert not mutations & VISIBLE_MUTATIONS["admin"]
        assert ("createGrowthTeam" in mutations) == role.endswith("writer")


def test_introspection_hides_types_only_other_roles_reach(client: httpx.Client) -> None:
    query = '{ contract: __type(name: "ResultContract") { name } figure: __type(name: "ComparableFigure") { name } }'
    assert call(client, "ministry aggregates", query)["data"] == {"contract": None, "figure": None}
    assert call(client, "KL benchmark", query)["data"] == {"contract": None, "figure": {"name": "ComparableFigure"}}
    assert call(client, "sjaelland reader", query)["data"] == {"contract": {"name": "ResultContract"}, "figure": None}


def test_introspection_cannot_be_mixed_with_data_fields(client: httpx.Client) -> None:
    body = call(client, "sjaelland reader", "{ regions { slug } __schema { queryType { name } } }")
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize(
    ("role", "query"),
    [
        ("ministry aggregates", "{ oauthClient { clientId } }"),
        ("ministry aggregates", "{ resultContrakts { totalCount } }"),
        ("sjaelland reader", "{ oauthClientz { clientId } }"),
        ("anonymous", "{ resultContract { title } }"),
    ],
)
def test_validation_errors_reveal_nothing_the_role_may_not_see(client: httpx.Client, role: str, query: str) -> None:
    """No "Did you mean ...?" and no argument names of fields outside the caller's part of the schema."""
    scopes = ROLES[role]
    response = client.post(
        "/graphql", json={"query": query}, headers=bearer(*scopes, subject=f"{role}@test") if scopes else {}
    )
    messages = " ".join(e["message"] for e in response.json()["errors"])
    assert "Did you mean" not in messages
    assert not any(hidden in messages for hidden in ("oauthClients", "resultContracts", "businessHub"))
    assert "Cannot query field" in messages
