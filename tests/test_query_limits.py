"""Query limits (schema/limits, docs/security.md "Limits"): for every limit a request just under it passes
and one just over it is refused before execution with its code; the defaults let every registered
operation, GraphiQL's introspection query and the documented examples through; the cost is reported.
The attacks of issue 10 are in test_query_limits_attacks.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graphql import OperationDefinitionNode, get_introspection_query, parse

from kkr.platform.auth.identity import Identity
from kkr.platform.context import RequestContext
from kkr.platform.database import Database
from kkr.platform.settings import Settings
from kkr.schema.limits.analysis import measure
from kkr.schema.limits.extension import first_limit_passed
from kkr.schema.schema import schema

from .api_client import SJAELLAND_READ
from .conftest import LiveServer
from .paths import REPO_ROOT
from .tokens import bearer

pytestmark = pytest.mark.usefixtures("demo_data")

#: What GraphiQL sends (platform/static/graphiql/kkr-graphiql.js: inputValueDeprecation; GraphiQL 3 asks
#: for descriptions, specifiedByURL, isRepeatable and the schema's description).
GRAPHIQL_INTROSPECTION = get_introspection_query(
    descriptions=True,
    specified_by_url=True,
    directive_is_repeatable=True,
    schema_description=True,
    input_value_deprecation=True,
)


async def run(
    db: Database, settings: Settings, query: str, variables: dict[str, Any] | None = None, **limits: int
) -> Any:
    """`query` run in process for a Sjælland reader, with `limits` replacing the settings' values."""
    context = RequestContext(
        db=db,
        settings=settings.model_copy(update=limits),
        identity=Identity(subject="limits-test", scopes=frozenset({SJAELLAND_READ})),
    )
    return await schema.execute(query, variable_values=variables, context_value=context)


def refusal(result: Any) -> dict[str, Any]:
    """The one error of a request refused before execution (no data); its extensions."""
    assert result.data is None and result.errors and len(result.errors) == 1, result
    [error] = result.errors
    assert error.path is None
    return {"message": error.message, **error.extensions}


# Each limit: (setting, small value, a request at the limit, one just over it, the code).
LIMITS = [
    (
        "max_depth",
        5,  # region 1, businessHubs 2, nodes 3, offices 4, totalCount / nodes 5, kind 6
        '{ region(slug: "sjaelland") { businessHubs { nodes { offices { totalCount } } } } }',
        '{ region(slug: "sjaelland") { businessHubs { nodes { offices { nodes { kind } } } } } }',
        "QUERY_TOO_DEEP",
    ),
    (
        "max_aliases",
        3,
        "{ viewer { a: subject b: clientId c: isAnonymous } }",
        "{ viewer { a: subject b: clientId c: isAnonymous d: scopes } }",
        "TOO_MANY_ALIASES",
    ),
    (
        "max_aliases",
        3,  # counted through fragments, each spread again
        "{ viewer { ...V } } fragment V on Viewer { a: subject b: clientId c: isAnonymous }",
        "{ viewer { ...V ... on Viewer { ...V } } } fragment V on Viewer { a: subject b: clientId }",
        "TOO_MANY_ALIASES",
    ),
    (
        "max_root_fields",
        4,
        '{ viewer { subject } __typename regions { slug } region(slug: "sjaelland") { slug } }',
        '{ viewer { subject } __typename regions { slug } region(slug: "sjaelland") { slug } '
        'municipality(code: "269") { name } }',
        "TOO_MANY_ROOT_FIELDS",
    ),
    (
        "max_repeated_fields",
        3,
        "{ viewer { subject subject subject } }",
        "{ viewer { subject subject subject subject } }",
        "TOO_MANY_REPEATED_FIELDS",
    ),
    (
        "max_repeated_fields",
        3,  # fragments merge into the selection set they are spread in
        "{ viewer { subject ...V } } fragment V on Viewer { subject s: subject }",
        "{ viewer { subject ...V } } fragment V on Viewer { subject s: subject ... on Viewer { subject } }",
        "TOO_MANY_REPEATED_FIELDS",
    ),
    (
        "max_directives",
        2,
        "{ viewer { subject @include(if: true) @skip(if: false) } }",
        "{ viewer { subject @include(if: true) @skip(if: false) @include(if: true) } }",
        "TOO_MANY_DIRECTIVES",
    ),
    (
        "max_cost",
        21,  # municipalities 1 + 10 x (nodes 1 + name 1); totalCount 1 more
        "{ municipalities(first: 10) { nodes { name } } }",
        "{ municipalities(first: 10) { totalCount nodes { name } } }",
        "QUERY_TOO_COSTLY",
    ),
    (
        "max_page_size",
        10,
        "{ municipalities(first: 10) { totalCount } }",
        "{ municipalities(first: 11) { totalCount } }",
        "PAGE_TOO_LARGE",
    ),
    (
        "max_page_size",
        10,
        '{ region(slug: "sjaelland") { municipalities(last: 10) { totalCount } } }',
        '{ region(slug: "sjaelland") { municipalities(last: 11) { totalCount } } }',
        "PAGE_TOO_LARGE",
    ),
    (
        "max_search_chars",
        30,
        '{ goals(search: "%s") { totalCount } }' % ("vækst " * 4 + "abcdef"),
        '{ goals(search: "%s") { totalCount } }' % ("vækst " * 4 + "abcdefg"),
        "SEARCH_TOO_COMPLEX",
    ),
    (
        "max_search_terms",
        4,
        '{ goals(search: "vækst OR eksport turisme") { totalCount } }',  # then: vækst, OR, eksport, -, turisme
        '{ goals(search: "vækst OR eksport -turisme") { totalCount } }',
        "SEARCH_TOO_COMPLEX",
    ),
    (
        "max_document_chars",
        1000,
        "{ viewer { subject } }".ljust(1000),
        "{ viewer { subject } }".ljust(1001),
        "DOCUMENT_TOO_LARGE",
    ),
    (
        "max_tokens",
        100,  # 6 tokens, then one per comment
        "{ viewer { subject } }" + "\n#" * 94,
        "{ viewer { subject } }" + "\n#" * 95,
        "TOO_MANY_TOKENS",
    ),
]


