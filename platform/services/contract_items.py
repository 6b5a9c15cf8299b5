"""Goals (mål), indicators (målepunkter) and targets (måltal) of a result contract.

They belong to their contract's region and can change only while the contract is
editable (a draft or adopted, not superseded): see `contracts.editable_contract`.  A goal's
reporting (`reported_fulfilment_pct`, `note`) can still be recorded on a locked contract,
as the contract's own can.
Deleting one that has reported results is refused, so no result is lost silently.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..auth.identity import Identity
from ..importer.records import year_bounds
from ..models import Goal, Indicator, NationalGoal, Result, ResultContract, Target
from ..models.enums import Comparator, Unit
from . import store
from .contracts import editable_contract, refuse_locked_fields
from .errors import ErrorCode, ServiceError
from .fulfilment import TargetRule, partial_rule_problem
from .validation import Checker, Input, merged

# --- the contract above a row ----------------------------------------------------------------


async def _contract_of_goal(session: AsyncSession, goal: Goal, field: Any = "id") -> ResultContract:
    contract = await store.parent(session, ResultContract, goal.tenant_id, goal.contract_id)
    return await editable_contract(session, contract, field)


async def _goal_of_indicator(session: AsyncSession, indicator: Indicator) -> Goal:
    return await store.parent(session, Goal, indicator.tenant_id, indicator.goal_id)


async def _results_below(session: AsyncSession, tenant: str, *conditions: Any) -> int:
    query = (
        select(func.count())
        .select_from(Result)
        .join(Target, (Target.tenant_id == Result.tenant_id) & (Target.id == Result.target_id))
        .join(Indicator, (Indicator.tenant_id == Target.tenant_id) & (Indicator.id == Target.indicator_id))
        .where(Result.tenant_id == tenant, *conditions)
    )
    return await session.scalar(query) or 0


def _refuse_with_results(count: int, what: str) -> None:
    if count:
        raise ServiceError.one(
            "id", ErrorCode.IN_USE, f"The {what} has {count} reported result(s); it cannot be deleted."
        )


# --- goals -----------------------------------------------------------------------------------


async def _check_goal(
    session: AsyncSession, contract: ResultContract, values: dict[str, Any], check: Checker, goal: Goal | None = None
) -> None:
    national_goal_id = values.get("national_goal_id")
    if national_goal_id is not None:
        national = await session.get(NationalGoal, national_goal_id)
        if national is None:
            check.error("national_goal_id", ErrorCode.NOT_FOUND, "No national goal with this id exists.")
        elif (
            contract.framework_agreement_slug and national.framework_agreement_slug != contract.framework_agreement_slug
        ):
            check.error(
                "national_goal_id",
                ErrorCode.INVALID,
                f"The national goal belongs to the framework agreement '{national.framework_agreement_slug}',"
                f" the contract to '{contract.framework_agreement_slug}'.",
            )
    await store.check_partnership(session, values.get("partnership_id"), contract.tenant_id, "partnership_id", check)
    code = values.get("code")
    if code is not None and (goal is None or code != goal.code):
        taken = await session.scalar(
            select(Goal.id).where(
                Goal.tenant_id == contract.tenant_id, Goal.contract_id == contract.id, Goal.code == code
            )
        )
        if taken is not None:
            check.error("code", ErrorCode.DUPLICATE, f"The contract already has a goal with code '{code}'.")


async def create_goal(session: AsyncSession, identity: Identity, data: Input) -> Goal:
    contract = await store.named(session, identity, ResultContract, data, "contract_id")
    await editable_contract(session, contract, "contract_id")
    check, values = data.check, dict(data.values)
    await _check_goal(session, contract, values, check)
    check.raise_if_errors()
    if values["position"] is None:
        values["position"] = await _next_position(session, Goal, Goal.contract_id == contract.id, contract.tenant_id)
    goal = store.child(Goal, contract, "contract_id", values)
    return await store.insert(session, goal)


async def update_goal(session: AsyncSession, identity: Identity, data: Input) -> Goal:
    """Change a goal; on a signed or reported contract only its reporting (`reported_fulfilment_pct`, `note`)."""
    goal = await store.for_change(session, identity, Goal, data)
    contract = await store.parent(session, ResultContract, goal.tenant_id, goal.contract_id)
    check, values = data.check, data.values
    if not await refuse_locked_fields(session, contract, data.sent, check):
        await _check_goal(session, contract, values, check, goal)
    check.raise_if_errors()
    return await store.update(session, goal, values)


async def delete_goal(session: AsyncSession, identity: Identity, data: Input) -> Goal:
    """Delete a goal with its indicators and targets."""
    goal = await store.for_change(session, identity, Goal, data)
    await _contract_of_goal(session, goal)
    _refuse_with_results(await _results_below(session, goal.tenant_id, Indicator.goal_id == goal.id), "goal")
    return await store.remove(session, goal)


# --- indicators ------------------------------------------------------------------------------


async def create_indicator(session: AsyncSession, identity: Identity, data: Input) -> Indicator:
    """An indicator of a goal, optionally with its targets (`targets`: a list of target inputs)."""
    goal = await store.named(session, identity, Goal, data, "goal_id")
    await _contract_of_goal(session, goal, "goal_id")
    check, values = data.check, dict(data.values)
    targets = [target_values(t) for t in data.nested("targets")]
    await store.check_nested_sources(session, targets, "targets", check)
    check.raise_if_errors()
    if values["position"] is None:
        values["position"] = await _next_position(session, Indicator, Indicator.goal_id == goal.id, goal.tenant_id)
    indicator = store.child(Indicator, goal, "goal_id", values)
    return await store.insert(
        session,
        indicator,
        *(store.child(Target, indicator, "indicator_id", t) for t in targets),
    )


async def update_indicator(session: AsyncSession, identity: Identity, data: Input) -> Indicator:
    indicator = await store.for_change(session, identity, Indicator, data)
    await _contract_of_goal(session, await _goal_of_indicator(session, indicator))
    data.check.raise_if_errors()
    return await store.update(session, indicator, data.values)


async def delete_indicator(session: AsyncSession, identity: Identity, data: Input) -> Indicator:
    indicator = await store.for_change(session, identity, Indicator, data)
    await _contract_of_goal(session, await _goal_of_indicator(session, indicator))
    _refuse_with_results(await _results_below(session, indicator.tenant_id, Indicator.id == indicator.id), "indicator")
    return await store.remove(session, indicator)


# --- targets ---------------------------------------------------------------------------------


def target_values(data: Input, row: Target | None = None) -> dict[str, Any]:
    """A target's column values with the rules across fields (on update: merged with the row)."""
    check, values = data.check, dict(data.values)

    def value(column: str) -> Any:
        return merged(row, values, column) if row is not None else values.get(column)

    if "comparator" in values and values["comparator"] is None:
        if row is None:
            values["comparator"] = Comparator.at_least
        else:
            check.error("comparator", ErrorCode.REQUIRED, "may not be cleared.")
    if "period_label" in values and values["period_label"] is not None:
        start, end = year_bounds(values["period_label"])
        if "period_start" not in data.sent:
            values["period_start"] = start if row is None or start else value("period_start")
        if "period_end" not in data.sent:
            values["period_end"] = end if row is None or end else value("period_end")
    start, end = value("period_start"), value("period_end")
    if start and end and end < start:
        check.error("period_end", ErrorCode.INVALID, f"must not be before the period start {start}.")
    unit, comparator = value("unit"), value("comparator")
    low, high = value("value"), value("value_max")
    if low is None and value("value_text") is None and unit is not Unit.deliverable and unit is not None:
        check.error("value", ErrorCode.REQUIRED, "A target needs a value, or a value text when it is not a number.")
    if comparator is Comparator.range:
        if high is None:
            check.error("value_max", ErrorCode.REQUIRED, "is required when the comparator is range.")
        elif low is not None and high < low:
            check.error("value_max", ErrorCode.INVALID, f"must not be less than the value {low}.")
    elif high is not None and comparator is not None:
        check.error("value_max", ErrorCode.INVALID, "is only used with the comparator range.")
    if (value("partial_threshold") is None) != (value("partial_fulfilment_pct") is None):
        missing = "partial_fulfilment_pct" if value("partial_fulfilment_pct") is None else "partial_threshold"
        check.error(
            missing,
            ErrorCode.REQUIRED,
            "Partial fulfilment needs both a threshold and what reaching it is worth (percent).",
        )
    threshold = value("partial_threshold")
    if threshold is not None and not check.has_error("comparator", "value", "value_max", "partial_threshold"):
        problem = partial_rule_problem(TargetRule.of(comparator, low, high, threshold))
        if problem:
            check.error("partial_threshold", ErrorCode.INVALID, problem)
    return values


