"""Soak (issue 10): 60 s at concurrency 64 on loopback, mixed roles and operations plus hostile requests.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test SERVER_PACKAGES=... .venv/bin/python benchmarks/soak.py
    ... benchmarks/soak.py --duration 20 --results 20000              # a short check of the script

It prepares a database as benchmarks/http_load.py does (`--database NAME` reuses a kept one), starts the
platform as production runs it (`kkr serve --workers N`, benchmarks/servers.py) with rate limits off
(`RATE_LIMIT_ENABLED=false`: the soak's few token subjects would otherwise be limited; `--server-env`
changes it), and drives it from a separate process (an asyncio + httpx driver, `--concurrency` 64
connections) with ordinary requests of every role (regional staff of two regions, KL, a ministry, an
editor writing results, anonymous) and a share (`--hostile`, 10 %) of issue 10's attacks
(benchmarks/hostile.py).  It reports the number of 5xx answers (the target: 0), status codes per kind, the
p50/p99 latency of the ordinary requests while the hostile ones run, the hostile ones' latencies, and the
server's memory (RSS, summed over its processes) at start, at its highest and at the end.  Exit status 1
when any answer was a 5xx or a transport error.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import pickle
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as `python benchmarks/soak.py`
    sys.path.append(str(Path(__file__).resolve().parent.parent))

import asyncpg
import httpx

from benchmarks import harness, hostile, http_load, servers, synthetic, workloads
from kkr.platform import embedded
from kkr.platform.database import async_url

SOAK_ENV = {"RATE_LIMIT_ENABLED": "false"}


# --- the driver (its own process) ---------------------------------------------------------------------


async def drive(plan_file: Path, out_file: Path) -> None:
    """Send the plan's requests from `concurrency` connections until the deadline; write one record per
    request: [kind, hostile, status (0: transport error), seconds, error text]."""
    plan = pickle.loads(plan_file.read_bytes())
    ordinary, attacks = plan["ordinary"], plan["hostile"]
    records: list[list] = []
    deadline = time.monotonic() + plan["duration"]
    rng = random.Random(plan["seed"])
    limits = httpx.Limits(max_connections=plan["concurrency"], max_keepalive_connections=plan["concurrency"])

    async def worker(client: httpx.AsyncClient) -> None:
        while time.monotonic() < deadline:
            is_hostile = rng.random() < plan["hostile_share"]
            pool = attacks if is_hostile else ordinary
            request = rng.choices(pool, weights=[r.weight for r in pool])[0]
            started = time.perf_counter()
            status, error = 0, ""
            try:
                response = await client.post(
                    "/graphql", content=request.body, headers={"Content-Type": "application/json", **request.headers}
                )
                status = response.status_code
                if status >= 500:
                    error = response.text[:300]
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:300]
                if len(request.body) > plan["max_body_bytes"] and isinstance(exc, (httpx.ReadError, httpx.WriteError)):
                    status = -1  # refused before the body was read: the server answered 413 and closed
            records.append([request.kind, is_hostile, status, time.perf_counter() - started, error])

    async with httpx.AsyncClient(base_url=plan["base"], timeout=plan["timeout"], limits=limits) as client:
        await asyncio.gather(*(worker(client) for _ in range(plan["concurrency"])))
    out_file.write_text(json.dumps(records))


# --- the run ----------------------------------------------------------------------------------------------


_STATUS = {0: "transport error", -1: "closed while sending (body over MAX_BODY_BYTES)"}


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def report(args, info: dict, records: list[list], rss: list[float]) -> str:
    server_errors = [r for r in records if r[2] >= 500 or r[2] == 0]
    ordinary = [r[3] for r in records if not r[1]]
    by_kind: dict[tuple[str, bool], dict[int, int]] = {}
    times: dict[str, list[float]] = {}
    for kind, is_hostile, status, seconds, _ in records:
        by_kind.setdefault((kind, is_hostile), {}).setdefault(status, 0)
        by_kind[(kind, is_hostile)][status] += 1
        times.setdefault(kind, []).append(seconds)
    lines = [
        f"### Soak of {info['date']}{' — ' + args.label if args.label else ''}",
        "",
        f"- command: `{info['command']}`",
        f"- commit {info['commit']}; {harness.machine()}; {info['server']}",
        f"- server: `kkr serve --workers {args.workers}` (ENVIRONMENT=production), uvicorn with "
        f"{servers.loop_and_http()}; settings {', '.join(f'`{k}={v}`' for k, v in info['env'].items())}",
        f"- load: {args.duration:g} s, {args.concurrency} connections (asyncio + httpx in a separate process), "
        f"{args.hostile:.0%} hostile requests; {len(records):,} requests ({len(records) / args.duration:.1f}/s)",
        f"- **5xx or transport errors: {len(server_errors)}** (a body over MAX_BODY_BYTES whose connection the "
        "server closed while it was still being sent is counted apart)"
        + (f" (e.g. {server_errors[0][0]}: {server_errors[0][4][:200]})" if server_errors else ""),
        f"- ordinary requests while the hostile ones ran: {len(ordinary):,}, p50 {_pct(ordinary, 50) or 0:.0f} ms, "
        f"p99 {_pct(ordinary, 99) or 0:.0f} ms",
        f"- server memory (RSS, all processes): {rss[0]:.0f} MB at start, {max(rss):.0f} MB at most, "
        f"{rss[-1]:.0f} MB at the end",
        "",
        "| kind | hostile | requests | status codes | p50 ms | p99 ms | max ms |",
        "|---|---|---:|---|---:|---:|---:|",
    ]
    for (kind, is_hostile), statuses in sorted(by_kind.items(), key=lambda item: (item[0][1], item[0][0])):
        t = times[kind]
        codes = ", ".join(f"{_STATUS.get(code, code)}: {n}" for code, n in sorted(statuses.items()))
        lines.append(
            f"| {kind} | {'yes' if is_hostile else ''} | {sum(statuses.values())} | {codes} "
            f"| {_pct(t, 50):.0f} | {_pct(t, 99):.0f} | {max(t) * 1000:.0f} |"
        )
    return "\n".join(lines) + "\n"


async def run(args: argparse.Namespace) -> int:
    log = (lambda _m: None) if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    configured = os.environ.get("DATABASE_URL")
    server_url = async_url(configured or embedded.start())
    url, _rows = await http_load.prepare(server_url, args, log)
    env = {**SOAK_ENV, **dict(item.split("=", 1) for item in args.server_env)}
    try:
        owner = await asyncpg.connect(synthetic.dsn(url))
        try:
            found = await workloads.choices(owner)
            version = await owner.fetchval("SHOW server_version")
        finally:
            await owner.close()
        with (
            tempfile.TemporaryDirectory() as tmp,
            servers.Platform(url, Path(tmp), workers=args.workers, extra_env=env) as platform,
        ):
            plan_file, out_file = Path(tmp) / "plan.pickle", Path(tmp) / "records.json"
            plan_file.write_bytes(
                pickle.dumps(
                    {
                        "base": platform.base,
                        "duration": args.duration,
                        "concurrency": args.concurrency,
                        "hostile_share": args.hostile,
                        "seed": args.seed,
                        "timeout": 120,
                        "max_body_bytes": int(env.get("MAX_BODY_BYTES", 1 << 20)),
                        "ordinary": hostile.ordinary(platform, found),
                        "hostile": hostile.hostile(platform),
                    }
                )
            )
            rss = [platform.rss_mb()]
            log(f"driving {args.concurrency} connections for {args.duration:g} s (RSS {rss[0]:.0f} MB) ...")
            driver = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.soak", "--drive", str(plan_file), str(out_file)],
                cwd=Path(__file__).resolve().parent.parent,
            )
            while driver.poll() is None:
                time.sleep(2)
                rss.append(platform.rss_mb())
            if driver.returncode != 0:
                raise RuntimeError(f"the driver failed ({driver.returncode})")
            rss.append(platform.rss_mb())
            records = json.loads(out_file.read_text())
            server_log = platform.log()
        info = {
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": harness.commit(),
            "env": env,
            "command": " ".join(
                [
                    *([f"DATABASE_URL={server_url.set(drivername='postgresql')}"] if configured else []),
                    *(["SERVER_PACKAGES=..."] if servers.server_packages() else []),
                    ".venv/bin/python",
                    "benchmarks/soak.py",
                    *sys.argv[1:],
                ]
            ),
            "server": f"PostgreSQL {version} ({'DATABASE_URL, ' + str(server_url.host) if configured else 'embedded'})",
        }
        text = report(args, info, records, rss)
        print(text)
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
        if args.server_log:
            Path(args.server_log).write_text(server_log, encoding="utf-8")
        return 1 if any(r[2] >= 500 or r[2] == 0 for r in records) else 0
    finally:
        if args.keep or args.database:
            log(f"kept database {url.database}")
        else:
            await synthetic.drop_database(url)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--drive"]:
        asyncio.run(drive(Path(argv[1]), Path(argv[2])))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (60)")
    parser.add_argument("--concurrency", type=int, default=64, help="connections (64)")
    parser.add_argument("--hostile", type=float, default=0.1, help="share of hostile requests (0.1)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="server workers (cores)")
    parser.add_argument("--results", type=int, default=20_000, help="synthetic results (20,000)")
    parser.add_argument("--years", type=int, default=10, help="contract years of the scale-up (10)")
    parser.add_argument("--slots", type=int, default=1, help="targets per indicator and quarter (1)")
    parser.add_argument("--seed", type=float, default=0.42, help="seed of the data and of the request mix")
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help=f"a platform setting (repeatable; defaults {SOAK_ENV})",
    )
    parser.add_argument("--label", help="a note for the report's heading")
    parser.add_argument("--output", metavar="FILE", help="also write the Markdown report to FILE")
    parser.add_argument("--server-log", metavar="FILE", help="write the server's log to FILE")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--database", help="reuse this kept database (no preparation; kept)")
    parser.add_argument("--quiet", action="store_true", help="print the report only")
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
