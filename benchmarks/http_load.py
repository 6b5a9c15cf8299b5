"""Benchmark: the platform under HTTP load, as production runs it, against the raw-SQL floor (issue 11).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test SERVER_PACKAGES=/path/to/uvloop+httptools \\
        .venv/bin/python benchmarks/http_load.py                        # full run: 1 M results, 3 rounds of 10 s
    ... benchmarks/http_load.py --results 50000 --duration 3 --rounds 1  # a smoke run (~3 min)

In a database of its own on DATABASE_URL's server (dropped at the end unless `--keep`; `--database NAME`
reuses a kept one), it migrates, loads the demo data and generates the synthetic scale-up
(benchmarks/synthetic.py: every hub x `--years` 10 years of contracts with 20 goals each, quarterly targets,
results to at least `--results`).  Then, for the workloads of benchmarks/workloads.py (W1 Dashboard per
year and all years, W2 KL's series, W3 a ministry aggregate, W4 reportResult, W5 `{ regions }`):

1. statements per request: one platform worker and one floor worker with `log_statement = all` on the
   database (benchmarks/statements.py); each workload's first answer is checked against its floor's
   (the same JSON content), then `--count` requests one after another are counted;
2. load: `kkr serve --workers N` (production settings, one worker per core: `cached`, the response cache
   on as by default), the same with RESPONSE_CACHE_ENABLED=false (`uncached`: every request computed), and
   the floor app with N workers (benchmarks/servers.py), driven by `wrk` (benchmarks/wrk_driver.py) at each
   `--concurrency`, the three interleaved (the order rotating) for `--rounds` rounds of `--duration` seconds;
   medians over the rounds.  After each run the script waits until the server is idle again (the requests
   wrk abandoned at its end are still being answered), so that no run pays for the one before.

It prints a Markdown report (a `### Run of ...` section for benchmarks/RESULTS.md; `--output FILE` writes
it there too): per workload and concurrency each side's throughput and p50/p99, the platform's throughput
ratios to the floor, and statements per request (cached: a repeated request, a hit; uncached: computed).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as `python benchmarks/http_load.py`
    sys.path.append(str(Path(__file__).resolve().parent.parent))

import asyncpg
import httpx

from benchmarks import harness, servers, synthetic, workloads, wrk_driver
from benchmarks.harness import REPO_ROOT
from benchmarks.statements import StatementLog
from kkr.platform import embedded, migrate
from kkr.platform.database import async_url
from kkr.platform.importer.load import load


async def prepare(server_url, args: argparse.Namespace, log) -> tuple[object, dict]:
    """The benchmark's database with the demo data and the scale-up; returns its URL and the row counts."""
    if args.database:
        return server_url.set(database=args.database), {"reused": True}
    url = await synthetic.create_database(server_url)
    log(f"database {url.database}; migrating, loading the demo data ...")
    await migrate.upgrade(url)
    await load(url, REPO_ROOT / "tenants")
    started = time.monotonic()
    counts = await synthetic.generate(url, args.results, args.seed, log, years=args.years, slots=args.slots)
    counts["generate_s"] = time.monotonic() - started
    log(f"generated {counts['result']:,} results in {counts['generate_s']:.0f} s")
    return url, counts


def _diff(a: object, b: object, path: str = "data") -> str | None:
    """Where two decoded JSON answers first differ, or None."""
    if type(a) is not type(b):
        return f"{path}: {a!r:.80} vs {b!r:.80}"
    if isinstance(a, dict):
        if a.keys() != b.keys():
            return f"{path}: keys {sorted(a)} vs {sorted(b)}"
        return next((d for k in a if (d := _diff(a[k], b[k], f"{path}.{k}"))), None)
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items vs {len(b)}"
        return next((d for i, (x, y) in enumerate(zip(a, b, strict=True)) if (d := _diff(x, y, f"{path}[{i}]"))), None)
    return None if a == b else f"{path}: {a!r:.120} vs {b!r:.120}"


