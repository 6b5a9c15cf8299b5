"""Mutations of the climate domain: climate initiatives with their participants and targets.

Each input field is declared once, with its rule and id type (`schema/common/inputs.py`); update
inputs are derived from the create inputs.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import strawberry
from strawberry import relay

from kkr.platform.services import climate
from kkr.platform.services.validation import Choice, Integer, Number, Text

from ..common.enums import ClimateInitiativeKind, Comparator, InitiativeStatus
from ..common.inputs import SourcedInput, editable, nested, reference, updating
from ..common.mutations import delete_mutation, editor_mutation, payload
from .types import ClimateInitiative, ClimateParticipant, ClimateTarget


def _year(description: str) -> Any:
    return editable(Integer(minimum=1990, maximum=2100), description)


@strawberry.input(description="A participant of a climate initiative: a municipality, or else an organisation.")
class ClimateParticipantFieldsInput(SourcedInput):
    municipality_id: relay.GlobalID | None = reference(
        "Municipality", "The participating municipality (kommune).", column="municipality_code", max_length=3
    )
    organisation: str | None = editable(
        Text(), "Name of the participating organisation, when it is not a municipality."
    )
    role: str | None = editable(Text(max_length=128), "The participant's role, as printed.")


@strawberry.input(description="A numeric climate target, e.g. -70 % CO2e by 2030 against 1990.")
class ClimateTargetFieldsInput(SourcedInput):
    description: str = editable(Text(required=True), "The target as printed.")
    metric: str = editable(Text(required=True, max_length=64), "What is measured, e.g. 'greenhouse_gas_reduction'.")
    unit: str = editable(Text(required=True, max_length=32), "Unit, e.g. 'percent' or 'tonnes_co2e'.")
    comparator: Comparator | None = editable(Choice(), "How progress is compared with the value (default AT_LEAST).")
    value: Decimal | None = editable(Number(), "The target value.")
    target_year: int | None = _year("The year the target is for.")
    baseline_year: int | None = _year("The baseline year, e.g. 1990; not after the target year.")


@strawberry.input(description="A new climate initiative (klimainitiativ), optionally with participants and targets.")
class CreateClimateInitiativeInput(SourcedInput):
    kind: ClimateInitiativeKind = editable(
        Choice(required=True),
        "DK2020 plan, joint ambition, partnership agreement, ...",
    )
    name: str = editable(Text(required=True), "Name of the initiative.")
    region_id: relay.GlobalID | None = reference(
        "Region", "The region that owns the initiative; may be left out when you can edit one region only."
    )
    description: str | None = editable(Text(), "What the initiative is about.")
    status: InitiativeStatus | None = editable(Choice(), "Planned, active (default) or completed.")
    budget_dkk: Decimal | None = editable(
        Number(scale=2, minimum=Decimal(0)), "Budget in Danish kroner (not negative)."
    )
    start_year: int | None = _year("First year.")
    end_year: int | None = _year("Last year; not before the start year.")
    partnership_id: relay.GlobalID | None = reference(
        "Partnership", "A cross-region partnership the region is a party of.", editable=True
    )
    participants: list[ClimateParticipantFieldsInput] | None = nested("Participants, created with the initiative.")
    targets: list[ClimateTargetFieldsInput] | None = nested("Targets, created with the initiative.")


UpdateClimateInitiativeInput = updating(
    CreateClimateInitiativeInput,
    "UpdateClimateInitiativeInput",
    "Changes to a climate initiative.",
    "The climate initiative to change.",
)


@strawberry.input(description="A new participant of a climate initiative.")
class CreateClimateParticipantInput(ClimateParticipantFieldsInput):
    initiative_id: relay.GlobalID = reference("ClimateInitiative", "The climate initiative.", required=True)


UpdateClimateParticipantInput = updating(
    ClimateParticipantFieldsInput,
    "UpdateClimateParticipantInput",
    "Changes to a participant of a climate initiative.",
    "The participant to change.",
)


@strawberry.input(description="A new target of a climate initiative.")
class CreateClimateTargetInput(ClimateTargetFieldsInput):
    initiative_id: relay.GlobalID = reference("ClimateInitiative", "The climate initiative.", required=True)


UpdateClimateTargetInput = updating(
    ClimateTargetFieldsInput,
    "UpdateClimateTargetInput",
    "Changes to a target of a climate initiative.",
    "The target to change.",
)

ClimateInitiativePayload = payload(ClimateInitiative)
ClimateParticipantPayload = payload(ClimateParticipant)
ClimateTargetPayload = payload(ClimateTarget)


@strawberry.type(description="Changes to climate initiatives, their participants and targets.")
class ClimateMutation:
    create_climate_initiative = editor_mutation(
        climate.create_climate_initiative,
        CreateClimateInitiativeInput,
        ClimateInitiativePayload,
        "Create a climate initiative in a region you edit, optionally with participants and targets.",
        "The new initiative.",
    )
    update_climate_initiative = editor_mutation(
        climate.update_climate_initiative,
        UpdateClimateInitiativeInput,
        ClimateInitiativePayload,
        "Change a climate initiative.",
        "The changes.",
    )
    delete_climate_initiative = delete_mutation(
        climate.delete_climate_initiative,
        ClimateInitiative,
        "Delete a climate initiative with its participants and targets.",
        "The initiative and its rowVersion.",
    )
    create_climate_participant = editor_mutation(
        climate.create_climate_participant,
        CreateClimateParticipantInput,
        ClimateParticipantPayload,
        "Add a participant to a climate initiative.",
        "The new participant.",
    )
    update_climate_participant = editor_mutation(
        climate.update_climate_participant,
        UpdateClimateParticipantInput,
        ClimateParticipantPayload,
        "Change a participant of a climate initiative.",
        "The changes.",
    )
    delete_climate_participant = delete_mutation(
        climate.delete_climate_participant,
        ClimateParticipant,
        "Remove a participant from a climate initiative.",
        "The participant and its rowVersion.",
    )
    create_climate_target = editor_mutation(
        climate.create_climate_target,
        CreateClimateTargetInput,
        ClimateTargetPayload,
        "Add a target to a climate initiative.",
        "The new target.",
    )
    update_climate_target = editor_mutation(
        climate.update_climate_target,
        UpdateClimateTargetInput,
        ClimateTargetPayload,
        "Change a target of a climate initiative.",
        "The changes.",
    )
    delete_climate_target = delete_mutation(
        climate.delete_climate_target,
        ClimateTarget,
        "Delete a target of a climate initiative.",
        "The target and its rowVersion.",
    )
