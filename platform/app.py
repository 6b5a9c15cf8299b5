"""The ASGI application: GraphQL at /graphql, aggregate exports at /aggregates.csv and /aggregates.json,
health at /healthz."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

from kkr.schema.schema import schema

from .auth.http import bearer_auth_middleware, identity_of
from .auth.routes import auth_routes, setup_auth, teardown_auth
from .context import RequestContext
from .database import NO_TENANT, Database, resolve_urls
from .exports import export_routes
from .graphiql import OfflineGraphiQL, graphiql_routes
from .graphql_http import GraphQLOverHTTP
from .cors import cors
from .rate_limits import rate_limited
from .request_limits import RequestLimits
from .settings import Settings, get_settings


class GraphQLApp(OfflineGraphiQL, GraphQLOverHTTP, GraphQL):
    """Strawberry's ASGI app with the platform's request context, GraphQL-over-HTTP status codes and media
    types, and GraphiQL served offline."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(schema, graphql_ide="graphiql" if settings.is_development else None)
        self.settings = settings

    async def get_context(self, request: Request, response: Response) -> RequestContext:  # type: ignore[override]
        return RequestContext(
            db=request.app.state.db, settings=self.settings, identity=identity_of(request), request=request
        )


async def healthz(request: Request) -> JSONResponse:
    """Liveness and database reachability; public."""
    try:
        async with request.app.state.db.transaction(NO_TENANT, read_only=True) as session:
            await session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        return JSONResponse({"status": "unavailable", "database": type(exc).__name__}, status_code=503)
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings | None = None, database: Database | None = None) -> Starlette:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.db = database or Database(resolve_urls(settings).app, pool_size=settings.db_pool_size)
        await setup_auth(app.state, settings, app.state.db)
        try:
            yield
        finally:
            await teardown_auth(app.state)
            if database is None:
                await app.state.db.dispose()

    graphql = GraphQLApp(settings)
    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/graphql", graphql, methods=["GET", "POST"], middleware=[bearer_auth_middleware(), rate_limited()]),
        *auth_routes(),
        *export_routes(settings),
        *graphiql_routes(settings),
    ]
    middleware = [
        cors(settings),  # outermost: every answer, refusals included, carries the CORS headers
        Middleware(RequestLimits, max_body_bytes=settings.max_body_bytes),
    ]
    return Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
