"""Benchmark: a ministry's grouped aggregate with subtotals and disclosure control, through the HTTP API.

    .venv/bin/python benchmarks/aggregates.py                  # 1,000,000 results, 30 rounds
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/aggregates.py

What it does, in a database of its own on DATABASE_URL's server (the embedded PostgreSQL when unset),
dropped at the end (also on failure; `--keep` keeps it):

1. migrates it to head and loads the demo data (tenants/: regions, hubs, municipalities, national goals);
2. generates at least `--results` synthetic results set-based in SQL (INSERT ... SELECT generate_series, as
   the owner with the importer's tenant context): every hub, many contract years, one to three contract
   versions (drafts, adopted, published), national goals linked to the framework agreement of the year,
   common and local goals, indicators, quarterly targets with the demo's units and printed segments, one
   to five result revisions per target.  Every synthetic row cites the source document
   `synthetic-benchmark` and carries the note 'synthetic';
3. starts the real server (uvicorn with `create_app`, one worker, as `kkr serve`) in a subprocess, mints
   an `aggregates:read` token with a signing key of its own, and measures three aggregates of contract
   results with subtotals and disclosure control (year x goal category by GraphQL, year x region by
   /aggregates.csv, hub x goal category CUBE by /aggregates.json), interleaved round by round:
   - `http`: the aggregate through the HTTP API, the figure the target (median under 200 ms) applies to;
   - `function`: `kkr_aggregate()` called directly (asyncpg, application role, the ministry's flag);
   - `floor (tables)`: the same cells (count, sum, mean, median, min, max, contributors) by one hand-written
     statement on the contract tables, no disclosure control (asyncpg, owner);
   - `floor (facts)`: the same on migration 0010's fact table, when it exists;
   every published cell is first checked against the floor; then the cost of writing one result;
4. downgrades to `--before` (0008, the aggregate before 0010) and measures again, fewer rounds;
5. prints a Markdown report (medians, p90, ratios to the floor); `--plans` adds the function's slowest
   statements as auto_explain reports them.

Speed goals live here, never in timed unit tests (developers' guide); the figures go to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import platform as _platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

from kkr.platform import embedded, migrate
from kkr.platform.auth.keys import generate_signing_key, read_key_set, write_key_set
from kkr.platform.auth.tokens import issue_token
from kkr.platform.database import async_url
from kkr.platform.importer.load import load
from kkr.platform.settings import REPO_ROOT, Settings

SOURCE_KEY = "synthetic-benchmark"
CONTRACT_TABLES = ("result_contract", "goal", "indicator", "target", "result")

#: Shape of the synthetic contracts (per contract, goal, indicator); revisions are 0-5 per target.
GOALS_PER_CONTRACT = 20
COMMON_GOALS = 6
INDICATORS_PER_GOAL = 3
SEGMENT_SLOTS = 3  # targets per indicator and quarter
QUARTERS = 4


def dsn(url) -> str:  # noqa: ANN001 - a SQLAlchemy URL
    """asyncpg's DSN for a SQLAlchemy URL (the embedded server's socket stays a host= parameter)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


# --- 1. the database ----------------------------------------------------------------------------------


async def create_database(server) -> object:  # noqa: ANN001
    name = f"kkr_bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(dsn(server.set(database="postgres")))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return server.set(database=name)


async def drop_database(url) -> None:  # noqa: ANN001
    conn = await asyncpg.connect(dsn(url.set(database="postgres")))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
    finally:
        await conn.close()


