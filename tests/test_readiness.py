"""`/readyz` reports whether the process can serve, `/healthz` only that it runs (issue 10, "Errors")."""

from __future__ import annotations

import httpx
import pytest

from kkr.platform import migrate
from kkr.platform.settings import Settings

from .conftest import LiveServer, _free_port, create_database, drop_database


def _get(settings: Settings, path: str) -> httpx.Response:
    with LiveServer(settings) as server:
        return httpx.get(f"{server.url}{path}", timeout=30)


def test_ready_at_head(client: httpx.Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "revision": migrate.head_revision()}
    assert client.get("/healthz").json() == {"status": "ok"}


async def test_not_ready_when_migrations_are_behind_the_code(settings: Settings) -> None:
    url = await create_database("kkr_readyz")
    try:
        await migrate.upgrade(url, "0011")  # the revision before the app role could read alembic_version
        behind = settings.model_copy(update={"database_url": url.render_as_string(hide_password=False)})
        response = _get(behind, "/readyz")
        assert response.status_code == 503 and response.headers["retry-after"]
        assert response.json() == {
            "status": "not ready",
            "reason": "migrations not at head",
            "head": migrate.head_revision(),
            "current": None,
        }
        assert _get(behind, "/healthz").status_code == 200
        await migrate.upgrade(url)  # migrating is all it takes: no restart
        assert _get(behind, "/readyz").json()["status"] == "ready"
    finally:
        await drop_database(url)


@pytest.mark.parametrize("path", ["/readyz", "/healthz"])
def test_database_unreachable(settings: Settings, path: str) -> None:
    down = settings.model_copy(update={"app_database_url": f"postgresql://kkr_app@127.0.0.1:{_free_port()}/x"})
    response = _get(down, path)
    if path == "/healthz":
        assert response.status_code == 200 and response.json() == {"status": "ok"}  # liveness only
    else:
        assert response.status_code == 503 and response.headers["retry-after"] == "2"
        assert response.json() == {"status": "not ready", "reason": "database unreachable"}
