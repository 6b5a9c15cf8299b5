"""Property-based fuzzing of the running server with `hypothesis-graphql` (issue 10).

For every role (two regions' editors, KL, a ministry, anonymous) the fuzzer
introspects the schema the caller sees (with the caller's token: each audience
has its own pruned schema, schema/visibility.py) and generates operations that
are valid against it, plus a share that break it in one place (`Mode.NEGATIVE`),
and for the regional editors mutations too.  They go over real HTTP to a uvicorn
server on a database of its own (the demo data, freshly loaded, so that the
mutations the fuzzer sends change nothing other test files read).  For every
response:

- no 5xx, and well-formed GraphQL-over-HTTP JSON (`data` and/or a non-empty
  `errors` list of objects with a `message`);
- every error carries `extensions.code`, and none is `INTERNAL_SERVER_ERROR`
  (a generated request is a caller's input: a mistake in it is the caller's
  error, never a masked failure) or `FORBIDDEN` (the caller's own schema never
  leads to a refused field, docs/auth.md);
- the isolation invariant: a region's response contains no id (UUID, or a global
  id with a UUID) of the other region's rows and none of their texts (titles,
  names, descriptions found in no row the caller may read), and the other
  region's rows are unchanged after the region's mutations (content hash per
  table, as owner).

ID arguments are drawn from real global ids of both regions (and random text),
so `node(id:)` and friends are asked for the other region's rows.  Bounded:
fixed example counts, `derandomize=True` (the same examples in every run, so CI
is reproducible), no example database, no deadline, no shrinking unless
KKR_FUZZ_SHRINK=1 (a failing run then reduces the example to a minimal query).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import concurrent.futures
import datetime as dt
import os
import re
import uuid
from collections.abc import Coroutine, Iterator
from typing import Any

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, queries
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import create_async_engine

from kkr.platform import migrate
from kkr.platform.settings import Settings

from .conftest import LiveServer, create_database, drop_database
from .tokens import bearer

REGIONS = ("sjaelland", "nordjylland")
ROLES: dict[str, tuple[str, ...] | None] = {
    "sjaelland": ("region:sjaelland:write",),
    "nordjylland": ("region:nordjylland:write",),
    "kl": ("benchmark:read",),
    "ministry": ("aggregates:read",),
    "anonymous": None,
}
#: Examples per role and kind: about 1,000 requests in all, 1-2 minutes on a busy 2-core machine.
EXAMPLES = {"queries": 250, "negative": 20, "mutations": 40}
ROLE_EXAMPLES = {"kl": 150, "ministry": 60, "anonymous": 20}
#: Texts shorter than this are not markers of a row (too likely to recur: "Formand", "2021").
MARKER_MIN_LENGTH = 12
#: Tenant tables whose rows are a region's (the tables with row-level security and a tenant_id).
TENANT_TABLES = (
    "kkr_member",
    "hub_office",
    "hub_board_member",
    "result_contract",
    "goal",
    "indicator",
    "target",
    "result",
    "growth_team",
    "growth_team_member",
    "climate_initiative",
    "climate_participant",
    "climate_target",
)
#: Seed examples run first (Phase.explicit): requests that once went wrong (issue 10, and what this fuzz found).
SEEDS: dict[str, list[str]] = {
    "sjaelland": [
        '{ region(slug: "nordjylland") { municipalities(first: -1) { totalCount } growthTeams { totalCount } } }',
        "{ goals(year: 2147483647) { totalCount } }",
        '{ node(id: "Tm9kZTox") { id } }',
        '{ resultContract(businessHub: "sjaelland", year: 2021, version: 32768) { id } }',  # found by this fuzz
    ],
}
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
ACCEPTED_CONTENT_TYPES = ("application/json", "application/graphql-response+json")

FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    # shrinking a failure costs minutes of requests: opt in to it (KKR_FUZZ_SHRINK=1) to reduce a failing example
    phases=(Phase.explicit, Phase.generate, *((Phase.shrink,) if os.environ.get("KKR_FUZZ_SHRINK") else ())),
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine to completion from this synchronous test (in a thread of its own: the session's
    event loop belongs to pytest-asyncio)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def type_name(table: str) -> str:
    return "".join(part.capitalize() for part in table.split("_"))


def global_id(type_: str, key: object) -> str:
    return base64.b64encode(f"{type_}:{key}".encode()).decode()


# --- the fuzz database and what each region owns -----------------------------------------------------------------


class Ground:
    """What the database holds, read as owner: per region the ids and marker texts of its rows."""

    def __init__(self, url: URL) -> None:
        self.url = url
        self.ids: dict[str, set[str]] = {}
        self.markers: dict[str, set[str]] = {}
        self.global_ids: list[str] = []

    async def read(self) -> None:
        engine = create_async_engine(self.url)
        try:
            async with engine.connect() as conn:
                shared = await conn.scalar(
                    text("SELECT count(*) FROM partnership WHERE parties @> CAST(:both AS text[])"),
                    {"both": list(REGIONS)},
                )
                assert shared == 0, "the isolation check assumes no partnership between the two fuzzed regions"
                texts: dict[str, set[str]] = {region: set() for region in REGIONS}
                readable: dict[str, set[str]] = {region: set() for region in REGIONS}
                for region in REGIONS:
                    self.ids[region] = set()
                for table in TENANT_TABLES:
                    columns = await text_columns(conn, table)
                    rows = (
                        await conn.execute(
                            text(f"SELECT tenant_id, id::text{''.join(f', {c}' for c in columns)} FROM {table}")
                        )
                    ).all()
                    for tenant, row_id, *values in rows:
                        strings = {v for v in values if isinstance(v, str) and len(v) >= MARKER_MIN_LENGTH}
                        if tenant in self.ids:
                            self.ids[tenant].add(row_id)
                            texts[tenant] |= strings
                            self.global_ids.append(global_id(type_name(table), row_id))
                        for region in REGIONS:  # a text in any row the region may read is not the other's marker
                            if tenant != region and tenant in REGIONS:
                                continue
                            readable[region] |= strings
                for table in await shared_tables(conn):
                    for column in await text_columns(conn, table):
                        values = list(
                            (await conn.execute(text(f"SELECT DISTINCT {column}::text FROM {table}"))).scalars()
                        )
                        for region in REGIONS:
                            readable[region] |= {v for v in values if v and len(v) >= MARKER_MIN_LENGTH}
                for region in REGIONS:
                    other = other_region(region)
                    # texts of the other region that the region cannot read anywhere
                    self.markers[region] = texts[other] - readable[region]
                self.global_ids += [global_id("Region", r) for r in REGIONS] + [
                    global_id("BusinessHub", r) for r in REGIONS
                ]
        finally:
            await engine.dispose()

    async def fingerprint(self, region: str) -> dict[str, str]:
        """A content hash of each tenant table's rows of `region` (and the audit trail)."""
        engine = create_async_engine(self.url)
        try:
            async with engine.connect() as conn:
                return {
                    table: await conn.scalar(
                        text(
                            f"SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM {table} t"
                            " WHERE tenant_id = :r"
                        ),
                        {"r": region},
                    )
                    for table in (*TENANT_TABLES, "audit_event")
                }
        finally:
            await engine.dispose()