# --- 2. synthetic data --------------------------------------------------------------------------------

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
    FROM ind CROSS JOIN generate_series(1, {QUARTERS}) q CROSS JOIN generate_series(0, {SEGMENT_SLOTS - 1}) s
    """,
    # results: 0-5 revisions per target (0 for about one in six: not reported yet), each a new row.
    """
    INSERT INTO result (tenant_id, target_id, revision, value, value_text, measured_at, recorded_at, recorded_by,
                        source_document_key, note)
    SELECT t.tenant_id, t.id, r::smallint,
           CASE WHEN t.value IS NOT NULL THEN round(t.value * (0.5 + random() * 0.8)::numeric, 2) END,
           CASE WHEN t.value IS NULL THEN 'leveret' END,
           t.period_end, t.period_end + make_interval(days => 20 * r::int), 'synthetic', $1::varchar, 'synthetic'
    FROM target t CROSS JOIN LATERAL generate_series(1, abs(hashtext(t.id::text)) % 6) r
    WHERE t.source_document_key = $1::varchar
    """,
]


def results_per_year(hubs: int) -> float:
    """Expected results per contract year: versions average 2, revisions 2.5 (0-5)."""
    return hubs * 2 * GOALS_PER_CONTRACT * INDICATORS_PER_GOAL * QUARTERS * SEGMENT_SLOTS * 2.5


async def generate(url, results: int, seed: float, log: Callable[[str], None]) -> dict[str, int]:  # noqa: ANN001
    """Insert at least `results` synthetic results; returns the row counts of the contract tables."""
    conn = await asyncpg.connect(dsn(url), server_settings={"jit": "off"})
    try:
        hubs = await conn.fetchval("SELECT count(*) FROM business_hub")
        regions = await conn.fetchval("SELECT string_agg(slug, ',') FROM region")
        last = dt.date.today().year + 1  # next year's contracts are drafts
        years = math.ceil(results * 1.05 / results_per_year(hubs)) + 1
        async with conn.transaction():
            # the importer's way: the owner states a tenant context (RLS applies to a non-superuser owner)
            await conn.execute("SELECT set_config('kkr.read_tenants', $1, true), set_config('kkr.write_tenants', "
                               "$1, true), set_config('kkr.actor', 'benchmark-generator', true)", regions)
            await conn.execute("SELECT setseed($1)", seed)
            await conn.execute(
                "INSERT INTO source_document (key, title, note) VALUES ($1, 'Synthetic benchmark data', "
                "'Generated by benchmarks/aggregates.py; not from any paper.')", SOURCE_KEY)
            # A million audit events would double the work and measure nothing the aggregate reads; derived
            # data (migration 0010's facts) is rebuilt once at the end instead of per statement.
            triggers = await conn.fetch(
                "SELECT tgrelid::regclass::text AS tab, tgname FROM pg_trigger WHERE NOT tgisinternal"
                " AND tgrelid::regclass::text = ANY ($1) AND (tgname = 'audit' OR tgname LIKE 'kkr_contract_fact%')",
                list(CONTRACT_TABLES))
            for t in triggers:
                await conn.execute(f'ALTER TABLE {t["tab"]} DISABLE TRIGGER "{t["tgname"]}"')
            params = (SOURCE_KEY, last - years + 1, last, last - 1)
            for statement in GENERATE:
                started = time.monotonic()
                status = await conn.execute(statement, *params[: _arity(statement)])
                await conn.execute(f"ANALYZE {_table_of(statement)}")  # the next statement joins it
                log(f"  {status.split()[0].lower()} {status.split()[-1]:>9} rows "
                    f"({time.monotonic() - started:5.1f} s) {_table_of(statement)}")
            for t in triggers:
                await conn.execute(f'ALTER TABLE {t["tab"]} ENABLE TRIGGER "{t["tgname"]}"')
            if await conn.fetchval("SELECT to_regclass('kkr_facts.contract_target') IS NOT NULL"):
                started = time.monotonic()
                await conn.execute("TRUNCATE kkr_facts.contract_target")
                status = await conn.execute("INSERT INTO kkr_facts.contract_target "
                                            "SELECT * FROM kkr_facts.contract_target_source")
                log(f"  insert {status.split()[-1]:>9} rows ({time.monotonic() - started:5.1f} s) "
                    "kkr_facts.contract_target (rebuilt)")
        for table in (*CONTRACT_TABLES, "kkr_facts.contract_target"):
            if await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", table):
                await conn.execute(f"VACUUM (ANALYZE) {table}")
        counts = {t: await conn.fetchval(f'SELECT count(*) FROM "{t}"') for t in CONTRACT_TABLES}
        counts["years"] = years
    finally:
        await conn.close()
    if counts["result"] < results:
        raise RuntimeError(f"generated {counts['result']} results, fewer than the {results} asked for")
    return counts


def _arity(statement: str) -> int:
    return max(n for n in range(1, 5) if f"${n}" in statement)


def _table_of(statement: str) -> str:
    words = statement.split()
    for keyword in ("INTO", "UPDATE"):
        if keyword in words:
            return words[words.index(keyword) + 1]
    return ""


# --- 3. the server and its token ----------------------------------------------------------------------

ISSUER = "urn:kkr-platform:benchmark"
AUDIENCE = "kkr-platform"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`uvicorn kkr.platform.app:create_app --factory`, one worker, in a subprocess (as `kkr serve` runs)."""

    def __init__(self, url, workdir: Path) -> None:  # noqa: ANN001
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        key_file = workdir / "signing-keys.json"
        write_key_set(key_file, [generate_signing_key("EC")])
        self.keys = read_key_set(key_file, private=True)
        env = {k: v for k, v in os.environ.items() if k not in ("APP_DATABASE_URL",)}
        env.update(DATABASE_URL=url.render_as_string(hide_password=False), ENVIRONMENT="development",
                   SIGNING_KEY_FILE=str(key_file), TOKEN_ISSUER=ISSUER, AUTH_AUDIENCE=AUDIENCE, LOG_LEVEL="warning")
        self.command = [sys.executable, "-m", "uvicorn", "kkr.platform.app:create_app", "--factory",
                        "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1", "--log-level", "warning",
                        "--no-access-log"]
        self.env, self.workdir, self.process = env, workdir, None

    def token(self, *scopes: str) -> str:
        return issue_token(self.keys, issuer=ISSUER, audience=AUDIENCE, subject="benchmark:aggregates",
                           scopes=scopes, lifetime=3600)

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(self.command, env=self.env, cwd=self.workdir)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


