"""The floor: a bare Starlette app over asyncpg that answers each workload with ONE SQL statement.

    FLOOR_DSN=postgresql://owner@host/db FLOOR_WORKLOADS=/tmp/workloads.json \\
        uvicorn benchmarks.floor_app:create_app --factory --workers 2

`POST /floor/<workload>` takes the platform's request body (`{"query", "variables"}`), passes the
variables its statement names (`FLOOR_WORKLOADS`, written by `workloads.write_definitions`) and returns
the text PostgreSQL built as the response body.  No token check, no GraphQL, no ORM, one pooled connection
per request without a reset query (so exactly one statement per request).  The connections carry what the
statements need as session settings: the ministry's flag (`kkr_aggregate`) and an actor (the audit trigger).
Statements run as the owner (`FLOOR_DSN`: no row-level security), except KL's series (role `kl`), which runs
as the application role with KL's flag (`FLOOR_KL_DSN`) because KL's rows are what row-level security
leaves it (a newer draft version is invisible to KL, so the last published one counts).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

SESSION = {
    "jit": "off",
    "kkr.flags": "aggregates:read",
    "kkr.actor": "benchmark:floor",
    "kkr.read_tenants": "hovedstaden,sjaelland,syddanmark,midtjylland,nordjylland",
    "kkr.write_tenants": "hovedstaden,sjaelland,syddanmark,midtjylland,nordjylland",
}


async def _no_reset(_conn: asyncpg.Connection) -> None:
    """Released connections are not reset (asyncpg's default sends a reset statement per release)."""


def create_app() -> Starlette:
    definitions = json.loads(Path(os.environ["FLOOR_WORKLOADS"]).read_text(encoding="utf-8"))
    state: dict[str, asyncpg.Pool] = {}
    size = int(os.environ.get("FLOOR_POOL_SIZE", "10"))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        state["owner"] = await asyncpg.create_pool(
            os.environ["FLOOR_DSN"], min_size=2, max_size=size, server_settings=SESSION, reset=_no_reset
        )
        state["kl"] = await asyncpg.create_pool(
            os.environ["FLOOR_KL_DSN"],
            min_size=1,
            max_size=size,
            server_settings={"jit": "off", "kkr.flags": "benchmark:read", "kkr.actor": "benchmark:floor"},
            reset=_no_reset,
        )
        try:
            yield
        finally:
            for pool in state.values():
                await pool.close()

    async def answer(request: Request) -> Response:
        definition = definitions.get(request.path_params["workload"])
        if definition is None:
            return JSONResponse({"error": "unknown workload"}, status_code=404)
        variables = (json.loads(await request.body() or b"{}").get("variables")) or {}
        args = [variables.get(name) for name in definition["params"]]
        async with state[definition["role"]].acquire() as conn:
            body = await conn.fetchval(definition["sql"], *args)
        return Response(body, media_type="application/json")

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[Route("/floor/{workload}", answer, methods=["POST"]), Route("/healthz", healthz)], lifespan=lifespan
    )
