"""Mutations of the contracts domain: result contracts, goals, indicators, targets and results.

Each is declared once: its service, input, payload and description (`schema/common/mutations.py`
runs it in one transaction with the caller's tenant context).
"""

from __future__ import annotations

import strawberry

from kkr.platform.services import contract_items, contracts, results

from ..common.mutations import delete_mutation, editor_mutation, payload
from . import inputs
from .types import Goal, Indicator, Result, ResultContract, Target

ResultContractPayload = payload(ResultContract)
GoalPayload = payload(Goal)
IndicatorPayload = payload(Indicator)
TargetPayload = payload(Target)
ResultPayload = payload(
    Result,
    description="The outcome of reporting or correcting a result.",
    object_description="The new result revision (null when the mutation was refused).",
)


@strawberry.type(description="Changes to result contracts, their goals, indicators, targets and results.")
class ContractsMutation:
    # --- result contracts ---
    create_result_contract = editor_mutation(
        contracts.create_contract,
        inputs.CreateResultContractInput,
        ResultContractPayload,
        "Create a draft result contract (version 1) for a business hub and year, in the hub's region.",
        "The new contract.",
    )
    update_result_contract = editor_mutation(
        contracts.update_contract,
        inputs.UpdateResultContractInput,
        ResultContractPayload,
        "Change a result contract's own fields; a signed or reported one only its reporting"
        " (published, reportedFulfilmentPct, note).",
        "The changes.",
    )
    delete_result_contract = delete_mutation(
        contracts.delete_contract,
        ResultContract,
        "Delete a draft result contract with its goals, indicators and targets.",
        "The contract and its rowVersion.",
    )
    change_result_contract_status = editor_mutation(
        contracts.transition_contract,
        inputs.ChangeResultContractStatusInput,
        ResultContractPayload,
        "Move a result contract one step on: adopt (godkend), sign (underskriv) or mark it reported.",
        "The next status.",
    )
    create_result_contract_version = editor_mutation(
        contracts.create_contract_version,
        inputs.CreateResultContractVersionInput,
        ResultContractPayload,
        "Copy an adopted, signed or reported contract with its goals, indicators and targets into version"
        " n+1 as a draft that supersedes it; the old version is locked from then on.",
        "The latest version to copy.",
    )

    # --- goals and indicators ---
    create_goal = editor_mutation(
        contract_items.create_goal,
        inputs.CreateGoalInput,
        GoalPayload,
        "Add a goal (mål) to an editable result contract.",
        "The new goal.",
    )
    update_goal = editor_mutation(
        contract_items.update_goal,
        inputs.UpdateGoalInput,
        GoalPayload,
        "Change a goal of an editable result contract.",
        "The changes.",
    )
    delete_goal = delete_mutation(
        contract_items.delete_goal,
        Goal,
        "Delete a goal of an editable result contract, with its indicators and targets.",
        "The goal and its rowVersion.",
    )
    create_indicator = editor_mutation(
        contract_items.create_indicator,
        inputs.CreateIndicatorInput,
        IndicatorPayload,
        "Add an indicator (målepunkt), optionally with targets, to a goal of an editable contract.",
        "The new indicator.",
    )
    update_indicator = editor_mutation(
        contract_items.update_indicator,
        inputs.UpdateIndicatorInput,
        IndicatorPayload,
        "Change an indicator of an editable result contract.",
        "The changes.",
    )
    delete_indicator = delete_mutation(
        contract_items.delete_indicator,
        Indicator,
        "Delete an indicator of an editable result contract, with its targets.",
        "The indicator and its rowVersion.",
    )

    # --- targets and results ---
    create_target = editor_mutation(
        contract_items.create_target,
        inputs.CreateTargetInput,
        TargetPayload,
        "Add a target (måltal) to an indicator of an editable result contract.",
        "The new target.",
    )
    update_target = editor_mutation(
        contract_items.update_target,
        inputs.UpdateTargetInput,
        TargetPayload,
        "Change a target of an editable result contract.",
        "The changes.",
    )
    delete_target = delete_mutation(
        contract_items.delete_target,
        Target,
        "Delete a target of an editable result contract (refused when it has reported results).",
        "The target and its rowVersion.",
    )
    report_result = editor_mutation(
        results.report_result,
        inputs.ReportResultInput,
        ResultPayload,
        "Report a result for a target of a signed contract: a new revision (earlier ones are kept).",
        "The result.",
    )
    correct_result = editor_mutation(
        results.correct_result,
        inputs.CorrectResultInput,
        ResultPayload,
        "Correct the latest result of a target: a new revision with the changes, the old one kept.",
        "The correction.",
    )
    delete_result = delete_mutation(
        results.delete_result,
        Result,
        "Withdraw the latest result revision of a target (the audit trail keeps it).",
        "The result to withdraw.",
        inputs.DeleteResultInput,
    )
