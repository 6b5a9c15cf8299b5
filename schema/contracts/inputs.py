"""Inputs and payloads of the contracts domain's mutations.

Fields left out of an update input are not changed; null clears an optional field.
IDs are the global IDs of the read side's types.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry
from strawberry import relay

from ..common.enums import Comparator, ContractStatus, GoalCategory, Unit
from ..common.errors import ROW_VERSION, MutationError, SourcedInput, optional
from .types import Goal, Indicator, Result, ResultContract, Target

# --- result contracts ------------------------------------------------------------------------


@strawberry.input(description="A new result contract (resultatkontrakt): a draft, version 1, of a hub and year.")
class CreateResultContractInput(SourcedInput):
    business_hub_id: relay.GlobalID = strawberry.field(
        description="The business hub (erhvervshus) the contract is with; its region owns the contract."
    )
    year: int = strawberry.field(description="The contract year (2000-2100); one contract per hub and year.")
    title: str = strawberry.field(description="Title, e.g. 'Resultatkontrakt 2022'.")
    framework_agreement_id: relay.GlobalID | None = optional(
        "The framework agreement (rammeaftale) the contract follows; the year must lie within it."
    )
    published: bool | None = optional("Whether the contract is visible beyond the region (default false).")
    fulfilment_rule: str | None = optional("The contract's own fulfilment rule, as printed.")
    reported_fulfilment_pct: Decimal | None = optional("Overall fulfilment in percent (0-100) as printed.")


@strawberry.input(description="Changes to a result contract's own fields (a signed one: only its reporting).")
class UpdateResultContractInput(SourcedInput):
    id: relay.GlobalID = strawberry.field(description="The result contract to change.")
    row_version: int = strawberry.field(description=ROW_VERSION)
    year: int | None = optional("The contract year.")
    title: str | None = optional("Title as printed.")
    framework_agreement_id: relay.GlobalID | None = optional("The framework agreement the contract follows.")
    published: bool | None = optional("Whether the contract is visible beyond the region.")
    fulfilment_rule: str | None = optional("The contract's own fulfilment rule, as printed.")
    reported_fulfilment_pct: Decimal | None = optional("Overall fulfilment in percent (0-100) as printed.")


@strawberry.input(description="The next status of a result contract: draft → adopted → signed → reported.")
class ChangeResultContractStatusInput:
    id: relay.GlobalID = strawberry.field(description="The result contract.")
    row_version: int = strawberry.field(description=ROW_VERSION)
    status: ContractStatus = strawberry.field(description="The next status; no skipping, no going back.")
    on: dt.date | None = optional("Date of adoption (godkendelse) or signing (underskrift); default today.")


@strawberry.input(description="The contract version to copy into a new draft version that supersedes it.")
class CreateResultContractVersionInput:
    id: relay.GlobalID = strawberry.field(description="The latest version of the result contract.")
    row_version: int = strawberry.field(description=ROW_VERSION)


# --- goals and indicators --------------------------------------------------------------------


@strawberry.input(description="A new goal (mål) of an editable (draft or adopted) result contract.")
class CreateGoalInput(SourcedInput):
    contract_id: relay.GlobalID = strawberry.field(description="The result contract the goal belongs to.")
    code: str = strawberry.field(description="Code as printed, e.g. '5C'; unique within the contract.")
    category: GoalCategory = strawberry.field(description="National, common (fælles) or local (lokal) goal.")
    title: str = strawberry.field(description="Title as printed.")
    description: str | None = optional("The goal's text.")
    measurement_method: str | None = optional("How the goal is measured (opgørelsesmetode).")
    data_source: str | None = optional("Where the data comes from (datakilde).")
    national_goal_id: relay.GlobalID | None = optional(
        "The national goal (of the contract's framework agreement) the goal implements."
    )
    partnership_id: relay.GlobalID | None = optional("A cross-region partnership the goal is shared through.")
    position: int | None = optional("Order in the contract (default: after the last goal).")
    reported_fulfilment_pct: Decimal | None = optional("Fulfilment in percent (0-100) as printed.")


@strawberry.input(description="Changes to a goal of an editable result contract.")
class UpdateGoalInput(SourcedInput):
    id: relay.GlobalID = strawberry.field(description="The goal to change.")
    row_version: int = strawberry.field(description=ROW_VERSION)
    code: str | None = optional("Code as printed; unique within the contract.")
    category: GoalCategory | None = optional("National, common or local goal.")
    title: str | None = optional("Title as printed.")
    description: str | None = optional("The goal's text.")
    measurement_method: str | None = optional("How the goal is measured (opgørelsesmetode).")
    data_source: str | None = optional("Where the data comes from (datakilde).")
    national_goal_id: relay.GlobalID | None = optional("The national goal the goal implements.")
    partnership_id: relay.GlobalID | None = optional("A cross-region partnership the goal is shared through.")
    position: int | None = optional("Order in the contract.")
    reported_fulfilment_pct: Decimal | None = optional("Fulfilment in percent (0-100) as printed.")


@strawberry.input(description="A target value (måltal) for one period and segment.")
class TargetFieldsInput(SourcedInput):
    period_label: str = strawberry.field(description="Period as printed, e.g. '2022'; a year gives start and end.")
    unit: Unit = strawberry.field(description="Unit of the target and its results.")
    period_start: dt.date | None = optional("First day of the period (default from a year label).")
    period_end: dt.date | None = optional("Last day of the period (default from a year label).")
    comparator: Comparator | None = optional("How results are compared with the target (default AT_LEAST).")
    value: Decimal | None = optional("The target value (lower bound of a range); or give valueText.")
    value_max: Decimal | None = optional("Upper bound, for the comparator RANGE only.")
    value_text: str | None = optional("The target as printed when it is not a number.")
    segment: str | None = optional("Customer segment or course type (vækst, drift, ...).")
    baseline_value: Decimal | None = optional("Baseline (udgangspunkt) the target is set against.")
    baseline_period_label: str | None = optional("Period of the baseline, as printed.")
    partial_threshold: Decimal | None = optional("Value at which the target counts as partly met.")
    partial_fulfilment_pct: Decimal | None = optional("What partly met is worth in percent (with partialThreshold).")


@strawberry.input(description="A new indicator (målepunkt) of a goal, optionally with its targets.")
class CreateIndicatorInput(SourcedInput):
    goal_id: relay.GlobalID = strawberry.field(description="The goal the indicator belongs to.")
    name: str = strawberry.field(description="Name as printed, e.g. 'Antal korte forløb'.")
    description: str | None = optional("Further explanation.")
    position: int | None = optional("Order within the goal (default: after the last indicator).")
    targets: list[TargetFieldsInput] | None = optional("The indicator's targets, created with it.")


@strawberry.input(description="Changes to an indicator of an editable result contract.")
class UpdateIndicatorInput(SourcedInput):
    id: relay.GlobalID = strawberry.field(description="The indicator to change.")
    row_version: int = strawberry.field(description=ROW_VERSION)
    name: str | None = optional("Name as printed.")
    description: str | None = optional("Further explanation.")
    position: int | None = optional("Order within the goal.")


# --- targets and results ---------------------------------------------------------------------


@strawberry.input(description="A new target (måltal) of an indicator of an editable result contract.")
class CreateTargetInput(TargetFieldsInput):
    indicator_id: relay.GlobalID = strawberry.field(description="The indicator the target belongs to.")


@strawberry.input(description="Changes to a target of an editable result contract.")
class UpdateTargetInput(SourcedInput):
    id: relay.GlobalID = strawberry.field(description="The target to change.")
    row_version: int = strawberry.field(description=ROW_VERSION)
    period_label: str | None = optional("Period as printed; a year also sets start and end unless given.")
    unit: Unit | None = optional("Unit of the target and its results.")
    period_start: dt.date | None = optional("First day of the period.")
    period_end: dt.date | None = optional("Last day of the period.")
    comparator: Comparator | None = optional("How results are compared with the target.")
    value: Decimal | None = optional("The target value (lower bound of a range).")
    value_max: Decimal | None = optional("Upper bound, for the comparator RANGE only.")
    value_text: str | None = optional("The target as printed when it is not a number.")
    segment: str | None = optional("Customer segment or course type.")
    baseline_value: Decimal | None = optional("Baseline the target is set against.")
    baseline_period_label: str | None = optional("Period of the baseline, as printed.")
    partial_threshold: Decimal | None = optional("Value at which the target counts as partly met.")
    partial_fulfilment_pct: Decimal | None = optional("What partly met is worth in percent.")


@strawberry.input(description="A result (resultat) for a target of a signed contract: the next revision.")
class ReportResultInput(SourcedInput):
    target_id: relay.GlobalID = strawberry.field(description="The target the result is for.")
    value: Decimal | None = optional("The measured value; or give valueText.")
    value_text: str | None = optional("The result as printed when it is not a plain number.")
    measured_at: dt.date | None = optional("Date the value was measured (opgjort pr.), within the target's period.")
    expected_revision: int | None = optional(
        "The latest revision you saw (0 for none); if someone reported since, STALE_VERSION is returned."
    )


@strawberry.input(description="A correction of the latest result of a target: a new revision, the old one kept.")
class CorrectResultInput(SourcedInput):
    id: relay.GlobalID = strawberry.field(description="The result to correct; it must be the latest revision.")
    value: Decimal | None = optional("The corrected value (left out: kept).")
    value_text: str | None = optional("The corrected text (left out: kept).")
    measured_at: dt.date | None = optional("The corrected measurement date (left out: kept).")


@strawberry.input(description="The latest result revision of a target, to withdraw.")
class DeleteResultInput:
    id: relay.GlobalID = strawberry.field(description="The result to withdraw; it must be the latest revision.")


# --- payloads --------------------------------------------------------------------------------


@strawberry.type(description="The outcome of a mutation on a result contract.")
class ResultContractPayload:
    result_contract: ResultContract | None = strawberry.field(
        description="The contract as saved (null when the mutation was refused)."
    )
    errors: list[MutationError] = strawberry.field(description="Why the mutation was refused; empty on success.")


@strawberry.type(description="The outcome of a mutation on a goal.")
class GoalPayload:
    goal: Goal | None = strawberry.field(description="The goal as saved (null when the mutation was refused).")
    errors: list[MutationError] = strawberry.field(description="Why the mutation was refused; empty on success.")


@strawberry.type(description="The outcome of a mutation on an indicator.")
class IndicatorPayload:
    indicator: Indicator | None = strawberry.field(
        description="The indicator as saved (null when the mutation was refused)."
    )
    errors: list[MutationError] = strawberry.field(description="Why the mutation was refused; empty on success.")


@strawberry.type(description="The outcome of a mutation on a target.")
class TargetPayload:
    target: Target | None = strawberry.field(description="The target as saved (null when the mutation was refused).")
    errors: list[MutationError] = strawberry.field(description="Why the mutation was refused; empty on success.")


@strawberry.type(description="The outcome of reporting or correcting a result.")
class ResultPayload:
    result: Result | None = strawberry.field(
        description="The new result revision (null when the mutation was refused)."
    )
    errors: list[MutationError] = strawberry.field(description="Why the mutation was refused; empty on success.")