# --- 4. what is measured ------------------------------------------------------------------------------

#: Contract-family dimensions: GraphQL enum name, fact-table column, contract-table expression.
DIMENSIONS = {
    "year": ("YEAR", "f.year::text", "c.year::text"),
    "region": ("REGION", "f.region_slug::text", "h.region_slug::text"),
    "hub": ("HUB", "f.business_hub_slug::text", "c.business_hub_slug::text"),
    "goal_category": ("GOAL_CATEGORY", "f.category::text", "g.category::text"),
}

#: The contract_results rows from the contract tables (0008's rules: national and common goals, latest
#: published version, latest result revision, numeric values).
FROM_TABLES = """
    FROM target t
    JOIN indicator i ON i.tenant_id = t.tenant_id AND i.id = t.indicator_id
    JOIN goal g ON g.tenant_id = i.tenant_id AND g.id = i.goal_id
    JOIN result_contract c ON c.tenant_id = g.tenant_id AND c.id = g.contract_id
    JOIN business_hub h ON h.slug = c.business_hub_slug
    JOIN result r ON r.tenant_id = t.tenant_id AND r.target_id = t.id
     AND NOT EXISTS (SELECT 1 FROM result r2 WHERE r2.tenant_id = r.tenant_id AND r2.target_id = r.target_id
                     AND r2.revision > r.revision)
    WHERE g.category IN ('national', 'common') AND kkr_contract_published(c.status, c.published)
      AND NOT EXISTS (SELECT 1 FROM result_contract n WHERE n.tenant_id = c.tenant_id
                      AND n.business_hub_slug = c.business_hub_slug AND n.year = c.year AND n.version > c.version
                      AND kkr_contract_published(n.status, n.published))
      AND r.value IS NOT NULL AND t.unit::text = ANY ($1::text[])"""
FROM_FACTS = """
    FROM kkr_facts.contract_target f WHERE f.result_value IS NOT NULL AND f.unit::text = ANY ($1::text[])"""


