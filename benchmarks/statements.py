"""SQL statements per request, counted by PostgreSQL itself: `log_statement = all` for the benchmark's
database only, read back from the server's log.

    with StatementLog(owner_dsn, database) as log:   # ALTER DATABASE ... SET log_statement = 'all'
        ... start a server (its connections are new: they log) ...
        mark = log.mark(); send n requests one after another; log.count(mark) / n

Every statement a client sends is one line (`LOG:  statement:` for the simple protocol, `LOG:  execute`
for a prepared one), so `pool_pre_ping`, BEGIN, `set_config`, every SELECT and COMMIT/ROLLBACK each count
once: round trips, what the issue counts.  pg_stat_statements would do the same without the log, but
needs `shared_preload_libraries` (a server restart) on a server others share.  The log file is
`PG_LOG_FILE` (default Debian's `/var/log/postgresql/postgresql-<major>-main.log`); lines carry
`user@database` by Debian's `log_line_prefix`.  Without a readable log the counts are None.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import asyncpg


class StatementLog:
    def __init__(self, owner_dsn: str, database: str, major: int) -> None:
        self.owner_dsn, self.database = owner_dsn, database
        self.path = Path(os.environ.get("PG_LOG_FILE", f"/var/log/postgresql/postgresql-{major}-main.log"))
        self.readable = self.path.is_file() and os.access(self.path, os.R_OK)
        self.pattern = re.compile(rf"\S+@{re.escape(database)} LOG:  (statement|execute )")

    async def __aenter__(self) -> StatementLog:
        if self.readable:
            await self._set("SET log_statement = 'all'")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.readable:
            await self._set("RESET log_statement")

    async def _set(self, clause: str) -> None:
        conn = await asyncpg.connect(self.owner_dsn)
        try:
            await conn.execute(f'ALTER DATABASE "{self.database}" {clause}')
        finally:
            await conn.close()

    def mark(self) -> int:
        return self.path.stat().st_size if self.readable else 0

    def count(self, mark: int) -> int | None:
        """Statements of the benchmark's database logged since `mark`."""
        if not self.readable:
            return None
        with self.path.open("rb") as f:
            f.seek(mark)
            text = f.read().decode(errors="replace")
        return len(self.pattern.findall(text))
