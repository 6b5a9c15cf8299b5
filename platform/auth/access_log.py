"""The access log: every GraphQL call made with a cross-region scope (benchmark:read, aggregates:read)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import text

from ..database import NO_TENANT, Database
from ..text import storable
from .identity import AGGREGATES_READ, BENCHMARK_READ, Identity

#: Plain SQL: an ORM or Core insert adds RETURNING, and the API role may not read the log back.
_INSERT = text(
    "INSERT INTO access_log (client, subject, scopes, operation_name, document_sha256, variables)"
    " VALUES (:client, :subject, :scopes, :operation_name, :document_sha256, CAST(:variables AS jsonb))"
)

LOGGED_SCOPES = frozenset({BENCHMARK_READ, AGGREGATES_READ})


def is_logged(identity: Identity) -> bool:
    return bool(identity.scopes & LOGGED_SCOPES)


def document_hash(document: str | None) -> str:
    return hashlib.sha256((document or "").encode()).hexdigest()


async def record_access(
    db: Database, identity: Identity, *, operation_name: str | None, document: str | None,
    variables: dict[str, Any] | None,
) -> None:
    """Append one entry in a transaction of its own (the API role may insert, never read or change)."""
    async with db.transaction(NO_TENANT) as session:
        await session.execute(_INSERT, {
            "client": (identity.client_id or identity.subject)[:128],
            "subject": identity.subject[:256],
            "scopes": sorted(identity.scopes),
            "operation_name": storable(operation_name),
            "document_sha256": document_hash(document),
            "variables": json.dumps(storable(variables)) if variables else None,
        })
