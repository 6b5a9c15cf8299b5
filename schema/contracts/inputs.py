"""Inputs of the contracts domain's mutations: each field declared once, with its rule and id type.

Update inputs are derived from the create inputs (`updating`): fields left out are not changed;
null clears an optional field.  IDs are the global IDs of the read side's types.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry
from strawberry import relay

from kkr.platform.services.validation import Choice, Date, Flag, Integer, Number, Percent, Text

from ..common.enums import Comparator, ContractStatus, GoalCategory, Unit
from ..common.inputs import SELF, SourcedInput, editable, nested, parameter, reference, row_version, updating

# --- result contracts ------------------------------------------------------------------------


@strawberry.input(description="A new result contract (resultatkontrakt): a draft, version 1, of a hub and year.")
class CreateResultContractInput(SourcedInput):
    business_hub_id: relay.GlobalID = reference(
        "BusinessHub",
        "The business hub (erhvervshus) the contract is with; its region owns the contract.",
        required=True,
    )
    year: int = editable(
        Integer(minimum=2000, maximum=2100, required=True),
        "The contract year (2000-2100); one contract per hub and year.",
    )
    title: str = editable(Text(required=True), "Title, e.g. 'Resultatkontrakt 2022'.")
    framework_agreement_id: relay.GlobalID | None = reference(
        "FrameworkAgreement",
        "The framework agreement (rammeaftale) the contract follows; the year must lie within it.",
        column="framework_agreement_slug",
    )
    published: bool | None = editable(Flag(), "Whether the contract is visible beyond the region (default false).")
    fulfilment_rule: str | None = editable(Text(), "The contract's own fulfilment rule, as printed.")
    reported_fulfilment_pct: Decimal | None = editable(Percent(), "Overall fulfilment in percent (0-100) as printed.")


UpdateResultContractInput = updating(
    CreateResultContractInput,
    "UpdateResultContractInput",
    "Changes to a result contract's own fields (a signed one: only its reporting).",
    "The result contract to change.",
)


@strawberry.input(description="The next status of a result contract: draft → adopted → signed → reported.")
class ChangeResultContractStatusInput:
    id: relay.GlobalID = reference(SELF, "The result contract.", required=True)
    row_version: int = row_version()
    status: ContractStatus = parameter(Choice(required=True), "The next status; no skipping, no going back.")
    on: dt.date | None = parameter(Date(), "Date of adoption (godkendelse) or signing (underskrift); default today.")


@strawberry.input(description="The contract version to copy into a new draft version that supersedes it.")
class CreateResultContractVersionInput:
    id: relay.GlobalID = reference(SELF, "The latest version of the result contract.", required=True)
    row_version: int = row_version()


# --- goals and indicators --------------------------------------------------------------------


@strawberry.input(description="A new goal (mål) of an editable (draft or adopted) result contract.")
class CreateGoalInput(SourcedInput):
    contract_id: relay.GlobalID = reference("ResultContract", "The result contract the goal belongs to.", required=True)
    code: str = editable(Text(required=True, max_length=16), "Code as printed, e.g. '5C'; unique within the contract.")
    category: GoalCategory = editable(Choice(required=True), "National, common (fælles) or local (lokal) goal.")
    title: str = editable(Text(required=True), "Title as printed.")
    description: str | None = editable(Text(), "The goal's text.")
    measurement_method: str | None = editable(Text(), "How the goal is measured (opgørelsesmetode).")
    data_source: str | None = editable(Text(), "Where the data comes from (datakilde).")
    national_goal_id: relay.GlobalID | None = reference(
        "NationalGoal",
        "The national goal (of the contract's framework agreement) the goal implements.",
        editable=True,
    )
    partnership_id: relay.GlobalID | None = reference(
        "Partnership", "A cross-region partnership the goal is shared through.", editable=True
    )
    position: int | None = editable(Integer(minimum=0), "Order in the contract (default: after the last goal).")
    reported_fulfilment_pct: Decimal | None = editable(Percent(), "Fulfilment in percent (0-100) as printed.")


UpdateGoalInput = updating(
    CreateGoalInput, "UpdateGoalInput", "Changes to a goal of an editable result contract.", "The goal to change."
)


@strawberry.input(description="A target value (måltal) for one period and segment.")
class TargetFieldsInput(SourcedInput):
    period_label: str = editable(
        Text(required=True, max_length=64), "Period as printed, e.g. '2022'; a year gives start and end."
    )
    unit: Unit = editable(Choice(required=True), "Unit of the target and its results.")
    period_start: dt.date | None = editable(Date(), "First day of the period (default from a year label).")
    period_end: dt.date | None = editable(Date(), "Last day of the period (default from a year label).")
    comparator: Comparator | None = editable(Choice(), "How results are compared with the target (default AT_LEAST).")
    value: Decimal | None = editable(Number(), "The target value (lower bound of a range); or give valueText.")
    value_max: Decimal | None = editable(Number(), "Upper bound, for the comparator RANGE only.")
    value_text: str | None = editable(Text(), "The target as printed when it is not a number.")
    segment: str | None = editable(Text(max_length=64), "Customer segment or course type (vækst, drift, ...).")
    baseline_value: Decimal | None = editable(Number(), "Baseline (udgangspunkt) the target is set against.")
    baseline_period_label: str | None = editable(Text(max_length=64), "Period of the baseline, as printed.")
    partial_threshold: Decimal | None = editable(Number(), "Value at which the target counts as partly met.")
    partial_fulfilment_pct: Decimal | None = editable(
        Percent(), "What partly met is worth in percent (with partialThreshold)."
    )


@strawberry.input(description="A new indicator (målepunkt) of a goal, optionally with its targets.")
class CreateIndicatorInput(SourcedInput):
    goal_id: relay.GlobalID = reference("Goal", "The goal the indicator belongs to.", required=True)
    name: str = editable(Text(required=True), "Name as printed, e.g. 'Antal korte forløb'.")
    description: str | None = editable(Text(), "Further explanation.")
    position: int | None = editable(Integer(minimum=0), "Order within the goal (default: after the last indicator).")
    targets: list[TargetFieldsInput] | None = nested("The indicator's targets, created with it.")


UpdateIndicatorInput = updating(
    CreateIndicatorInput,
    "UpdateIndicatorInput",
    "Changes to an indicator of an editable result contract.",
    "The indicator to change.",
)


# --- targets and results ---------------------------------------------------------------------


@strawberry.input(description="A new target (måltal) of an indicator of an editable result contract.")
class CreateTargetInput(TargetFieldsInput):
    indicator_id: relay.GlobalID = reference("Indicator", "The indicator the target belongs to.", required=True)


UpdateTargetInput = updating(
    TargetFieldsInput,
    "UpdateTargetInput",
    "Changes to a target of an editable result contract.",
    "The target to change.",
)


@strawberry.input(description="The values of a result (resultat).")
class ResultFieldsInput(SourcedInput):
    value: Decimal | None = editable(Number(), "The measured value; or give valueText.")
    value_text: str | None = editable(Text(), "The result as printed when it is not a plain number.")
    measured_at: dt.date | None = editable(
        Date(), "Date the value was measured (opgjort pr.), within the target's period."
    )


@strawberry.input(description="A result (resultat) for a target of a signed contract: the next revision.")
class ReportResultInput(ResultFieldsInput):
    target_id: relay.GlobalID = reference("Target", "The target the result is for.", required=True)
    expected_revision: int | None = parameter(
        Integer(minimum=0),
        "The latest revision you saw (0 for none); if someone reported since, STALE_VERSION is returned.",
    )


CorrectResultInput = updating(
    ResultFieldsInput,
    "CorrectResultInput",
    "A correction of the latest result of a target: a new revision, the old one kept (fields left out: kept).",
    "The result to correct; it must be the latest revision.",
    with_row_version=False,
)


@strawberry.input(description="The latest result revision of a target, to withdraw.")
class DeleteResultInput:
    id: relay.GlobalID = reference(SELF, "The result to withdraw; it must be the latest revision.", required=True)
