"""Failed client authentications at `/oauth/token` are throttled per caller address.

Client secrets are 256-bit random strings, so guessing one is hopeless; but each
guess costs the server a scrypt computation (tens of milliseconds of CPU), which
makes the endpoint a cheap way to load the server.  After `limit` failures within
`window` seconds an address gets `429 Too Many Requests` with `Retry-After` until
the oldest failure has aged out.  The count is per process (an approximation with
several workers); behind a reverse proxy run uvicorn with `--proxy-headers` so the
address is the client's.
"""

from __future__ import annotations

import math
import time
from collections import deque


class FailureThrottle:
    def __init__(self, *, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.get(key, deque())
        while failures and now - failures[0] >= self.window:
            failures.popleft()
        if failures:
            self._failures[key] = failures
        else:
            self._failures.pop(key, None)
        return failures

    def retry_after(self, key: str) -> int | None:
        """Seconds until `key` may try again, or None when it may now."""
        now = time.monotonic()
        failures = self._recent(key, now)
        if len(failures) < self.limit:
            return None
        return max(1, math.ceil(self.window - (now - failures[0])))

    def failed(self, key: str) -> None:
        now = time.monotonic()
        self._recent(key, now)
        self._failures.setdefault(key, deque()).append(now)
