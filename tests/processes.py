"""Helpers for tests that run `kkr serve` as a real process."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy.engine import URL

from kkr.platform.settings import Settings


def wait_until_answering(proc: subprocess.Popen[bytes], url: str, timeout: float, log: Callable[[], str]) -> None:
    """Poll `url` until it answers 200; fail with the server's log when the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"kkr serve exited with {proc.returncode}:\n{log()}"
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{url} did not answer 200 within {timeout} s:\n{log()}")


def serve_env(settings: Settings, database: URL, **overrides: str) -> dict[str, str]:
    """The environment of a `kkr serve` process on `database` that trusts the suite's identity provider: the
    test run's own database URLs left out, development, warnings only, no rate limit; `overrides` win."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "APP_DATABASE_URL"))}
    env.update(
        DATABASE_URL=database.render_as_string(hide_password=False),
        ENVIRONMENT="development",
        LOG_LEVEL="warning",
        RATE_LIMIT_ENABLED="false",
        AUTH_AUDIENCE=settings.auth_audience,
        IDP_ISSUER=settings.idp_issuer or "",
        IDP_JWKS=settings.idp_jwks or "",
        TOKEN_ISSUER=settings.token_issuer,
        SIGNING_KEY_FILE=str(settings.signing_key_file),
    )
    env.update(overrides)
    return env


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """SIGTERM (the graceful shutdown), then SIGKILL if it takes longer than `timeout`."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