async def _editable_indicator(session: AsyncSession, indicator: Indicator, field: Any = "id") -> None:
    await _contract_of_goal(session, await _goal_of_indicator(session, indicator), field)


async def create_target(session: AsyncSession, identity: Identity, data: Input) -> Target:
    indicator = await store.named(session, identity, Indicator, data, "indicator_id")
    await _editable_indicator(session, indicator, "indicator_id")
    values = target_values(data)
    data.check.raise_if_errors()
    target = store.child(Target, indicator, "indicator_id", values)
    return await store.insert(session, target)


async def update_target(session: AsyncSession, identity: Identity, data: Input) -> Target:
    target = await store.for_change(session, identity, Target, data)
    await _editable_indicator(session, await store.parent(session, Indicator, target.tenant_id, target.indicator_id))
    values = target_values(data, target)
    data.check.raise_if_errors()
    return await store.update(session, target, values)


async def delete_target(session: AsyncSession, identity: Identity, data: Input) -> Target:
    target = await store.for_change(session, identity, Target, data)
    await _editable_indicator(session, await store.parent(session, Indicator, target.tenant_id, target.indicator_id))
    _refuse_with_results(await _results_below(session, target.tenant_id, Target.id == target.id), "target")
    return await store.remove(session, target)


async def _next_position(session: AsyncSession, model: Any, condition: Any, tenant: str) -> int:
    """After the last sibling (positions order goals within a contract, indicators within a goal)."""
    last = await session.scalar(select(func.max(model.position)).where(model.tenant_id == tenant, condition))
    return 0 if last is None else last + 1
