"""Cross-region access enforced in the database, as the application role.

- `benchmark:read` sees published contracts and their national and common goals, indicators,
  targets and results only; nothing else, and it can change nothing;
- `aggregates:read` sees no contract row at all, only the aggregate functions' output, with
  cells of fewer than three hubs or contracts suppressed inside the database;
- `public:contracts` (PUBLIC_CONTRACTS) sees published contracts and their goals, nothing below;
- the access log can be appended to but not read back.

A database of this module's own: the demo data plus copies of Nordjylland's 2020 contract in two
more regions, so that some aggregate cells reach three hubs.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any, cast

import pytest
from sqlalchemy import CursorResult, Table, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from kkr.platform import migrate
from kkr.platform.database import Database, TenantContext, app_url_for
from kkr.platform.models import Goal, Indicator, Result, ResultContract, Target

from .conftest import create_database, drop_database

BENCHMARK = TenantContext(flags=frozenset({"benchmark:read"}), actor="kl")
AGGREGATES = TenantContext(flags=frozenset({"aggregates:read"}), actor="ministry")
PUBLIC = TenantContext(flags=frozenset({"public:contracts"}), actor="anonymous")
NOBODY = TenantContext()
COPIES = {"hovedstaden": Decimal(10), "syddanmark": Decimal(20)}  # region -> added to every copied result


@pytest.fixture(scope="module")
async def auth_owner_url(settings):
    from kkr.platform.importer.load import load

    url = await create_database("kkr_authdb")
    await migrate.upgrade(url)
    await load(url, settings.tenants_dir)
    yield url
    await drop_database(url)


@pytest.fixture(scope="module")
async def owner(auth_owner_url) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(auth_owner_url)
    await copy_contract(engine, "nordjylland", 2020)
    async with engine.begin() as conn:  # a region publishes a draft (e.g. for consultation)
        await conn.execute(
            text(
                "UPDATE result_contract SET published = true"
                " WHERE tenant_id = 'nordjylland' AND year = 2021 AND status = 'draft'"
            )
        )
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
async def app(auth_owner_url, owner, settings) -> AsyncIterator[Database]:
    db = Database(app_url_for(auth_owner_url, settings.app_db_role), pool_size=2)
    yield db
    await db.dispose()


async def copy_contract(engine: AsyncEngine, tenant: str, year: int) -> None:
    """Copy one contract with its goals, indicators, targets and results into the regions of COPIES."""
    async with engine.begin() as conn:
        await conn.execute(
            text("SELECT set_config('kkr.read_tenants', :t, true), set_config('kkr.write_tenants', :t, true)"),
            {"t": ",".join(["sjaelland", "nordjylland", *COPIES])},
        )
        tables = [ResultContract, Goal, Indicator, Target, Result]
        contract = (
            (
                await conn.execute(
                    select(ResultContract.__table__).where(
                        ResultContract.tenant_id == tenant, ResultContract.year == year
                    )
                )
            )
            .mappings()
            .one()
        )
        for region, offset in COPIES.items():
            hub = (
                await conn.execute(
                    text("SELECT slug FROM business_hub WHERE region_slug = :r ORDER BY slug LIMIT 1"), {"r": region}
                )
            ).scalar_one()
            ids: dict[uuid.UUID, uuid.UUID] = {contract["id"]: uuid.uuid4()}
            parents = {
                "goal": ("contract_id",),
                "indicator": ("goal_id",),
                "target": ("indicator_id",),
                "result": ("target_id",),
            }
            rows = {"result_contract": [dict(contract)]}
            for model in tables[1:]:
                (fk,) = parents[model.__tablename__]
                table = cast(Table, model.__table__)
                found = (
                    (await conn.execute(select(table).where(table.c.tenant_id == tenant, table.c[fk].in_(list(ids)))))
                    .mappings()
                    .all()
                )
                rows[model.__tablename__] = [dict(r) for r in found]
                ids.update({r["id"]: uuid.uuid4() for r in found})
            for model in tables:
                table = cast(Table, model.__table__)
                for row in rows[model.__tablename__]:
                    row = {k: v for k, v in row.items() if k != "search_vector"}
                    row["id"], row["tenant_id"] = ids[row["id"]], region
                    for fk in ("contract_id", "goal_id", "indicator_id", "target_id"):
                        if fk in row:
                            row[fk] = ids[row[fk]]
                    if model is ResultContract:
                        row["business_hub_slug"], row["supersedes_id"] = hub, None
                    if model is Result and row["value"] is not None:
                        row["value"] += offset
                    await conn.execute(insert(table).values(**row))


async def count(db: Database, ctx: TenantContext, sql: str) -> int:
    async with db.transaction(ctx, read_only=True) as session:
        return (await session.execute(text(sql))).scalar_one()


async def owner_count(engine: AsyncEngine, sql: str) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(text(sql))).scalar_one()


COMPARABLE_CONTRACTS = "published AND status IN ('adopted', 'signed', 'reported')"


async def test_benchmark_reads_published_contracts_only(app: Database, owner: AsyncEngine) -> None:
    seen = await count(app, BENCHMARK, "SELECT count(*) FROM result_contract")
    assert seen == await owner_count(owner, f"SELECT count(*) FROM result_contract WHERE {COMPARABLE_CONTRACTS}") > 0
    assert await count(app, BENCHMARK, f"SELECT count(*) FROM result_contract WHERE NOT ({COMPARABLE_CONTRACTS})") == 0
    # The fixture published Nordjylland's 2021 draft, but a draft is not comparable:
    assert await owner_count(owner, "SELECT count(*) FROM result_contract WHERE status = 'draft' AND published") > 0


async def test_benchmark_never_sees_local_goals_or_their_figures(app: Database, owner: AsyncEngine) -> None:
    assert await count(app, BENCHMARK, "SELECT count(*) FROM goal WHERE category = 'local'") == 0
    comparable_goals = (
        "FROM goal g JOIN result_contract c ON c.tenant_id = g.tenant_id AND c.id = g.contract_id"
        f" WHERE g.category <> 'local' AND c.{COMPARABLE_CONTRACTS.replace(' AND status', ' AND c.status')}"
    )
    assert (
        await count(app, BENCHMARK, "SELECT count(*) FROM goal")
        == await owner_count(owner, f"SELECT count(*) {comparable_goals}")
        > 0
    )
    for table, path in [
        ("indicator", "indicator x WHERE EXISTS (SELECT 1 {goals} AND g.tenant_id = x.tenant_id AND g.id = x.goal_id)"),
        (
            "target",
            "target x JOIN indicator i ON i.tenant_id = x.tenant_id AND i.id = x.indicator_id WHERE EXISTS"
            " (SELECT 1 {goals} AND g.tenant_id = i.tenant_id AND g.id = i.goal_id)",
        ),
        (
            "result",
            "result x JOIN target t ON t.tenant_id = x.tenant_id AND t.id = x.target_id JOIN indicator i ON"
            " i.tenant_id = t.tenant_id AND i.id = t.indicator_id WHERE EXISTS"
            " (SELECT 1 {goals} AND g.tenant_id = i.tenant_id AND g.id = i.goal_id)",
        ),
    ]:
        expected = await owner_count(owner, "SELECT count(*) FROM " + path.format(goals=comparable_goals))
        assert await count(app, BENCHMARK, f"SELECT count(*) FROM {table}") == expected > 0, table
        total = await owner_count(owner, f"SELECT count(*) FROM {table}")
        assert expected < total, table  # something really is hidden


async def test_benchmark_changes_nothing(app: Database) -> None:
    async with app.transaction(BENCHMARK) as session:
        updated = cast(CursorResult[Any], await session.execute(text("UPDATE result_contract SET title = 'x'")))
        deleted = cast(CursorResult[Any], await session.execute(text("DELETE FROM goal")))
        assert (updated.rowcount, deleted.rowcount) == (0, 0)
    with pytest.raises(DBAPIError, match="row-level security"):
        async with app.transaction(BENCHMARK) as session:
            await session.execute(
                text("INSERT INTO growth_team (tenant_id, name, geography) VALUES ('sjaelland', 'x', 'y')")
            )


async def test_aggregates_sees_no_rows(app: Database) -> None:
    for table in ("result_contract", "goal", "indicator", "target", "result", "kkr_member", "growth_team"):
        assert await count(app, AGGREGATES, f"SELECT count(*) FROM {table}") == 0, table


async def test_contract_status_counts_suppress_small_cells(app: Database) -> None:
    async with app.transaction(AGGREGATES, read_only=True) as session:
        rows = {
            (r.year, r.status): r for r in await session.execute(text("SELECT * FROM kkr_contract_status_counts()"))
        }
    assert rows[(2020, "reported")].contracts == 4 and not rows[(2020, "reported")].suppressed
    assert rows[(2019, "adopted")].contracts is None and rows[(2019, "adopted")].suppressed
    assert rows[(2021, "draft")].contracts is None  # two latest versions (Sjælland's v2, Nordjylland's)
    assert all(r.contracts is None or r.contracts >= 3 for r in rows.values())


async def test_national_goal_results_average_over_hubs(app: Database, owner: AsyncEngine) -> None:
    async with app.transaction(AGGREGATES, read_only=True) as session:
        rows = (await session.execute(text("SELECT * FROM kkr_national_goal_results()"))).all()
    assert all((r.average is None) == r.suppressed == (r.hubs < 3) for r in rows)
    open_cells = [r for r in rows if not r.suppressed]
    assert open_cells, rows
    nps = next(r for r in open_cells if r.unit == "nps" and r.period_label == "2020")
    # Nordjylland reported NPS 72; the copies 82 and 92; plus Sjælland's own 2020 figure when it has one
    values = [Decimal(72), Decimal(82), Decimal(92)]
    if nps.hubs == 4:
        values.append(
            Decimal(
                await owner_count(
                    owner,
                    """
            SELECT r.value FROM result r JOIN target t ON t.tenant_id = r.tenant_id AND t.id = r.target_id
            JOIN indicator i ON i.tenant_id = t.tenant_id AND i.id = t.indicator_id
            JOIN goal g ON g.tenant_id = i.tenant_id AND g.id = i.goal_id
            JOIN result_contract c ON c.tenant_id = g.tenant_id AND c.id = g.contract_id
            WHERE c.tenant_id = 'sjaelland' AND c.year = 2020 AND g.category = 'national' AND t.unit = 'nps'
              AND t.period_label = '2020' ORDER BY r.revision DESC LIMIT 1""",
                )
            )
        )
    assert nps.hubs == len(values)
    assert nps.average == pytest.approx(sum(values) / len(values))
    values.sort()
    middle = len(values) // 2
    median = values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2
    assert nps.median == pytest.approx(median)


async def test_aggregate_functions_need_the_flag(app: Database) -> None:
    for function in ("kkr_contract_status_counts", "kkr_national_goal_results"):
        with pytest.raises(DBAPIError, match="aggregates:read"):
            async with app.transaction(NOBODY, read_only=True) as session:
                await session.execute(text(f"SELECT * FROM {function}()"))


async def test_public_flag_shows_published_contracts_with_all_their_goals(app: Database, owner: AsyncEngine) -> None:
    assert await count(app, PUBLIC, "SELECT count(*) FROM result_contract") == await owner_count(
        owner, f"SELECT count(*) FROM result_contract WHERE {COMPARABLE_CONTRACTS}"
    )
    assert await count(app, PUBLIC, "SELECT count(*) FROM goal WHERE category = 'local'") > 0
    assert await count(app, NOBODY, "SELECT count(*) FROM result_contract") == 0
    for table in ("indicator", "target", "result"):  # the public projection stops at the goals
        assert await count(app, PUBLIC, f"SELECT count(*) FROM {table}") == 0


async def test_the_access_log_is_append_only_for_the_api(app: Database) -> None:
    async with app.transaction(NOBODY) as session:
        await session.execute(
            text(
                "INSERT INTO access_log (client, subject, scopes, document_sha256)"
                " VALUES ('c', 's', '{aggregates:read}', 'x')"
            )
        )
    for statement in (
        "SELECT count(*) FROM access_log",
        "UPDATE access_log SET client = 'y'",
        "DELETE FROM access_log",
    ):
        with pytest.raises(DBAPIError, match="permission denied"):
            async with app.transaction(NOBODY) as session:
                await session.execute(text(statement))


async def test_the_api_reads_clients_but_cannot_change_them(app: Database) -> None:
    async with app.transaction(NOBODY, read_only=True) as session:
        await session.execute(text("SELECT client_id, secret_hash FROM oauth_client"))
    with pytest.raises(DBAPIError, match="permission denied"):
        async with app.transaction(NOBODY) as session:
            await session.execute(text("UPDATE oauth_client SET disabled_at = NULL"))


async def test_aliases_of_published_contracts_share_one_transaction(
    app: Database, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An anonymous request cannot take a pooled connection per alias of publishedContracts."""
    from kkr.platform.context import RequestContext
    from kkr.schema.schema import schema

    opened = []
    sessionmaker = app.sessionmaker

    def counting_sessionmaker():
        opened.append(1)
        return sessionmaker()

    monkeypatch.setattr(app, "sessionmaker", counting_sessionmaker)
    context = RequestContext(db=app, settings=settings.model_copy(update={"public_contracts": True}))
    aliases = " ".join(f"c{i}: publishedContracts {{ year region }}" for i in range(25))
    result = await schema.execute(f"{{ {aliases} }}", context_value=context)
    monkeypatch.undo()
    assert result.errors is None and result.data is not None and len(result.data) == 25 and result.data["c0"]
    assert len(opened) == 1
