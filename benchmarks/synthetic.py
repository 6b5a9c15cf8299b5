"""Synthetic contract results for the benchmarks, generated set-based in SQL in a database of their own.

    url = await create_database(server_url)       # kkr_bench_<random> on that server
    await migrate.upgrade(url); await load(url, REPO_ROOT / "tenants")
    counts = await generate(url, 1_000_000, seed=0.42, log=print)
    ...
    await drop_database(url)

`generate` inserts at least the number of results asked for with a few `INSERT ... SELECT generate_series`
statements, as the owner with the importer's tenant context: every hub, as many contract years as needed,
one to three contract versions (drafts, adopted, published), national goals linked to the framework
agreement of the year, common and local goals, indicators, quarterly targets with the demo's units and
printed segments, zero to five result revisions per target (or a fixed number of years, `years=10`, with
as many revisions as the results need; `slots`: targets per indicator and quarter).  Every synthetic row cites the source document
`synthetic-benchmark` and carries the note 'synthetic'.
"""

from __future__ import annotations

import datetime as dt
import math
import time
import uuid
from collections.abc import Callable

import asyncpg

SOURCE_KEY = "synthetic-benchmark"
CONTRACT_TABLES = ("result_contract", "goal", "indicator", "target", "result")
FACT_TABLE = "kkr_facts.contract_target"

#: Shape of the synthetic contracts (per contract, goal, indicator); revisions are 0-5 per target.
GOALS_PER_CONTRACT = 20
COMMON_GOALS = 6
INDICATORS_PER_GOAL = 3
SEGMENT_SLOTS = 3  # targets per indicator and quarter
QUARTERS = 4


