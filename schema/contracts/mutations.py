"""Mutations of the contracts domain: result contracts, goals, indicators, targets and results.

Each runs in one transaction with the caller's tenant context and returns a
payload (the object or null, and `errors`); see `schema/common/errors.py`.
"""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from kkr.platform.services import contract_items, contracts, results

from ..common.errors import (
    DeleteInput,
    DeletePayload,
    delete_mutation,
    editor_mutation,
    input_argument,
    run_mutation,
)
from .inputs import (
    ChangeResultContractStatusInput,
    CorrectResultInput,
    CreateGoalInput,
    CreateIndicatorInput,
    CreateResultContractInput,
    CreateResultContractVersionInput,
    CreateTargetInput,
    DeleteResultInput,
    GoalPayload,
    IndicatorPayload,
    ReportResultInput,
    ResultContractPayload,
    ResultPayload,
    TargetPayload,
    UpdateGoalInput,
    UpdateIndicatorInput,
    UpdateResultContractInput,
    UpdateTargetInput,
)
from .types import Goal, Indicator, Result, ResultContract, Target

#: The type each ID field of the inputs must be a global ID of.
ID_TYPES = {
    "business_hub_id": "BusinessHub",
    "framework_agreement_id": "FrameworkAgreement",
    "contract_id": "ResultContract",
    "national_goal_id": "NationalGoal",
    "partnership_id": "Partnership",
    "goal_id": "Goal",
    "indicator_id": "Indicator",
    "target_id": "Target",
}


async def _contract(info: strawberry.Info, service: Any, data: Any) -> ResultContractPayload:
    row, errors = await run_mutation(info, service, data, {**ID_TYPES, "id": "ResultContract"})
    return ResultContractPayload(result_contract=ResultContract.from_row(row) if row else None, errors=errors)


async def _goal(info: strawberry.Info, service: Any, data: Any) -> GoalPayload:
    row, errors = await run_mutation(info, service, data, {**ID_TYPES, "id": "Goal"})
    return GoalPayload(goal=Goal.from_row(row) if row else None, errors=errors)


async def _indicator(info: strawberry.Info, service: Any, data: Any) -> IndicatorPayload:
    row, errors = await run_mutation(info, service, data, {**ID_TYPES, "id": "Indicator"})
    return IndicatorPayload(indicator=Indicator.from_row(row) if row else None, errors=errors)


async def _target(info: strawberry.Info, service: Any, data: Any) -> TargetPayload:
    row, errors = await run_mutation(info, service, data, {**ID_TYPES, "id": "Target"})
    return TargetPayload(target=Target.from_row(row) if row else None, errors=errors)


async def _result(info: strawberry.Info, service: Any, data: Any) -> ResultPayload:
    row, errors = await run_mutation(info, service, data, {**ID_TYPES, "id": "Result"})
    return ResultPayload(result=Result.from_row(row) if row else None, errors=errors)