@dataclass
class Case:
    """One aggregate of contract results (measures: all six), asked through one HTTP route."""

    name: str
    group_by: tuple[str, ...]
    subtotals: str  # rollup | cube
    units: tuple[str, ...]
    route: str  # graphql | csv | json
    measures: tuple[str, ...] = ("count", "sum", "mean", "median", "min", "max")

    @property
    def title(self) -> str:
        return (f"{' x '.join(self.group_by)} ({self.subtotals}), units {', '.join(self.units)}, "
                f"measures {', '.join(self.measures)}, "
                f"via {'GraphQL' if self.route == 'graphql' else '/aggregates.' + self.route}")

    def request(self) -> tuple[str, str, dict | None]:
        groups = [DIMENSIONS[d][0] for d in self.group_by]
        if self.route == "graphql":
            query = ("query($units: [String!]) { aggregate(family: CONTRACT_RESULTS, groupBy: [%s], "
                     "filter: {units: $units}, subtotals: %s, measures: [%s]) { cells { coordinates { dimension "
                     "value total } contributors %s suppressed reason orderStatisticsWithheld } } }"
                     % (", ".join(groups), self.subtotals.upper(), ", ".join(m.upper() for m in self.measures),
                        " ".join(self.measures)))
            return "POST", "/graphql", {"query": query, "variables": {"units": list(self.units)}}
        params = (f"family=CONTRACT_RESULTS&groupBy={','.join(groups)}&subtotals={self.subtotals.upper()}"
                  f"&measures={','.join(m.upper() for m in self.measures)}")
        return "GET", f"/aggregates.{self.route}?{params}&units={','.join(self.units)}", None

    def function_sql(self) -> tuple[str, list]:
        return ("SELECT * FROM kkr_aggregate('contract_results', $1::text[], $2::jsonb, $3, $4::text[])",
                [list(self.group_by), json.dumps({"unit": list(self.units)}), self.subtotals, list(self.measures)])

    def floor_sql(self, source: str) -> str:
        """The same cells by one statement, no disclosure control: `source` is 'facts' or 'tables'."""
        column = 1 if source == "facts" else 2
        dims = [f"{DIMENSIONS[d][column]} AS d{j}" for j, d in enumerate(self.group_by, 1)]
        names = [f"d{j}" for j in range(1, len(self.group_by) + 1)]
        mask = " + ".join(f"GROUPING({n}) * {1 << j}" for j, n in enumerate(names))
        hub, value = ("f.business_hub_slug", "f.result_value") if source == "facts" else ("c.business_hub_slug",
                                                                                          "r.value")
        median = ", percentile_cont(0.5) WITHIN GROUP (ORDER BY v)" if "median" in self.measures else ""
        return (f"SELECT {', '.join(names)}, {mask} AS mask, count(DISTINCT hub) AS contributors, count(*) AS n, "
                f"sum(v) AS s, avg(v){median}, min(v), max(v) "
                f"FROM (SELECT {', '.join(dims)}, {hub} AS hub, {value} AS v "
                f"{FROM_FACTS if source == 'facts' else FROM_TABLES}) x "
                f"GROUP BY {self.subtotals.upper()} ({', '.join(names)})")


CASES = (
    Case("year-category", ("year", "goal_category"), "rollup", ("count",), "graphql"),
    Case("year-region", ("year", "region"), "rollup", ("count",), "csv"),
    Case("hub-category", ("hub", "goal_category"), "cube", ("count",), "json"),
    # without the median 0008's per-(cell, hub) summary answers, when fresh (refreshed before measuring)
    Case("year-region-nomedian", ("year", "region"), "rollup", ("count",), "graphql",
         ("count", "sum", "mean", "min", "max")),
)


def _checked(route: str) -> Callable[[httpx.Response], int]:
    """Fails on anything but a full answer; returns the number of cells (or lines)."""
    def check(response: httpx.Response) -> int:
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:600]}")
        if route == "graphql":
            payload = response.json()
            if payload.get("errors"):
                raise RuntimeError(json.dumps(payload["errors"])[:600])
            return len(payload["data"]["aggregate"]["cells"])
        if route == "csv":
            return response.text.count("\n") - 1
        return len(response.json()["value"])
    return check


@dataclass
class Timings:
    samples: dict[str, list[float]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)

    ORDER = ("http", "function", "floor (facts)", "floor (tables)", "write")

    def add(self, what: str, seconds: float, rows: int) -> None:
        self.samples.setdefault(what, []).append(seconds * 1000)
        self.rows[what] = rows

    def median(self, what: str) -> float:
        return statistics.median(self.samples[what])

    def p90(self, what: str) -> float:
        return statistics.quantiles(self.samples[what], n=10, method="inclusive")[8]


async def _as_ministry(conn: asyncpg.Connection, sql: str, args: list) -> list:
    """`sql` in a read-only transaction with the flag an `aggregates:read` token gets."""
    async with conn.transaction(readonly=True):
        await conn.execute("SELECT set_config('kkr.flags', 'aggregates:read', true), "
                           "set_config('kkr.actor', 'benchmark:aggregates', true)")
        return await conn.fetch(sql, *args)


