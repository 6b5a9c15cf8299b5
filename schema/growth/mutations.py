"""Mutations of the growth domain: growth teams (vækstteams) and their members."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry
from strawberry import relay

from kkr.platform.services import growth

from ..common.errors import (
    ROW_VERSION,
    DeleteInput,
    DeletePayload,
    MutationError,
    SourcedInput,
    delete_mutation,
    editor_mutation,
    optional,
    run_mutation,
)
from .types import GrowthTeam, GrowthTeamMember

ID_TYPES = {"region_id": "Region", "growth_team_id": "GrowthTeam"}


@strawberry.input(description="A new growth team (vækstteam) of a region.")
class CreateGrowthTeamInput(SourcedInput):
    name: str = strawberry.field(description="Name, e.g. 'Vækstteam for Sjælland og øerne'.")
    geography: str = strawberry.field(description="Region or island the team covers, e.g. 'Bornholm'.")
    region_id: relay.GlobalID | None = optional(
        "The region that owns the team; may be left out when you can edit one region only."
    )
    mandate: str | None = optional("The team's mandate (kommissorium).")
    focus_areas: list[str] | None = optional("The team's focus areas (fokusområder).")
    deadline: dt.date | None = optional("When the team reports.")
    deadline_label: str | None = optional("The deadline as printed, e.g. 'maj 2021'.")
    recommendations: str | None = optional("The team's recommendations (anbefalinger).")


@strawberry.input(description="Changes to a growth team.")
class UpdateGrowthTeamInput(SourcedInput):
    id: relay.GlobalID = strawberry.field(description="The growth team to change.")
    row_version: int = strawberry.field(description=ROW_VERSION)
    name: str | None = optional("Name of the team.")
    geography: str | None = optional("Region or island the team covers.")
    mandate: str | None = optional("The team's mandate (kommissorium).")
    focus_areas: list[str] | None = optional("The team's focus areas (replaces the list).")
    deadline: dt.date | None = optional("When the team reports.")
    deadline_label: str | None = optional("The deadline as printed.")
    recommendations: str | None = optional("The team's recommendations.")


@strawberry.input(description="A new member of a growth team.")
class CreateGrowthTeamMemberInput(SourcedInput):
    growth_team_id: relay.GlobalID = strawberry.field(description="The growth team the member joins.")
    name: str = strawberry.field(description="The member's name.")
    role: str = strawberry.field(description="Role as printed, e.g. 'Formand' or 'Medlem'.")
    organisation: str | None = optional("The member's organisation.")
    position: int | None = optional("Order in the team (default: after the last member).")


@strawberry.input(description="Changes to a growth-team member.")
class UpdateGrowthTeamMemberInput(SourcedInput):
    id: relay.GlobalID = strawberry.field(description="The member to change.")
    row_version: int = strawberry.field(description=ROW_VERSION)
    name: str | None = optional("The member's name.")
    role: str | None = optional("Role as printed.")
    organisation: str | None = optional("The member's organisation.")
    position: int | None = optional("Order in the team.")


@strawberry.type(description="The outcome of a mutation on a growth team.")
class GrowthTeamPayload:
    growth_team: GrowthTeam | None = strawberry.field(
        description="The growth team as saved (null when the mutation was refused)."
    )
    errors: list[MutationError] = strawberry.field(description="Why the mutation was refused; empty on success.")


@strawberry.type(description="The outcome of a mutation on a growth-team member.")
class GrowthTeamMemberPayload:
    growth_team_member: GrowthTeamMember | None = strawberry.field(
        description="The member as saved (null when the mutation was refused)."
    )
    errors: list[MutationError] = strawberry.field(description="Why the mutation was refused; empty on success.")


async def _team(info: strawberry.Info, service: Any, data: Any) -> GrowthTeamPayload:
    row, errors = await run_mutation(info, service, data, {**ID_TYPES, "id": "GrowthTeam"})
    return GrowthTeamPayload(growth_team=GrowthTeam.from_row(row) if row else None, errors=errors)


async def _member(info: strawberry.Info, service: Any, data: Any) -> GrowthTeamMemberPayload:
    row, errors = await run_mutation(info, service, data, {**ID_TYPES, "id": "GrowthTeamMember"})
    return GrowthTeamMemberPayload(growth_team_member=GrowthTeamMember.from_row(row) if row else None, errors=errors)


@strawberry.type(description="Changes to growth teams and their members.")
class GrowthMutation:
    @editor_mutation("Create a growth team in a region you edit.")
    async def create_growth_team(
        self,
        info: strawberry.Info,
        input: Annotated[CreateGrowthTeamInput, strawberry.argument(description="The new growth team.")],
    ) -> GrowthTeamPayload:
        return await _team(info, growth.create_growth_team, input)

    @editor_mutation("Change a growth team.")
    async def update_growth_team(
        self,
        info: strawberry.Info,
        input: Annotated[UpdateGrowthTeamInput, strawberry.argument(description="The changes.")],
    ) -> GrowthTeamPayload:
        return await _team(info, growth.update_growth_team, input)

    @editor_mutation("Delete a growth team with its members.")
    async def delete_growth_team(
        self,
        info: strawberry.Info,
        input: Annotated[DeleteInput, strawberry.argument(description="The growth team and its rowVersion.")],
    ) -> DeletePayload:
        return await delete_mutation(info, growth.delete_growth_team, input, "GrowthTeam")

    @editor_mutation("Add a member to a growth team.")
    async def create_growth_team_member(
        self,
        info: strawberry.Info,
        input: Annotated[CreateGrowthTeamMemberInput, strawberry.argument(description="The new member.")],
    ) -> GrowthTeamMemberPayload:
        return await _member(info, growth.create_growth_team_member, input)

    @editor_mutation("Change a growth-team member.")
    async def update_growth_team_member(
        self,
        info: strawberry.Info,
        input: Annotated[UpdateGrowthTeamMemberInput, strawberry.argument(description="The changes.")],
    ) -> GrowthTeamMemberPayload:
        return await _member(info, growth.update_growth_team_member, input)

    @editor_mutation("Remove a member from a growth team.")
    async def delete_growth_team_member(
        self,
        info: strawberry.Info,
        input: Annotated[DeleteInput, strawberry.argument(description="The member and its rowVersion.")],
    ) -> DeletePayload:
        return await delete_mutation(info, growth.delete_growth_team_member, input, "GrowthTeamMember")
