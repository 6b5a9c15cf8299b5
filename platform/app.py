"""The ASGI application: GraphQL at /graphql, aggregate exports at /aggregates.csv and /aggregates.json,
liveness at /healthz, readiness at /readyz and Prometheus metrics at /metrics (`kkr.platform.metrics`)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import overload

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from kkr.schema.masking import presenter_for
from kkr.schema.schema import schema

from . import failures
from .auth.http import bearer_auth_middleware, identity_of
from .auth.routes import auth_routes, setup_auth, teardown_auth
from .context import RequestContext
from .cors import cors
from .dashboard import dashboard_routes
from .database import Database, resolve_urls
from .exports import export_routes
from .graphiql import OfflineGraphiQL, graphiql_routes
from .graphql_http import JSON, GraphQLOverHTTP, _content_type, negotiate
from .http_caching import http_caching
from .json_logs import configure_logging
from .metrics import metrics_routes, observe_engine, process_stopped
from .rate_limits import rate_limited
from .readiness import healthz, readyz
from .replicas import COMMIT_LSN_HEADER, READ_AFTER_LSN_HEADER, ReadReplica, valid_read_after
from .request_limits import RequestLimits
from .request_log import RequestEnvelope, install_log_clipping
from .response_cache import ResponseCache, cached_responses
from .settings import Settings, get_settings
from .tracing import release_engine, tracing_middleware
from .trusted_documents import TrustedDocuments, trusted_documents


class GraphQLApp(OfflineGraphiQL, GraphQLOverHTTP, GraphQL[RequestContext, None]):
    """Strawberry's ASGI app with the platform's request context, GraphQL-over-HTTP status codes and media
    types, and GraphiQL served offline.

    Errors: every result's errors are presented (`kkr.schema.masking`: codes, masked unexpected errors) and
    reported into `request.state` for the request's log line; a result with SERVICE_UNAVAILABLE (the
    database cannot be reached) is answered 503 with `Retry-After`, its errors only.  The request's
    database sessions are closed when the request ends, whatever happened.

    Read queries are answered from the response cache, in front of this view, while their data is unchanged
    (`kkr.platform.response_cache`)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(schema, graphql_ide="graphiql" if settings.is_development else None)
        self.settings = settings

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> RequestContext:
        assert isinstance(request, Request), "the platform serves GraphQL over HTTP only (no subscriptions)"
        context = RequestContext(
            db=request.app.state.db,
            settings=self.settings,
            identity=identity_of(request),
            request=request,
            replica=request.app.state.replica,
        )
        request.state.graphql_context = context
        return context

    @overload
    async def run(self, request: Request, context: RequestContext = UNSET, root_value: None = UNSET) -> Response: ...
    @overload
    async def run(self, request: WebSocket, context: RequestContext = UNSET, root_value: None = UNSET) -> WebSocket: ...
    async def run(
        self, request: Request | WebSocket, context: RequestContext = UNSET, root_value: None = UNSET
    ) -> Response | WebSocket:
        if isinstance(request, Request) and not valid_read_after(request.headers.get(READ_AFTER_LSN_HEADER)):
            return self._bad_read_after(request)
        try:
            response: Response | WebSocket = await super().run(request, context, root_value)
        finally:
            opened = getattr(request.state, "graphql_context", None)
            if opened is not None:
                await opened.close()
        commit_lsn = getattr(opened, "commit_lsn", None)
        if isinstance(response, Response) and commit_lsn:
            response.headers[COMMIT_LSN_HEADER] = commit_lsn
        if isinstance(request, Request) and getattr(request.state, "service_unavailable", False):
            return self._unavailable(request)
        return response

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        context = getattr(request.state, "graphql_context", None)
        request.state.operation_name = getattr(context, "operation_name", None)
        if result.errors:
            result.errors = presenter_for(context)(result.errors) if context is not None else result.errors
            request.state.errors = [((e.extensions or {}).get("code", "-"), e.message) for e in result.errors]
            if any((e.extensions or {}).get("code") == failures.SERVICE_UNAVAILABLE for e in result.errors):
                request.state.service_unavailable = True
        return await super().process_result(request, result)

    def _bad_read_after(self, request: Request) -> Response:
        media_type = _content_type(negotiate(request.headers.get("accept")) or JSON)
        message = f"Header {READ_AFTER_LSN_HEADER}: not a WAL position (a {COMMIT_LSN_HEADER} value, e.g. 0/16B3748)."
        body = failures.error_body(message, "BAD_REQUEST", getattr(request.state, "request_id", None))
        return Response(body, status_code=400, media_type=media_type)

    def _unavailable(self, request: Request) -> Response:
        media_type = _content_type(negotiate(request.headers.get("accept")) or JSON)
        name, value = failures.retry_after(self.settings.db_retry_after_seconds)
        body = failures.error_body(
            failures.UNAVAILABLE_MESSAGE, failures.SERVICE_UNAVAILABLE, getattr(request.state, "request_id", None)
        )
        return Response(body, status_code=503, media_type=media_type, headers={name: value})


def create_app(settings: Settings | None = None, database: Database | None = None) -> Starlette:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.db = database or Database.from_settings(resolve_urls(settings).app, settings)
        app.state.replica = ReadReplica.from_settings(app.state.db.engine.url, settings)
        engines = {"primary": app.state.db.engine}
        if app.state.replica is not None:
            engines["replica"] = app.state.replica.db.engine
        for name, engine in engines.items():  # SQL statements per request, pool gauges, spans
            observe_engine(engine, settings, name)
        app.state.settings = settings
        app.state.response_cache = ResponseCache.from_settings(app.state.db, settings)
        app.state.trusted_documents = TrustedDocuments.load(settings.trusted_documents_path)
        await setup_auth(app.state, settings, app.state.db)
        try:
            yield
        finally:
            await teardown_auth(app.state)
            for engine in engines.values():
                release_engine(engine)
            process_stopped()
            if app.state.replica is not None:
                await app.state.replica.dispose()
            if database is None:
                await app.state.db.dispose()

    install_log_clipping()
    configure_logging(settings)
    graphql = GraphQLApp(settings)
    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route(
            "/graphql",
            graphql,
            methods=["GET", "POST"],
            middleware=[
                bearer_auth_middleware(),
                rate_limited(with_data_versions=True),
                http_caching(),
                trusted_documents(),
                cached_responses(),
            ],
        ),
        *auth_routes(),
        *export_routes(settings),
        *graphiql_routes(settings),
        *metrics_routes(settings),
        *dashboard_routes(settings),
    ]
    middleware = [
        *tracing_middleware(settings),  # TRACING_ENABLED: each request's server span, around everything
        cors(settings),  # outermost but tracing: every answer, refusals included, carries the CORS headers
        # Request id, time limit, the last-resort JSON answer and the failed request's log line.
        Middleware(
            RequestEnvelope,
            request_timeout_seconds=settings.request_timeout_seconds,
            retry_after_seconds=settings.db_retry_after_seconds,
            log_format=settings.log_format,
        ),
        Middleware(RequestLimits, max_body_bytes=settings.max_body_bytes),
    ]
    return Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