async def count_and_check(url, items, workdir: Path, definitions: Path, args, log) -> dict:
    """Statements per request of the platform and the floor (one worker each), each workload's answer checked
    against its floor first; returns {workload: {"platform": n, "floor": n, "bytes": n, "floor_bytes": n}}."""
    owner_dsn = synthetic.dsn(url.set(database="postgres"))
    conn = await asyncpg.connect(owner_dsn)
    major = int(await conn.fetchval("SHOW server_version_num")) // 10000
    await conn.close()
    found: dict[str, dict] = {}
    async with StatementLog(owner_dsn, url.database, major) as statements:
        with (
            servers.Platform(url, workdir, workers=1, extra_env=args.env) as platform,
            servers.Platform(url, workdir, workers=1, extra_env={**args.env, **UNCACHED}) as uncached,
            servers.Floor(url, workdir, workers=1, definitions=definitions) as floor,
        ):
            async with httpx.AsyncClient(timeout=300) as client:
                for w in items:
                    headers = {"Authorization": f"Bearer {platform.token(*w.scopes)}"}
                    uncached_headers = {"Authorization": f"Bearer {uncached.token(*w.scopes)}"}
                    # Each side's first answer is checked, not counted (a server's first requests also open
                    # its pool's connections: statements of their own).
                    mine = await client.post(f"{platform.base}/graphql", json=w.body(), headers=headers)
                    computed = await client.post(f"{uncached.base}/graphql", json=w.body(), headers=uncached_headers)
                    theirs = await client.post(f"{floor.base}/floor/{w.name}", json=w.body())
                    for side, r in (("platform", mine), ("uncached", computed), ("floor", theirs)):
                        if r.status_code != 200 or "errors" in r.json():
                            raise RuntimeError(f"{w.name}: {side} answered {r.status_code}: {r.text[:800]}")
                    for side, r in (("floor", theirs), ("uncached", computed)):
                        if (where := _diff(mine.json()["data"], r.json()["data"])) is not None:
                            raise RuntimeError(f"{w.name}: the {side} answer differs from the platform's at {where}")
                    entry = found[w.name] = {"bytes": len(mine.content), "floor_bytes": len(theirs.content)}
                    for side, url, side_headers in (
                        ("platform", f"{platform.base}/graphql", headers),
                        ("uncached", f"{uncached.base}/graphql", uncached_headers),
                        ("floor", f"{floor.base}/floor/{w.name}", None),
                    ):
                        await asyncio.sleep(0.3)
                        mark = statements.mark()
                        for _ in range(args.count):
                            (await client.post(url, json=w.body(), headers=side_headers)).raise_for_status()
                        await asyncio.sleep(0.5)  # the log is written asynchronously
                        n = statements.count(mark)
                        entry[side] = None if n is None else n / args.count
                    log(
                        f"{w.name}: same answer as the floor ({entry['bytes']:,} bytes); statements per request "
                        f"{entry['platform']} (uncached {entry['uncached']}, floor {entry['floor']})"
                    )
    return found


SIDES = ("platform", "uncached", "floor")
#: The platform's settings on the `uncached` side.
UNCACHED = {"RESPONSE_CACHE_ENABLED": "false"}


def warm_up(items, platform, uncached, floor, tokens, args, workdir: Path, log) -> None:
    """Untimed: every body of every workload to every side, 2 x workers connections for `--warm-up` seconds
    (each worker process fills its caches, PostgreSQL its buffers), so that no side's first timed round pays
    for starting cold."""
    for w in items:
        bodies = [w.body(**{k: v}) for k, vs in w.rotate.items() for v in vs] or [w.body()]
        for side, server, target, headers in _sides(w, platform, uncached, floor, tokens):
            r = wrk_driver.run_wrk(
                target, bodies, headers, connections=2 * args.workers, duration=args.warm_up, workdir=workdir
            )
            server.wait_idle()
            log(f"warm-up {w.name} {side}: {r.requests} requests")


def _sides(w, platform, uncached, floor, tokens) -> list[tuple]:
    sides = [
        (side, server, f"{server.base}/graphql", {"Authorization": f"Bearer {tokens[w.name, side]}"})
        for side, server in (("platform", platform), ("uncached", uncached))
    ]
    sides.append(("floor", floor, f"{floor.base}/floor/{w.name}", {}))
    return sides


async def count_on_demo(server_url, items, workdir: Path, args, log) -> dict:
    """W1's statements per request computed (the `uncached` side) on a database with the demo data only, to
    compare with the scale-up's: {workload: n}.  A database of its own, dropped at the end."""
    url = await synthetic.create_database(server_url)
    try:
        await migrate.upgrade(url)
        await load(url, REPO_ROOT / "tenants")
        conn = await asyncpg.connect(synthetic.dsn(url.set(database="postgres")))
        major = int(await conn.fetchval("SHOW server_version_num")) // 10000
        await conn.close()
        found = {}
        async with StatementLog(synthetic.dsn(url.set(database="postgres")), url.database, major) as statements:
            with servers.Platform(url, workdir, workers=1, extra_env={**args.env, **UNCACHED}) as uncached:
                async with httpx.AsyncClient(timeout=300) as client:
                    for w in (w for w in items if w.name.startswith("W1")):
                        headers = {"Authorization": f"Bearer {uncached.token(*w.scopes)}"}
                        (
                            await client.post(f"{uncached.base}/graphql", json=w.body(), headers=headers)
                        ).raise_for_status()
                        await asyncio.sleep(0.3)
                        mark = statements.mark()
                        for _ in range(args.count):
                            (
                                await client.post(f"{uncached.base}/graphql", json=w.body(), headers=headers)
                            ).raise_for_status()
                        await asyncio.sleep(0.5)
                        n = statements.count(mark)
                        found[w.name] = None if n is None else n / args.count
                        log(f"{w.name} on the demo data only: statements per request {found[w.name]}")
        return found
    finally:
        await synthetic.drop_database(url)


