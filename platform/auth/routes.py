"""The authentication endpoints and per-application state: verifier, signing keys, token endpoint, JWKS."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..database import Database
from ..rate_limits import RateLimiter, rate_limited
from ..settings import Settings
from .client_events import ClientChangeListener
from .clients import ClientStatusCache
from .config import build_verifier, platform_keys
from .keys import KeyLoadError, public_jwks
from .oauth import token_endpoint
from .throttle import FailureThrottle


async def setup_auth(state: Any, settings: Settings, db: Database) -> None:
    """Attach the token verifier, the platform's signing keys and the rate limiter to the application state,
    and listen for client changes (stop it with `teardown_auth`)."""
    state.settings = settings
    state.platform_keys = platform_keys(settings)
    state.rate_limiter = RateLimiter(db.engine)
    state.token_throttle = FailureThrottle(
        state.rate_limiter, limit=settings.token_failure_limit, window=settings.token_failure_window_seconds
    )
    clients = ClientStatusCache(db, max_age=settings.client_cache_seconds)
    state.verifier = build_verifier(settings, clients)
    state.client_listener = ClientChangeListener(db.engine.url, clients)
    await state.client_listener.start()


async def teardown_auth(state: Any) -> None:
    await state.client_listener.stop()


async def jwks_endpoint(request: Request) -> JSONResponse:
    """GET /.well-known/jwks.json: the public keys of the platform's own tokens."""
    source = request.app.state.platform_keys
    try:
        keys = public_jwks(await source.key_set()) if source is not None else {"keys": []}
    except KeyLoadError:
        keys = {"keys": []}
    return JSONResponse(keys, headers={"Cache-Control": "public, max-age=300"})


async def metadata_endpoint(request: Request) -> JSONResponse:
    """GET /.well-known/oauth-authorization-server (RFC 8414): how machine clients get tokens here."""
    base = str(request.base_url).rstrip("/")
    return JSONResponse(
        {
            "issuer": request.app.state.settings.token_issuer,
            "token_endpoint": f"{base}/oauth/token",
            "jwks_uri": f"{base}/.well-known/jwks.json",
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "response_types_supported": [],  # no authorization endpoint: machine clients only
        },
        headers={"Cache-Control": "public, max-age=300"},
    )


def auth_routes() -> list[Route]:
    return [
        Route("/oauth/token", token_endpoint, methods=["POST"], middleware=[rate_limited("oauth")]),
        Route("/.well-known/jwks.json", jwks_endpoint, methods=["GET"]),
        Route("/.well-known/oauth-authorization-server", metadata_endpoint, methods=["GET"]),
    ]
