"""Liveness (`/healthz`) and readiness (`/readyz`), both public (docs/security.md, "Failures").

- `/healthz` is the process's liveness: 200 `{"status": "ok"}` while it serves HTTP, whatever the
  database does (an orchestrator that restarts on failed liveness must not restart every worker because
  PostgreSQL is down: recovery is automatic once it is back).
- `/readyz` says whether the process can serve requests: 200 `{"status": "ready"}`, or 503
  `{"status": "not ready", "reason": "database unreachable" | "migrations not at head", ...}` with
  `Retry-After`.  It connects as the API's role (within DB_CONNECT_TIMEOUT_SECONDS) and compares the
  database's `alembic_version` with the head of the migrations this code ships (the role may read that
  table from migration 0012 on: a database it cannot read it in is older than the head).
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from starlette.requests import Request
from starlette.responses import JSONResponse

from . import failures
from .database import NO_TENANT, DatabaseUnavailable, discard, is_unreachable
from .migrate import head_revision

log = logging.getLogger("kkr.readiness")

_CURRENT_REVISIONS = text("SELECT version_num FROM alembic_version")


async def healthz(request: Request) -> JSONResponse:
    """Liveness of the process; public."""
    return JSONResponse({"status": "ok"})


def _not_ready(reason: str, retry_after: float, **details: object) -> JSONResponse:
    name, value = failures.retry_after(retry_after)
    return JSONResponse({"status": "not ready", "reason": reason, **details}, status_code=503, headers={name: value})


async def readyz(request: Request) -> JSONResponse:
    """Readiness: the database answers and its schema is at the migrations' head; public."""
    db = request.app.state.db
    settings = request.app.state.settings
    head = head_revision()
    try:
        async with asyncio.timeout(settings.db_connect_timeout_seconds + 1):
            session = await db.begin(NO_TENANT, read_only=True)
            try:
                current = sorted((await session.scalars(_CURRENT_REVISIONS)).all())
            finally:
                await discard(session)
    except (DatabaseUnavailable, TimeoutError):
        return _not_ready("database unreachable", settings.db_retry_after_seconds)
    except DBAPIError as exc:
        if is_unreachable(exc):
            db.mark_unavailable()
            return _not_ready("database unreachable", settings.db_retry_after_seconds)
        # no alembic_version, or one the role may not read: a database older than these migrations
        log.warning("readiness: alembic_version not readable: %s", type(exc.orig).__name__)
        return _not_ready("migrations not at head", settings.db_retry_after_seconds, head=head, current=None)
    if current != [head]:
        return _not_ready(
            "migrations not at head",
            settings.db_retry_after_seconds,
            head=head,
            current=current[0] if len(current) == 1 else current,
        )
    return JSONResponse({"status": "ready", "revision": head})