def measure(items, platform, uncached, floor, args, workdir: Path, log) -> dict:
    """{(workload, concurrency, side): [WrkResult per round]}, the three sides interleaved (order rotating)."""
    results: dict[tuple, list] = {}
    tokens = {
        (w.name, side): server.token(*w.scopes)
        for w in items
        for side, server in (("platform", platform), ("uncached", uncached))
    }
    n = 0
    warm_up(items, platform, uncached, floor, tokens, args, workdir, log)
    for c in args.concurrency:
        for round_ in range(args.rounds):
            for w in items:
                bodies = [w.body(**{k: v}) for k, vs in w.rotate.items() for v in vs] or [w.body()]
                sides = _sides(w, platform, uncached, floor, tokens)
                for side, server, target, headers in sides[n % 3 :] + sides[: n % 3]:
                    r = wrk_driver.run_wrk(
                        target, bodies, headers, connections=c, duration=args.duration, workdir=workdir
                    )
                    results.setdefault((w.name, c, side), []).append(r)
                    waited = server.wait_idle()
                    log(
                        f"c={c} round {round_ + 1} {w.name} {side}: {r.rps:.1f} req/s, p50 {r.p50_ms} ms, "
                        f"p99 {r.p99_ms} ms, {r.errors} errors; idle again after {waited:.1f} s"
                        + (f"; first error: {r.first_error}" if r.first_error else "")
                    )
                n += 1
    return results


