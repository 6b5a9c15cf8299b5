"""The contract families' summary (kkr_contract_leaf): after `kkr_refresh_aggregates()` the function reads it
instead of the rows and answers exactly the same; any later write to a source table makes it stale, and the
rows are read again until the next refresh."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from kkr.platform.database import Database, TenantContext

pytestmark = pytest.mark.usefixtures("demo_data")

MINISTRY = TenantContext(flags=frozenset({"aggregates:read"}), actor="ministry")
TABLES = [
    ("contract_targets", ["year", "region", "goal_category"], "{}", "cube"),
    ("contract_results", ["hub", "unit"], "{}", "rollup"),
    ("contract_targets", ["lineage", "segment"], '{"goal_category": ["national"]}', "cube"),
    ("contract_results", [], '{"year": ["2020", "2021"], "unit": ["nps", "percent"]}', "grand_total"),
]


async def answers(app_db: Database) -> list[list[tuple]]:
    async with app_db.transaction(MINISTRY, read_only=True) as session:
        tables = []
        for family, group_by, filter, subtotals in TABLES:
            rows = await session.execute(text(
                "SELECT * FROM kkr_aggregate(:f, :g, CAST(:filter AS jsonb), :s,"
                " '{count,sum,mean,min,max}', 2, '{1}', '{95}', 10)"),
                {"f": family, "g": group_by, "filter": filter, "s": subtotals})
            tables.append([tuple(r) for r in rows])
    return tables


async def is_fresh(owner: AsyncEngine) -> bool:
    async with owner.connect() as conn:
        return (await conn.execute(text("SELECT kkr_aggregate_summary_fresh()"))).scalar()


async def test_the_summary_answers_as_the_rows_do(app_db: Database, owner_engine: AsyncEngine) -> None:
    async with owner_engine.begin() as conn:  # a write: the summary (if any) is stale
        await conn.execute(text("UPDATE target SET value = value WHERE false"))
    assert not await is_fresh(owner_engine)
    from_rows = await answers(app_db)
    async with app_db.transaction(TenantContext()) as session:  # the API role may trigger a refresh
        await session.execute(text("SELECT kkr_refresh_aggregates()"))
    assert await is_fresh(owner_engine)
    from_summary = await answers(app_db)
    assert from_summary == from_rows
    assert any(row[4] is not None for table in from_rows for row in table)  # some published sums (2 hubs >= 2)
    async with owner_engine.begin() as conn:
        await conn.execute(text("UPDATE result SET value = value WHERE false"))
    assert not await is_fresh(owner_engine)


async def test_a_write_after_the_refresh_snapshot_is_never_missed(app_db: Database, owner_engine: AsyncEngine) -> None:
    """A transaction that writes while the refresh runs, and commits after it, leaves the summary stale."""
    async with owner_engine.connect() as writer:
        await writer.begin()
        await writer.execute(text("UPDATE goal SET title = title WHERE false"))
        async with app_db.transaction(TenantContext()) as session:
            await session.execute(text("SELECT kkr_refresh_aggregates()"))
        await writer.commit()
    assert not await is_fresh(owner_engine)


async def test_the_summary_is_not_readable_by_the_api(app_db: Database) -> None:
    for statement in ("SELECT count(*) FROM kkr_contract_leaf", "SELECT count(*) FROM kkr_summary.change",
                      "SELECT kkr_aggregate_summary_fresh()"):
        with pytest.raises(Exception, match="permission denied"):
            async with app_db.transaction(MINISTRY, read_only=True) as session:
                await session.execute(text(statement))
