"""The audit trail (historik): who changed which row when, with the row before and after.

The `audit_event` table is filled by a database trigger on every editable
tenant table; it is readable under the same row-level security as the rows.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any, cast

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.utils.str_converters import capitalize_first, to_camel_case

from kkr.platform.models import AuditEvent as AuditEventModel

from ..common.fields import field
from .loaders import EVENTS_BY_ROW

#: Columns that change on every update and say nothing to a reader.
_BOOKKEEPING = frozenset({"row_version"})


@strawberry.enum(description="What happened to the row.")
class AuditOperation(enum.Enum):
    INSERT = strawberry.enum_value("insert", description="The row was created.")
    UPDATE = strawberry.enum_value("update", description="The row was changed.")
    DELETE = strawberry.enum_value("delete", description="The row was deleted.")


@strawberry.type(description="One change to an editable row (historik), written by a database trigger.")
class AuditEvent:
    sequence: str = strawberry.field(description="Position of the event in the region's audit trail (increasing).")
    region_slug: str = strawberry.field(description="Slug of the region (tenant) the row belongs to.")
    occurred_at: dt.datetime = strawberry.field(description="When the change was committed.")
    actor: str = strawberry.field(description="Who made the change: the token's subject or client id, or 'importer'.")
    operation: AuditOperation = strawberry.field(description="Insert, update or delete.")
    table_name: str = strawberry.field(description="Database table of the row, e.g. 'goal'.")
    row_id: uuid.UUID = strawberry.field(description="Database id of the changed row.")
    before: JSON | None = strawberry.field(
        description="The row before the change (null for an insert), keyed by database column name."
    )
    after: JSON | None = strawberry.field(
        description="The row after the change (null for a delete), keyed by database column name."
    )

    @classmethod
    def from_row(cls, row: AuditEventModel) -> AuditEvent:
        return cls(
            sequence=str(row.id),
            region_slug=row.tenant_id,
            occurred_at=row.occurred_at,
            actor=row.actor,
            operation=AuditOperation(row.operation),
            table_name=row.table_name,
            row_id=row.row_id,
            before=cast("JSON | None", row.before),
            after=cast("JSON | None", row.after),
        )

    @field(
        description="Global id of the changed object, as `node(id:)` takes it (e.g. a Goal's id); "
        "after a delete it names an object that no longer exists."
    )
    def node_id(self) -> relay.GlobalID:
        return relay.GlobalID(type_name_of(self.table_name), str(self.row_id))

    @field(description="Database column names whose value changed (all columns for an insert or delete).")
    def changed_fields(self) -> list[str]:
        return changed_fields(cast("dict[str, Any] | None", self.before), cast("dict[str, Any] | None", self.after))


def type_name_of(table_name: str) -> str:
    """The GraphQL type of an audited table's rows: goal -> Goal, result_contract -> ResultContract."""
    return capitalize_first(to_camel_case(table_name))


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    old, new = before or {}, after or {}
    names = sorted(set(old) | set(new))
    return [n for n in names if n not in _BOOKKEEPING and old.get(n) != new.get(n)]


async def history_of(info: strawberry.Info, row_id: uuid.UUID) -> list[AuditEvent]:
    """The audit events of one row, oldest first (through a per-request DataLoader)."""
    return [AuditEvent.from_row(r) for r in await EVENTS_BY_ROW.load(info, row_id)]


HISTORY_DESCRIPTION = "Change history (historik) of this record, oldest first: who changed what and when."