async def text_columns(conn: Any, table: str) -> list[str]:
    return list(
        (
            await conn.execute(
                text(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = :t"
                    " AND data_type IN ('text', 'character varying') AND column_name NOT IN ('tenant_id', 'source_locator')"
                ),
                {"t": table},
            )
        ).scalars()
    )


async def shared_tables(conn: Any) -> list[str]:
    return list(
        (
            await conn.execute(
                text(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = 'public' AND c.relkind = 'r' AND NOT c.relrowsecurity"
                    " AND c.relname NOT IN ('access_log', 'alembic_version', 'oauth_client')"
                )
            )
        ).scalars()
    )


def other_region(region: str) -> str:
    return REGIONS[1 - REGIONS.index(region)]


@pytest.fixture(scope="module")
async def fuzz_url() -> Any:
    """A database of the fuzz's own, migrated, with the demo data."""
    from kkr.platform.importer.load import load

    from .paths import REPO_ROOT

    url = await create_database("kkr_fuzz")
    await migrate.upgrade(url)
    await load(url, REPO_ROOT / "tenants")
    yield url
    await drop_database(url)


@pytest.fixture(scope="module")
async def ground(fuzz_url: URL) -> Ground:
    found = Ground(fuzz_url)
    await found.read()
    assert all(found.ids[r] for r in REGIONS) and all(found.markers[r] for r in REGIONS), "no demo data to fuzz"
    return found


