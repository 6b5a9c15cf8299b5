"""The caller's tenants in the SQL (`kkr.platform.tenant_criteria`), on the demo data.

Every statement of a nested regional query names the caller's one tenant on every tenant-owned table it
reads (what Citus needs to route it to one shard, `docs/scale-out.md`, caveat 1), and answers exactly what
row-level security alone answers; a partner still reads a goal and climate initiative shared with it, with
the rows below the goal; KL's benchmarking and the ministries' aggregates are not restricted.  Statements are
captured with a `before_cursor_execute` event on the application engine (as tests/test_api_n_plus_one.py).
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
from sqlalchemy import event

from kkr.platform import context as context_module
from kkr.platform.auth.identity import AGGREGATES_READ, BENCHMARK_READ, PUBLIC_CONTRACTS, Identity
from kkr.platform.context import RequestContext
from kkr.platform.database import Database, TenantContext
from kkr.platform.models import TENANT_TABLES, Base
from kkr.platform.settings import Settings
from kkr.platform.tenant_criteria import INFO_KEY, PARTNER_READABLE, TENANT_MODELS, tenants_to_filter
from kkr.schema.common.loaders import ManyByKey
from kkr.schema.schema import schema

pytestmark = pytest.mark.usefixtures("demo_data")

REGION = """{ region(slug: "sjaelland") { name
  kkrMembers(first: 5) { nodes { name history { totalCount } } }
  businessHubs { nodes { name offices(first: 5) { nodes { town } } boardMembers(first: 5) { nodes { name } }
    resultContracts(year: 2019) { totalCount nodes { title supersedes { title } fulfilmentSummary { targets met }
      goals(first: 8) { totalCount nodes { id code history { totalCount } partnership { title }
        fulfilmentSummary { targets }
        indicators(first: 3) { nodes { name goal { code } targets(first: 4) { nodes { periodLabel fulfilment { status }
          latestResult { value } results(first: 3) { nodes { value target { periodLabel } } } } } } } } } } } } }
  growthTeams(first: 5) { nodes { name members(first: 5) { nodes { name } } } }
  climateInitiatives(first: 5) { nodes { name partnership { title } participants(first: 5) { nodes { organisation } }
    targets(first: 5) { nodes { targetYear } } } } } }"""

SHARED = """{ goals(search: "Greater Copenhagen") { totalCount nodes { id code regionSlug contract { title }
    indicators { nodes { name goal { code } targets { nodes { periodLabel fulfilment { status }
      latestResult { value } results { nodes { value } } } } } } } }
  climateInitiatives { totalCount nodes { id name regionSlug partnership { title } } } }"""

#: shared rows met first under a key that is no tenant-owned parent (`partner_rows`)
PARTNER_REGION = """{ region(slug: "sjaelland") { climateInitiatives { nodes { name regionSlug } } }
  frameworkAgreements { nodes { nationalGoals { nodes { contractGoals { nodes { code regionSlug } } } } } } }"""

NODE = """query ($id: ID!) { node(id: $id) { id ... on Goal { code regionSlug indicators { totalCount } } } }"""

#: a table name after FROM or JOIN, and its alias
_READ = re.compile(r"\b(?:FROM|JOIN)\s+(\w+)(?:\s+AS\s+(\w+))?")


def criteria(statement: str, parameters: Any) -> dict[str, set[str]]:
    """For each tenant-owned table (by alias) the statement reads, the tenants its `tenant_id IN (...)` names,
    or a loader's `tenant_id = ANY (...)` by the tenants themselves (empty: none)."""
    found: dict[str, set[str]] = {}
    for match in _READ.finditer(statement):
        table, alias = match[1], match[2] or match[1]
        if table not in TENANT_TABLES:
            continue
        named: set[str] = set()
        for listed in re.finditer(rf"\b{alias}\.tenant_id IN \(([^)]*)\)", statement):
            named |= {parameters[int(n) - 1] for n in re.findall(r"\$(\d+)", listed[1])}
        for keyed in re.finditer(rf"\b{alias}\.tenant_id = ANY \(\$(\d+)", statement):
            named |= set(parameters[int(keyed[1]) - 1])
        found[alias] = named
    return found


