"""OpenTelemetry tracing (TRACING_ENABLED): a GraphQL request is a server span with its SQL statements as
descendants; off (the default), nothing of OpenTelemetry is imported; without the extra, a clear error.

Spans go to an in-memory exporter on the process's global tracer provider, which the platform uses when the
process has one (`kkr.platform.tracing`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy.engine import URL

from kkr.platform import tracing
from kkr.platform.settings import Settings

from .api_client import SJAELLAND_READ
from .conftest import LiveServer
from .tokens import bearer

_EXPORTER = InMemorySpanExporter()


@pytest.fixture(scope="module")
def exporter() -> Iterator[InMemorySpanExporter]:
    current = trace.get_tracer_provider()
    if isinstance(current, trace.ProxyTracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        trace.set_tracer_provider(provider)
    else:  # a provider set before (this module run twice in one process)
        assert isinstance(current, TracerProvider)
        current.add_span_processor(SimpleSpanProcessor(_EXPORTER))
    yield _EXPORTER
    _EXPORTER.clear()


def _sql(span: ReadableSpan) -> bool:
    attributes = span.attributes or {}
    return "postgresql" in (attributes.get("db.system"), attributes.get("db.system.name"))


def test_a_graphql_request_is_a_server_span_with_its_sql_below(
    settings: Settings, exporter: InMemorySpanExporter, demo_data
) -> None:
    query = {"query": "query Search($s: String) { goals(search: $s) { totalCount } }", "variables": {"s": "vækst"}}
    with LiveServer(settings.model_copy(update={"tracing_enabled": True})) as server:
        exporter.clear()
        answer = httpx.post(f"{server.url}/graphql", json=query, headers=bearer(SJAELLAND_READ))
        assert answer.status_code == 200 and "errors" not in answer.json(), answer.text
        deadline = time.monotonic() + 5
        while not [s for s in exporter.get_finished_spans() if s.kind is trace.SpanKind.SERVER]:
            assert time.monotonic() < deadline, "no server span"
            time.sleep(0.02)
    finished = exporter.get_finished_spans()
    [server_span] = [s for s in finished if s.kind is trace.SpanKind.SERVER]
    assert (
        server_span.context is not None and (server_span.attributes or {}).get("http.request.method", "POST") == "POST"
    )
    by_id = {s.context.span_id: s for s in finished if s.context is not None}

    def ancestors(span: ReadableSpan) -> Iterator[int]:
        while span.parent is not None:
            yield span.parent.span_id
            if span.parent.span_id not in by_id:
                return
            span = by_id[span.parent.span_id]

    sql = [s for s in finished if _sql(s)]
    scopes = {s.instrumentation_scope.name for s in sql if s.instrumentation_scope is not None}
    assert "opentelemetry.instrumentation.sqlalchemy" in scopes  # the session's statements
    assert "opentelemetry.instrumentation.asyncpg" in scopes  # the rate limit's statement, on the driver
    assert len(sql) >= 3
    for span in sql:
        assert span.context is not None and span.context.trace_id == server_span.context.trace_id
        assert server_span.context.span_id in set(ancestors(span)), span.name
    statements = [str((s.attributes or {}).get("db.statement", "")) for s in sql]
    assert any("goal" in statement for statement in statements), statements
    # The server stopped: asyncpg is no longer instrumented, the platform's engines released.
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

    assert not AsyncPGInstrumentor().is_instrumented_by_opentelemetry and tracing._engines == []


_OFF = """
import json, sys
import asyncpg
from starlette.testclient import TestClient
from kkr.platform.app import create_app
from kkr.platform.settings import Settings

with TestClient(create_app(Settings())) as client:
    answer = client.post("/graphql", json={"query": "{ regions { slug } }"})
print(json.dumps({
    "status": answer.status_code,
    "modules": sorted(m for m in sys.modules if m.split(".")[0] == "opentelemetry"),
    "wrapped": hasattr(asyncpg.connection.Connection.fetchrow, "__wrapped__"),
}))
"""


def test_with_tracing_off_nothing_of_opentelemetry_is_imported(settings: Settings, owner_url: URL) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "APP_DATABASE_URL", "TRACING"))}
    env.update(
        DATABASE_URL=owner_url.render_as_string(hide_password=False),
        ENVIRONMENT="development",
        SIGNING_KEY_FILE=str(settings.signing_key_file),
    )
    done = subprocess.run([sys.executable, "-c", _OFF], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"status": 200, "modules": [], "wrapped": False}


def test_tracing_without_the_extra_fails_at_start_naming_it(settings: Settings, monkeypatch) -> None:
    from kkr.platform.app import create_app

    monkeypatch.setitem(sys.modules, "opentelemetry.instrumentation.asgi", None)  # as if not installed
    with pytest.raises(tracing.TracingUnavailable, match=r"pip install 'kkr-platform\[tracing\]'"):
        create_app(settings.model_copy(update={"tracing_enabled": True}))
    create_app(settings)  # off: nothing is needed