@pytest.fixture(scope="module")
def fuzz_client(settings: Settings, fuzz_url: URL) -> Iterator[httpx.Client]:
    """A live server on the fuzz database (the session's settings otherwise: test IdP, generous rate limits),
    with published contracts open to anonymous callers so that they have more than `viewer` to fuzz."""
    fuzz_settings = settings.model_copy(
        update={
            "database_url": fuzz_url.render_as_string(hide_password=False),
            "app_database_url": None,
            "public_contracts": True,
        }
    )
    with LiveServer(fuzz_settings) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


# --- schemas and strategies ------------------------------------------------------------------------------------


def headers_for(role: str) -> dict[str, str]:
    scopes = ROLES[role]
    return bearer(*scopes, subject=f"fuzz-{role}@test", lifetime=3600) if scopes else {}


_schemas: dict[str, graphql.GraphQLSchema] = {}


def caller_schema(client: httpx.Client, role: str) -> graphql.GraphQLSchema:
    """The schema `role` sees, by introspection with its token."""
    if role not in _schemas:
        response = client.post(
            "/graphql", json={"query": graphql.get_introspection_query(descriptions=False)}, headers=headers_for(role)
        )
        assert response.status_code == 200, response.text
        _schemas[role] = graphql.build_client_schema(response.json()["data"])
    return _schemas[role]


def scalars(ground: Ground) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    """Value nodes for the custom scalars, IDs that are mostly real global ids of either region, and Ints that
    are often boundary values."""

    def string(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[graphql.ValueNode]:
        return strategy.map(lambda value: graphql.StringValueNode(value=str(value)))

    boundaries = [0, 1, -1, 2, 100, 101, 2019, 2020, 2021, 9999, 10000, 32767, 32768, -32769, 2**31 - 1, -(2**31)]
    return {
        # Int: often a boundary (page sizes, smallint and int4 columns) or a demo year, otherwise any 32-bit value
        "Int": st.one_of(st.sampled_from(boundaries), st.integers(-(2**31), 2**31 - 1)).map(
            lambda value: graphql.IntValueNode(value=str(value))
        ),
        "ID": string(st.sampled_from(sorted(ground.global_ids)) | st.text(max_size=20)),
        "UUID": string(st.sampled_from(sorted(i for r in REGIONS for i in ground.ids[r])) | st.uuids()),
        "Date": string(st.dates(dt.date(2015, 1, 1), dt.date(2030, 12, 31))),
        "DateTime": string(
            st.datetimes(dt.datetime(2015, 1, 1), dt.datetime(2030, 12, 31), timezones=st.just(dt.UTC)).map(
                dt.datetime.isoformat
            )
        ),
        "Decimal": string(st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False)),
        "JSON": st.just(graphql.StringValueNode(value="x")),
        "FieldPath": st.just(graphql.ListValueNode(values=(graphql.StringValueNode(value="input"),))),
    }


# --- the checks of every response ------------------------------------------------------------------------------


def strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def uuids_in(value: str) -> set[str]:
    """UUIDs in a string, or in the decoded form of a global id."""
    found = {m.lower() for m in UUID_RE.findall(value)}
    if len(value) >= 8 and len(value) % 4 == 0:
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            decoded = ""
        found |= {m.lower() for m in UUID_RE.findall(decoded)}
    return found


def check(response: httpx.Response, role: str, query: str, ground: Ground) -> dict[str, Any]:
    context = f"role {role}, query:\n{query}\n-> HTTP {response.status_code}: {response.text[:2000]}"
    assert response.status_code < 500, context
    assert response.headers.get("content-type", "").split(";")[0] in ACCEPTED_CONTENT_TYPES, context
    body = response.json()
    assert isinstance(body, dict) and ("data" in body or "errors" in body), context
    assert set(body) <= {"data", "errors", "extensions"}, context
    assert body.get("data") is None or isinstance(body["data"], dict), context
    if "errors" in body:
        errors = body["errors"]
        assert isinstance(errors, list) and errors, context
        for error in errors:
            assert isinstance(error, dict) and isinstance(error.get("message"), str), context
            code = (error.get("extensions") or {}).get("code")
            assert isinstance(code, str) and code, f"an error without extensions.code: {error}\n{context}"
            assert code not in {"INTERNAL_SERVER_ERROR", "FORBIDDEN"}, f"{code}: {error}\n{context}"
    if role in REGIONS:
        other = other_region(role)
        for value in strings_in(body.get("data")):
            leaked = uuids_in(value) & ground.ids[other]
            assert not leaked, f"{role} got {other}'s row(s) {leaked} in {value!r}\n{context}"
            assert value not in ground.markers[role], f"{role} got {other}'s text {value!r}\n{context}"
    return body


