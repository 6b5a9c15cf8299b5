"""Helpers for tests that run `kkr serve` as a real process."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable

import httpx
import pytest


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
