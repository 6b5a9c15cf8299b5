"""Framework agreements (rammeaftaler) with their national goals and targets: shared reference data."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Annotated, Any, Self

import strawberry
from strawberry import relay

from ..common.connection import Connection, connection
from ..common.nodes import LoadedNode
from ..common.relations import to_one
from ..common.rows import copied
from ..common.source import Source
from ..permissions import RegionalRead
from .loaders import (
    AGREEMENT_BY_SLUG,
    GOALS_BY_NATIONAL_GOAL,
    NATIONAL_GOAL_BY_ID,
    NATIONAL_GOALS_BY_AGREEMENT,
    NATIONAL_TARGET_BY_ID,
    NATIONAL_TARGETS_BY_GOAL,
)
from .targets import TargetValue

if TYPE_CHECKING:
    from .types import Goal

_TYPES = "kkr.schema.contracts.types"


@strawberry.type(description="A framework agreement (rammeaftale) between Erhvervsministeriet and KL, e.g. 2021-2023.")
class FrameworkAgreement(LoadedNode):
    id: relay.NodeID[str]
    node_loader = AGREEMENT_BY_SLUG
    slug: str = strawberry.field(description="Stable identifier, e.g. '2021-2023'.")
    title: str = strawberry.field(description="Title as printed.")
    parties: str = strawberry.field(description="The parties as printed, e.g. 'Erhvervsministeriet og KL'.")
    signed_on: dt.date | None = strawberry.field(description="Date of signature, when known.")
    valid_from: dt.date = strawberry.field(description="First day the agreement applies.")
    valid_to: dt.date = strawberry.field(description="Last day the agreement applies.")
    source: Source = strawberry.field(description="Where the agreement is printed.")

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return copied(cls, row, id=row.slug)

    @connection(
        Connection["NationalGoal"], description="The agreement's national goals (nationale mål) in printed order."
    )
    async def national_goals(self, info: strawberry.Info) -> list[NationalGoal]:
        return [NationalGoal.from_row(r) for r in await NATIONAL_GOALS_BY_AGREEMENT.load(info, self.slug)]


@strawberry.type(description="A national goal (nationalt mål) set by a framework agreement, the same for every hub.")
class NationalGoal(LoadedNode):
    id: relay.NodeID[str]
    node_loader = NATIONAL_GOAL_BY_ID
    row_id: strawberry.Private[uuid.UUID]
    framework_agreement_slug: str = strawberry.field(description="Slug of the framework agreement.")
    code: str = strawberry.field(description="Code as printed, e.g. '6' or '7.b'.")
    title: str = strawberry.field(description="Title as printed.")
    description: str | None = strawberry.field(description="The goal's text.")
    measurement_method: str | None = strawberry.field(description="How the goal is measured (opgørelsesmetode).")
    position: int = strawberry.field(description="Order in the agreement.")
    source: Source = strawberry.field(description="Where the goal is printed.")

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return copied(cls, row, id=str(row.id), row_id=row.id)

    framework_agreement = to_one(
        AGREEMENT_BY_SLUG,
        "framework_agreement_slug",
        FrameworkAgreement,
        description="The framework agreement that sets the goal.",
    )

    @connection(Connection["NationalTarget"], description="The goal's targets per year and segment.")
    async def targets(
        self,
        info: strawberry.Info,
        period: Annotated[str | None, strawberry.argument(description="Only this period label, e.g. '2021'.")] = None,
    ) -> list[NationalTarget]:
        rows = await NATIONAL_TARGETS_BY_GOAL.load(info, self.row_id)
        return [NationalTarget.from_row(r) for r in rows if period is None or r.period_label == period]

    @connection(
        Connection[Annotated["Goal", strawberry.lazy(_TYPES)]] | None,
        description="The contract goals that implement this national goal, in the reader's region(s).",
        permission_classes=[RegionalRead],
    )
    async def contract_goals(self, info: strawberry.Info) -> list[Annotated[Goal, strawberry.lazy(_TYPES)]]:
        from .types import Goal

        return [Goal.from_row(r) for r in await GOALS_BY_NATIONAL_GOAL.load(info, self.row_id)]


@strawberry.type(description="A year- and segment-specific target of a national goal.")
class NationalTarget(TargetValue, LoadedNode):
    id: relay.NodeID[str]
    node_loader = NATIONAL_TARGET_BY_ID
    national_goal_id: strawberry.Private[uuid.UUID]
    measure: str = strawberry.field(description="What is measured (målepunkt), e.g. 'Net Promoter Score'.")

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return copied(cls, row, id=str(row.id))

    national_goal = to_one(
        NATIONAL_GOAL_BY_ID, "national_goal_id", NationalGoal, description="The national goal the target belongs to."
    )
