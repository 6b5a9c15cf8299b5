"""Mutations of the climate domain: climate initiatives with their participants and targets."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry import relay

from kkr.platform.services import climate

from ..common.enums import ClimateInitiativeKind, Comparator, InitiativeStatus
from ..common.errors import (
    ROW_VERSION,
    DeleteInput,
    DeletePayload,
    MutationError,
    SourcedInput,
    delete_mutation,
    editor_mutation,
    input_argument,
    optional,
    run_mutation,
)
from .types import ClimateInitiative, ClimateParticipant, ClimateTarget

ID_TYPES = {
    "region_id": "Region",
    "partnership_id": "Partnership",
    "initiative_id": "ClimateInitiative",
    "municipality_id": "Municipality",
}


@strawberry.input(description="A participant of a climate initiative: a municipality, or else an organisation.")
class ClimateParticipantFieldsInput(SourcedInput):
    municipality_id: relay.GlobalID | None = optional("The participating municipality (kommune).")
    organisation: str | None = optional("Name of the participating organisation, when it is not a municipality.")
    role: str | None = optional("The participant's role, as printed.")


@strawberry.input(description="A numeric climate target, e.g. -70 % CO2e by 2030 against 1990.")
class ClimateTargetFieldsInput(SourcedInput):
    description: str = strawberry.field(description="The target as printed.")
    metric: str = strawberry.field(description="What is measured, e.g. 'greenhouse_gas_reduction'.")
    unit: str = strawberry.field(description="Unit, e.g. 'percent' or 'tonnes_co2e'.")
    comparator: Comparator | None = optional("How progress is compared with the value (default AT_LEAST).")
    value: Decimal | None = optional("The target value.")
    target_year: int | None = optional("The year the target is for.")
    baseline_year: int | None = optional("The baseline year, e.g. 1990; not after the target year.")


@strawberry.input(description="A new climate initiative (klimainitiativ), optionally with participants and targets.")
class CreateClimateInitiativeInput(SourcedInput):
    kind: ClimateInitiativeKind = strawberry.field(
        description="DK2020 plan, joint ambition, partnership agreement, ..."
    )
    name: str = strawberry.field(description="Name of the initiative.")
    region_id: relay.GlobalID | None = optional(
        "The region that owns the initiative; may be left out when you can edit one region only."
    )
    description: str | None = optional("What the initiative is about.")
    status: InitiativeStatus | None = optional("Planned, active (default) or completed.")
    budget_dkk: Decimal | None = optional("Budget in Danish kroner (not negative).")
    start_year: int | None = optional("First year.")
    end_year: int | None = optional("Last year; not before the start year.")
    partnership_id: relay.GlobalID | None = optional("A cross-region partnership the region is a party of.")
    participants: list[ClimateParticipantFieldsInput] | None = optional("Participants, created with the initiative.")
    targets: list[ClimateTargetFieldsInput] | None = optional("Targets, created with the initiative.")


@strawberry.input(description="Changes to a climate initiative.")
class UpdateClimateInitiativeInput(SourcedInput):
    id: relay.GlobalID = strawberry.field(description="The climate initiative to change.")
    row_version: int = strawberry.field(description=ROW_VERSION)
    kind: ClimateInitiativeKind | None = optional("Kind of initiative.")
    name: str | None = optional("Name of the initiative.")
    description: str | None = optional("What the initiative is about.")
    status: InitiativeStatus | None = optional("Planned, active or completed.")
    budget_dkk: Decimal | None = optional("Budget in Danish kroner.")
    start_year: int | None = optional("First year.")
    end_year: int | None = optional("Last year.")
    partnership_id: relay.GlobalID | None = optional("A cross-region partnership the region is a party of.")


@strawberry.input(description="A new participant of a climate initiative.")
class CreateClimateParticipantInput(ClimateParticipantFieldsInput):
    initiative_id: relay.GlobalID = strawberry.field(description="The climate initiative.")


@strawberry.input(description="Changes to a participant of a climate initiative.")
class UpdateClimateParticipantInput(ClimateParticipantFieldsInput):
    id: relay.GlobalID = strawberry.field(description="The participant to change.")
    row_version: int = strawberry.field(description=ROW_VERSION)


@strawberry.input(description="A new target of a climate initiative.")
class CreateClimateTargetInput(ClimateTargetFieldsInput):
    initiative_id: relay.GlobalID = strawberry.field(description="The climate initiative.")


@strawberry.input(description="Changes to a target of a climate initiative.")
class UpdateClimateTargetInput(SourcedInput):
    id: relay.GlobalID = strawberry.field(description="The target to change.")
    row_version: int = strawberry.field(description=ROW_VERSION)
    description: str | None = optional("The target as printed.")
    metric: str | None = optional("What is measured.")
    unit: str | None = optional("Unit.")
    comparator: Comparator | None = optional("How progress is compared with the value.")
    value: Decimal | None = optional("The target value.")
    target_year: int | None = optional("The year the target is for.")
    baseline_year: int | None = optional("The baseline year.")


@strawberry.type(description="The outcome of a mutation on a climate initiative.")
class ClimateInitiativePayload:
    climate_initiative: ClimateInitiative | None = strawberry.field(
        description="The initiative as saved (null when the mutation was refused)."
    )
    errors: list[MutationError] = strawberry.field(description="Why the mutation was refused; empty on success.")


@strawberry.type(description="The outcome of a mutation on a climate-initiative participant.")
class ClimateParticipantPayload:
    climate_participant: ClimateParticipant | None = strawberry.field(
        description="The participant as saved (null when the mutation was refused)."
    )
    errors: list[MutationError] = strawberry.field(description="Why the mutation was refused; empty on success.")


@strawberry.type(description="The outcome of a mutation on a climate target.")
class ClimateTargetPayload:
    climate_target: ClimateTarget | None = strawberry.field(
        description="The target as saved (null when the mutation was refused)."
    )
    errors: list[MutationError] = strawberry.field(description="Why the mutation was refused; empty on success.")


async def _initiative(info: strawberry.Info, service: Any, data: Any) -> ClimateInitiativePayload:
    row, errors = await run_mutation(info, service, data, {**ID_TYPES, "id": "ClimateInitiative"})
    return ClimateInitiativePayload(climate_initiative=ClimateInitiative.from_row(row) if row else None, errors=errors)


async def _participant(info: strawberry.Info, service: Any, data: Any) -> ClimateParticipantPayload:
    row, errors = await run_mutation(info, service, data, {**ID_TYPES, "id": "ClimateParticipant"})
    return ClimateParticipantPayload(
        climate_participant=ClimateParticipant.from_row(row) if row else None, errors=errors
    )


async def _target(info: strawberry.Info, service: Any, data: Any) -> ClimateTargetPayload:
    row, errors = await run_mutation(info, service, data, {**ID_TYPES, "id": "ClimateTarget"})
    return ClimateTargetPayload(climate_target=ClimateTarget.from_row(row) if row else None, errors=errors)


@strawberry.type(description="Changes to climate initiatives, their participants and targets.")
class ClimateMutation:
    @editor_mutation("Create a climate initiative in a region you edit, optionally with participants and targets.")
    async def create_climate_initiative(
        self,
        info: strawberry.Info,
        input: Annotated[CreateClimateInitiativeInput, input_argument("The new initiative.")],
    ) -> ClimateInitiativePayload:
        return await _initiative(info, climate.create_climate_initiative, input)

    @editor_mutation("Change a climate initiative.")
    async def update_climate_initiative(
        self, info: strawberry.Info, input: Annotated[UpdateClimateInitiativeInput, input_argument("The changes.")]
    ) -> ClimateInitiativePayload:
        return await _initiative(info, climate.update_climate_initiative, input)

    @editor_mutation("Delete a climate initiative with its participants and targets.")
    async def delete_climate_initiative(
        self, info: strawberry.Info, input: Annotated[DeleteInput, input_argument("The initiative and its rowVersion.")]
    ) -> DeletePayload:
        return await delete_mutation(info, climate.delete_climate_initiative, input, "ClimateInitiative")

    @editor_mutation("Add a participant to a climate initiative.")
    async def create_climate_participant(
        self,
        info: strawberry.Info,
        input: Annotated[CreateClimateParticipantInput, input_argument("The new participant.")],
    ) -> ClimateParticipantPayload:
        return await _participant(info, climate.create_climate_participant, input)

    @editor_mutation("Change a participant of a climate initiative.")
    async def update_climate_participant(
        self, info: strawberry.Info, input: Annotated[UpdateClimateParticipantInput, input_argument("The changes.")]
    ) -> ClimateParticipantPayload:
        return await _participant(info, climate.update_climate_participant, input)

    @editor_mutation("Remove a participant from a climate initiative.")
    async def delete_climate_participant(
        self,
        info: strawberry.Info,
        input: Annotated[DeleteInput, input_argument("The participant and its rowVersion.")],
    ) -> DeletePayload:
        return await delete_mutation(info, climate.delete_climate_participant, input, "ClimateParticipant")

    @editor_mutation("Add a target to a climate initiative.")
    async def create_climate_target(
        self, info: strawberry.Info, input: Annotated[CreateClimateTargetInput, input_argument("The new target.")]
    ) -> ClimateTargetPayload:
        return await _target(info, climate.create_climate_target, input)

    @editor_mutation("Change a target of a climate initiative.")
    async def update_climate_target(
        self, info: strawberry.Info, input: Annotated[UpdateClimateTargetInput, input_argument("The changes.")]
    ) -> ClimateTargetPayload:
        return await _target(info, climate.update_climate_target, input)

    @editor_mutation("Delete a target of a climate initiative.")
    async def delete_climate_target(
        self, info: strawberry.Info, input: Annotated[DeleteInput, input_argument("The target and its rowVersion.")]
    ) -> DeletePayload:
        return await delete_mutation(info, climate.delete_climate_target, input, "ClimateTarget")
