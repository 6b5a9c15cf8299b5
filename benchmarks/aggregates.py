"""Benchmark: a ministry's grouped aggregate with subtotals and disclosure control, through the HTTP API.

    .venv/bin/python benchmarks/aggregates.py                  # 1,000,000 results, 30 rounds
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/aggregates.py
    .venv/bin/python -m benchmarks.aggregates --results 20000 --rounds 5   # a quick check of the script

In a database of its own on DATABASE_URL's server (the embedded PostgreSQL when unset), dropped at the end
(also on failure; `--keep` keeps it), it migrates to head, loads the demo data (tenants/) and generates at
least `--results` synthetic results (benchmarks/synthetic.py).  Then it starts the real server and mints an
`aggregates:read` token (benchmarks/harness.py) and measures four aggregates of contract results with
subtotals and disclosure control, interleaved round by round, against floors measured in the same rounds:

- `http`: the aggregate through the HTTP API (GraphQL, /aggregates.csv or /aggregates.json), the figure the
  target (median under `--target-ms`, 200 ms) applies to;
- `function`: `kkr_aggregate()` called directly (asyncpg, application role, the ministry's flag);
- `floor (facts)`: the same cells (contributors, count, sum, mean, median, min, max) by one hand-written
  `GROUP BY ROLLUP/CUBE` on the fact table the contract families read (`kkr_facts.contract_target`), no
  disclosure control (asyncpg, owner);
- `floor (tables)`: the same statement on the contract tables (target, indicator, goal, result_contract,
  result: latest published version, latest result revision).

Before timing, every published cell of the function is checked against the floor on the contract tables,
and the two floors against each other (contributors, count, sum).  Last, one result written by a region's
application role (what the fact table's triggers cost a write).  It prints a Markdown report (medians, p90,
ratios to both floors) to paste into benchmarks/RESULTS.md (`--output FILE` writes it there too); `--plans`
adds the function's slowest statements as auto_explain reports them.  Exit status 1 when an HTTP median is
above the target.

Speed goals live here, never in timed unit tests (developers' guide).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as `python benchmarks/aggregates.py`: make `benchmarks` importable
    sys.path.append(str(Path(__file__).resolve().parent.parent))

import asyncpg
import httpx

from benchmarks import harness, synthetic
from benchmarks.harness import REPO_ROOT
from kkr.platform import embedded, migrate
from kkr.platform.database import async_url
from kkr.platform.importer.load import load
from kkr.platform.settings import Settings

# --- what is measured -------------------------------------------------------------------------------------

#: Contract-family dimensions: GraphQL enum name, fact-table column, contract-table expression.
DIMENSIONS = {
    "year": ("YEAR", "f.year::text", "c.year::text"),
    "region": ("REGION", "f.region_slug::text", "h.region_slug::text"),
    "hub": ("HUB", "f.business_hub_slug::text", "c.business_hub_slug::text"),
    "goal_category": ("GOAL_CATEGORY", "f.category::text", "g.category::text"),
}

#: The contract_results rows from the contract tables (the contract families' rules: national and common
#: goals, latest published version of a hub's contract for a year, latest result revision, numeric values).
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
FROM_FACTS = f"""
    FROM {synthetic.FACT_TABLE} f WHERE f.result_value IS NOT NULL AND f.unit::text = ANY ($1::text[])"""

FLOORS = {"facts": "floor (facts)", "tables": "floor (tables)"}


@dataclass
class Case:
    """One aggregate of contract results (measures: all six unless said), asked through one HTTP route."""

    name: str
    group_by: tuple[str, ...]
    subtotals: str  # rollup | cube
    units: tuple[str, ...]
    route: str  # graphql | csv | json
    measures: tuple[str, ...] = ("count", "sum", "mean", "median", "min", "max")

    @property
    def title(self) -> str:
        return (
            f"{' x '.join(self.group_by)} ({self.subtotals}), units {', '.join(self.units)}, "
            f"measures {', '.join(self.measures)}, "
            f"via {'GraphQL' if self.route == 'graphql' else '/aggregates.' + self.route}"
        )

    def request(self) -> tuple[str, str, dict | None]:
        """HTTP method, path and JSON body of the aggregate."""
        groups = [DIMENSIONS[d][0] for d in self.group_by]
        if self.route == "graphql":
            arguments = (
                f"family: CONTRACT_RESULTS, groupBy: [{', '.join(groups)}], filter: {{units: $units}}, "
                f"subtotals: {self.subtotals.upper()}, measures: [{', '.join(m.upper() for m in self.measures)}]"
            )
            cells = (
                f"cells {{ coordinates {{ dimension value total }} contributors {' '.join(self.measures)} "
                "suppressed reason orderStatisticsWithheld }"
            )
            query = f"query($units: [String!]) {{ aggregate({arguments}) {{ {cells} }} }}"
            return "POST", "/graphql", {"query": query, "variables": {"units": list(self.units)}}
        params = (
            f"family=CONTRACT_RESULTS&groupBy={','.join(groups)}&subtotals={self.subtotals.upper()}"
            f"&measures={','.join(m.upper() for m in self.measures)}"
        )
        return "GET", f"/aggregates.{self.route}?{params}&units={','.join(self.units)}", None

    def function_sql(self) -> tuple[str, list]:
        return (
            "SELECT * FROM kkr_aggregate('contract_results', $1::text[], $2::jsonb, $3, $4::text[])",
            [list(self.group_by), json.dumps({"unit": list(self.units)}), self.subtotals, list(self.measures)],
        )

    def floor_sql(self, source: str) -> str:
        """The same cells by one statement, no disclosure control: `source` is 'facts' or 'tables'."""
        column = 1 if source == "facts" else 2
        dims = [f"{DIMENSIONS[d][column]} AS d{j}" for j, d in enumerate(self.group_by, 1)]
        names = [f"d{j}" for j in range(1, len(self.group_by) + 1)]
        mask = " + ".join(f"GROUPING({n}) * {1 << j}" for j, n in enumerate(names))
        hub, value = (
            ("f.business_hub_slug", "f.result_value") if source == "facts" else ("c.business_hub_slug", "r.value")
        )
        median = ", percentile_cont(0.5) WITHIN GROUP (ORDER BY v)" if "median" in self.measures else ""
        return (
            f"SELECT {', '.join(names)}, {mask} AS mask, count(DISTINCT hub) AS contributors, count(*) AS n, "
            f"sum(v) AS s, avg(v){median}, min(v), max(v) "
            f"FROM (SELECT {', '.join(dims)}, {hub} AS hub, {value} AS v "
            f"{FROM_FACTS if source == 'facts' else FROM_TABLES}) x "
            f"GROUP BY {self.subtotals.upper()} ({', '.join(names)})"
        )


CASES = (
    Case("year-category", ("year", "goal_category"), "rollup", ("count",), "graphql"),
    Case("year-region", ("year", "region"), "rollup", ("count",), "csv"),
    Case("hub-category", ("hub", "goal_category"), "cube", ("count",), "json"),
    # the same table without the median: what the order statistic costs
    Case(
        "year-region-nomedian",
        ("year", "region"),
        "rollup",
        ("count",),
        "graphql",
        ("count", "sum", "mean", "min", "max"),
    ),
)


def _checked(route: str):
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


async def as_ministry(conn: asyncpg.Connection, sql: str, args: list) -> list:
    """`sql` in a read-only transaction with the flag an `aggregates:read` token gets."""
    async with conn.transaction(readonly=True):
        await conn.execute(
            "SELECT set_config('kkr.flags', 'aggregates:read', true), "
            "set_config('kkr.actor', 'benchmark:aggregates', true)"
        )
        return await conn.fetch(sql, *args)


async def _floor_cells(case: Case, owner: asyncpg.Connection, source: str) -> dict[tuple, asyncpg.Record]:
    return {
        (tuple(r[f"d{j}"] for j in range(1, len(case.group_by) + 1)), r["mask"]): r
        for r in await owner.fetch(case.floor_sql(source), list(case.units))
    }


async def check_against_floors(case: Case, app: asyncpg.Connection, owner: asyncpg.Connection) -> str:
    """The floor on the fact table has the cells of the floor on the contract tables, and every published
    cell of the function has their contributors, count and sum; returns what was checked, in a sentence."""

    def key(r: asyncpg.Record) -> tuple:
        return r["contributors"], r["n"], r["s"]

    tables = await _floor_cells(case, owner, "tables")
    facts = await _floor_cells(case, owner, "facts")
    if {k: key(r) for k, r in facts.items()} != {k: key(r) for k, r in tables.items()}:
        differ = sorted(
            str(k)
            for k in tables.keys() | facts.keys()
            if k not in tables or k not in facts or key(tables[k]) != key(facts[k])
        )
        raise RuntimeError(
            f"{case.name}: the fact table differs from the contract tables in {len(differ)} cells, e.g. {differ[:3]}"
        )
    cells = await as_ministry(app, *case.function_sql())
    published = [c for c in cells if not c["suppressed"]]
    for c in published:
        f = tables[(tuple(c["dimension_values"]), c["grouping_mask"])]
        if (c["contributors"], c["value_count"], c["value_sum"]) != key(f):
            raise RuntimeError(f"{case.name}: cell {c['dimension_values']} differs from the floor: {dict(c)} {dict(f)}")
    reasons: dict[str, int] = {}
    for c in cells:
        if c["suppressed"]:
            reasons[c["reason"]] = reasons.get(c["reason"], 0) + 1
    return (
        f"{len(cells)} cells, {len(published)} published (each equal to the floors' contributors, count and "
        f"sum; the floors agree on all {len(tables)} cells), {len(cells) - len(published)} suppressed"
        + (f" ({', '.join(f'{n} {r}' for r, n in sorted(reasons.items()))})" if reasons else "")
    )


async def measure(
    case: Case,
    client: httpx.AsyncClient,
    token: str,
    app: asyncpg.Connection,
    owner: asyncpg.Connection,
    rounds: int,
    warmup: int,
) -> harness.Timings:
    """http, function and both floors of `case`, interleaved."""
    method, path, body = case.request()
    headers = {"Authorization": f"Bearer {token}"}
    check = _checked(case.route)
    function_sql, function_args = case.function_sql()
    units = list(case.units)

    async def http() -> int:
        return check(await client.request(method, path, json=body, headers=headers))

    async def function() -> int:
        return len(await as_ministry(app, function_sql, function_args))

    def floor(source: str) -> harness.Step:
        sql = case.floor_sql(source)

        async def run() -> int:
            return len(await owner.fetch(sql, units))

        return run

    steps = [
        ("http", http),
        ("function", function),
        (FLOORS["facts"], floor("facts")),
        (FLOORS["tables"], floor("tables")),
    ]
    return await harness.interleaved(steps, rounds, warmup)


async def write_cost(app: asyncpg.Connection, owner: asyncpg.Connection, rounds: int) -> harness.Timings:
    """One result revision written as a region's application role writes it (its own tenant context), for
    targets the aggregates count (so the fact table's triggers have work to do)."""
    warmup = 6  # PostgreSQL plans a prepared statement afresh for its first five executions
    targets = await owner.fetch(
        f"SELECT t.tenant_id, t.id {FROM_TABLES} AND t.tenant_id = 'sjaelland' ORDER BY t.id LIMIT {rounds + warmup}",
        ["count"],
    )
    timings = harness.Timings()
    for n, (tenant, target) in enumerate(targets):
        async with app.transaction():
            await app.execute(
                "SELECT set_config('kkr.read_tenants', $1, true), set_config('kkr.write_tenants', "
                "$1, true), set_config('kkr.actor', 'benchmark:writer', true)",
                tenant,
            )
            started = time.perf_counter()
            await app.execute(
                "INSERT INTO result (tenant_id, target_id, revision, value, recorded_by, source_document_key, note) "
                "SELECT $1::varchar, $2, max(revision) + 1, max(value) + 1, 'synthetic', $3::varchar, 'synthetic' "
                "FROM result WHERE tenant_id = $1::varchar AND target_id = $2",
                tenant,
                target,
                synthetic.SOURCE_KEY,
            )
            elapsed = time.perf_counter() - started
        if n >= warmup:
            timings.add("write", elapsed, 1)
    return timings


# --- the report -------------------------------------------------------------------------------------------


def table(cases: list[tuple[Case, harness.Timings]], write: harness.Timings, target_ms: float) -> list[str]:
    """The Markdown table of RESULTS.md: one line per aggregate and step, then the write."""
    lines = [
        "| aggregate | measured | rows | median | p90 | min | median / floor (facts) | median / floor (tables) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for case, t in cases:
        for what in t.samples:
            mark = (
                (" **(target met)**" if t.median(what) < target_ms else " **(target not met)**")
                if (what == "http")
                else ""
            )
            lines.append(
                f"| {case.name} | {what}{mark} | {t.rows[what]} | {t.median(what):.1f} | {t.p90(what):.1f} "
                f"| {t.min(what):.1f} | {t.ratio(what, FLOORS['facts']):.2f} "
                f"| {t.ratio(what, FLOORS['tables']):.2f} |"
            )
    if write.samples:
        lines.append(
            f"| one result written | app role INSERT | 1 | {write.median('write'):.2f} "
            f"| {write.p90('write'):.2f} | {write.min('write'):.2f} | | |"
        )
    return lines


def report(
    args: argparse.Namespace, info: dict, cases: list[tuple[Case, harness.Timings, str]], write: harness.Timings
) -> str:
    counts = info["counts"]
    lines = [
        f"### Run of {info['date']}",
        "",
        f"- command: `{info['command']}`",
        f"- commit {info['commit']}; {harness.machine()}; {info['server']}",
        f"- data: {counts['result']:,} results of {counts['target']:,} targets, {counts['indicator']:,} indicators, "
        f"{counts['goal']:,} goals, {counts['result_contract']:,} contract versions over {counts['years']} years "
        f"(synthetic, plus the demo data), generated in {info['generate_s']:.0f} s; "
        f"{counts['facts']:,} rows in the fact table ({synthetic.FACT_TABLE})",
        f"- times in ms; {args.rounds} rounds interleaved in a rotating order after {args.warmup} discarded "
        "warm-up rounds",
        "",
    ]
    lines += [f"- {case.name}: {case.title}; {checked}" for case, _, checked in cases]
    lines += ["", *table([(case, t) for case, t, _ in cases], write, args.target_ms)]
    return "\n".join(lines) + "\n"


# --- the run ----------------------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> int:
    log = (lambda _m: None) if args.quiet else (lambda m: print(m, file=sys.stderr))
    configured = os.environ.get("DATABASE_URL")
    server_url = async_url(configured or embedded.start())
    url = await synthetic.create_database(server_url)
    log(f"database {url.database} on {server_url.host or 'the embedded server'}")
    try:
        started = time.monotonic()
        await migrate.upgrade(url)
        await load(url, REPO_ROOT / "tenants")
        log(
            f"migrated to {await migrate.current_revision(url)} and demo data loaded "
            f"({time.monotonic() - started:.1f} s); generating ..."
        )
        started = time.monotonic()
        counts = await synthetic.generate(url, args.results, args.seed, log)
        generate_s = time.monotonic() - started
        log(f"generated {counts['result']:,} results in {generate_s:.0f} s")
        owner = await asyncpg.connect(synthetic.dsn(url), server_settings={"jit": "off"})
        app = await asyncpg.connect(
            synthetic.dsn(url.set(username=Settings().app_db_role, password=None)), server_settings={"jit": "off"}
        )
        measured: list[tuple[Case, harness.Timings, str]] = []
        plans: dict[str, str] = {}
        try:
            if not await owner.fetchval("SELECT to_regclass($1) IS NOT NULL", synthetic.FACT_TABLE):
                raise RuntimeError(f"no {synthetic.FACT_TABLE} at head: the floor (facts) has nothing to read")
            version = await owner.fetchval("SHOW server_version")
            with tempfile.TemporaryDirectory() as tmp, harness.Server(url, Path(tmp)) as server:
                token = server.token("aggregates:read")
                async with httpx.AsyncClient(base_url=server.base, timeout=120) as client:
                    for case in (c for c in CASES if not args.case or c.name in args.case):
                        checked = await check_against_floors(case, app, owner)
                        log(f"{case.name}: {checked}; measuring {args.rounds} rounds ...")
                        timings = await measure(case, client, token, app, owner, args.rounds, args.warmup)
                        measured.append((case, timings, checked))
                        log(f"{case.name}: http median {timings.median('http'):.1f} ms")
                        if args.plans:
                            plans[case.name] = await harness.slowest_statements(
                                owner, lambda c=case: as_ministry(owner, *c.function_sql())
                            )
            write = await write_cost(app, owner, args.rounds)
        finally:
            await owner.close()
            await app.close()
        info = {
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": harness.commit(),
            "command": " ".join(
                [
                    *([f"DATABASE_URL={server_url.set(drivername='postgresql')}"] if configured else []),
                    ".venv/bin/python",
                    "benchmarks/aggregates.py",
                    *sys.argv[1:],
                ]
            ),
            "server": f"PostgreSQL {version} ({'DATABASE_URL, ' + str(server_url.host) if configured else 'embedded'})",
            "counts": counts,
            "generate_s": generate_s,
        }
        text = report(args, info, measured, write)
        for name, plan in plans.items():
            text += f"\n#### {name}: the function's slowest statements (auto_explain)\n\n```\n{plan}\n```\n"
        print(text)
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
            log(f"report written to {args.output}")
        return 0 if all(t.median("http") < args.target_ms for _, t, _ in measured) else 1
    finally:
        if args.keep:
            log(f"kept database {url.database}")
        else:
            await synthetic.drop_database(url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--results",
        type=int,
        default=1_000_000,
        help="at least this many synthetic results (1,000,000; e.g. 20000 to check the script)",
    )
    parser.add_argument("--rounds", type=int, default=30, help="measured rounds (30)")
    parser.add_argument("--warmup", type=int, default=3, help="discarded warm-up rounds (3)")
    parser.add_argument("--case", action="append", choices=[c.name for c in CASES], help="only this aggregate")
    parser.add_argument("--target-ms", type=float, default=200, help="the HTTP median to stay under (200)")
    parser.add_argument("--seed", type=float, default=0.42, help="seed of the synthetic data's random()")
    parser.add_argument("--plans", action="store_true", help="also print the function's slowest statements")
    parser.add_argument("--output", metavar="FILE", help="also write the Markdown report to FILE")
    parser.add_argument("--keep", action="store_true", help="keep the database (for EXPLAIN by hand)")
    parser.add_argument("--quiet", action="store_true", help="print the report only")
    args = parser.parse_args(argv)
    if args.results < 1 or args.rounds < 1 or args.warmup < 0:
        parser.error("--results and --rounds must be positive, --warmup not negative")
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
