"""Client changes reach every API process at once: PostgreSQL LISTEN/NOTIFY.

`kkr disable-client` sends `NOTIFY kkr_client_changed, '<client id>'` in the
transaction that disables the client; each API process listens on a connection
of its own and drops that client from its status cache, so the client's tokens
are refused from the next request on.  Should the listening connection be lost,
the cache's time limit (`CLIENT_CACHE_SECONDS`) still bounds how long a stale
answer can live; the process reconnects on the next change it would miss.
"""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
from sqlalchemy.engine import URL

from .clients import CHANNEL, ClientStatusCache

log = logging.getLogger(__name__)


class ClientChangeListener:
    """One LISTEN connection per process that forgets changed clients in `cache`."""

    def __init__(self, url: URL, cache: ClientStatusCache) -> None:
        self.url = url.set(drivername="postgresql")
        self.cache = cache
        self._connection: Any = None

    def _on_notify(self, _connection: Any, _pid: int, _channel: str, client_id: str) -> None:
        self.cache.forget(client_id)

    def _on_terminate(self, _connection: Any) -> None:
        log.warning("the LISTEN connection for client changes was lost; the client cache expires by time only")
        self.cache.forget_all()
        self._connection = None

    async def start(self) -> None:
        try:
            self._connection = await asyncpg.connect(self.url.render_as_string(hide_password=False))
            self._connection.add_termination_listener(self._on_terminate)
            await self._connection.add_listener(CHANNEL, self._on_notify)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("cannot LISTEN for client changes (%s); the client cache expires by time only", exc)
            self._connection = None

    async def stop(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            await connection.close()