@strawberry.type(description="Changes to result contracts, their goals, indicators, targets and results.")
class ContractsMutation:
    # --- result contracts ---

    @editor_mutation("Create a draft result contract (version 1) for a business hub and year, in the hub's region.")
    async def create_result_contract(
        self, info: strawberry.Info, input: Annotated[CreateResultContractInput, input_argument("The new contract.")]
    ) -> ResultContractPayload:
        return await _contract(info, contracts.create_contract, input)

    @editor_mutation(
        "Change a result contract's own fields; a signed or reported one only its reporting"
        " (published, reportedFulfilmentPct, note)."
    )
    async def update_result_contract(
        self, info: strawberry.Info, input: Annotated[UpdateResultContractInput, input_argument("The changes.")]
    ) -> ResultContractPayload:
        return await _contract(info, contracts.update_contract, input)

    @editor_mutation("Delete a draft result contract with its goals, indicators and targets.")
    async def delete_result_contract(
        self, info: strawberry.Info, input: Annotated[DeleteInput, input_argument("The contract and its rowVersion.")]
    ) -> DeletePayload:
        return await delete_mutation(info, contracts.delete_contract, input, "ResultContract")

    @editor_mutation("Move a result contract one step on: adopt (godkend), sign (underskriv) or mark it reported.")
    async def change_result_contract_status(
        self,
        info: strawberry.Info,
        input: Annotated[ChangeResultContractStatusInput, input_argument("The next status.")],
    ) -> ResultContractPayload:
        return await _contract(info, contracts.transition_contract, input)

    @editor_mutation(
        "Copy an adopted, signed or reported contract with its goals, indicators and targets into version"
        " n+1 as a draft that supersedes it; the old version is locked from then on."
    )
    async def create_result_contract_version(
        self,
        info: strawberry.Info,
        input: Annotated[CreateResultContractVersionInput, input_argument("The latest version to copy.")],
    ) -> ResultContractPayload:
        return await _contract(info, contracts.create_contract_version, input)

    # --- goals and indicators ---

    @editor_mutation("Add a goal (mål) to an editable result contract.")
    async def create_goal(
        self, info: strawberry.Info, input: Annotated[CreateGoalInput, input_argument("The new goal.")]
    ) -> GoalPayload:
        return await _goal(info, contract_items.create_goal, input)

    @editor_mutation("Change a goal of an editable result contract.")
    async def update_goal(
        self, info: strawberry.Info, input: Annotated[UpdateGoalInput, input_argument("The changes.")]
    ) -> GoalPayload:
        return await _goal(info, contract_items.update_goal, input)

    @editor_mutation("Delete a goal of an editable result contract, with its indicators and targets.")
    async def delete_goal(
        self, info: strawberry.Info, input: Annotated[DeleteInput, input_argument("The goal and its rowVersion.")]
    ) -> DeletePayload:
        return await delete_mutation(info, contract_items.delete_goal, input, "Goal")

    @editor_mutation("Add an indicator (målepunkt), optionally with targets, to a goal of an editable contract.")
    async def create_indicator(
        self, info: strawberry.Info, input: Annotated[CreateIndicatorInput, input_argument("The new indicator.")]
    ) -> IndicatorPayload:
        return await _indicator(info, contract_items.create_indicator, input)

    @editor_mutation("Change an indicator of an editable result contract.")
    async def update_indicator(
        self, info: strawberry.Info, input: Annotated[UpdateIndicatorInput, input_argument("The changes.")]
    ) -> IndicatorPayload:
        return await _indicator(info, contract_items.update_indicator, input)

    @editor_mutation("Delete an indicator of an editable result contract, with its targets.")
    async def delete_indicator(
        self, info: strawberry.Info, input: Annotated[DeleteInput, input_argument("The indicator and its rowVersion.")]
    ) -> DeletePayload:
        return await delete_mutation(info, contract_items.delete_indicator, input, "Indicator")

    # --- targets and results ---

    @editor_mutation("Add a target (måltal) to an indicator of an editable result contract.")
    async def create_target(
        self, info: strawberry.Info, input: Annotated[CreateTargetInput, input_argument("The new target.")]
    ) -> TargetPayload:
        return await _target(info, contract_items.create_target, input)

    @editor_mutation("Change a target of an editable result contract.")
    async def update_target(
        self, info: strawberry.Info, input: Annotated[UpdateTargetInput, input_argument("The changes.")]
    ) -> TargetPayload:
        return await _target(info, contract_items.update_target, input)

    @editor_mutation("Delete a target of an editable result contract (refused when it has reported results).")
    async def delete_target(
        self, info: strawberry.Info, input: Annotated[DeleteInput, input_argument("The target and its rowVersion.")]
    ) -> DeletePayload:
        return await delete_mutation(info, contract_items.delete_target, input, "Target")

    @editor_mutation("Report a result for a target of a signed contract: a new revision (earlier ones are kept).")
    async def report_result(
        self, info: strawberry.Info, input: Annotated[ReportResultInput, input_argument("The result.")]
    ) -> ResultPayload:
        return await _result(info, results.report_result, input)

    @editor_mutation("Correct the latest result of a target: a new revision with the changes, the old one kept.")
    async def correct_result(
        self, info: strawberry.Info, input: Annotated[CorrectResultInput, input_argument("The correction.")]
    ) -> ResultPayload:
        return await _result(info, results.correct_result, input)

    @editor_mutation("Withdraw the latest result revision of a target (the audit trail keeps it).")
    async def delete_result(
        self, info: strawberry.Info, input: Annotated[DeleteResultInput, input_argument("The result to withdraw.")]
    ) -> DeletePayload:
        return await delete_mutation(info, results.delete_result, input, "Result")
