"""How many SQL statements a request ran: a counter in a context variable, fed by the engines' events.

`count_statements(engine)` hooks an engine (the primary's, a replica's) once:

- SQLAlchemy's `before_cursor_execute` counts every statement SQLAlchemy sends (`session.execute`, the
  tenant context, `SET TRANSACTION READ ONLY`); an `executemany` is counted by the driver's logger below;
- each new connection gets an asyncpg query logger, which sees what runs on the driver directly
  (`kkr.platform.database.fetch_row`: the rate limit, the data versions, the access log) and
  `executemany`; transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE) is not counted.

`counting()` opens a request's counter (`kkr.platform.request_log.RequestEnvelope`); tasks the request starts
copy the context and count into the same counter.  Outside a request nothing is counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

#: The current request's counter (a one-element list, shared by the tasks the request starts).
_COUNTER: ContextVar[list[int] | None] = ContextVar("kkr_sql_statements", default=None)
_TRANSACTION_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|START TRANSACTION|END)\b", re.I)
#: Marks a hooked engine (its sync engine), so that hooking is idempotent.
_HOOKED_ATTRIBUTE = "_kkr_statements_counted"


def note_statement() -> None:
    """Count one statement in the current request (no request: nothing)."""
    counter = _COUNTER.get()
    if counter is not None:
        counter[0] += 1


@contextmanager
def counting() -> Iterator[list[int]]:
    """A fresh counter for the code run inside (a request); `[0]` holds the count."""
    counter = [0]
    token = _COUNTER.set(counter)
    try:
        yield counter
    finally:
        _COUNTER.reset(token)


def _before_cursor_execute(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    if not executemany:  # the driver's query logger sees an executemany
        note_statement()


def _driver_query(record: Any) -> None:
    if not _TRANSACTION_CONTROL.match(record.query or ""):
        note_statement()


def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    driver = getattr(dbapi_connection, "driver_connection", None)
    if driver is not None and hasattr(driver, "add_query_logger"):
        driver.add_query_logger(_driver_query)


def count_statements(engine: AsyncEngine) -> None:
    """Count the statements run through `engine` into the current request's counter (idempotent)."""
    sync_engine = engine.sync_engine
    if getattr(sync_engine, _HOOKED_ATTRIBUTE, False):
        return
    setattr(sync_engine, _HOOKED_ATTRIBUTE, True)
    event.listen(sync_engine, "before_cursor_execute", _before_cursor_execute)
    event.listen(sync_engine.pool, "connect", _on_connect)
