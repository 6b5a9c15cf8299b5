"""GraphQL types of the contracts domain: result contracts (resultatkontrakter) with goals and indicators.

Targets, results and fulfilment are in `targets.py`, framework agreements and
national goals in `framework.py`; all are re-exported here.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

import strawberry
from strawberry import relay
from strawberry.types.field import StrawberryField

from ..common.connection import Connection, connection
from ..common.enums import ContractStatus, GoalCategory
from ..common.fields import field
from ..common.nodes import EditableNode
from ..common.relations import lazy_type, to_one
from ..common.rows import copied
from ..common.source import Source
from ..geography.relations import REGION
from ..organisations.relations import BUSINESS_HUB, PARTNERSHIP
from ..permissions import RegionalRead
from .framework import FrameworkAgreement, NationalGoal, NationalTarget
from .loaders import (
    AGREEMENT_BY_SLUG,
    CONTRACT_BY_ID,
    CONTRACTS_BY_HUB,
    CONTRACTS_BY_TENANT,
    GOAL_BY_ID,
    GOALS_BY_CONTRACT,
    INDICATOR_BY_ID,
    INDICATORS_BY_GOAL,
    LATEST_CONTRACTS_BY_HUB,
    LATEST_CONTRACTS_BY_TENANT,
    LATEST_RESULT_BY_TARGET,
    NATIONAL_GOAL_BY_ID,
    TARGETS_BY_INDICATOR,
)
from .targets import Fulfilment, FulfilmentStatus, FulfilmentSummary, Result, Target, TargetValue, summarise


@strawberry.type(
    description="A yearly result contract (resultatkontrakt) between a KKR and its business hub;"
    " a later version supersedes an earlier one."
)
class ResultContract(EditableNode):
    id: relay.NodeID[str]
    node_loader = CONTRACT_BY_ID
    supersedes_id: strawberry.Private[uuid.UUID | None]
    region_slug: str = strawberry.field(description="Slug of the region (KKR, tenant) that owns the contract.")
    business_hub_slug: str = strawberry.field(description="Slug of the business hub the contract is with.")
    framework_agreement_slug: str | None = strawberry.field(description="Slug of the framework agreement it follows.")
    year: int = strawberry.field(description="The contract year.")
    title: str = strawberry.field(description="Title as printed.")
    status: ContractStatus = strawberry.field(description="Draft, adopted, signed or reported.")
    version: int = strawberry.field(description="Version; the highest version of a hub and year is the current one.")
    published: bool = strawberry.field(description="Whether the contract is visible beyond the region (benchmarking).")
    adopted_on: dt.date | None = strawberry.field(description="Date the KKR adopted the contract.")
    signed_on: dt.date | None = strawberry.field(description="Date the contract was signed.")
    fulfilment_rule: str | None = strawberry.field(description="The contract's own fulfilment rule, as printed.")
    reported_fulfilment_pct: Decimal | None = strawberry.field(
        description="Overall fulfilment in percent as printed in the paper (not computed)."
    )
    source: Source = strawberry.field(description="Where the contract is printed.")

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return copied(cls, row, id=str(row.id), row_id=row.id, region_slug=row.tenant_id)

    region = REGION.field("The region (KKR) that owns the contract.")
    business_hub = BUSINESS_HUB.field("The business hub (erhvervshus) the contract is with.")
    framework_agreement = to_one(
        AGREEMENT_BY_SLUG,
        "framework_agreement_slug",
        FrameworkAgreement,
        nullable=True,
        description="The framework agreement (rammeaftale) the contract follows.",
    )
    supersedes = to_one(
        CONTRACT_BY_ID,
        "supersedes_id",
        lazy_type("ResultContract", __name__),
        nullable=True,
        description="The earlier version this version supersedes, if any.",
    )

    @connection(Connection["Goal"], description="The contract's goals (mål) in printed order.")
    async def goals(
        self,
        info: strawberry.Info,
        category: Annotated[GoalCategory | None, strawberry.argument(description="Only this category.")] = None,
        code: Annotated[str | None, strawberry.argument(description="Only the goal with this code.")] = None,
    ) -> list[Goal]:
        rows = await GOALS_BY_CONTRACT.load(info, self.row_id)
        return [
            Goal.from_row(r)
            for r in rows
            if (category is None or r.category.value == category.value) and (code is None or r.code == code)
        ]

    @field(description="The goal with this code as printed (e.g. '5C'), if any.")
    async def goal(
        self,
        info: strawberry.Info,
        code: Annotated[str, strawberry.argument(description="The code as printed, e.g. '5C'.")],
    ) -> Goal | None:
        rows = await GOALS_BY_CONTRACT.load(info, self.row_id)
        return next((Goal.from_row(r) for r in rows if r.code == code), None)

    @field(description="Fulfilment of all the contract's targets by status, computed from latest results.")
    async def fulfilment_summary(self, info: strawberry.Info) -> FulfilmentSummary:
        goals = await GOALS_BY_CONTRACT.load(info, self.row_id)
        return await _summary_of_goals(info, [g.id for g in goals])


@strawberry.type(description="A goal (mål) of a result contract: national, common (fælles) or local (lokal).")
class Goal(EditableNode):
    id: relay.NodeID[str]
    node_loader = GOAL_BY_ID
    contract_id: strawberry.Private[uuid.UUID]
    national_goal_id: strawberry.Private[uuid.UUID | None]
    partnership_id: strawberry.Private[uuid.UUID | None]
    region_slug: str = strawberry.field(description="Slug of the region (tenant) that owns the goal.")
    code: str = strawberry.field(description="Code as printed, e.g. '5C' (always a string).")
    category: GoalCategory = strawberry.field(description="National, common or local goal.")
    title: str = strawberry.field(description="Title as printed.")
    description: str | None = strawberry.field(description="The goal's text.")
    measurement_method: str | None = strawberry.field(description="How the goal is measured (opgørelsesmetode).")
    data_source: str | None = strawberry.field(description="Where the data comes from (datakilde).")
    position: int = strawberry.field(description="Order in the contract.")
    reported_fulfilment_pct: Decimal | None = strawberry.field(
        description="Fulfilment in percent as printed in the paper (e.g. the hub's report); not computed."
    )
    source: Source = strawberry.field(description="Where the goal is printed.")

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return copied(cls, row, id=str(row.id), row_id=row.id, region_slug=row.tenant_id)

    contract = to_one(
        CONTRACT_BY_ID,
        "contract_id",
        ResultContract,
        nullable=True,
        description="The contract the goal belongs to (null for a partner region, which sees the"
        " shared goal but not the contract).",
    )
    national_goal = to_one(
        NATIONAL_GOAL_BY_ID,
        "national_goal_id",
        NationalGoal,
        nullable=True,
        description="The national goal of the framework agreement this goal implements, if any.",
    )
    partnership = PARTNERSHIP.field("The cross-region partnership the goal is shared through, if any.", nullable=True)

    @connection(Connection["Indicator"], description="What the goal measures (målepunkter), in printed order.")
    async def indicators(self, info: strawberry.Info) -> list[Indicator]:
        return [Indicator.from_row(r) for r in await INDICATORS_BY_GOAL.load(info, self.row_id)]

    @field(description="Fulfilment of the goal's targets by status, computed from latest results.")
    async def fulfilment_summary(self, info: strawberry.Info) -> FulfilmentSummary:
        return await _summary_of_goals(info, [self.row_id])


@strawberry.type(description="What a goal measures (målepunkt); it carries targets per period and segment.")
class Indicator(EditableNode):
    id: relay.NodeID[str]
    node_loader = INDICATOR_BY_ID
    goal_id: strawberry.Private[uuid.UUID]
    region_slug: str = strawberry.field(description="Slug of the region (tenant) that owns the indicator.")
    name: str = strawberry.field(description="Name as printed, e.g. 'Antal korte forløb'.")
    description: str | None = strawberry.field(description="Further explanation, when printed.")
    position: int = strawberry.field(description="Order within the goal.")
    source: Source = strawberry.field(description="Where the indicator is printed.")

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return copied(cls, row, id=str(row.id), row_id=row.id, region_slug=row.tenant_id)

    goal = to_one(GOAL_BY_ID, "goal_id", Goal, nullable=True, description="The goal the indicator belongs to.")

    @connection(Connection[Target], description="The indicator's targets (måltal), by period and segment.")
    async def targets(
        self,
        info: strawberry.Info,
        period: Annotated[str | None, strawberry.argument(description="Only this period label, e.g. '2021'.")] = None,
        segment: Annotated[str | None, strawberry.argument(description="Only this segment.")] = None,
    ) -> list[Target]:
        rows = await TARGETS_BY_INDICATOR.load(info, self.row_id)
        return [
            Target.from_row(r)
            for r in rows
            if (period is None or r.period_label == period) and (segment is None or r.segment == segment)
        ]


async def _summary_of_goals(info: strawberry.Info, goal_ids: Sequence[uuid.UUID]) -> FulfilmentSummary:
    indicators = [i for group in await INDICATORS_BY_GOAL.load_many(info, goal_ids) for i in group]
    targets = [t for group in await TARGETS_BY_INDICATOR.load_many(info, [i.id for i in indicators]) for t in group]
    return summarise(targets, await LATEST_RESULT_BY_TARGET.load_many(info, [t.id for t in targets]))


_CONTRACT_LOADERS = {  # (every version, the latest versions: kkr.schema.contracts.versions)
    "region": (CONTRACTS_BY_TENANT, LATEST_CONTRACTS_BY_TENANT),
    "hub": (CONTRACTS_BY_HUB, LATEST_CONTRACTS_BY_HUB),
}


def result_contracts_field(area: Literal["region", "hub"]) -> StrawberryField:
    """`resultContracts` of a region or a business hub (by its `slug`): one field, two owners."""
    every, latest = _CONTRACT_LOADERS[area]

    async def result_contracts(
        self: Any,
        info: strawberry.Info,
        year: Annotated[int | None, strawberry.argument(description="Only this contract year.")] = None,
        status: Annotated[ContractStatus | None, strawberry.argument(description="Only this status.")] = None,
        all_versions: Annotated[bool, strawberry.argument(description="Include superseded versions.")] = False,
    ) -> list[ResultContract]:
        rows = await (every if all_versions else latest).load(info, self.slug)
        return [
            ResultContract.from_row(r)
            for r in rows
            if (year is None or r.year == year) and (status is None or r.status.value == status.value)
        ]

    return connection(
        Connection[ResultContract] | None,
        description=f"The {area}'s result contracts (resultatkontrakter), newest year first; latest versions only"
        " unless allVersions is true.",
        permission_classes=[RegionalRead],
    )(result_contracts)


__all__ = [
    "FrameworkAgreement",
    "Fulfilment",
    "FulfilmentStatus",
    "FulfilmentSummary",
    "Goal",
    "Indicator",
    "NationalGoal",
    "NationalTarget",
    "Result",
    "ResultContract",
    "Target",
    "TargetValue",
    "result_contracts_field",
]
