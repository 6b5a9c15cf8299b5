"""GraphiQL in development, served entirely by the platform (no CDN, works offline).

Strawberry's GraphiQL page loads React, GraphiQL and the explorer plugin from
unpkg.com.  The same files (byte-identical, so the page's Subresource Integrity
hashes still hold) are vendored under `platform/static/graphiql/` and served
at `/static/graphiql/`; `offline_graphiql_html()` rewrites the page's URLs to
them and refuses to serve a page that would still load anything remotely.

The page's own inline script is replaced by the platform's (`kkr-graphiql.js`
in the same folder): the same GraphiQL set-up, plus a schema fetched again
whenever the Headers editor changes and a token taken from `#token=...`.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from strawberry.http.ides import get_graphql_ide_html

from .settings import Settings

STATIC_DIR = Path(__file__).resolve().parent / "static" / "graphiql"
STATIC_PATH = "/static/graphiql"

#: Remote URL in Strawberry's page -> vendored file name (see static/graphiql/README.md).
ASSETS: dict[str, str] = {
    "https://unpkg.com/react@18.2.0/umd/react.production.min.js": "react.production.min.js",
    "https://unpkg.com/react-dom@18.2.0/umd/react-dom.production.min.js": "react-dom.production.min.js",
    "https://unpkg.com/js-cookie@3.0.5/dist/js.cookie.min.js": "js.cookie.min.js",
    "https://unpkg.com/graphiql@3.8.3/graphiql.min.css": "graphiql.min.css",
    "https://unpkg.com/graphiql@3.8.3/graphiql.min.js": "graphiql.min.js",
    "https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/style.css": "plugin-explorer.css",
    "https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/index.umd.js": "plugin-explorer.umd.js",
}

#: The platform's page script, in STATIC_DIR; it replaces the inline script of Strawberry's page.
PAGE_SCRIPT = "kkr-graphiql.js"

_REMOTE = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""")
_INLINE_SCRIPT = re.compile(r"<script>.*?</script>", re.S)


class OfflineAssetsMissing(RuntimeError):
    """Strawberry's GraphiQL page refers to a file that is not vendored (e.g. after a Strawberry upgrade)."""


@cache
def offline_graphiql_html() -> str:
    """Strawberry's GraphiQL page with every script and stylesheet loaded from this server."""
    html = get_graphql_ide_html("graphiql")
    for remote, local in ASSETS.items():
        if not (STATIC_DIR / local).is_file():
            raise OfflineAssetsMissing(f"{STATIC_DIR / local} is missing (vendored copy of {remote})")
        html = html.replace(remote, f"{STATIC_PATH}/{local}")
    html = html.replace("<title>Strawberry GraphiQL</title>", "<title>KKR platform GraphiQL</title>")
    inline = _INLINE_SCRIPT.findall(html)
    if len(inline) != 1 or "GraphiQL.createFetcher" not in inline[0]:
        raise OfflineAssetsMissing(
            f"Strawberry's GraphiQL page no longer has exactly one inline script setting GraphiQL up; compare it "
            f"with {STATIC_DIR / PAGE_SCRIPT}, which replaces it"
        )
    html = html.replace(inline[0], f'<script src="{STATIC_PATH}/{PAGE_SCRIPT}"></script>')
    if match := _REMOTE.search(html):
        line = html[html.rfind("\n", 0, match.start()) + 1 : html.find("\n", match.end())].strip()
        raise OfflineAssetsMissing(
            f"GraphiQL page still loads a remote file ({line}); vendor it, see {STATIC_DIR / 'README.md'}"
        )
    return html


class OfflineGraphiQL:
    """Mix into Strawberry's ASGI view (before it) to serve the offline GraphiQL page."""

    @property
    def graphql_ide_html(self) -> str:
        return offline_graphiql_html()


def graphiql_routes(settings: Settings) -> list[BaseRoute]:
    """The static files GraphiQL needs, in development only (production has no GraphiQL)."""
    if not settings.is_development:
        return []
    return [Mount(STATIC_PATH, app=StaticFiles(directory=STATIC_DIR), name="graphiql-static")]
