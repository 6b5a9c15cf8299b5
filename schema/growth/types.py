"""GraphQL types of the growth-team domain: vækstteams and their members."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Self

import strawberry
from strawberry import relay

from ..common.connection import Connection, connection
from ..common.nodes import EditableNode
from ..common.relations import to_one
from ..common.rows import copied
from ..common.source import Source
from ..geography.relations import REGION
from .loaders import GROWTH_TEAM_BY_ID, GROWTH_TEAMS_BY_TENANT, MEMBER_BY_ID, MEMBERS_BY_TEAM


@strawberry.type(description="A regional growth team (vækstteam) set up with a mandate (kommissorium).")
class GrowthTeam(EditableNode):
    id: relay.NodeID[str]
    node_loader = GROWTH_TEAM_BY_ID
    region_slug: str = strawberry.field(description="Slug of the region (tenant) that owns the team.")
    name: str = strawberry.field(description="Name, e.g. 'Vækstteam Nordjylland'.")
    geography: str = strawberry.field(description="Region or island the team covers, e.g. 'Bornholm'.")
    mandate: str | None = strawberry.field(description="The team's mandate (kommissorium), as printed.")
    focus_areas: list[str] = strawberry.field(description="Focus areas (fokusområder) as printed.")
    deadline: dt.date | None = strawberry.field(description="Deadline for the recommendations, as a date.")
    deadline_label: str | None = strawberry.field(description="Deadline as printed, e.g. 'maj 2021'.")
    recommendations: str | None = strawberry.field(description="The team's recommendations (anbefalinger), if any.")
    source: Source = strawberry.field(description="Where the team is documented.")

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return copied(
            cls, row, id=str(row.id), row_id=row.id, region_slug=row.tenant_id, focus_areas=list(row.focus_areas or [])
        )

    region = REGION.field("The region (KKR) the team belongs to.")

    @connection(Connection["GrowthTeamMember"], description="The team's members in printed order (chair first).")
    async def members(self, info: strawberry.Info) -> list[GrowthTeamMember]:
        return [GrowthTeamMember.from_row(r) for r in await MEMBERS_BY_TEAM.load(info, self.row_id)]


@strawberry.type(description="A member of a growth team with role and organisation.")
class GrowthTeamMember(EditableNode):
    id: relay.NodeID[str]
    node_loader = MEMBER_BY_ID
    growth_team_id: strawberry.Private[uuid.UUID]
    region_slug: str = strawberry.field(description="Slug of the region (tenant) that owns the record.")
    name: str = strawberry.field(description="Full name as printed.")
    role: str = strawberry.field(description="Role as printed, e.g. 'Formand' or 'Medlem'.")
    organisation: str | None = strawberry.field(description="Organisation and title as printed.")
    position: int = strawberry.field(description="Order of the member as printed.")
    source: Source = strawberry.field(description="Where the membership is printed.")

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return copied(cls, row, id=str(row.id), row_id=row.id, region_slug=row.tenant_id)

    growth_team = to_one(GROWTH_TEAM_BY_ID, "growth_team_id", GrowthTeam, nullable=True, description="The growth team.")


async def growth_teams_of_region(info: strawberry.Info, region_slug: str) -> list[GrowthTeam]:
    return [GrowthTeam.from_row(r) for r in await GROWTH_TEAMS_BY_TENANT.load(info, region_slug)]
