"""The reference dashboard at `/` (issue 15): a static single-page app built from `dashboard/` (Vite) into
`platform/static/dashboard/`, served by the platform itself (no CDN).  It talks to /graphql with the frontend
contract's registered operations only, sent by `documentId`.

Routes: `GET /` (the page), `/dashboard/...` (its assets), and in development the demo-role tokens
(`GET /dev/roles`, `POST /dev/token`, `kkr.platform.auth.dev_tokens`).  Rebuild the assets with
`npm --prefix dashboard ci && npm --prefix dashboard run build` (tests/test_dashboard_build.py fails while
the committed build is stale).
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from .auth.dev_tokens import dev_token_routes
from .settings import Settings

STATIC_DIR = Path(__file__).resolve().parent / "static" / "dashboard"
STATIC_PATH = "/dashboard"
INDEX = STATIC_DIR / "index.html"
REBUILD = "npm --prefix dashboard ci && npm --prefix dashboard run build"


async def index(request: Request) -> Response:
    if not INDEX.is_file():
        return PlainTextResponse(f"The dashboard is not built: {REBUILD}", status_code=404)
    return FileResponse(INDEX, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-cache"})


def dashboard_routes(settings: Settings) -> list[BaseRoute]:
    """The dashboard page and its assets, and (development only) the demo-role token endpoints."""
    return [
        Route("/", index, methods=["GET", "HEAD"]),
        Mount(STATIC_PATH, app=StaticFiles(directory=STATIC_DIR, check_dir=False), name="dashboard-static"),
        *dev_token_routes(settings),
    ]