def send(client: httpx.Client, role: str, query: str, ground: Ground) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": query}, headers=headers_for(role))
    return check(response, role, query, ground)


# --- the properties --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(ROLES))
def test_generated_queries(role: str, fuzz_client: httpx.Client, ground: Ground) -> None:
    schema = caller_schema(fuzz_client, role)
    custom = scalars(ground)
    assert schema.query_type is not None
    # one root field per example, drawn evenly: every field the caller sees gets its share of the examples
    strategy = st.sampled_from(sorted(schema.query_type.fields)).flatmap(
        lambda name: queries(schema, fields=[name], custom_scalars=custom)
    )

    @settings(FUZZ, max_examples=ROLE_EXAMPLES.get(role, EXAMPLES["queries"]))
    @given(query=strategy)
    def fuzz(query: str) -> None:
        send(fuzz_client, role, query, ground)

    for seed in SEEDS.get(role, []):
        fuzz = example(query=seed)(fuzz)
    fuzz()


@pytest.mark.parametrize("role", list(ROLES))
def test_generated_invalid_queries(role: str, fuzz_client: httpx.Client, ground: Ground) -> None:
    """Operations with one schema violation each: refused with a coded error, nothing else."""
    schema = caller_schema(fuzz_client, role)
    strategy = queries(schema, custom_scalars=scalars(ground), mode=Mode.NEGATIVE)

    @settings(FUZZ, max_examples=EXAMPLES["negative"])
    @given(query=strategy)
    def fuzz(query: str) -> None:
        body = send(fuzz_client, role, query, ground)
        assert body.get("errors"), f"an invalid operation was answered without errors:\n{query}\n{body}"

    fuzz()


@pytest.mark.parametrize("role", REGIONS)
def test_generated_mutations(role: str, fuzz_client: httpx.Client, ground: Ground) -> None:
    """A region's editor's mutations: well-formed answers, and the other region's rows unchanged."""
    schema = caller_schema(fuzz_client, role)
    assert schema.mutation_type is not None
    other = other_region(role)
    before = run(ground.fingerprint(other))
    strategy = mutations(schema, custom_scalars=scalars(ground))

    @settings(FUZZ, max_examples=EXAMPLES["mutations"])
    @given(query=strategy)
    def fuzz(query: str) -> None:
        send(fuzz_client, role, query, ground)

    fuzz()
    after = run(ground.fingerprint(other))
    changed = [table for table in before if before[table] != after[table]]
    assert not changed, f"{role}'s mutations changed {other}'s rows in {changed}"


def test_foreign_ids_are_null_for_a_region(fuzz_client: httpx.Client, ground: Ground) -> None:
    """`node(id:)` / `nodes(ids:)` with the other region's global ids (every Node type): null, never its row."""
    ids = sorted(ground.global_ids)

    @settings(FUZZ, max_examples=25)
    @given(role=st.sampled_from(REGIONS), chosen=st.lists(st.sampled_from(ids), min_size=1, max_size=10))
    def fuzz(role: str, chosen: list[str]) -> None:
        query = "query($ids: [ID!]!, $one: ID!) { nodes(ids: $ids) { __typename id } node(id: $one) { id } }"
        response = fuzz_client.post(
            "/graphql", json={"query": query, "variables": {"ids": chosen, "one": chosen[0]}}, headers=headers_for(role)
        )
        body = check(response, role, f"{query} ids={chosen}", ground)
        assert "errors" not in body, body
        other = other_region(role)
        for asked, got in zip(chosen, body["data"]["nodes"], strict=True):
            if uuids_in(asked) & ground.ids[other]:
                assert got is None, (role, asked, got)

    fuzz()


def test_ground_truth_is_sensible(ground: Ground) -> None:
    """The invariant's inputs: both regions own rows, and their marker texts are disjoint from each other."""
    assert ground.markers["sjaelland"].isdisjoint(ground.markers["nordjylland"])
    assert all(uuid.UUID(i) for i in list(ground.ids["sjaelland"])[:5])
