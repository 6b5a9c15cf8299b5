"""DataLoaders of the audit trail: the events of each row, oldest first."""

from __future__ import annotations

from kkr.platform.models import AuditEvent

from ..common.loaders import ManyByKey

EVENTS_BY_ROW = ManyByKey(AuditEvent.row_id, order_by=(AuditEvent.occurred_at, AuditEvent.id))