def dsn(url) -> str:
    """asyncpg's DSN for a SQLAlchemy URL (the embedded server's socket stays a host= parameter)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def create_database(server) -> object:
    """A new empty database `kkr_bench_<random>` on `server`; returns its URL."""
    name = f"kkr_bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(dsn(server.set(database="postgres")))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return server.set(database=name)


async def drop_database(url) -> None:
    conn = await asyncpg.connect(dsn(url.set(database="postgres")))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
    finally:
        await conn.close()


GENERATE = [
    # contracts: every hub x year (pairs of the demo data skipped) x 1-3 versions; older versions are
    # superseded (draft or adopted); the latest is published unless it is a draft (future years, ~10 %).
    """
    WITH hubs AS (SELECT slug, region_slug, row_number() OVER (ORDER BY slug) AS n FROM business_hub),
    slots AS (
        SELECT h.slug, h.region_slug, y::smallint AS year, 1 + (y + h.n)::int % 3 AS versions
        FROM hubs h CROSS JOIN generate_series($2::int, $3::int) y
        WHERE NOT EXISTS (SELECT 1 FROM result_contract e WHERE e.business_hub_slug = h.slug AND e.year = y)
    ), versions AS (
        SELECT s.*, v::smallint AS version,
               CASE WHEN v < s.versions THEN (ARRAY['draft', 'adopted'])[1 + floor(random() * 2)::int]
                    WHEN s.year > $4 OR random() < 0.1 THEN 'draft'
                    ELSE (ARRAY['adopted', 'signed', 'reported'])[1 + floor(random() * 3)::int] END AS status
        FROM slots s CROSS JOIN generate_series(1, s.versions) v
    )
    INSERT INTO result_contract (tenant_id, business_hub_slug, framework_agreement_slug, year, title, status,
                                 version, published, source_document_key, note)
    SELECT v.region_slug, v.slug,
           (SELECT fa.slug FROM framework_agreement fa
            ORDER BY extract(year FROM fa.valid_from) > v.year,
                     abs(extract(year FROM fa.valid_from) - v.year), fa.slug LIMIT 1),
           v.year, format('Synthetic result contract %s %s v%s', v.slug, v.year, v.version), v.status,
           v.version, v.status <> 'draft' AND (v.version = v.versions OR random() < 0.5), $1::varchar, 'synthetic'
    FROM versions v
    """,
    """
    UPDATE result_contract c SET supersedes_id = p.id
    FROM result_contract p
    WHERE c.source_document_key = $1::varchar AND p.tenant_id = c.tenant_id AND p.business_hub_slug = c.business_hub_slug
      AND p.year = c.year AND p.version = c.version - 1
    """,
    # goals: the agreement's national goals first (linked), then common goals, the rest local; every third
    # hub prints the codes shifted (renumbered goals, as in the papers).
    f"""
    INSERT INTO goal (tenant_id, contract_id, code, category, title, national_goal_id, position,
                      source_document_key, note)
    SELECT c.tenant_id, c.id,
           ((n - 1 + CASE WHEN abs(hashtext(c.business_hub_slug)) % 3 = 0 THEN 2 ELSE 0 END)
            % {GOALS_PER_CONTRACT} + 1)::text,
           CASE WHEN n <= cardinality(nat.ids) THEN 'national'
                WHEN n <= cardinality(nat.ids) + {COMMON_GOALS} THEN 'common' ELSE 'local' END,
           format('Synthetic goal %s', n), nat.ids[n], n, $1::varchar, 'synthetic'
    FROM result_contract c
    CROSS JOIN LATERAL (SELECT coalesce(array_agg(ng.id ORDER BY ng.position, ng.code), '{{}}') AS ids
                        FROM national_goal ng WHERE ng.framework_agreement_slug = c.framework_agreement_slug) nat
    CROSS JOIN generate_series(1, {GOALS_PER_CONTRACT}) n
    WHERE c.source_document_key = $1::varchar
    """,
    f"""
    INSERT INTO indicator (tenant_id, goal_id, name, position, source_document_key, note)
    SELECT g.tenant_id, g.id, format('Synthetic indicator %s.%s', g.code, n), n, $1::varchar, 'synthetic'
    FROM goal g CROSS JOIN generate_series(1, {INDICATORS_PER_GOAL}) n
    WHERE g.source_document_key = $1::varchar
    """,
    # targets: quarterly, in segment slots; units and printed segments drawn from the demo's targets
    # (segment NULL as often as there); values scaled by the hub's population (hubs differ in size).
    f"""
    WITH demo AS (
        SELECT array_agg(unit::text) AS units, array_agg(segment) AS segments FROM target
        WHERE source_document_key IS DISTINCT FROM $1::varchar
    ), hub_size AS (
        SELECT m.business_hub_slug AS hub, sum(p.population)::numeric / avg(sum(p.population)) OVER () AS factor
        FROM municipality m
        JOIN municipality_population p ON p.municipality_code = m.code
         AND p.year = (SELECT max(year) FROM municipality_population)
        GROUP BY m.business_hub_slug
    ), ind AS (
        SELECT i.tenant_id, i.id, c.year, coalesce(hs.factor, 1) AS factor,
               demo.units[1 + floor(random() * cardinality(demo.units))::int] AS unit, demo.segments,
               floor(random() * cardinality(demo.segments))::int AS first_segment
        FROM indicator i
        JOIN goal g ON g.tenant_id = i.tenant_id AND g.id = i.goal_id
        JOIN result_contract c ON c.tenant_id = g.tenant_id AND c.id = g.contract_id
        LEFT JOIN hub_size hs ON hs.hub = c.business_hub_slug
        CROSS JOIN demo
        WHERE i.source_document_key = $1::varchar
    )
    INSERT INTO target (tenant_id, indicator_id, period_label, period_start, period_end, unit, comparator, value,
                        value_text, segment, source_document_key, note)
    SELECT ind.tenant_id, ind.id, format('%s-Q%s', ind.year, q), make_date(ind.year, 3 * q - 2, 1),
           (make_date(ind.year, 3 * q - 2, 1) + interval '3 months - 1 day')::date, ind.unit, 'at_least',
           CASE ind.unit WHEN 'deliverable' THEN NULL
                WHEN 'count' THEN round((20 + random() * 480) * ind.factor)
                WHEN 'dkk' THEN round(((1e5 + random() * 4.9e6) * ind.factor)::numeric, -3)
                WHEN 'nps' THEN round(30 + random() * 50)
                WHEN 'ratio' THEN round((0.5 + random() * 2)::numeric, 2)
                WHEN 'percentage_points' THEN round(1 + random() * 19)
                ELSE round(40 + random() * 55) END,
           CASE WHEN ind.unit = 'deliverable' THEN 'synthetic deliverable' END,
           ind.segments[1 + (ind.first_segment + s) % cardinality(ind.segments)], $1::varchar, 'synthetic'
    FROM ind CROSS JOIN generate_series(1, {QUARTERS}) q CROSS JOIN generate_series(0, __SLOTS__ - 1) s
    """,
    # results: 0-5 revisions per target (0 for about one in six: not reported yet), each a new row
    # (__REVISIONS__ is 6 unless `generate` is given a fixed number of years).
    """
    INSERT INTO result (tenant_id, target_id, revision, value, value_text, measured_at, recorded_at, recorded_by,
                        source_document_key, note)
    SELECT t.tenant_id, t.id, r::smallint,
           CASE WHEN t.value IS NOT NULL THEN round(t.value * (0.5 + random() * 0.8)::numeric, 2) END,
           CASE WHEN t.value IS NULL THEN 'leveret' END,
           t.period_end, t.period_end + make_interval(days => 20 * r::int), 'synthetic', $1::varchar, 'synthetic'
    FROM target t CROSS JOIN LATERAL generate_series(1, abs(hashtext(t.id::text)) % __REVISIONS__) r
    WHERE t.source_document_key = $1::varchar
    """,
]

#: Triggers switched off while generating: the audit trail (a million audit events would double the work
#: and measure nothing an aggregate reads) and the fact table's maintenance (found by the name or the source
#: of its function), rebuilt once at the end instead of refreshed per statement.
BULK_TRIGGERS = """
    SELECT tg.tgrelid::regclass::text AS tab, tg.tgname
    FROM pg_trigger tg JOIN pg_proc p ON p.oid = tg.tgfoid
    WHERE NOT tg.tgisinternal AND tg.tgrelid::regclass::text = ANY ($1)
      AND (tg.tgname = 'audit' OR tg.tgname LIKE '%fact%' OR p.proname LIKE '%fact%' OR p.prosrc LIKE '%fact%')