def _median(values: list) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def report(args, info: dict, items, counts: dict, results: dict) -> str:
    rows = info["counts"]
    data = (
        "reused database " + args.database
        if rows.get("reused")
        else f"{rows['result']:,} results of {rows['target']:,} targets, {rows['goal']:,} goals, "
        f"{rows['result_contract']:,} contract versions over {rows['years']} years (synthetic, plus the demo "
        f"data), generated in {rows['generate_s']:.0f} s"
    )
    lines = [
        f"### Run of {info['date']}{' — ' + args.label if args.label else ''}",
        "",
        f"- command: `{info['command']}`",
        f"- commit {info['commit']}; {harness.machine()}; {info['server']}",
        f"- servers: `kkr serve --workers {args.workers}` (ENVIRONMENT=production; twice: cached and uncached) "
        "and the floor "
        f"(benchmarks/floor_app.py, {args.workers} workers), uvicorn with {servers.loop_and_http()}; "
        f"cached platform RSS {info['rss_start']:.0f} MB at start, {info['rss_end']:.0f} MB at the end (all processes)"
        + (f"; platform settings {', '.join(f'`{k}={v}`' for k, v in args.env.items())}" if args.env else ""),
        f"- data: {data}",
        f"- load: wrk, after {args.warm_up:g} s of untimed warm-up per workload and side, {args.rounds} round(s) "
        f"of {args.duration:g} s per workload, side and concurrency, the three sides interleaved; medians over the "
        "rounds. Statements per request: counted by PostgreSQL "
        f"(log_statement = all), {args.count} sequential requests",
        "",
    ]
    lines += [
        f"- {w.name}: {w.title} ({counts[w.name]['bytes']:,} bytes; the floor's answer equal)"
        + (
            f"; computed, {_fmt(counts[w.name]['uncached'])} statements per request on this data and "
            f"{_fmt(counts[w.name]['demo'])} on the demo data only"
            if "demo" in counts[w.name]
            else ""
        )
        for w in items
    ]
    lines += [
        "",
        "Sides: **cached** is `kkr serve` as configured by default (response cache on: a repeated request "
        "is a hit), **uncached** the same with `RESPONSE_CACHE_ENABLED=false` (every request computed), "
        "**floor** one hand-written statement. Ratios: throughput / the floor's.",
        "",
        "| workload | c | cached req/s | p50 ms | p99 ms | uncached req/s | p50 ms | p99 ms | floor req/s "
        "| p50 ms | p99 ms | cached / floor | uncached / floor | statements: cached, uncached (floor) | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for w in items:
        for c in args.concurrency:
            runs = {side: results[(w.name, c, side)] for side in SIDES}
            rps = {side: _median([r.rps for r in runs[side]]) for side in SIDES}
            cells = " | ".join(
                f"{_fmt(rps[side])} | {_fmt(_median([r.p50_ms for r in runs[side]]))} "
                f"| {_fmt(_median([r.p99_ms for r in runs[side]]))}"
                for side in SIDES
            )
            ratios = " | ".join(
                _fmt(rps[side] / rps["floor"] if rps[side] and rps["floor"] else None, 3)
                for side in ("platform", "uncached")
            )
            errors = sum(r.errors for side in SIDES for r in runs[side])
            n = counts[w.name]
            lines.append(
                f"| {w.name} | {c} | {cells} | {ratios} | {_fmt(n['platform'])}, {_fmt(n['uncached'])} "
                f"({_fmt(n['floor'])}) | {errors} |"
            )
    return "\n".join(lines) + "\n"


async def run(args: argparse.Namespace) -> int:
    log = (lambda _m: None) if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    configured = os.environ.get("DATABASE_URL")
    server_url = async_url(configured or embedded.start())
    url, rows = await prepare(server_url, args, log)
    try:
        owner = await asyncpg.connect(synthetic.dsn(url))
        try:
            items = [
                w
                for w in workloads.workloads(await workloads.choices(owner))
                if not args.workload or w.name in args.workload
            ]
            version = await owner.fetchval("SHOW server_version")
        finally:
            await owner.close()
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            definitions = workdir / "workloads.json"
            workloads.write_definitions(items, definitions)
            counts = await count_and_check(url, items, workdir, definitions, args, log)
            for name, n in (await count_on_demo(server_url, items, workdir, args, log)).items():
                counts[name]["demo"] = n
            with (
                servers.Platform(url, workdir, workers=args.workers, extra_env=args.env) as platform,
                servers.Platform(url, workdir, workers=args.workers, extra_env={**args.env, **UNCACHED}) as uncached,
                servers.Floor(url, workdir, workers=args.workers, definitions=definitions) as floor,
            ):
                rss_start = platform.rss_mb()
                results = measure(items, platform, uncached, floor, args, workdir, log)
                rss_end = platform.rss_mb()
        info = {
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": harness.commit(),
            "command": " ".join(
                [
                    *([f"DATABASE_URL={server_url.set(drivername='postgresql')}"] if configured else []),
                    *(["SERVER_PACKAGES=..."] if servers.server_packages() else []),
                    ".venv/bin/python",
                    "benchmarks/http_load.py",
                    *sys.argv[1:],
                ]
            ),
            "server": f"PostgreSQL {version} ({'DATABASE_URL, ' + str(server_url.host) if configured else 'embedded'})",
            "counts": rows,
            "rss_start": rss_start,
            "rss_end": rss_end,
        }
        text = report(args, info, items, counts, results)
        print(text)
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
        if args.raw:
            Path(args.raw).write_text(
                json.dumps({"|".join(map(str, k)): [r.output for r in v] for k, v in results.items()}, indent=1)
            )
        return 0
    finally:
        if args.keep or args.database:
            log(f"kept database {url.database}")
        else:
            await synthetic.drop_database(url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=int, default=1_000_000, help="at least this many results (1,000,000)")
    parser.add_argument("--years", type=int, default=10, help="contract years of the scale-up (10)")
    parser.add_argument("--slots", type=int, default=1, help="targets per indicator and quarter (1)")
    parser.add_argument("--seed", type=float, default=0.42, help="seed of the synthetic data's random()")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="workers of each server (cores)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32], help="wrk connections (1 8 32)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run (10)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per workload, side and concurrency (3)")
    parser.add_argument("--warm-up", type=float, default=3, help="untimed seconds per workload and side (3)")
    parser.add_argument("--count", type=int, default=5, help="sequential requests counted for statements (5)")
    parser.add_argument("--workload", action="append", help="only this workload (W1-year, W1-all, W2, ..., W5)")
    parser.add_argument("--label", help="a note for the report's heading (e.g. 'smoke run, busy machine')")
    parser.add_argument("--output", metavar="FILE", help="also write the Markdown report to FILE")
    parser.add_argument("--raw", metavar="FILE", help="write wrk's outputs to FILE (JSON)")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--database", help="reuse this kept database (no preparation; kept)")
    parser.add_argument("--quiet", action="store_true", help="print the report only")
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for the platform's environment (repeatable), reported with the figures; "
        "the rate limit is checked on every request as in production, with a limit no "
        "benchmark reaches (one token subject per workload) unless given",
    )
    args = parser.parse_args(argv)
    args.env = {"RATE_LIMIT_AUTHENTICATED": "1000000", **dict(item.split("=", 1) for item in args.server_env)}
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