async def run(
    db: Database, settings: Settings, query: str, scopes: set[str], variables: dict[str, Any] | None = None
) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """The answer and the statements (with parameters) of `query` as a caller with `scopes`."""
    statements: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        statements.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", capture)
    context = RequestContext(db=db, settings=settings, identity=Identity(subject="t", scopes=frozenset(scopes)))
    try:
        result = await schema.execute(query, variable_values=variables, context_value=context)
    finally:
        await context.close()
        event.remove(db.engine.sync_engine, "before_cursor_execute", capture)
    assert result.errors is None and result.data is not None, result.errors
    return result.data, statements


async def unrestricted(monkeypatch: pytest.MonkeyPatch, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The answer with row-level security alone (no tenant criteria)."""
    with monkeypatch.context() as m:
        m.setattr(context_module, "tenants_to_filter", lambda ctx: None)
        data, statements = await run(*args, **kwargs)
    assert not any(" IN (" in s and ".tenant_id IN (" in s for s, _ in statements)
    return data


def test_every_tenant_owned_model_is_covered() -> None:
    models = [m.class_ for m in Base.registry.mappers if getattr(m.class_, "__tablename__", None) in TENANT_TABLES]
    assert {m.__tablename__ for m in models} == set(TENANT_TABLES)
    assert all(issubclass(m, TENANT_MODELS) for m in models)


def test_look_ups_that_may_meet_a_shared_row_first_are_not_restricted() -> None:
    """A `ManyByKey` of a partner-readable model keyed by anything but a tenant-owned parent (whose rows were
    read first, so their tenant is named) says `partner_rows=True`."""
    loaders = [
        loader
        for domain in ("audit", "benchmarks", "climate", "contracts", "geography", "growth", "organisations")
        for loader in vars(importlib.import_module(f"kkr.schema.{domain}.loaders")).values()
        if isinstance(loader, ManyByKey)
    ]
    for loader in loaders:
        model, key = loader.column.class_, loader.column.key
        parent = any(
            fk.parent.name == key and fk.column.table.name in TENANT_TABLES for fk in model.__table__.foreign_keys
        )
        assert loader.partner_rows == (model in PARTNER_READABLE and not parent), loader.name
    assert sum(loader.partner_rows for loader in loaders) == 2


def test_only_own_region_readers_are_restricted() -> None:
    def filtered(*scopes: str) -> frozenset[str] | None:
        return tenants_to_filter(Identity(subject="t", scopes=frozenset(scopes)).tenant_context())

    assert filtered("region:sjaelland:read") == frozenset({"sjaelland"})
    assert filtered("region:sjaelland:write", "region:fyn:read") == frozenset({"sjaelland", "fyn"})
    assert filtered(BENCHMARK_READ) is None and filtered("region:sjaelland:read", BENCHMARK_READ) is None
    assert filtered(AGGREGATES_READ) is None and filtered() is None
    public = TenantContext(read_tenants=frozenset({"sjaelland"}), flags=frozenset({PUBLIC_CONTRACTS}))
    assert tenants_to_filter(public) is None


async def test_a_regional_query_names_the_callers_tenant_in_every_statement(
    app_db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, statements = await run(app_db, settings, REGION, {"region:sjaelland:read"})
    read = [(s, criteria(s, p)) for s, p in statements if criteria(s, p)]
    tables = {t for s, _ in read for t in TENANT_TABLES if re.search(rf"\b(FROM|JOIN) {t}\b", s)}
    assert tables == set(TENANT_TABLES), set(TENANT_TABLES) - tables  # every tenant table was read
    for statement, named in read:
        assert all(tenants == {"sjaelland"} for tenants in named.values()), (statement, named)
    assert data == await unrestricted(monkeypatch, app_db, settings, REGION, {"region:sjaelland:read"})
    contracts = [c for h in data["region"]["businessHubs"]["nodes"] for c in h["resultContracts"]["nodes"]]
    results = [
        r
        for c in contracts
        for g in c["goals"]["nodes"]
        for i in g["indicators"]["nodes"]
        for t in i["targets"]["nodes"]
        for r in t["results"]["nodes"]
    ]
    assert results and data["region"]["growthTeams"]["nodes"] and data["region"]["climateInitiatives"]["nodes"]

    # the caller's own goal by its global id: one look-up, naming the caller's tenant
    goal = contracts[0]["goals"]["nodes"][0]
    found, statements = await run(app_db, settings, NODE, {"region:sjaelland:read"}, {"id": goal["id"]})
    assert found["node"]["code"] == goal["code"]
    tenants = [n for s, p in statements for n in criteria(s, p).values()]
    assert tenants == [{"sjaelland"}, {"sjaelland"}]  # the goal, its indicators


async def test_a_partner_still_reads_what_is_shared_with_it(
    app_db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    scopes = {"region:hovedstaden:read"}
    data, statements = await run(app_db, settings, SHARED, scopes)
    assert data == await unrestricted(monkeypatch, app_db, settings, SHARED, scopes)
    shared = data["goals"]["nodes"]
    assert shared and {g["regionSlug"] for g in shared} == {"sjaelland"}
    assert all(g["contract"] is None for g in shared)  # still not the contract
    assert any(t["results"]["nodes"] for g in shared for i in g["indicators"]["nodes"] for t in i["targets"]["nodes"])
    initiatives = {i["regionSlug"] for i in data["climateInitiatives"]["nodes"]}
    assert "sjaelland" in initiatives
    # below the shared rows, the partner's tenant is named besides the caller's, never any other
    below = [n for s, p in statements for n in criteria(s, p).values() if n]
    assert all(n <= {"hovedstaden", "sjaelland"} for n in below) and any("sjaelland" in n for n in below)

    region, _ = await run(app_db, settings, PARTNER_REGION, scopes)
    assert region == await unrestricted(monkeypatch, app_db, settings, PARTNER_REGION, scopes)
    assert region["region"]["climateInitiatives"]["nodes"]  # Sjælland's initiative shared with Hovedstaden

    goal = shared[0]
    found, _ = await run(app_db, settings, NODE, scopes, {"id": goal["id"]})
    assert found["node"] is not None and found["node"]["code"] == goal["code"]
    assert found["node"]["indicators"]["totalCount"] == len(goal["indicators"]["nodes"])
    # a region with no partnership sees no shared goal, now as before
    none, _ = await run(app_db, settings, NODE, {"region:fyn:read"}, {"id": goal["id"]})
    assert none["node"] is None


CATALOGUE = """{ benchmarkCatalogue(kind: NATIONAL_GOAL) { key businessHubs } }"""
AGGREGATE = """{ aggregate(family: CONTRACT_RESULTS, groupBy: [REGION]) { cells { coordinates { value total } } } }"""


async def test_kl_and_the_ministries_are_not_restricted(app_db: Database, settings: Settings) -> None:
    data, statements = await run(app_db, settings, CATALOGUE, {BENCHMARK_READ})
    assert len({h for s in data["benchmarkCatalogue"] for h in s["businessHubs"]}) > 1  # several regions' hubs
    assert not any(n for s, p in statements for n in criteria(s, p).values())

    data, _ = await run(app_db, settings, AGGREGATE, {AGGREGATES_READ})
    regions = {c["coordinates"][0]["value"] for c in data["aggregate"]["cells"] if not c["coordinates"][0]["total"]}
    assert len(regions) > 1

    context = RequestContext(
        db=app_db, settings=settings, identity=Identity(subject="kl", scopes=frozenset({BENCHMARK_READ}))
    )
    try:
        assert INFO_KEY not in (await context.session()).sync_session.info
    finally:
        await context.close()
