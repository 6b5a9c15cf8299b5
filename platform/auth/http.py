"""HTTP authentication: the `Authorization: Bearer <JWT>` header becomes the request's Identity.

No header means anonymous.  A malformed header or a token that fails
verification is answered with 401, a JSON body and a `WWW-Authenticate`
challenge (RFC 6750 §3) before the request reaches GraphQL.
"""

from __future__ import annotations

import re

from starlette.authentication import AuthCredentials, AuthenticationBackend, AuthenticationError, BaseUser
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse

from .identity import ANONYMOUS, Identity
from .tokens import InvalidToken, TokenVerifier


class IdentityUser(BaseUser):
    """Starlette's view of a verified Identity (request.user)."""

    def __init__(self, identity: Identity) -> None:
        self.verified = identity

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.verified.client_id or self.verified.subject


class BearerAuthError(AuthenticationError):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


class BearerTokenBackend(AuthenticationBackend):
    """Verifies the bearer token with the application's TokenVerifier (app.state.verifier)."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        header = conn.headers.get("authorization")
        if header is None:
            return None
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or " " in token:
            raise BearerAuthError("invalid_request", "The Authorization header must have the form 'Bearer <token>'.")
        verifier: TokenVerifier = conn.app.state.verifier
        try:
            identity = await verifier.verify(token)
        except InvalidToken as exc:
            raise BearerAuthError("invalid_token", exc.description) from exc
        return AuthCredentials(sorted(identity.scopes)), IdentityUser(identity)


_UNSAFE = re.compile(r'[^\x20-\x7e]|["\\]')


def challenge(error: str, description: str) -> str:
    """A `WWW-Authenticate` value; the description is reduced to safe quoted-string characters."""
    return f'Bearer error="{error}", error_description="{_UNSAFE.sub("?", description)[:200]}"'


def unauthorized(conn: HTTPConnection, exc: AuthenticationError) -> JSONResponse:
    error = getattr(exc, "error", "invalid_token")
    description = getattr(exc, "description", str(exc))
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=401,
        headers={"WWW-Authenticate": challenge(error, description), "Cache-Control": "no-store"},
    )


def bearer_auth_middleware() -> Middleware:
    """Route middleware for every endpoint that accepts bearer tokens (GraphQL)."""
    return Middleware(AuthenticationMiddleware, backend=BearerTokenBackend(), on_error=unauthorized)


def identity_of(request: Request) -> Identity:
    """The request's verified identity (ANONYMOUS without a token)."""
    user = request.scope.get("user")
    return user.verified if isinstance(user, IdentityUser) else ANONYMOUS
