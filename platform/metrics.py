"""Prometheus metrics at /metrics (prometheus-client; docs/operations.md, "Monitor").

What is measured:

- `kkr_http_requests_total{route, operation, status}` and `kkr_http_request_duration_seconds{route, operation}`:
  every HTTP request, counted by `kkr.platform.request_log.RequestEnvelope` when it ends;
- `kkr_request_errors_total{route, operation, code}`: each error code a request was answered with;
- `kkr_sql_statements_total{route}`: SQL statements run by requests (`kkr.platform.statements`);
- `kkr_db_pool_connections_in_use{database}`, `kkr_db_pool_overflow{database}`, `kkr_db_pool_waiting{database}`:
  SQLAlchemy's pool (checked out; opened beyond DB_POOL_SIZE; tasks waiting for a connection), read from
  the pool at every checkout and checkin and at every scrape;
- `kkr_response_cache_lookups_total{result="hit"|"miss"}` (hit ratio: hits / (hits + misses));
- `kkr_rate_limit_refusals_total{limit}`: 429 answers, by the setting that refused;
- `kkr_replica_reads_total{served_by}` (with DATABASE_REPLICA_URL): read transactions of queries, by where they
  ran: `replica`, or the primary because the replica was `behind` (not caught up within
  REPLICA_MAX_WAIT_SECONDS) or `unreachable` (`kkr.platform.replicas`).

Bounded labels (a hostile client must not create series): `route` is one of the application's route paths
or `other`; `operation` is the operation's name only when a trusted document of the manifest
(frontend-contract/trusted-documents.json) defines an operation of that name, `other` for any other name
and `none` when the request named or reached no operation; `code` is an error code of the server's own
(`[A-Za-z0-9_.-]`, at most 40 characters) or `other`.

Several worker processes (`kkr serve --workers N`): prometheus-client's multiprocess mode, in which every
process writes its values to files under PROMETHEUS_MULTIPROC_DIR and a scrape (answered by any worker)
sums them.  `multiprocess_metrics()` (used by the CLI before the workers start) creates a temporary
directory when the variable is unset (removed when the server stops) and clears an operator's directory
of old files.  The pool gauges count live processes only.

Protection: METRICS_ENABLED=false serves no /metrics.  With METRICS_TOKEN set, /metrics asks for
`Authorization: Bearer <METRICS_TOKEN>` (401 otherwise).  In production without METRICS_TOKEN, /metrics is
not served (404) and a warning says so at start; in development it is open.
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import shutil
import tempfile
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess as _multiprocess_module
from sqlalchemy import Engine, event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from . import tracing
from .settings import Settings
from .statements import count_statements

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
NO_OPERATION = "none"
OTHER = "other"
_CODE = re.compile(r"[A-Za-z0-9_.-]{1,40}")
#: Where a cache hit leaves its operation's name for the request's metrics and log line (`scope["state"]`).
CACHED_OPERATION = "cached_operation_name"

log = logging.getLogger("kkr.metrics")
#: prometheus-client's multiprocess helpers (not annotated).
prometheus_multiprocess = cast(Any, _multiprocess_module)

REGISTRY = CollectorRegistry()
REQUESTS = Counter("kkr_http_requests", "HTTP requests answered.", ["route", "operation", "status"], registry=REGISTRY)
LATENCY = Histogram(
    "kkr_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer.",
    ["route", "operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
ERRORS = Counter(
    "kkr_request_errors",
    "Errors requests were answered with, by code.",
    ["route", "operation", "code"],
    registry=REGISTRY,
)
SQL_STATEMENTS = Counter("kkr_sql_statements", "SQL statements run by requests.", ["route"], registry=REGISTRY)
POOL_IN_USE = Gauge(
    "kkr_db_pool_connections_in_use",
    "Database connections checked out of the pool.",
    ["database"],
    multiprocess_mode="livesum",
    registry=REGISTRY,
)
POOL_OVERFLOW = Gauge(
    "kkr_db_pool_overflow",
    "Database connections open beyond the pool's size (DB_POOL_SIZE).",
    ["database"],
    multiprocess_mode="livesum",
    registry=REGISTRY,
)
POOL_WAITING = Gauge(
    "kkr_db_pool_waiting",
    "Tasks waiting for a database connection from the pool.",
    ["database"],
    multiprocess_mode="livesum",
    registry=REGISTRY,
)
CACHE_LOOKUPS = Counter(
    "kkr_response_cache_lookups", "Response cache lookups, by result (hit, miss).", ["result"], registry=REGISTRY
)
RATE_LIMIT_REFUSALS = Counter(
    "kkr_rate_limit_refusals", "Requests refused by a rate limit (429).", ["limit"], registry=REGISTRY
)
REPLICA_READS = Counter(
    "kkr_replica_reads",
    "Read transactions of queries with a read replica configured, by where they ran (replica, behind, unreachable).",
    ["served_by"],
    registry=REGISTRY,
)


def is_multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


@contextmanager
def multiprocess_metrics() -> Iterator[None]:
    """Around serving with several worker processes: PROMETHEUS_MULTIPROC_DIR set, and its directory fresh
    (module docstring).  To be entered before the workers start."""
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        directory = Path(given)
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob("*.db"):
            old.unlink()
        yield
        return
    created = tempfile.mkdtemp(prefix="kkr-metrics-")
    os.environ[MULTIPROC_ENV] = created
    try:
        yield
    finally:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(created, ignore_errors=True)


def process_stopped() -> None:
    """At a worker's shutdown: its live gauges leave the sums (multiprocess mode)."""
    if is_multiprocess():
        prometheus_multiprocess.mark_process_dead(os.getpid())


# --- labels ---


