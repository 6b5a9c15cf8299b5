"""The dashboard's committed build (platform/static/dashboard/) is current, served by the platform, and uses
only registered operations of the frontend contract (issue 15).

`npm run build` in dashboard/ is run into a temporary directory and its output compared, file by file, with
the committed build (file names carry no content hash: the build is deterministic).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from kkr.platform.dashboard import STATIC_DIR, dashboard_routes
from kkr.platform.settings import Settings

from .npm import npm_for
from .paths import REPO_ROOT

DASHBOARD = REPO_ROOT / "dashboard"
MANIFEST = REPO_ROOT / "frontend-contract" / "trusted-documents.json"
REBUILD = "npm --prefix dashboard ci && npm --prefix dashboard run build"


def _run(command: list[str], env: dict[str, str] | None = None) -> None:
    done = subprocess.run(command, cwd=DASHBOARD, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{command} exited with {done.returncode}:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def npm() -> str:
    return npm_for(DASHBOARD, "to build the dashboard")


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_committed_build_is_up_to_date(npm: str, tmp_path: Path) -> None:
    out = tmp_path / "dashboard"
    _run([npm, "run", "--silent", "build"], {**os.environ, "KKR_DASHBOARD_OUT": str(out)})
    built, committed = _files(out), _files(STATIC_DIR)
    assert sorted(built) == sorted(committed), f"platform/static/dashboard/ is stale: run {REBUILD}"
    stale = [name for name in built if built[name] != committed[name]]
    assert stale == [], f"platform/static/dashboard/ is stale ({', '.join(stale)}): run {REBUILD}"


def test_the_build_sends_registered_operations_by_document_id_only() -> None:
    manifest: dict[str, str] = json.loads(MANIFEST.read_text(encoding="utf-8"))
    script = (STATIC_DIR / "assets" / "dashboard.js").read_text(encoding="utf-8")
    ids = set(re.findall(r"sha256:[0-9a-f]{64}", script))
    assert ids and ids <= set(manifest), "the dashboard refers to a document the manifest lacks"
    api = (DASHBOARD / "src" / "api.ts").read_text(encoding="utf-8")
    used = re.findall(r"^  (\w+): \[Ops\.", api, re.M)
    names = {re.search(r"(?:query|mutation) (\w+)", text).group(1) for text in manifest.values()}  # type: ignore[union-attr]
    assert used and set(used) <= names
    for name in used:  # the documents themselves are not in the bundle: they are sent by id
        assert not re.search(rf"(?:query|mutation) {name}\b", script), name


def test_the_page_loads_nothing_from_elsewhere() -> None:
    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", html)
    for asset in re.findall(r"""(?:src|href)="/dashboard/([^"]+)\"""", html):
        assert (STATIC_DIR / asset).is_file(), asset
    assert '<html lang="da">' in html and 'name="viewport"' in html


def _client(environment: str) -> httpx.AsyncClient:
    app = Starlette(routes=dashboard_routes(Settings(environment=environment)))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dashboard.test")


async def test_the_platform_serves_the_page_and_its_assets() -> None:
    async with _client("production") as client:
        page = await client.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        for asset in re.findall(r"""(?:src|href)="(/dashboard/[^"]+)\"""", page.text):
            assert (await client.get(asset)).status_code == 200, asset
        assert (await client.get("/dashboard/../dashboard.py")).status_code == 404


async def test_demo_tokens_are_refused_in_production() -> None:
    async with _client("production") as client:
        assert (await client.post("/dev/token", json={"role": "kl"})).status_code == 404
        assert (await client.get("/dev/roles")).status_code == 404
    async with _client("development") as client:
        roles = (await client.get("/dev/roles")).json()["roles"]
        assert [r["role"] for r in roles] == ["sjaelland-editor", "nordjylland-reader", "kl", "ministry"]
        assert (await client.post("/dev/token", content=b"not json")).status_code == 400
