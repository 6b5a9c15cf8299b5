"""GraphQL types of the growth-team domain: vækstteams and their members."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from kkr.platform.models import GrowthTeam as GrowthTeamModel
from kkr.platform.models import GrowthTeamMember as GrowthTeamMemberModel

from ..audit.types import HISTORY_DESCRIPTION, AuditEvent, history_of
from ..common.connection import Connection, connection
from ..common.nodes import resolve_nodes
from ..common.source import Source, source_of
from ..permissions import RegionalRead
from .loaders import GROWTH_TEAM_BY_ID, GROWTH_TEAMS_BY_TENANT, MEMBER_BY_ID, MEMBERS_BY_TEAM

if TYPE_CHECKING:
    from ..geography.types import Region

_GEOGRAPHY = "kkr.schema.geography.types"


@strawberry.type(description="A regional growth team (vækstteam) set up with a mandate (kommissorium).")
class GrowthTeam(relay.Node):
    id: relay.NodeID[str]
    row_id: strawberry.Private[uuid.UUID]
    region_slug: str = strawberry.field(description="Slug of the region (tenant) that owns the team.")
    name: str = strawberry.field(description="Name, e.g. 'Vækstteam Nordjylland'.")
    geography: str = strawberry.field(description="Region or island the team covers, e.g. 'Bornholm'.")
    mandate: str | None = strawberry.field(description="The team's mandate (kommissorium), as printed.")
    focus_areas: list[str] = strawberry.field(description="Focus areas (fokusområder) as printed.")
    deadline: dt.date | None = strawberry.field(description="Deadline for the recommendations, as a date.")
    deadline_label: str | None = strawberry.field(description="Deadline as printed, e.g. 'maj 2021'.")
    recommendations: str | None = strawberry.field(description="The team's recommendations (anbefalinger), if any.")
    row_version: int = strawberry.field(description="Version for optimistic concurrency (send it back when editing).")
    source: Source = strawberry.field(description="Where the team is documented.")

    @classmethod
    def from_row(cls, row: GrowthTeamModel) -> GrowthTeam:
        return cls(
            id=str(row.id),
            row_id=row.id,
            region_slug=row.tenant_id,
            name=row.name,
            geography=row.geography,
            mandate=row.mandate,
            focus_areas=list(row.focus_areas or []),
            deadline=row.deadline,
            deadline_label=row.deadline_label,
            recommendations=row.recommendations,
            row_version=row.row_version,
            source=source_of(row),
        )

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False) -> list:
        return await resolve_nodes(info, node_ids, GROWTH_TEAM_BY_ID, cls.from_row, uuid_keys=True, required=required)

    @strawberry.field(description="The region (KKR) the team belongs to.")
    async def region(self, info: strawberry.Info) -> Annotated[Region, strawberry.lazy(_GEOGRAPHY)]:
        from ..geography.loaders import REGION_BY_SLUG
        from ..geography.types import Region

        return Region.from_row(await REGION_BY_SLUG.load(info, self.region_slug))

    @connection(Connection["GrowthTeamMember"], description="The team's members in printed order (chair first).")
    async def members(self, info: strawberry.Info) -> list[GrowthTeamMember]:
        return [GrowthTeamMember.from_row(r) for r in await MEMBERS_BY_TEAM.load(info, self.row_id)]

    @connection(Connection[AuditEvent] | None, description=HISTORY_DESCRIPTION, permission_classes=[RegionalRead])
    async def history(self, info: strawberry.Info) -> list[AuditEvent]:
        return await history_of(info, self.row_id)


@strawberry.type(description="A member of a growth team with role and organisation.")
class GrowthTeamMember(relay.Node):
    id: relay.NodeID[str]
    row_id: strawberry.Private[uuid.UUID]
    growth_team_id: strawberry.Private[uuid.UUID]
    region_slug: str = strawberry.field(description="Slug of the region (tenant) that owns the record.")
    name: str = strawberry.field(description="Full name as printed.")
    role: str = strawberry.field(description="Role as printed, e.g. 'Formand' or 'Medlem'.")
    organisation: str | None = strawberry.field(description="Organisation and title as printed.")
    position: int = strawberry.field(description="Order of the member as printed.")
    row_version: int = strawberry.field(description="Version for optimistic concurrency (send it back when editing).")
    source: Source = strawberry.field(description="Where the membership is printed.")

    @classmethod
    def from_row(cls, row: GrowthTeamMemberModel) -> GrowthTeamMember:
        return cls(
            id=str(row.id),
            row_id=row.id,
            growth_team_id=row.growth_team_id,
            region_slug=row.tenant_id,
            name=row.name,
            role=row.role,
            organisation=row.organisation,
            position=row.position,
            row_version=row.row_version,
            source=source_of(row),
        )

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False) -> list:
        return await resolve_nodes(info, node_ids, MEMBER_BY_ID, cls.from_row, uuid_keys=True, required=required)

    @strawberry.field(description="The growth team.")
    async def growth_team(self, info: strawberry.Info) -> GrowthTeam | None:
        row = await GROWTH_TEAM_BY_ID.load(info, self.growth_team_id)
        return GrowthTeam.from_row(row) if row is not None else None

    @connection(Connection[AuditEvent] | None, description=HISTORY_DESCRIPTION, permission_classes=[RegionalRead])
    async def history(self, info: strawberry.Info) -> list[AuditEvent]:
        return await history_of(info, self.row_id)


async def growth_teams_of_region(info: strawberry.Info, region_slug: str) -> list[GrowthTeam]:
    return [GrowthTeam.from_row(r) for r in await GROWTH_TEAMS_BY_TENANT.load(info, region_slug)]