async def check_against_floor(case: Case, app: asyncpg.Connection, owner: asyncpg.Connection) -> str:
    """Every published cell of the function has the floor's contributors, count and sum."""
    cells = await _as_ministry(app, *case.function_sql())
    floor = {(tuple(r[f"d{j}"] for j in range(1, len(case.group_by) + 1)), r["mask"]): r
             for r in await owner.fetch(case.floor_sql("tables"), list(case.units))}
    published = [c for c in cells if not c["suppressed"]]
    for c in published:
        f = floor[(tuple(c["dimension_values"]), c["grouping_mask"])]
        if (c["contributors"], c["value_count"], c["value_sum"]) != (f["contributors"], f["n"], f["s"]):
            raise RuntimeError(f"{case.name}: cell {c['dimension_values']} differs from the floor: {dict(c)} {dict(f)}")
    reasons: dict[str, int] = {}
    for c in cells:
        if c["suppressed"]:
            reasons[c["reason"]] = reasons.get(c["reason"], 0) + 1
    return (f"{len(cells)} cells, {len(published)} published (each equal to the floor's contributors, count and "
            f"sum), {len(cells) - len(published)} suppressed"
            + (f" ({', '.join(f'{n} {r}' for r, n in sorted(reasons.items()))})" if reasons else ""))


async def measure(case: Case, client: httpx.AsyncClient, token: str, app: asyncpg.Connection,
                  owner: asyncpg.Connection, rounds: int, warmup: int, facts: bool) -> Timings:
    """`rounds` rounds after `warmup` discarded ones; each round runs every step once, in a rotating order."""
    method, path, body = case.request()
    headers = {"Authorization": f"Bearer {token}"}
    check = _checked(case.route)
    function_sql, function_args = case.function_sql()
    units = list(case.units)

    async def http() -> int:
        return check(await client.request(method, path, json=body, headers=headers))

    async def function() -> int:
        return len(await _as_ministry(app, function_sql, function_args))

    def floor(source: str) -> Callable[[], Awaitable[int]]:
        sql = case.floor_sql(source)
        async def run() -> int:
            return len(await owner.fetch(sql, units))
        return run

    steps = [("http", http), ("function", function), ("floor (tables)", floor("tables"))]
    if facts:
        steps.append(("floor (facts)", floor("facts")))
    timings = Timings()
    for n in range(warmup + rounds):
        k = n % len(steps)
        for what, step in steps[k:] + steps[:k]:
            started = time.perf_counter()
            rows = await step()
            elapsed = time.perf_counter() - started
            if n >= warmup:
                timings.add(what, elapsed, rows)
    return timings


async def write_cost(app: asyncpg.Connection, owner: asyncpg.Connection, rounds: int) -> Timings:
    """One result revision written as a region's application role writes it (its own tenant context), for
    targets the aggregates count (so any maintenance of derived data has work to do)."""
    warmup = 6  # PostgreSQL plans a prepared statement afresh for its first five executions
    targets = await owner.fetch(f"SELECT t.tenant_id, t.id {FROM_TABLES} AND t.tenant_id = 'sjaelland' "
                                f"ORDER BY t.id LIMIT {rounds + warmup}", ["count"])
    timings = Timings()
    for n, (tenant, target) in enumerate(targets):
        async with app.transaction():
            await app.execute("SELECT set_config('kkr.read_tenants', $1, true), set_config('kkr.write_tenants', "
                              "$1, true), set_config('kkr.actor', 'benchmark:writer', true)", tenant)
            started = time.perf_counter()
            await app.execute(
                "INSERT INTO result (tenant_id, target_id, revision, value, recorded_by, source_document_key, note) "
                "SELECT $1::varchar, $2, max(revision) + 1, max(value) + 1, 'synthetic', $3::varchar, 'synthetic' FROM result "
                "WHERE tenant_id = $1::varchar AND target_id = $2", tenant, target, SOURCE_KEY)
            elapsed = time.perf_counter() - started
        if n >= warmup:
            timings.add("write", elapsed, 1)
    return timings


