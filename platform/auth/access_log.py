"""The access log: every GraphQL call made with a cross-region scope (benchmark:read, aggregates:read)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..database import Database, DatabaseUnavailable, fetch_row, is_unreachable
from ..text import storable
from .identity import AGGREGATES_READ, BENCHMARK_READ, Identity

#: Plain SQL, no RETURNING: the API role may not read the log back.
_INSERT = (
    "INSERT INTO access_log (client, subject, scopes, operation_name, document_sha256, variables)"
    " VALUES ($1, $2, $3, $4, $5, $6::jsonb)"
)

LOGGED_SCOPES = frozenset({BENCHMARK_READ, AGGREGATES_READ})


def is_logged(identity: Identity) -> bool:
    return bool(identity.scopes & LOGGED_SCOPES)


def document_hash(document: str | None) -> str:
    return hashlib.sha256((document or "").encode()).hexdigest()


async def record_access(
    db: Database,
    identity: Identity,
    *,
    operation_name: str | None,
    document: str | None,
    variables: dict[str, Any] | None,
) -> None:
    """Append one entry, committed at once in one statement of its own, outside the request's transactions (the
    API role may insert, never read or change).  Raises `DatabaseUnavailable` when the server cannot be reached
    (the call then fails with SERVICE_UNAVAILABLE: a logged call is never answered unlogged)."""
    db.check_available()
    try:
        await fetch_row(
            db.engine,
            _INSERT,
            (identity.client_id or identity.subject)[:128],
            identity.subject[:256],
            sorted(identity.scopes),
            storable(operation_name),
            document_hash(document),
            json.dumps(storable(variables)) if variables else None,
        )
    except Exception as exc:
        if is_unreachable(exc, connecting=True):
            db.mark_unavailable()
            raise DatabaseUnavailable(str(exc)) from exc
        raise
