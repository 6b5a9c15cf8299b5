"""GraphQL types of the climate domain: initiatives (DK2020, joint ambitions, partnerships),
their participants and targets."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, Self

import strawberry
from strawberry import relay

from ..common.connection import Connection, connection
from ..common.enums import ClimateInitiativeKind, Comparator, InitiativeStatus
from ..common.nodes import EditableNode
from ..common.relations import to_one
from ..common.rows import copied
from ..common.source import Source
from ..geography.relations import MUNICIPALITY, REGION
from ..organisations.relations import PARTNERSHIP
from .loaders import (
    CLIMATE_TARGET_BY_ID,
    INITIATIVE_BY_ID,
    INITIATIVES_BY_TENANT,
    PARTICIPANT_BY_ID,
    PARTICIPANTS_BY_INITIATIVE,
    TARGETS_BY_INITIATIVE,
)


@strawberry.type(
    description="A climate initiative (klimaindsats) of a region: a DK2020 plan, a joint ambition,"
    " a climate partnership agreement, ..."
)
class ClimateInitiative(EditableNode):
    id: relay.NodeID[str]
    node_loader = INITIATIVE_BY_ID
    partnership_id: strawberry.Private[uuid.UUID | None]
    region_slug: str = strawberry.field(description="Slug of the region (tenant) that owns the initiative.")
    kind: ClimateInitiativeKind = strawberry.field(description="Kind of initiative.")
    name: str = strawberry.field(description="Name as printed.")
    description: str | None = strawberry.field(description="What the initiative is about.")
    status: InitiativeStatus = strawberry.field(description="Planned, active or completed.")
    budget_dkk: Decimal | None = strawberry.field(description="Budget in Danish kroner, when printed.")
    start_year: int | None = strawberry.field(description="First year of the initiative.")
    end_year: int | None = strawberry.field(description="Last year of the initiative.")
    source: Source = strawberry.field(description="Where the initiative is documented.")

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return copied(cls, row, id=str(row.id), row_id=row.id, region_slug=row.tenant_id)

    region = REGION.field("The region (KKR) that owns the initiative.")
    partnership = PARTNERSHIP.field("The cross-region partnership the initiative belongs to, if any.", nullable=True)

    @connection(Connection["ClimateParticipant"], description="Municipalities and organisations taking part.")
    async def participants(self, info: strawberry.Info) -> list[ClimateParticipant]:
        return [ClimateParticipant.from_row(r) for r in await PARTICIPANTS_BY_INITIATIVE.load(info, self.row_id)]

    @connection(Connection["ClimateTarget"], description="The initiative's numeric targets, by target year.")
    async def targets(self, info: strawberry.Info) -> list[ClimateTarget]:
        return [ClimateTarget.from_row(r) for r in await TARGETS_BY_INITIATIVE.load(info, self.row_id)]


@strawberry.type(description="A municipality or organisation taking part in a climate initiative.")
class ClimateParticipant(EditableNode):
    id: relay.NodeID[str]
    node_loader = PARTICIPANT_BY_ID
    initiative_id: strawberry.Private[uuid.UUID]
    region_slug: str = strawberry.field(description="Slug of the region (tenant) that owns the record.")
    municipality_code: str | None = strawberry.field(description="Kommunekode, when the participant is a municipality.")
    organisation: str | None = strawberry.field(description="Name, when the participant is not a municipality.")
    role: str | None = strawberry.field(description="Role as printed, e.g. 'deltager'.")
    source: Source = strawberry.field(description="Where the participation is documented.")

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return copied(cls, row, id=str(row.id), row_id=row.id, region_slug=row.tenant_id)

    municipality = MUNICIPALITY.field("The participating municipality, if the participant is one.", nullable=True)
    initiative = to_one(
        INITIATIVE_BY_ID, "initiative_id", ClimateInitiative, nullable=True, description="The initiative."
    )


@strawberry.type(description="A numeric climate target, e.g. -70 % greenhouse gases by 2030 against 1990.")
class ClimateTarget(EditableNode):
    id: relay.NodeID[str]
    node_loader = CLIMATE_TARGET_BY_ID
    initiative_id: strawberry.Private[uuid.UUID]
    region_slug: str = strawberry.field(description="Slug of the region (tenant) that owns the record.")
    description: str = strawberry.field(description="The target as printed.")
    metric: str = strawberry.field(description="What is measured, e.g. 'greenhouse_gas_reduction'.")
    comparator: Comparator = strawberry.field(description="How a value is compared with the target.")
    value: Decimal | None = strawberry.field(description="The target value.")
    unit: str = strawberry.field(description="Unit, e.g. 'percent' or 'tonnes_co2e'.")
    target_year: int | None = strawberry.field(description="Year the target is for.")
    baseline_year: int | None = strawberry.field(description="Year the target is measured against.")
    source: Source = strawberry.field(description="Where the target is printed.")

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return copied(cls, row, id=str(row.id), row_id=row.id, region_slug=row.tenant_id)

    initiative = to_one(
        INITIATIVE_BY_ID, "initiative_id", ClimateInitiative, nullable=True, description="The initiative."
    )


async def climate_initiatives_of_region(
    info: strawberry.Info, region_slug: str, status: InitiativeStatus | None
) -> list[ClimateInitiative]:
    rows = await INITIATIVES_BY_TENANT.load(info, region_slug)
    return [ClimateInitiative.from_row(r) for r in rows if status is None or r.status.value == status.value]