async def function_plan(case: Case, owner: asyncpg.Connection) -> str:
    """The function's statements as auto_explain reports them (ANALYZE, nested statements), slowest first."""
    messages: list[str] = []

    def listen(_conn: asyncpg.Connection, message: asyncpg.PostgresLogMessage) -> None:
        messages.append(message.message)

    owner.add_log_listener(listen)
    try:
        try:
            await owner.execute("LOAD 'auto_explain'")
        except asyncpg.PostgresError as exc:  # e.g. a server built without contrib modules
            return f"auto_explain is not available: {exc}"
        await owner.execute("SET auto_explain.log_min_duration = 0; "
                            "SET auto_explain.log_analyze = on; SET auto_explain.log_nested_statements = on; "
                            "SET client_min_messages = log")
        await _as_ministry(owner, *case.function_sql())
    finally:
        await owner.execute("RESET client_min_messages; SET auto_explain.log_min_duration = -1")
        owner.remove_log_listener(listen)

    def duration(message: str) -> float:
        return float(message.split("duration: ")[1].split(" ms")[0]) if "duration: " in message else 0.0

    return "\n\n".join(sorted((m for m in messages if "Query Text" in m), key=duration, reverse=True)[:3])


# --- 5. the run -------------------------------------------------------------------------------------


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True).stdout.strip()
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "benchmarks", "migrations", "platform",
                "schema")
    return git("rev-parse", "--short", "HEAD") + (" (with uncommitted changes)" if dirty else "")


@dataclass
class Measured:
    revision: str
    cases: list[tuple[Case, Timings, str]]
    write: Timings
    plans: dict[str, str]


