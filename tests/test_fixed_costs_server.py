"""`kkr serve` runs the production server by default: uvloop's event loop, httptools' HTTP parser, and one
worker per core in production (one in development)."""

from __future__ import annotations

import argparse
import os

import pytest

from kkr.platform import cli
from kkr.platform.settings import get_settings


@pytest.mark.parametrize(("environment", "workers"), [("development", 1), ("production", os.cpu_count() or 1)])
def test_kkr_serve_uses_uvloop_httptools_and_a_worker_per_core_in_production(
    monkeypatch: pytest.MonkeyPatch, environment: str, workers: int
) -> None:
    monkeypatch.setenv("ENVIRONMENT", environment)
    get_settings.cache_clear()
    try:
        config = cli.server_config(argparse.Namespace(host=None, port=None, workers=None))
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert config.workers == workers
    config.load()
    assert config.http_protocol_class.__module__ == "uvicorn.protocols.http.httptools_impl"
    assert config.get_loop_factory().__module__.startswith("uvloop")
