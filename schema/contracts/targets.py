"""Targets (måltal), reported results and their computed fulfilment (målopfyldelse)."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Self

import strawberry
from strawberry import relay

from kkr.platform.models import Result as ResultModel
from kkr.platform.models import Target as TargetModel
from kkr.platform.models import enums as model_enums
from kkr.platform.services import fulfilment

from ..common.connection import Connection, connection
from ..common.enums import Comparator, Unit, to_model
from ..common.fields import field
from ..common.nodes import AuditedNode, EditableNode
from ..common.relations import lazy_type, to_one
from ..common.rows import copied
from ..common.source import Source
from .loaders import INDICATOR_BY_ID, LATEST_RESULT_BY_TARGET, RESULT_BY_ID, RESULTS_BY_TARGET, TARGET_BY_ID

if TYPE_CHECKING:
    from ..geography.segments import CanonicalSegment

_TYPES = "kkr.schema.contracts.types"


@strawberry.interface(description="A target value for one period and segment, with its baseline and partial rule.")
class TargetValue:
    period_label: str = strawberry.field(description="Period as printed, e.g. '2021' or '2019-Q3 2020'.")
    period_start: dt.date | None = strawberry.field(description="First day of the period, when known.")
    period_end: dt.date | None = strawberry.field(description="Last day of the period, when known.")
    unit: Unit = strawberry.field(description="Unit of the target and result values.")
    comparator: Comparator = strawberry.field(description="How a result is compared with the target.")
    value: Decimal | None = strawberry.field(description="The target value (lower bound of a range).")
    value_max: Decimal | None = strawberry.field(description="Upper bound of a range target.")
    value_text: str | None = strawberry.field(description="The target as printed when it is not a number.")
    segment: str | None = strawberry.field(description="Customer segment or course type (vækst, drift, ...).")
    baseline_value: Decimal | None = strawberry.field(description="Baseline (udgangspunkt) the target is set against.")
    baseline_period_label: str | None = strawberry.field(description="Period of the baseline, as printed.")
    partial_threshold: Decimal | None = strawberry.field(
        description="Value at which the target counts as partly met (e.g. 50 in 'half fulfilled at >= 50')."
    )
    partial_fulfilment_pct: Decimal | None = strawberry.field(
        description="What partly met is worth in percent (e.g. 50 in 'half fulfilled at >= 50')."
    )
    source: Source = strawberry.field(description="Where the target is printed.")

    @field(
        description="The canonical course type or customer segment of the printed `segment` (e.g. "
        "'handlingsplan' and 'handlingsplaner' are both 'action-plan'); null when no "
        "segment is printed or its spelling is not mapped yet."
    )
    async def canonical_segment(
        self, info: strawberry.Info
    ) -> Annotated[CanonicalSegment, strawberry.lazy("kkr.schema.geography.segments")] | None:
        from ..geography.segments import canonical_segment

        return await canonical_segment(info, self.segment)


@strawberry.enum(description="Fulfilment of a target by its latest result (computed, never stored).")
class FulfilmentStatus(enum.Enum):
    MET = strawberry.enum_value("met", description="The target is met (opfyldt).")
    PARTLY_MET = strawberry.enum_value("partly_met", description="The partial rule is met (delvist opfyldt).")
    NOT_MET = strawberry.enum_value("not_met", description="The target is not met (ikke opfyldt).")
    NOT_YET_REPORTED = strawberry.enum_value("not_yet_reported", description="No result has been reported yet.")
    NOT_ASSESSABLE = strawberry.enum_value(
        "not_assessable", description="Target or result is printed as text only; read it and the paper's fulfilment."
    )


@strawberry.type(description="Fulfilment (målopfyldelse) of a target, computed from its latest result.")
class Fulfilment:
    status: FulfilmentStatus = strawberry.field(
        description="Met, partly met, not met, not yet reported or not assessable."
    )
    pct: Decimal | None = strawberry.field(
        description="Fulfilment in percent: 100 met, the partial rule's percentage when partly met, 0 not met."
    )
    explanation: str = strawberry.field(description="Why, in one sentence (e.g. '72 meets the target >= 60.').")
    result: Result | None = strawberry.field(description="The latest result the assessment is based on.")


@strawberry.type(description="How many targets are in each fulfilment status (latest results).")
class FulfilmentSummary:
    targets: int = strawberry.field(description="Number of targets counted.")
    met: int = strawberry.field(description="Targets met.")
    partly_met: int = strawberry.field(description="Targets partly met.")
    not_met: int = strawberry.field(description="Targets not met.")
    not_yet_reported: int = strawberry.field(description="Targets without a result.")
    not_assessable: int = strawberry.field(description="Targets whose target or result is text only.")


@strawberry.type(description="A reported result for a target; a revision is a new result, never an edit.")
class Result(AuditedNode):
    id: relay.NodeID[str]
    node_loader = RESULT_BY_ID
    target_id: strawberry.Private[uuid.UUID]
    region_slug: str = strawberry.field(description="Slug of the region (tenant) that owns this record.")
    revision: int = strawberry.field(description="Revision number; the highest is the latest result.")
    value: Decimal | None = strawberry.field(description="The reported value, when it is a number.")
    value_text: str | None = strawberry.field(description="The result as printed when it is not a plain number.")
    measured_at: dt.date | None = strawberry.field(description="Date the value was measured (opgjort pr.).")
    recorded_at: dt.datetime = strawberry.field(description="When the result was recorded in the platform.")
    recorded_by: str | None = strawberry.field(description="Who recorded it.")
    source: Source = strawberry.field(description="Where the result is printed.")

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return copied(cls, row, id=str(row.id), row_id=row.id, region_slug=row.tenant_id)

    target = to_one(
        TARGET_BY_ID,
        "target_id",
        lazy_type("Target", __name__),
        nullable=True,
        description="The target the result is reported for.",
    )


@strawberry.type(description="A target (måltal) of an indicator for one period and segment.")
class Target(TargetValue, EditableNode):
    id: relay.NodeID[str]
    node_loader = TARGET_BY_ID
    indicator_id: strawberry.Private[uuid.UUID]
    region_slug: str = strawberry.field(description="Slug of the region (tenant) that owns this record.")

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return copied(cls, row, id=str(row.id), row_id=row.id, region_slug=row.tenant_id)

    indicator = to_one(
        INDICATOR_BY_ID,
        "indicator_id",
        lazy_type("Indicator", _TYPES),
        nullable=True,
        description="The indicator (målepunkt) the target belongs to.",
    )

    @connection(Connection[Result], description="Every reported result (all revisions), oldest first.")
    async def results(self, info: strawberry.Info) -> list[Result]:
        return [Result.from_row(r) for r in await RESULTS_BY_TARGET.load(info, self.row_id)]

    @field(description="The latest result (highest revision), if any.")
    async def latest_result(self, info: strawberry.Info) -> Result | None:
        row = await LATEST_RESULT_BY_TARGET.load(info, self.row_id)
        return Result.from_row(row) if row is not None else None

    @field(description="Fulfilment computed from the latest result, the comparator and the partial rule.")
    async def fulfilment(self, info: strawberry.Info) -> Fulfilment:
        return fulfilment_of(self, await LATEST_RESULT_BY_TARGET.load(info, self.row_id))


def fulfilment_of(target: TargetValue, latest: ResultModel | None) -> Fulfilment:
    """The target's fulfilment by its latest result (None: not reported yet)."""
    rule = fulfilment.TargetRule.of(
        to_model(model_enums.Comparator, target.comparator),
        target.value,
        target.value_max,
        target.partial_threshold,
        target.partial_fulfilment_pct,
    )
    assessed = fulfilment.assess(rule, latest)
    return Fulfilment(
        status=FulfilmentStatus(assessed.status.value),
        pct=assessed.pct,
        explanation=assessed.explanation,
        result=Result.from_row(latest) if latest is not None else None,
    )


def summarise(target_rows: Sequence[TargetModel], latest: Sequence[ResultModel | None]) -> FulfilmentSummary:
    """Count the targets by fulfilment status; `latest[i]` is the latest result of `target_rows[i]`."""
    counts = {status: 0 for status in fulfilment.FulfilmentStatus}
    for target, result in zip(target_rows, latest, strict=True):
        counts[fulfilment.assess(target, result).status] += 1
    S = fulfilment.FulfilmentStatus
    return FulfilmentSummary(
        targets=len(target_rows),
        met=counts[S.met],
        partly_met=counts[S.partly_met],
        not_met=counts[S.not_met],
        not_yet_reported=counts[S.not_yet_reported],
        not_assessable=counts[S.not_assessable],
    )
