"""Client changes reach every API process at once: PostgreSQL LISTEN/NOTIFY.

`kkr disable-client` (and the `disableClient` mutation) send
`NOTIFY kkr_client_changed, '<client id>'` in the transaction that disables the
client; each API process listens on a connection of its own and drops that
client from its status cache, so the client's tokens are refused from the next
request on.  While the listening connection is down (a database restart, a
failover) the cache is bypassed, so every client token is checked against the
database; the listener reconnects in the background.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg
from sqlalchemy.engine import URL

from .clients import CHANNEL, ClientStatusCache

log = logging.getLogger(__name__)
CONNECTION_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


class ClientChangeListener:
    """One LISTEN connection per process that forgets changed clients in `cache`; reconnects when lost."""

    def __init__(self, url: URL, cache: ClientStatusCache, *, retry_seconds: float = 5.0) -> None:
        self.dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.cache = cache
        self.retry_seconds = retry_seconds
        self._task: asyncio.Task[None] | None = None
        self._first_attempt = asyncio.Event()

    def _on_notify(self, _connection: Any, _pid: int, _channel: str, client_id: str) -> None:
        self.cache.forget(client_id)

    async def _listen_once(self) -> None:
        """Listen until the connection is lost (returns) or the task is cancelled."""
        connection = await asyncpg.connect(self.dsn)
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        try:
            await connection.add_listener(CHANNEL, self._on_notify)
            self.cache.forget_all()  # whatever changed while nobody listened
            self.cache.reliable = True
            self._first_attempt.set()
            await lost.wait()
            log.warning("the LISTEN connection for client changes was lost; reconnecting")
        finally:
            self.cache.reliable = False
            if not connection.is_closed():
                await connection.close()

    async def _run(self) -> None:
        while True:
            try:
                await self._listen_once()
            except CONNECTION_ERRORS as exc:
                log.warning("cannot LISTEN for client changes (%s); client state is read on every use meanwhile", exc)
            self._first_attempt.set()
            await asyncio.sleep(self.retry_seconds)

    async def start(self, *, wait: float = 5.0) -> None:
        """Start listening in the background; returns once the first attempt has connected or failed."""
        self._task = asyncio.create_task(self._run(), name="kkr-client-listener")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._first_attempt.wait(), wait)

    async def stop(self) -> None:
        if self._task is not None:
            task, self._task = self._task, None
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