"""


def targets_per_year(hubs: int, slots: int = SEGMENT_SLOTS) -> float:
    """Expected targets per contract year: versions average 2."""
    return hubs * 2 * GOALS_PER_CONTRACT * INDICATORS_PER_GOAL * QUARTERS * slots


def results_per_year(hubs: int, slots: int = SEGMENT_SLOTS, revisions: int = 6) -> float:
    """Expected results per contract year: 0 to `revisions` - 1 per target (2.5 on average for 6)."""
    return targets_per_year(hubs, slots) * (revisions - 1) / 2


async def generate(
    url,
    results: int,
    seed: float,
    log: Callable[[str], None],
    *,
    years: int | None = None,
    slots: int = SEGMENT_SLOTS,
) -> dict[str, int]:
    """Insert at least `results` synthetic results; returns the row counts of the contract tables, the number
    of contract years (`years`) and the rows of the aggregates' fact table (`facts`, 0 without one).

    By default the contracts span as many years as the results need (0-5 revisions per target).  With
    `years`, the contracts span that many years (the last one next year's drafts) and each target gets as
    many revisions as the results need (a deeper history than the papers', which only the results table and
    the fact table's latest-result rule see).  `slots`: targets per indicator and quarter (segments).
    """
    conn = await asyncpg.connect(dsn(url), server_settings={"jit": "off"})
    try:
        hubs = await conn.fetchval("SELECT count(*) FROM business_hub")
        regions = await conn.fetchval("SELECT string_agg(slug, ',') FROM region")
        last = dt.date.today().year + 1  # next year's contracts are drafts
        revisions = 6
        if years is None:
            years = math.ceil(results * 1.15 / results_per_year(hubs, slots)) + 1
        else:
            revisions = max(2, math.ceil(2 * results * 1.15 / (targets_per_year(hubs, slots) * years)) + 1)
        has_facts = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", FACT_TABLE)
        async with conn.transaction():
            # the importer's way: the owner states a tenant context (RLS applies to a non-superuser owner)
            await conn.execute(
                "SELECT set_config('kkr.read_tenants', $1, true), set_config('kkr.write_tenants', "
                "$1, true), set_config('kkr.actor', 'benchmark-generator', true)",
                regions,
            )
            await conn.execute("SELECT setseed($1)", seed)
            await conn.execute(
                "INSERT INTO source_document (key, title, note) VALUES ($1, 'Synthetic benchmark data', "
                "'Generated by benchmarks/synthetic.py; not from any paper.')",
                SOURCE_KEY,
            )
            triggers = await conn.fetch(BULK_TRIGGERS, list(CONTRACT_TABLES))
            for t in triggers:
                await conn.execute(f'ALTER TABLE {t["tab"]} DISABLE TRIGGER "{t["tgname"]}"')
            params = (SOURCE_KEY, last - years + 1, last, last - 1)
            for template in GENERATE:
                statement = template.replace("__SLOTS__", str(slots)).replace("__REVISIONS__", str(revisions))
                started = time.monotonic()
                status = await conn.execute(statement, *params[: _arity(statement)])
                await conn.execute(f"ANALYZE {_table_of(statement)}")  # the next statement joins it
                log(
                    f"  {status.split()[0].lower()} {status.split()[-1]:>9} rows "
                    f"({time.monotonic() - started:5.1f} s) {_table_of(statement)}"
                )
            for t in triggers:
                await conn.execute(f'ALTER TABLE {t["tab"]} ENABLE TRIGGER "{t["tgname"]}"')
            if has_facts:
                await rebuild_facts(conn, log)
        for table in (*CONTRACT_TABLES, *([FACT_TABLE] if has_facts else [])):
            await conn.execute(f"VACUUM (ANALYZE) {table}")
        counts = {t: await conn.fetchval(f'SELECT count(*) FROM "{t}"') for t in CONTRACT_TABLES}
        counts["years"] = years
        counts["facts"] = await conn.fetchval(f"SELECT count(*) FROM {FACT_TABLE}") if has_facts else 0
    finally:
        await conn.close()
    if counts["result"] < results:
        raise RuntimeError(f"generated {counts['result']} results, fewer than the {results} asked for")
    return counts


async def rebuild_facts(conn: asyncpg.Connection, log: Callable[[str], None]) -> None:
    """Rebuild the fact table from its defining view, as its migration tells a bulk loader that disabled the
    triggers to do.  The benchmark checks it against the contract tables before it times anything."""
    started = time.monotonic()
    await conn.execute(f"TRUNCATE {FACT_TABLE}")
    status = await conn.execute(f"INSERT INTO {FACT_TABLE} SELECT * FROM {FACT_TABLE}_source")
    log(f"  insert {status.split()[-1]:>9} rows ({time.monotonic() - started:5.1f} s) {FACT_TABLE} (rebuilt)")


def _arity(statement: str) -> int:
    return max(n for n in range(1, 5) if f"${n}" in statement)


def _table_of(statement: str) -> str:
    words = statement.split()
    for keyword in ("INTO", "UPDATE"):
        if keyword in words:
            return words[words.index(keyword) + 1]
    return ""
