"""Test fixtures: a fresh PostgreSQL database per test session, migrated to head.

The server is `DATABASE_URL`'s when set, otherwise the embedded PostgreSQL
(as in production use, never a mock or SQLite).  The API is exercised as the
non-owner application role; a live uvicorn server is available for end-to-end tests.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import uvicorn
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from kkr.platform import embedded, migrate
from kkr.platform.database import Database, app_url_for, async_url
from kkr.platform.settings import Settings

from .tokens import auth_settings


def require(condition: object, reason: str) -> None:
    """A prerequisite of the calling test (a program, a file, a server capability): when it is missing the test
    is skipped on a developer's machine, and fails under CI=true, where every test must run."""
    if condition:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"missing prerequisite (CI=true: a failure, not a skip): {reason}")
    pytest.skip(reason)


def _server_url() -> URL:
    configured = os.environ.get("DATABASE_URL")
    return async_url(configured or embedded.start())


async def create_database(prefix: str = "kkr_test") -> URL:
    """Create an empty database on the test server and return its owner URL."""
    server = _server_url()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return server.set(database=name)


async def drop_database(url: URL) -> None:
    admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture(scope="session")
async def owner_url() -> AsyncIterator[URL]:
    """A migrated, empty test database (owner connection)."""
    url = await create_database()
    await migrate.upgrade(url)
    yield url
    await drop_database(url)


@pytest.fixture(scope="session")
def settings(owner_url: URL, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The live server's settings; it trusts the test identity provider of tests/tokens.py."""
    return Settings(
        database_url=owner_url.render_as_string(hide_password=False),
        environment="development",
        # The suite is not rate-limited (the limiter still runs on every request); tests/test_rate_limits.py
        # builds servers with small limits of their own.
        rate_limit_authenticated=1_000_000,
        rate_limit_anonymous=1_000_000,
        **auth_settings(tmp_path_factory.mktemp("auth")),
    )


@pytest.fixture(scope="session")
def app_url(owner_url: URL, settings: Settings) -> URL:
    return app_url_for(owner_url, settings.app_db_role)


@pytest.fixture(scope="session")
async def owner_engine(owner_url: URL) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(owner_url)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def app_db(app_url: URL) -> AsyncIterator[Database]:
    """The application's database access, as the non-owner role."""
    db = Database(app_url, pool_size=2)
    yield db
    await db.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """uvicorn serving the real application on a loopback port, in a background thread."""

    def __init__(self, settings: Settings) -> None:
        from kkr.platform.app import create_app

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(settings) as server:
        yield server


@pytest.fixture
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=30) as c:
        yield c


@pytest.fixture(scope="session")
async def demo_data(owner_url: URL, settings: Settings):
    """The curated demo data from tenants/, loaded once per session; returns the load summary."""
    from kkr.platform.importer.load import load

    return await load(owner_url, settings.tenants_dir)
