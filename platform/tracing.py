"""OpenTelemetry tracing (TRACING_ENABLED=true; the `tracing` extra: `pip install 'kkr-platform[tracing]'`).

Off by default, and then nothing of OpenTelemetry is imported.  On:

- every HTTP request is a server span (`OpenTelemetryMiddleware`, the ASGI instrumentation, outermost in the
  application's middleware);
- every statement SQLAlchemy runs on an engine passed to `instrument_engine` (the primary's, a replica's)
  is a child span of the request's, and so is every statement run on asyncpg directly
  (`kkr.platform.database.fetch_row`; the asyncpg instrumentation also adds a span below SQLAlchemy's);
- spans go to the tracer provider set globally, if the process has one (a test's, an operator's
  `opentelemetry-instrument` wrapper), otherwise to a new one that exports them over OTLP/HTTP in batches,
  configured by the standard variables: OTEL_EXPORTER_OTLP_ENDPOINT (default http://localhost:4318),
  OTEL_EXPORTER_OTLP_HEADERS, OTEL_SERVICE_NAME (default `kkr-platform`), OTEL_RESOURCE_ATTRIBUTES, ...

Without the extra, TRACING_ENABLED=true stops the server at start with `TracingUnavailable`, naming it.
"""

from __future__ import annotations

import importlib
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.middleware import Middleware

from .settings import Settings

SERVICE_NAME = "kkr-platform"
_MODULES = (
    "opentelemetry.trace",
    "opentelemetry.sdk.resources",
    "opentelemetry.sdk.trace",
    "opentelemetry.sdk.trace.export",
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "opentelemetry.instrumentation.asgi",
    "opentelemetry.instrumentation.sqlalchemy",
    "opentelemetry.instrumentation.asyncpg",
)
#: The engines instrumented so far (SQLAlchemy's instrumentor takes them all at once).
_engines: list[Engine] = []
_provider: Any = None


class TracingUnavailable(RuntimeError):
    """TRACING_ENABLED=true, but the `tracing` extra is not installed."""


def _otel(name: str) -> Any:
    """An OpenTelemetry module, imported now (untyped: some instrumentations carry no type information)."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise TracingUnavailable(
            f"TRACING_ENABLED=true needs the `tracing` extra ({exc.name or name} is missing): "
            "pip install 'kkr-platform[tracing]', or set TRACING_ENABLED=false."
        ) from exc


def check_available() -> None:
    """Import every module tracing needs, so that a missing extra fails at start."""
    for name in _MODULES:
        _otel(name)


def tracer_provider() -> Any:
    """The global tracer provider; set up (OTLP/HTTP, module docstring) when the process has none."""
    global _provider
    if _provider is not None:
        return _provider
    trace = _otel("opentelemetry.trace")
    current = trace.get_tracer_provider()
    if not isinstance(current, trace.ProxyTracerProvider):
        _provider = current
        return current
    resources = _otel("opentelemetry.sdk.resources")
    sdk = _otel("opentelemetry.sdk.trace")
    export = _otel("opentelemetry.sdk.trace.export")
    otlp = _otel("opentelemetry.exporter.otlp.proto.http.trace_exporter")
    provider = sdk.TracerProvider(resource=resources.Resource.create({resources.SERVICE_NAME: SERVICE_NAME}))
    provider.add_span_processor(export.BatchSpanProcessor(otlp.OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _provider = trace.get_tracer_provider()
    return _provider


def tracing_middleware(settings: Settings) -> list[Middleware]:
    """The ASGI instrumentation as the outermost middleware, when TRACING_ENABLED (else none)."""
    if not settings.tracing_enabled:
        return []
    check_available()
    asgi = _otel("opentelemetry.instrumentation.asgi")
    return [Middleware(asgi.OpenTelemetryMiddleware, tracer_provider=tracer_provider())]


def instrument_engine(engine: AsyncEngine, settings: Settings) -> None:
    """Spans for the statements of `engine` and of asyncpg, when TRACING_ENABLED (idempotent)."""
    if not settings.tracing_enabled or engine.sync_engine in _engines:
        return
    provider = tracer_provider()
    _engines.append(engine.sync_engine)
    sqlalchemy = _otel("opentelemetry.instrumentation.sqlalchemy").SQLAlchemyInstrumentor()
    if sqlalchemy.is_instrumented_by_opentelemetry:
        sqlalchemy.uninstrument()
    # The instrumentation declares SQLAlchemy < 2.1 and would do nothing on 2.1; the engine events it uses are
    # unchanged there (tests/test_tracing.py), so its dependency check is skipped.
    sqlalchemy.instrument(engines=list(_engines), tracer_provider=provider, skip_dep_check=True)
    asyncpg = _otel("opentelemetry.instrumentation.asyncpg").AsyncPGInstrumentor()
    if not asyncpg.is_instrumented_by_opentelemetry:
        asyncpg.instrument(tracer_provider=provider)


def release_engine(engine: AsyncEngine) -> None:
    """At shutdown: stop tracing `engine`; with no engine left, asyncpg is no longer instrumented and the
    provider's spans are flushed."""
    if engine.sync_engine not in _engines:
        return
    _engines.remove(engine.sync_engine)
    sqlalchemy = _otel("opentelemetry.instrumentation.sqlalchemy").SQLAlchemyInstrumentor()
    if sqlalchemy.is_instrumented_by_opentelemetry:
        sqlalchemy.uninstrument()
    if _engines:
        sqlalchemy.instrument(engines=list(_engines), tracer_provider=tracer_provider(), skip_dep_check=True)
        return
    _otel("opentelemetry.instrumentation.asyncpg").AsyncPGInstrumentor().uninstrument()
    flush = getattr(_provider, "force_flush", None)
    if flush is not None:
        flush()
