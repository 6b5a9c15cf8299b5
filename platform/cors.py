"""CORS: which browser origins may call the API cross-origin (setting `CORS_ALLOWED_ORIGINS`; docs/security.md).

Starlette's CORSMiddleware around the whole application, so that every answer, refusals (413, 429, 503)
included, carries the headers a permitted page needs to read it.  With the default empty list no origin
is permitted: a preflight is refused (400) and responses carry no `Access-Control-Allow-Origin`, so a
browser does not let another site's script read them.  No credentials (cookies) are allowed: the API
authenticates with bearer tokens only.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from .replicas import COMMIT_LSN_HEADER, READ_AFTER_LSN_HEADER
from .settings import Settings

#: Request headers a GraphQL client sends cross-origin, and response headers its script may read.
ALLOW_HEADERS = ("Authorization", "Content-Type", "X-Request-ID", READ_AFTER_LSN_HEADER)
EXPOSE_HEADERS = ("X-Request-ID", "Retry-After", COMMIT_LSN_HEADER)
#: How long a browser may cache a preflight's answer (seconds).
MAX_AGE = 600


def cors(settings: Settings) -> Middleware:
    """The CORS middleware for `settings.cors_allowed_origins`."""
    return Middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_allowed_origins),
        allow_methods=["GET", "POST"],
        allow_headers=list(ALLOW_HEADERS),
        expose_headers=list(EXPOSE_HEADERS),
        allow_credentials=False,
        max_age=MAX_AGE,
    )
