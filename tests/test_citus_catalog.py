"""The migrated schema can be distributed by `tenant_id` on Citus (docs/scale-out.md), read from PostgreSQL's
catalogue: every tenant-owned table has `tenant_id` in its primary key, in every unique constraint and unique
index, and on both sides of every foreign key to another tenant-owned table; shared tables (reference tables)
never refer to a tenant-owned one; and every table with a `tenant_id` column is tenant-owned or justified here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import create_async_engine

from kkr.platform.models import TENANT_TABLES

#: Tables with a `tenant_id` column that are not in `models.TENANT_TABLES`, and why they may be.
JUSTIFIED: dict[str, str] = {
    "kkr_facts.contract_target": "a fact table kept by statement triggers (migration 0008), one row per target, "
    "keyed (tenant_id, target_id): distributed and co-located like `target`, but not a model the importer writes",
}
#: Every table distributed by tenant_id.
DISTRIBUTED = frozenset(TENANT_TABLES) | frozenset(JUSTIFIED)
SCHEMAS = "('public', 'kkr_facts', 'kkr_cache', 'kkr_limits')"

CONSTRAINTS = f"""
SELECT c.conname, c.contype, c.conrelid::regclass::text AS tbl,
       CASE WHEN c.confrelid = 0 THEN NULL ELSE c.confrelid::regclass::text END AS ref,
       ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i) AS cols,
       ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i) AS ref_cols
FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
WHERE n.nspname IN {SCHEMAS} AND c.contype IN ('p', 'u', 'f', 'x')
"""
UNIQUE_INDEXES = f"""
SELECT i.indexrelid::regclass::text AS name, i.indrelid::regclass::text AS tbl,
       ARRAY(SELECT coalesce(a.attname::text, '(expression)') FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(n, o)
             LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o) AS cols
FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE i.indisunique AND n.nspname IN {SCHEMAS}
"""
TENANT_COLUMNS = f"""
SELECT CASE WHEN c.table_schema = 'public' THEN c.table_name ELSE c.table_schema || '.' || c.table_name END
FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
WHERE c.column_name = 'tenant_id' AND t.table_type = 'BASE TABLE' AND c.table_schema IN {SCHEMAS}
"""


@dataclass(frozen=True)
class Constraint:
    name: str
    kind: str  # p, u, f, x
    table: str
    ref: str | None
    cols: tuple[str, ...]
    ref_cols: tuple[str, ...]


@dataclass(frozen=True)
class Catalogue:
    constraints: list[Constraint]
    unique_indexes: list[tuple[str, str, tuple[str, ...]]]
    tenant_columns: set[str]

    def of(self, kind: str) -> list[Constraint]:
        return [c for c in self.constraints if c.kind == kind]


@pytest.fixture(scope="module")
async def catalogue(owner_url: URL) -> AsyncIterator[Catalogue]:
    engine = create_async_engine(owner_url)
    try:
        async with engine.connect() as conn:
            constraints = [
                Constraint(
                    r.conname,
                    r.contype if isinstance(r.contype, str) else r.contype.decode(),
                    r.tbl,
                    r.ref,
                    tuple(r.cols),
                    tuple(r.ref_cols),
                )
                for r in (await conn.execute(text(CONSTRAINTS))).all()
            ]
            indexes = [(r.name, r.tbl, tuple(r.cols)) for r in (await conn.execute(text(UNIQUE_INDEXES))).all()]
            columns = set((await conn.execute(text(TENANT_COLUMNS))).scalars())
        yield Catalogue(constraints, indexes, columns)
    finally:
        await engine.dispose()


def test_every_table_with_a_tenant_id_is_tenant_owned_or_justified(catalogue: Catalogue) -> None:
    assert len(TENANT_TABLES) >= 14
    assert catalogue.tenant_columns - DISTRIBUTED == set(), "tenant_id column on a table neither listed nor justified"
    assert DISTRIBUTED - catalogue.tenant_columns == set(), "a listed tenant table without a tenant_id column"


def test_every_primary_key_of_a_tenant_table_includes_tenant_id(catalogue: Catalogue) -> None:
    primary = {c.table: c for c in catalogue.of("p")}
    assert set(primary) >= DISTRIBUTED, f"tenant tables without a primary key: {sorted(DISTRIBUTED - set(primary))}"
    wrong = {t: primary[t].cols for t in DISTRIBUTED if "tenant_id" not in primary[t].cols}
    assert wrong == {}


def test_foreign_keys_between_tenant_tables_carry_tenant_id_on_both_sides(catalogue: Catalogue) -> None:
    between = [c for c in catalogue.of("f") if c.table in DISTRIBUTED and c.ref in DISTRIBUTED]
    assert {(c.table, c.ref) for c in between} >= {
        ("result_contract", "result_contract"),  # supersedes
        ("goal", "result_contract"),
        ("indicator", "goal"),
        ("target", "indicator"),
        ("result", "target"),
        ("growth_team_member", "growth_team"),
        ("climate_participant", "climate_initiative"),
        ("climate_target", "climate_initiative"),
    }
    wrong = [
        c
        for c in between
        if "tenant_id" not in c.cols or c.ref_cols[c.cols.index("tenant_id")] != "tenant_id" or len(c.cols) < 2
    ]
    assert wrong == [], "foreign keys between tenant tables must map tenant_id to tenant_id"


def test_shared_tables_never_refer_to_tenant_tables(catalogue: Catalogue) -> None:
    """A reference table (copied to every node) cannot have a foreign key to a distributed table."""
    wrong = [c for c in catalogue.of("f") if c.table not in DISTRIBUTED and c.ref in DISTRIBUTED]
    assert wrong == []


def test_tenant_tables_refer_to_shared_tables_only_by_their_keys(catalogue: Catalogue) -> None:
    """Distributed -> reference foreign keys are what Citus allows; each targets the shared table's primary key."""
    primary = {c.table: c.cols for c in catalogue.of("p")}
    outward = [c for c in catalogue.of("f") if c.table in DISTRIBUTED and c.ref not in DISTRIBUTED]
    assert {c.ref for c in outward} >= {"region", "business_hub", "municipality", "partnership", "source_document"}
    assert [c for c in outward if c.ref is None or set(c.ref_cols) != set(primary[c.ref])] == []


def test_every_unique_constraint_and_index_of_a_tenant_table_includes_tenant_id(catalogue: Catalogue) -> None:
    constraints = [c for c in catalogue.constraints if c.kind in "ux" and c.table in DISTRIBUTED]
    assert {c.name for c in constraints} >= {
        "uq_goal_tenant_id_contract_id_code",
        "uq_result_tenant_id_target_id_revision",
        "uq_result_contract_tenant_id_business_hub_slug_year_version",
    }
    assert [c for c in constraints if "tenant_id" not in c.cols] == []
    indexes = [(name, table, cols) for name, table, cols in catalogue.unique_indexes if table in DISTRIBUTED]
    assert len(indexes) >= len(DISTRIBUTED)  # at least each primary key's index
    assert [i for i in indexes if "tenant_id" not in i[2]] == []