@pytest.mark.parametrize(
    ("setting", "limit", "under", "over", "code"), LIMITS, ids=[f"{row[0]}-{i}" for i, row in enumerate(LIMITS)]
)
async def test_just_under_a_limit_passes_and_just_over_is_refused(
    app_db: Database, settings: Settings, setting: str, limit: int, under: str, over: str, code: str
) -> None:
    passed = await run(app_db, settings, under, None, **{setting: limit})
    assert passed.errors is None and passed.data, passed.errors
    error = refusal(await run(app_db, settings, over, None, **{setting: limit}))
    assert error["code"] == code and error["limit"] == setting.upper() and error["max"] == limit, error
    assert setting.upper() in error["message"], error


@pytest.mark.parametrize(
    ("setting", "limit", "variables", "code"),
    [
        ("max_page_size", 10, {"n": 11}, "PAGE_TOO_LARGE"),
        ("max_page_size", 10, {}, "PAGE_TOO_LARGE"),  # the variable's default, 11
        ("max_cost", 21, {"n": 11}, "QUERY_TOO_COSTLY"),  # 1 + 11 x 2 = 23
    ],
)
async def test_limits_see_the_variables(
    app_db: Database, settings: Settings, setting: str, limit: int, variables: dict[str, Any], code: str
) -> None:
    query = "query($n: Int = 11) { municipalities(first: $n) { nodes { name } } }"
    passed = await run(app_db, settings, query, {"n": 10}, **{setting: limit})
    assert passed.errors is None and len(passed.data["municipalities"]["nodes"]) == 10
    assert refusal(await run(app_db, settings, query, variables, **{setting: limit}))["code"] == code


@pytest.mark.parametrize(("setting", "limit"), [("max_search_chars", 10), ("max_search_terms", 2)])
async def test_a_search_variable_is_checked_like_a_literal(
    app_db: Database, settings: Settings, setting: str, limit: int
) -> None:
    query = "query($q: String) { goals(search: $q) { totalCount } }"
    assert (await run(app_db, settings, query, {"q": "vækst"}, **{setting: limit})).errors is None
    error = refusal(await run(app_db, settings, query, {"q": "vækst eksport turisme"}, **{setting: limit}))
    assert error["code"] == "SEARCH_TOO_COMPLEX" and error["limit"] == setting.upper()
    assert error["message"].startswith("Argument 'search' ")


async def test_a_negative_page_is_a_bad_argument_before_execution(app_db: Database, settings: Settings) -> None:
    error = refusal(await run(app_db, settings, "{ municipalities(first: -1) { totalCount } }"))
    assert error == {"message": "Argument 'first' must be a non-negative integer.", "code": "BAD_USER_INPUT"}


async def test_variables_just_under_the_limit_pass(app_db: Database, settings: Settings) -> None:
    query = "{ viewer { subject } }"  # variables it does not declare are ignored, but counted
    fits = {"pad": "x" * (1024 - len('{"pad":""}'))}
    assert (await run(app_db, settings, query, fits, max_variables_bytes=1024)).errors is None
    error = refusal(await run(app_db, settings, query, {"pad": fits["pad"] + "x"}, max_variables_bytes=1024))
    assert error["code"] == "VARIABLES_TOO_LARGE" and error["actual"] == 1025 and error["max"] == 1024


# --- over HTTP: the document is parsed once, within the limits, before Strawberry ---------------------------