def _table(measured: Measured, target_ms: float) -> list[str]:
    lines = ["| aggregate | measured | rows | median | p90 | min | median / floor (tables) |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for case, timings, _ in measured.cases:
        floor = timings.median("floor (tables)")
        for what in sorted(timings.samples, key=Timings.ORDER.index):
            mark = " **(target met)**" if what == "http" and timings.median(what) < target_ms else (
                " **(target not met)**" if what == "http" else "")
            lines.append(f"| {case.name} | {what}{mark} | {timings.rows[what]} | {timings.median(what):.1f} | "
                         f"{timings.p90(what):.1f} | {min(timings.samples[what]):.1f} | "
                         f"{timings.median(what) / floor:.2f} |")
    w = measured.write
    lines.append(f"| one result written | app role INSERT | 1 | {w.median('write'):.2f} | {w.p90('write'):.2f} | "
                 f"{min(w.samples['write']):.2f} | |")
    return lines


def report(args: argparse.Namespace, info: dict, runs: list[Measured]) -> str:
    counts = info["counts"]
    lines = [
        f"## Run of {info['date']}",
        "",
        f"- command: `{info['command']}`",
        f"- commit {info['commit']}; {os.cpu_count()} cores ({_platform.machine()}), "
        f"{_platform.python_implementation()} {_platform.python_version()}; {info['server']}",
        f"- data: {counts['result']:,} results of {counts['target']:,} targets, {counts['indicator']:,} indicators, "
        f"{counts['goal']:,} goals, {counts['result_contract']:,} contract versions over {counts['years']} years "
        f"(synthetic, plus the demo data), generated in {info['generate_s']:.0f} s; "
        f"{info['facts']:,} rows in the aggregates' fact table",
        "- times in ms; rounds interleaved in a rotating order after discarded warm-up rounds",
        "",
    ]
    for case, _, checked in runs[0].cases:
        lines.append(f"- {case.name}: {case.title}; {checked}")
    for measured in runs:
        rounds = args.rounds if measured is runs[0] else args.before_rounds
        lines += ["", f"### Schema at revision {measured.revision} ({rounds} rounds)", "", *_table(measured,
                                                                                                   args.target_ms)]
    return "\n".join(lines) + "\n"


async def measure_all(args: argparse.Namespace, revision: str, rounds: int, cases: tuple[Case, ...],
                      client: httpx.AsyncClient, token: str, app: asyncpg.Connection, owner: asyncpg.Connection,
                      log: Callable[[str], None]) -> Measured:
    facts = await owner.fetchval("SELECT to_regclass('kkr_facts.contract_target') IS NOT NULL")
    if await owner.fetchval("SELECT to_regprocedure('kkr_refresh_aggregates()') IS NOT NULL"):
        started = time.monotonic()
        await owner.execute("SELECT kkr_refresh_aggregates()")
        log(f"[{revision}] kkr_refresh_aggregates() in {time.monotonic() - started:.1f} s")
    measured = Measured(revision=revision, cases=[], write=Timings(), plans={})
    for case in cases:
        checked = await check_against_floor(case, app, owner)
        log(f"[{revision}] {case.name}: {checked}; measuring {rounds} rounds ...")
        timings = await measure(case, client, token, app, owner, rounds, args.warmup, facts)
        measured.cases.append((case, timings, checked))
        if args.plans:
            measured.plans[case.name] = await function_plan(case, owner)
        log(f"[{revision}] {case.name}: http median {timings.median('http'):.1f} ms")
    measured.write = await write_cost(app, owner, rounds)
    return measured


async def run(args: argparse.Namespace) -> int:
    log = (lambda _m: None) if args.quiet else (lambda m: print(m, file=sys.stderr))
    configured = os.environ.get("DATABASE_URL")
    server_url = async_url(configured or embedded.start())
    url = await create_database(server_url)
    log(f"database {url.database} on {server_url.host or 'the embedded server'}")
    try:
        started = time.monotonic()
        await migrate.upgrade(url)
        await load(url, REPO_ROOT / "tenants")
        head = await migrate.current_revision(url)
        log(f"migrated to {head} and demo data loaded ({time.monotonic() - started:.1f} s); generating ...")
        started = time.monotonic()
        counts = await generate(url, args.results, args.seed, log)
        generate_s = time.monotonic() - started
        log(f"generated {counts['result']:,} results in {generate_s:.0f} s")
        owner = await asyncpg.connect(dsn(url), server_settings={"jit": "off"})
        app = await asyncpg.connect(dsn(url.set(username=Settings().app_db_role, password=None)),
                                    server_settings={"jit": "off"})
        runs: list[Measured] = []
        try:
            version = await owner.fetchval("SHOW server_version")
            facts = await owner.fetchval("SELECT count(*) FROM kkr_facts.contract_target") if await owner.fetchval(
                "SELECT to_regclass('kkr_facts.contract_target') IS NOT NULL") else 0
            cases = tuple(c for c in CASES if not args.case or c.name in args.case)
            with tempfile.TemporaryDirectory() as tmp, Server(url, Path(tmp)) as server:
                token = server.token("aggregates:read")
                async with httpx.AsyncClient(base_url=server.base, timeout=120) as client:
                    runs.append(await measure_all(args, head, args.rounds, cases, client, token, app, owner, log))
                    if args.before and args.before != head:
                        await migrate.downgrade(url, args.before)
                        runs.append(await measure_all(args, args.before, args.before_rounds, cases, client, token,
                                                      app, owner, log))
        finally:
            await owner.close()
            await app.close()
        info = {
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "commit": commit(),
            "command": " ".join([*([f"DATABASE_URL={server_url.set(drivername='postgresql')}"] if configured else []),
                                 ".venv/bin/python", "benchmarks/aggregates.py", *sys.argv[1:]]),
            "server": f"PostgreSQL {version} ({'DATABASE_URL, ' + str(server_url.host) if configured else 'embedded'})",
            "counts": counts, "generate_s": generate_s, "facts": facts,
        }
        print(report(args, info, runs))
        if args.plans:
            for measured in runs:
                for name, plan in measured.plans.items():
                    print(f"### {name} at {measured.revision}: the function's slowest statements (auto_explain)\n\n"
                          f"```\n{plan}\n```\n")
        return 0 if all(t.median("http") < args.target_ms for _, t, _ in runs[0].cases) else 1
    finally:
        if args.keep:
            log(f"kept database {url.database}")
        else:
            await drop_database(url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=int, default=1_000_000, help="at least this many results (1,000,000)")
    parser.add_argument("--rounds", type=int, default=30, help="measured rounds at head (30)")
    parser.add_argument("--warmup", type=int, default=3, help="discarded warm-up rounds (3)")
    parser.add_argument("--before", default="0008", help="then downgrade to this revision and measure again, "
                        "'' to skip (0008: the aggregate before migration 0010's fact table)")
    parser.add_argument("--before-rounds", type=int, default=10, help="measured rounds at --before (10)")
    parser.add_argument("--case", action="append", choices=[c.name for c in CASES], help="only this aggregate")
    parser.add_argument("--target-ms", type=float, default=200, help="the HTTP median to stay under (200)")
    parser.add_argument("--seed", type=float, default=0.42, help="seed of the synthetic data's random()")
    parser.add_argument("--plans", action="store_true", help="also print the function's slowest statements")
    parser.add_argument("--keep", action="store_true", help="keep the database (for EXPLAIN by hand)")
    parser.add_argument("--quiet", action="store_true", help="print the report only")
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
