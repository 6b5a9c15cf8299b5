"""Reported results (resultater) of a target: append-only revisions.

A result is never overwritten (the application role cannot UPDATE `result`): reporting
for a target adds revision n+1, and a correction is such a new revision, so every
earlier figure stays in the history.  Results can be reported once the contract is
signed (and after it is reported, as corrections).  Only the latest revision can be
withdrawn (deleted); the audit trail keeps it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..auth.identity import Identity
from ..models import Goal, Indicator, Result, ResultContract, Target
from ..models.enums import ContractStatus
from . import store
from .errors import ErrorCode, ServiceError
from .validation import Checker, Input

REPORTABLE = frozenset({ContractStatus.signed, ContractStatus.reported})


async def _contract_of_target(session: AsyncSession, target: Target) -> ResultContract:
    query = (
        select(ResultContract)
        .join(Goal, (Goal.tenant_id == ResultContract.tenant_id) & (Goal.contract_id == ResultContract.id))
        .join(Indicator, (Indicator.tenant_id == Goal.tenant_id) & (Indicator.goal_id == Goal.id))
        .where(Indicator.tenant_id == target.tenant_id, Indicator.id == target.indicator_id)
    )
    return (await session.scalars(query)).one()


async def latest_revision(session: AsyncSession, target: Target) -> int:
    query = select(func.max(Result.revision)).where(Result.tenant_id == target.tenant_id, Result.target_id == target.id)
    return await session.scalar(query) or 0


async def _reportable_target(session: AsyncSession, identity: Identity, target_id: Any, field: str) -> Target:
    """The target, locked against concurrent reports (FOR UPDATE), on a signed or reported contract."""
    target = await store.load_writable(session, identity, Target, target_id, field)
    await session.refresh(target, with_for_update=True)
    contract = await _contract_of_target(session, target)
    if contract.status not in REPORTABLE:
        raise ServiceError.one(
            field,
            ErrorCode.CONTRACT_NOT_SIGNED,
            f"The contract is {contract.status.value}; results can be reported once it is signed.",
        )
    return target


def _check_values(values: Mapping[str, Any], target: Target, check: Checker) -> None:
    if values.get("value") is None and values.get("value_text") is None:
        check.error("value", ErrorCode.REQUIRED, "A result needs a value, or a value text when it is not a number.")
    measured = values.get("measured_at")
    if measured is not None:
        if target.period_start and measured < target.period_start:
            check.error(
                "measured_at",
                ErrorCode.INVALID,
                f"is before the target's period {target.period_label} (from {target.period_start}).",
            )
        if target.period_end and measured > target.period_end:
            check.error(
                "measured_at",
                ErrorCode.INVALID,
                f"is after the target's period {target.period_label} (until {target.period_end}).",
            )


def _content_columns() -> list[str]:
    """What a revision says (a correction keeps what it does not change): not its keys or bookkeeping."""
    bookkeeping = {"id", "tenant_id", "target_id", "revision", "recorded_at", "recorded_by"}
    return [c.key for c in Result.__mapper__.column_attrs if c.key not in bookkeeping]


async def _add_revision(session: AsyncSession, identity: Identity, target: Target, values: dict[str, Any]) -> Result:
    revision = await latest_revision(session, target) + 1
    result = Result(
        id=uuid.uuid4(),
        tenant_id=target.tenant_id,
        target_id=target.id,
        revision=revision,
        recorded_by=identity.client_id or identity.subject,
        **values,
    )
    return await store.insert(session, result)


async def report_result(session: AsyncSession, identity: Identity, data: Input) -> Result:
    """Report a result for a target: a new revision.

    `expected_revision` (optional) is the latest revision the caller saw (0 for none): if someone
    reported since, the report is refused with STALE_VERSION instead of silently following theirs.
    """
    target = await _reportable_target(session, identity, data.get("target_id"), "target_id")
    values, expected = data.values, data.get("expected_revision")
    _check_values(values, target, data.check)
    data.check.raise_if_errors()
    latest = await latest_revision(session, target)
    if expected is not None and expected != latest:
        raise ServiceError.one(
            "expected_revision",
            ErrorCode.STALE_VERSION,
            f"Revision {latest} is the latest result of this target now, not {expected};"
            " reload and check it before reporting.",
        )
    return await _add_revision(session, identity, target, values)


async def _latest(
    session: AsyncSession, identity: Identity, data: Input, refuse: Callable[[int, int], ServiceError]
) -> tuple[Result, Target]:
    """The result `id` names and its target; `refuse(latest, revision)` unless it is the latest revision."""
    result = await store.named(session, identity, Result, data, "id")
    target = await _reportable_target(session, identity, result.target_id, "id")
    latest = await latest_revision(session, target)
    if result.revision != latest:
        raise refuse(latest, result.revision)
    return result, target


def _not_latest(latest: int, revision: int) -> ServiceError:
    return ServiceError.one(
        "id",
        ErrorCode.STALE_VERSION,
        f"Revision {latest} is the latest result of this target, not {revision}; reload and correct the latest one.",
    )


def _history(latest: int, revision: int) -> ServiceError:
    return ServiceError.one(
        "id",
        ErrorCode.INVALID,
        f"Only the latest revision ({latest}) can be withdrawn; revision {revision} is history.",
    )


async def correct_result(session: AsyncSession, identity: Identity, data: Input) -> Result:
    """Correct the latest result of a target: a new revision with the fields sent, the rest kept."""
    result, target = await _latest(session, identity, data, _not_latest)
    values = {column: getattr(result, column) for column in _content_columns()}
    values.update(data.values)
    _check_values(values, target, data.check)
    data.check.raise_if_errors()
    return await _add_revision(session, identity, target, values)


async def delete_result(session: AsyncSession, identity: Identity, data: Input) -> Result:
    """Withdraw the latest revision of a target's result (the earlier ones become current again)."""
    result, _ = await _latest(session, identity, data, _history)
    return await store.remove(session, result)