@lru_cache(maxsize=8)
def _route_paths(app: Any) -> frozenset[str]:
    return frozenset(
        path for route in getattr(app, "routes", []) if isinstance(path := getattr(route, "path", None), str)
    )


@lru_cache(maxsize=8)
def _trusted_operations(manifest: Any) -> frozenset[str]:
    from graphql import OperationDefinitionNode

    return frozenset(
        definition.name.value
        for trusted in manifest.by_id.values()
        for definition in trusted.document.definitions
        if isinstance(definition, OperationDefinitionNode) and definition.name is not None
    )


def route_label(scope: Scope) -> str:
    app = scope.get("app")
    path = scope.get("path")
    return path if isinstance(path, str) and app is not None and path in _route_paths(app) else OTHER


def operation_label(scope: Scope, name: str | None) -> str:
    """`name` when a trusted document defines an operation of that name, else `other` (`none`: no name)."""
    if not name:
        return NO_OPERATION
    manifest = getattr(getattr(scope.get("app"), "state", None), "trusted_documents", None)
    return name if manifest is not None and name in _trusted_operations(manifest) else OTHER


def code_label(code: str) -> str:
    return code if _CODE.fullmatch(code) else OTHER


# --- what the platform reports ---


def observe_request(
    scope: Scope, status: int, seconds: float, operation_name: str | None, codes: list[str], statements: int
) -> None:
    """One request ended (`RequestEnvelope`)."""
    route = route_label(scope)
    operation = operation_label(scope, operation_name)
    REQUESTS.labels(route, operation, str(status)).inc()
    LATENCY.labels(route, operation).observe(seconds)
    for code in codes:
        ERRORS.labels(route, operation, code_label(code)).inc()
    if statements:
        SQL_STATEMENTS.labels(route).inc(statements)


def cache_lookup(scope: Scope, *, hit: bool, operation_name: str | None = None) -> None:
    """A response cache lookup; a hit's operation name is left for the request's metrics and log line."""
    CACHE_LOOKUPS.labels("hit" if hit else "miss").inc()
    if hit and operation_name:
        scope.setdefault("state", {})[CACHED_OPERATION] = operation_name


def rate_limit_refused(setting: str) -> None:
    RATE_LIMIT_REFUSALS.labels(setting).inc()


def _waiting(pool: Any) -> int:
    """Tasks waiting in the pool's queue (asyncio's getters; 0 where the pool has no such queue)."""
    queue = getattr(getattr(pool, "_pool", None), "__dict__", {}).get("_queue")
    getters = getattr(queue, "_getters", None) or ()
    return sum(1 for waiter in getters if not waiter.done())


def _sample(database: str, returning: int = 0) -> None:
    """Set the pool gauges of `database` from the pools themselves: the sums over this process's engines of
    that label (one in production; tests run several apps in one process), less `returning` connections
    being checked in."""
    pools = [engine.pool for engine in _OBSERVED.get(database, ())]
    in_use = sum(p.checkedout() for p in pools if hasattr(p, "checkedout")) - returning
    POOL_IN_USE.labels(database).set(max(0, in_use))
    POOL_OVERFLOW.labels(database).set(sum(max(0, p.overflow()) for p in pools if hasattr(p, "overflow")))
    POOL_WAITING.labels(database).set(sum(_waiting(p) for p in pools))


def observe_pool(engine: AsyncEngine, database: str) -> None:
    """Keep the pool gauges of `engine` (label `database`) up to date: at every checkout and checkin of its
    pool (the listeners move to the new pool when the engine is disposed) and at every scrape."""
    engines = _OBSERVED.setdefault(database, weakref.WeakSet())
    if engine.sync_engine in engines:
        return
    engines.add(engine.sync_engine)
    _sample(database)

    def checked_out(*_: Any) -> None:
        _sample(database)

    def checked_in(*_: Any) -> None:
        _sample(database, returning=1)  # the event fires before the connection is back in the pool

    event.listen(engine.sync_engine, "checkout", checked_out)
    event.listen(engine.sync_engine, "checkin", checked_in)


#: The engines observed under each label (weakly: a disposed app's engine drops out).
_OBSERVED: dict[str, weakref.WeakSet[Engine]] = {}


def observe_engine(engine: AsyncEngine, settings: Settings, database: str = "primary") -> None:
    """Everything the platform observes of an engine (the primary's, a replica's): SQL statements per
    request, the pool gauges and, with TRACING_ENABLED, spans of its statements."""
    count_statements(engine)
    observe_pool(engine, database)
    tracing.instrument_engine(engine, settings)


# --- the endpoint ---


def serves_metrics(settings: Settings) -> bool:
    """Whether /metrics is served (module docstring, "Protection")."""
    return settings.metrics_enabled and (settings.metrics_token is not None or settings.is_development)


def _authorized(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


async def metrics_endpoint(request: Request) -> Response:
    """GET /metrics: the Prometheus text format (all processes' values in multiprocess mode)."""
    token: str | None = request.app.state.settings.metrics_token
    if token is not None and not _authorized(request, token):
        return PlainTextResponse(
            "Unauthorized: send Authorization: Bearer <METRICS_TOKEN>.",
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"', "Cache-Control": "no-store"},
        )
    for database in list(_OBSERVED):
        _sample(database)
    if is_multiprocess():
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def metrics_routes(settings: Settings) -> list[Route]:
    """The /metrics route, when it is served (a warning in production without METRICS_TOKEN)."""
    if settings.metrics_enabled and not serves_metrics(settings):
        log.warning("METRICS_TOKEN is not set: /metrics is not served in production (docs/operations.md, Monitor)")
    return [Route("/metrics", metrics_endpoint, methods=["GET"])] if serves_metrics(settings) else []