@pytest.fixture(scope="module")
def small_server(settings: Settings) -> Iterator[LiveServer]:
    limits = {"max_document_chars": 1000, "max_tokens": 100, "max_variables_bytes": 1024}
    with LiveServer(settings.model_copy(update=limits)) as server:
        yield server


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(
    ("under", "over", "code"),
    [
        ("{ viewer { subject } }".ljust(1000), "{ viewer { subject } }".ljust(1001), "DOCUMENT_TOO_LARGE"),
        ("{ viewer { subject } }" + "\n#" * 94, "{ viewer { subject } }" + "\n#" * 95, "TOO_MANY_TOKENS"),
    ],
)
def test_document_limits_over_http(small_server: LiveServer, method: str, under: str, over: str, code: str) -> None:
    with httpx.Client(base_url=small_server.url, timeout=30) as client:

        def send(query: str) -> httpx.Response:
            if method == "GET":
                return client.get("/graphql", params={"query": query})
            return client.post("/graphql", json={"query": query})

        passed = send(under)
        assert passed.status_code == 200 and passed.json()["data"] == {"viewer": {"subject": "anonymous"}}
        refused = send(over)
        assert refused.status_code == 200 and "data" not in refused.json()
        [error] = refused.json()["errors"]
        assert error["extensions"]["code"] == code and error["extensions"]["limit"] in error["message"]
        modern = client.post("/graphql", json={"query": over}, headers={"Accept": "application/graphql-response+json"})
        assert modern.status_code == 400 and modern.json()["errors"][0]["extensions"]["code"] == code


def test_variables_limit_over_http(small_server: LiveServer) -> None:
    with httpx.Client(base_url=small_server.url, timeout=30) as client:
        body = client.post("/graphql", json={"query": "{ viewer { subject } }", "variables": {"x": "y" * 2000}})
        assert body.status_code == 200
        assert body.json()["errors"][0]["extensions"] == {
            "code": "VARIABLES_TOO_LARGE",
            "limit": "MAX_VARIABLES_BYTES",
            "max": 1024,
            "actual": 2008,
        }


# --- the defaults --------------------------------------------------------------------------------------------


def test_the_cost_is_reported(client: httpx.Client) -> None:
    body = client.post("/graphql", json={"query": "{ viewer { subject scopes } }"}).json()
    assert body["extensions"] == {"cost": {"requested": 3, "limit": Settings().max_cost}}
    body = client.post(
        "/graphql", json={"query": "{ municipalities(first: 5) { nodes { name } } }"}, headers=bearer(SJAELLAND_READ)
    ).json()
    assert body["extensions"]["cost"]["requested"] == 11 and len(body["data"]["municipalities"]["nodes"]) == 5


def test_registered_operations_pass_the_default_limits(client: httpx.Client) -> None:
    for operation in sorted((REPO_ROOT / "frontend-contract" / "operations").glob("*.graphql")):
        response = client.post(
            "/graphql",
            json={"query": operation.read_text(encoding="utf-8"), "variables": {"region": "sjaelland", "year": 2020}},
            headers=bearer(SJAELLAND_READ),
        )
        body = response.json()
        assert response.status_code == 200 and "errors" not in body, (operation.name, response.text[:500])
        assert 0 < body["extensions"]["cost"]["requested"] <= body["extensions"]["cost"]["limit"] / 2


@pytest.mark.parametrize("scopes", [(), (SJAELLAND_READ,), ("benchmark:read",), ("aggregates:read",)])
def test_graphiql_introspection_passes_the_default_limits(client: httpx.Client, scopes: tuple[str, ...]) -> None:
    response = client.post(
        "/graphql", json={"query": GRAPHIQL_INTROSPECTION}, headers=bearer(*scopes) if scopes else {}
    )
    assert response.status_code == 200 and "errors" not in response.json(), response.text[:500]
    assert response.json()["data"]["__schema"]["types"]


def documented_operations() -> list[tuple[str, str]]:
    blocks = []
    for path in sorted((REPO_ROOT / "docs").glob("*.md")):
        for index, block in enumerate(re.findall(r"```graphql\n(.*?)```", path.read_text(encoding="utf-8"), re.S)):
            blocks.append((f"{path.name}#{index}", block))
    return blocks


@pytest.mark.parametrize(("where", "document"), documented_operations(), ids=[w for w, _ in documented_operations()])
def test_documented_examples_pass_the_default_limits(where: str, document: str) -> None:
    """Each operation of each example measured against the defaults (other tests run them)."""
    parsed = parse(document)
    operations = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
    assert operations
    for operation in operations:
        measures = measure(schema._schema, parsed, operation, {}, Settings())
        assert first_limit_passed(measures, Settings()) is None, (where, measures)


def test_the_limits_table_in_docs_security_states_the_defaults() -> None:
    section = (REPO_ROOT / "docs" / "security.md").read_text(encoding="utf-8").split("## Limits", 1)[1]
    rows = re.findall(r"^\| [^|]+ \| `([A-Z_]+)` \| ([^|]+) \| `([A-Z_]+)` \|", section.split("\n## ", 1)[0], re.M)
    assert len(rows) >= 13
    for setting, default, _code in rows:
        value = Settings.model_fields[setting.lower()].default
        assert default.strip().replace(",", "").split(" ")[0] == str(value), (setting, default, value)
