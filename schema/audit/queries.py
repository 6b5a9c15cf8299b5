"""Queries of the audit trail: the reader's region(s) changes, newest first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Annotated

import strawberry
from sqlalchemy import select

from kkr.platform.models import AuditEvent as AuditEventModel

from ..common.connection import Connection, QueryNodes, connection
from ..common.database import where_given
from ..permissions import RegionalRead
from .types import AuditEvent


@strawberry.type
class AuditQuery:
    @connection(
        Connection[AuditEvent],  # type: ignore[type-var]  # AuditEvent is no Node (relay's bound, typing only)
        description="The audit trail (historik) of the reader's region(s), newest first.",
        permission_classes=[RegionalRead],
    )
    async def audit_events(
        self,
        info: strawberry.Info,
        region: Annotated[str | None, strawberry.argument(description="Only this region's events (slug).")] = None,
        table_name: Annotated[str | None, strawberry.argument(description="Only changes to this table.")] = None,
        actor: Annotated[str | None, strawberry.argument(description="Only changes by this actor.")] = None,
        since: Annotated[dt.datetime | None, strawberry.argument(description="Only changes at or after this.")] = None,
    ) -> Iterable[AuditEvent]:
        a = AuditEventModel
        statement = select(a).order_by(a.occurred_at.desc(), a.id.desc())
        statement = where_given(statement, (a.tenant_id, region), (a.table_name, table_name), (a.actor, actor))
        if since is not None:
            statement = statement.where(a.occurred_at >= since)
        return QueryNodes(statement, AuditEvent.from_row)
