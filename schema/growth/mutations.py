"""Mutations of the growth domain: growth teams (vækstteams) and their members.

Each input field is declared once, with its rule and id type (`schema/common/inputs.py`); update
inputs are derived from the create inputs.
"""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry import relay

from kkr.platform.services import growth
from kkr.platform.services.validation import Date, Integer, Text, TextList

from ..common.inputs import SourcedInput, editable, reference, updating
from ..common.mutations import delete_mutation, editor_mutation, payload
from .types import GrowthTeam, GrowthTeamMember


@strawberry.input(description="A new growth team (vækstteam) of a region.")
class CreateGrowthTeamInput(SourcedInput):
    name: str = editable(Text(required=True), "Name, e.g. 'Vækstteam for Sjælland og øerne'.")
    geography: str = editable(Text(required=True, max_length=64), "Region or island the team covers, e.g. 'Bornholm'.")
    region_id: relay.GlobalID | None = reference(
        "Region", "The region that owns the team; may be left out when you can edit one region only."
    )
    mandate: str | None = editable(Text(), "The team's mandate (kommissorium).")
    focus_areas: list[str] | None = editable(
        TextList(), "The team's focus areas (fokusområder); a change replaces the list."
    )
    deadline: dt.date | None = editable(Date(), "When the team reports.")
    deadline_label: str | None = editable(Text(max_length=64), "The deadline as printed, e.g. 'maj 2021'.")
    recommendations: str | None = editable(Text(), "The team's recommendations (anbefalinger).")


UpdateGrowthTeamInput = updating(
    CreateGrowthTeamInput, "UpdateGrowthTeamInput", "Changes to a growth team.", "The growth team to change."
)


@strawberry.input(description="A new member of a growth team.")
class CreateGrowthTeamMemberInput(SourcedInput):
    growth_team_id: relay.GlobalID = reference("GrowthTeam", "The growth team the member joins.", required=True)
    name: str = editable(Text(required=True, max_length=128), "The member's name.")
    role: str = editable(Text(required=True, max_length=64), "Role as printed, e.g. 'Formand' or 'Medlem'.")
    organisation: str | None = editable(Text(), "The member's organisation.")
    position: int | None = editable(Integer(minimum=0), "Order in the team (default: after the last member).")


UpdateGrowthTeamMemberInput = updating(
    CreateGrowthTeamMemberInput,
    "UpdateGrowthTeamMemberInput",
    "Changes to a growth-team member.",
    "The member to change.",
)

GrowthTeamPayload = payload(GrowthTeam)
GrowthTeamMemberPayload = payload(GrowthTeamMember)


@strawberry.type(description="Changes to growth teams and their members.")
class GrowthMutation:
    create_growth_team = editor_mutation(
        growth.create_growth_team,
        CreateGrowthTeamInput,
        GrowthTeamPayload,
        "Create a growth team in a region you edit.",
        "The new growth team.",
    )
    update_growth_team = editor_mutation(
        growth.update_growth_team, UpdateGrowthTeamInput, GrowthTeamPayload, "Change a growth team.", "The changes."
    )
    delete_growth_team = delete_mutation(
        growth.delete_growth_team,
        GrowthTeam,
        "Delete a growth team with its members.",
        "The growth team and its rowVersion.",
    )
    create_growth_team_member = editor_mutation(
        growth.create_growth_team_member,
        CreateGrowthTeamMemberInput,
        GrowthTeamMemberPayload,
        "Add a member to a growth team.",
        "The new member.",
    )
    update_growth_team_member = editor_mutation(
        growth.update_growth_team_member,
        UpdateGrowthTeamMemberInput,
        GrowthTeamMemberPayload,
        "Change a growth-team member.",
        "The changes.",
    )
    delete_growth_team_member = delete_mutation(
        growth.delete_growth_team_member,
        GrowthTeamMember,
        "Remove a member from a growth team.",
        "The member and its rowVersion.",
    )
