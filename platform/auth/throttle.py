"""Failed client authentications at `/oauth/token` are throttled per caller address.

Client secrets are 256-bit random strings, so guessing one is hopeless; but each
guess costs the server a scrypt computation (tens of milliseconds of CPU), which
makes the endpoint a cheap way to load the server.  After `limit` failures within
`window` seconds an address gets `429 Too Many Requests` with `Retry-After`.  The
failures are counted in PostgreSQL by the rate limiter (`platform/rate_limits.py`,
migration 0011: a sliding-window counter in the bucket `token-failures:<address>`),
so every worker process and instance shares them; the address is the one the
request limits use (behind a reverse proxy run uvicorn with `--proxy-headers`).
Like the rate limits, the throttle fails open while the database does not answer.
"""

from __future__ import annotations

import math

from ..rate_limits import RateLimiter, address_key


class FailureThrottle:
    def __init__(self, limiter: RateLimiter, *, limit: int, window: float) -> None:
        self.limiter = limiter
        self.limit = limit
        self.window = max(1, math.ceil(window))

    @staticmethod
    def bucket(client: tuple[str, int] | None) -> str:
        return "token-failures:" + address_key(client).removeprefix("address:")

    async def retry_after(self, client: tuple[str, int] | None) -> int | None:
        """Seconds until the caller at `client` (the ASGI scope's) may try again, or None when it may now."""
        decision = await self.limiter.hit(self.bucket(client), self.limit, self.window, consume=False)
        return decision.retry_after if decision is not None and not decision.allowed else None

    async def failed(self, client: tuple[str, int] | None) -> None:
        """Count one failed authentication of the caller at `client`."""
        await self.limiter.hit(self.bucket(client), self.limit, self.window)
