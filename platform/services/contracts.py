"""Result contracts (resultatkontrakter): create, edit, delete, status transitions and new versions.

Rules:
- A contract's region is its business hub's region; the caller needs write access to it.
- Status moves one step at a time: draft -> adopted -> signed -> reported.  There is no going
  back or skipping: a signed contract is changed by `create_contract_version`, which copies it
  with its goals, indicators and targets into version n+1 as a draft that supersedes it.
- A signed or reported contract, and any superseded one, is locked: its content and that of its
  goals, indicators and targets cannot change (only `published`, `reported_fulfilment_pct` and
  `note` of a signed or reported contract can, as they record its reporting; so can
  `reported_fulfilment_pct` and `note` of its goals).
- Only drafts can be deleted.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..auth.identity import Identity
from ..models import BusinessHub, FrameworkAgreement, Goal, Indicator, ResultContract, Target
from ..models.enums import ContractStatus
from . import store
from .errors import ErrorCode, ServiceError
from .validation import Checker, Input, merged

#: The one status each status may move on to.
NEXT_STATUS: dict[ContractStatus, ContractStatus] = {
    ContractStatus.draft: ContractStatus.adopted,
    ContractStatus.adopted: ContractStatus.signed,
    ContractStatus.signed: ContractStatus.reported,
}
LOCKED_STATUSES = frozenset({ContractStatus.signed, ContractStatus.reported})
#: What may still change on a signed or reported contract: its reporting.
REPORTING_FIELDS = frozenset({"published", "reported_fulfilment_pct", "note"})


# --- locks -----------------------------------------------------------------------------------


async def successor(session: AsyncSession, contract: ResultContract) -> ResultContract | None:
    """The version that supersedes this contract, if any."""
    query = select(ResultContract).where(
        ResultContract.tenant_id == contract.tenant_id, ResultContract.supersedes_id == contract.id
    )
    return (await session.scalars(query)).first()


async def lock_reason(session: AsyncSession, contract: ResultContract) -> str | None:
    """Why the contract's content cannot change, or None when it can."""
    newer = await successor(session, contract)
    if newer is not None:
        return (
            f"Version {contract.version} of this contract is superseded by version {newer.version}; make changes there."
        )
    if contract.status in LOCKED_STATUSES:
        return (
            f"The contract is {contract.status.value}: its goals, indicators and targets cannot change."
            " Create a new version of it to make changes."
        )
    return None


async def refuse_locked_fields(
    session: AsyncSession, contract: ResultContract, names: Iterable[str], check: Checker
) -> str | None:
    """Lock the contract against concurrent status changes (FOR SHARE); when its content is locked,
    CONTRACT_LOCKED on each of the given input fields that is not reporting.  Returns why it is locked."""
    await session.refresh(contract, with_for_update={"read": True})
    reason = await lock_reason(session, contract)
    if reason:
        for name in sorted(set(names) - REPORTING_FIELDS):
            check.error(name, ErrorCode.CONTRACT_LOCKED, reason)
    return reason


async def editable_contract(session: AsyncSession, contract: ResultContract, field: Any = "id") -> ResultContract:
    """Lock the contract against concurrent status changes (FOR SHARE) and refuse if it is locked."""
    await session.refresh(contract, with_for_update={"read": True})
    reason = await lock_reason(session, contract)
    if reason:
        raise ServiceError.one(field, ErrorCode.CONTRACT_LOCKED, reason)
    return contract


# --- create, update, delete ------------------------------------------------------------------


async def _check_framework(session: AsyncSession, slug: str | None, year: int | None, check: Checker) -> None:
    if slug is None:
        return
    agreement = await session.get(FrameworkAgreement, slug)
    if agreement is None:
        check.error("framework_agreement_id", ErrorCode.NOT_FOUND, f"No framework agreement '{slug}' exists.")
    elif year is not None and not agreement.valid_from.year <= year <= agreement.valid_to.year:
        check.error(
            "year",
            ErrorCode.INVALID,
            f"{year} is outside the framework agreement '{slug}'"
            f" ({agreement.valid_from.year}-{agreement.valid_to.year}).",
        )


async def create_contract(session: AsyncSession, identity: Identity, data: Input) -> ResultContract:
    """A new draft contract, version 1, for a business hub and year."""
    check, values = data.check, dict(data.values)
    check.raise_if_errors()
    hub = await session.get(BusinessHub, data.get("business_hub_id"))
    if hub is None:
        raise ServiceError.one(
            "business_hub_id", ErrorCode.NOT_FOUND, f"No business hub '{data.get('business_hub_id')}' exists."
        )
    store.require_write(identity, hub.region_slug, "business_hub_id")
    await _check_framework(session, values["framework_agreement_slug"], values["year"], check)
    taken = await _hub_year_taken(session, hub, values["year"])
    if taken:
        check.error("year", ErrorCode.DUPLICATE, taken)
    check.raise_if_errors()
    if values["published"] is None:
        values["published"] = False
    contract = ResultContract(
        id=uuid.uuid4(),
        tenant_id=hub.region_slug,
        business_hub_slug=hub.slug,
        status=ContractStatus.draft,
        version=1,
        **values,
    )
    try:
        return await store.insert(session, contract, fields={"version": ("year",)})
    except ServiceError as exc:
        # lost a race: someone created the hub's contract for the year since the check above
        if [e.code for e in exc.errors] != [ErrorCode.DUPLICATE]:
            raise
        taken = await _hub_year_taken(session, hub, values["year"])
        raise ServiceError.one(
            "year",
            ErrorCode.DUPLICATE,
            taken
            or (
                f"{hub.name} already has a result contract for {values['year']}; edit it or create a new version of it."
            ),
        ) from None


async def _hub_year_taken(session: AsyncSession, hub: BusinessHub, year: int) -> str | None:
    """Why a new contract for the hub and year is a duplicate, or None when the hub has none for the year."""
    existing = await session.scalar(
        select(func.max(ResultContract.version)).where(
            ResultContract.business_hub_slug == hub.slug, ResultContract.year == year
        )
    )
    if existing is None:
        return None
    return (
        f"{hub.name} already has a result contract for {year} (version {existing});"
        " edit it or create a new version of it."
    )


async def update_contract(session: AsyncSession, identity: Identity, data: Input) -> ResultContract:
    """Change a contract's own fields (not its status: see `transition_contract`)."""
    contract = await store.for_change(session, identity, ResultContract, data)
    check, values = data.check, data.values
    if values.get("published") is None and "published" in values:
        check.error("published", ErrorCode.REQUIRED, "must be true or false.")
    reason = await lock_reason(session, contract)
    if reason:
        for name in sorted(data.sent - REPORTING_FIELDS):
            check.error(name, ErrorCode.CONTRACT_LOCKED, reason)
    if "year" in values or "framework_agreement_slug" in values:
        await _check_framework(
            session, merged(contract, values, "framework_agreement_slug"), merged(contract, values, "year"), check
        )
    if values.get("year") is not None and values["year"] != contract.year and not reason:
        await _check_new_year(session, contract, values["year"], check)
    check.raise_if_errors()
    return await store.update(session, contract, values, fields={"version": ("year",)})


async def _check_new_year(session: AsyncSession, contract: ResultContract, year: int, check: Checker) -> None:
    """A contract may move to another year only as a first version, and only to a year its hub has no contract for."""
    if contract.version != 1:
        check.error(
            "year",
            ErrorCode.INVALID,
            f"Version {contract.version} continues the contract of {contract.year}; its year cannot change.",
        )
        return
    taken = await session.scalar(
        select(func.max(ResultContract.version)).where(
            ResultContract.tenant_id == contract.tenant_id,
            ResultContract.business_hub_slug == contract.business_hub_slug,
            ResultContract.year == year,
        )
    )
    if taken is not None:
        check.error("year", ErrorCode.DUPLICATE, f"The hub already has a result contract for {year}.")


async def delete_contract(session: AsyncSession, identity: Identity, data: Input) -> ResultContract:
    """Delete a draft contract with its goals, indicators and targets."""
    contract = await store.for_change(session, identity, ResultContract, data)
    if contract.status is not ContractStatus.draft:
        raise ServiceError.one(
            "id",
            ErrorCode.CONTRACT_LOCKED,
            f"Only draft contracts can be deleted; this one is {contract.status.value}.",
        )
    return await store.remove(session, contract)


# --- status and versions ---------------------------------------------------------------------


async def transition_contract(session: AsyncSession, identity: Identity, data: Input) -> ResultContract:
    """Move a contract one step on: adopt (godkend), sign (underskriv) or mark as reported (afrapporteret).

    `on` is the date of adoption or signing (default: today).
    """
    contract = await store.for_change(session, identity, ResultContract, data)
    data.check.raise_if_errors()
    target: ContractStatus = data.get("status")
    current = contract.status
    newer = await successor(session, contract)
    if newer is not None:
        raise ServiceError.one(
            "status",
            ErrorCode.INVALID_TRANSITION,
            f"Version {contract.version} is superseded by version {newer.version}; its status is final.",
        )
    if target is current:
        raise ServiceError.one("status", ErrorCode.INVALID_TRANSITION, f"The contract is already {current.value}.")
    if NEXT_STATUS.get(current) is not target:
        following = NEXT_STATUS.get(current)
        step = f"can only become {following.value}" if following else "is final"
        raise ServiceError.one(
            "status",
            ErrorCode.INVALID_TRANSITION,
            f"A {current.value} contract {step}; it cannot become {target.value}."
            " Status changes go draft → adopted → signed → reported, one step at a time;"
            " to change a contract after that, create a new version.",
        )
    on = data.get("on")
    if on is not None and target is ContractStatus.reported:
        raise ServiceError.one("on", ErrorCode.INVALID, "No date is kept for reporting; leave it out.")
    on = on or dt.date.today()
    values: dict[str, Any] = {"status": target}
    if target is ContractStatus.adopted:
        goals = await session.scalar(
            select(func.count())
            .select_from(Goal)
            .where(Goal.tenant_id == contract.tenant_id, Goal.contract_id == contract.id)
        )
        if not goals:
            raise ServiceError.one("status", ErrorCode.INVALID, "A contract without goals cannot be adopted.")
        values["adopted_on"] = on
    elif target is ContractStatus.signed:
        if contract.adopted_on is not None and on < contract.adopted_on:
            raise ServiceError.one(
                "on", ErrorCode.INVALID, f"The signing date cannot be before the adoption date {contract.adopted_on}."
            )
        values["signed_on"] = on
    return await store.update(session, contract, values)


async def create_contract_version(session: AsyncSession, identity: Identity, data: Input) -> ResultContract:
    """Copy a contract with its goals, indicators and targets into version n+1, a draft superseding it."""
    contract = await store.for_change(session, identity, ResultContract, data)
    if contract.status is ContractStatus.draft:
        raise ServiceError.one(
            "id",
            ErrorCode.INVALID_TRANSITION,
            "A draft can be edited directly; new versions are made of adopted, signed or reported contracts.",
        )
    latest = await session.scalar(
        select(func.max(ResultContract.version)).where(
            ResultContract.tenant_id == contract.tenant_id,
            ResultContract.business_hub_slug == contract.business_hub_slug,
            ResultContract.year == contract.year,
        )
    )
    if latest != contract.version or await successor(session, contract) is not None:
        raise ServiceError.one(
            "id",
            ErrorCode.DUPLICATE,
            f"Version {latest} of this contract already exists; new versions are made of the latest one.",
        )
    copy = ResultContract(
        id=uuid.uuid4(),
        tenant_id=contract.tenant_id,
        status=ContractStatus.draft,
        version=(latest or 0) + 1,
        supersedes_id=contract.id,
        published=False,
        **_columns(
            contract,
            exclude={
                "status",
                "version",
                "supersedes_id",
                "published",
                "adopted_on",
                "signed_on",
                "reported_fulfilment_pct",
            },
        ),
    )
    return await store.insert(
        session, copy, *await _copied_content(session, contract, copy), fields={"version": ("id",)}
    )


_NOT_COPIED = {"tenant_id", "id", "row_version", "search_vector"}


def _columns(row: Any, exclude: AbstractSet[str] = frozenset()) -> dict[str, Any]:
    """A row's copyable column values (no keys, row version or generated columns)."""
    return {
        c.key: getattr(row, c.key)
        for c in type(row).__mapper__.column_attrs
        if c.key not in _NOT_COPIED and c.key not in exclude
    }


async def _children(session: AsyncSession, parent: Any, tenant: str, parents: Iterable[uuid.UUID]) -> list[Any]:
    """The rows of the tenant whose `parent` column is one of `parents` (none for no parents)."""
    keys = list(parents)
    if not keys:
        return []
    model = parent.class_
    return list((await session.scalars(select(model).where(model.tenant_id == tenant, parent.in_(keys)))).all())


async def _copied_content(session: AsyncSession, old: ResultContract, new: ResultContract) -> list[Any]:
    """Copies of the old contract's goals, indicators and targets for the new one, with new ids."""
    tenant = old.tenant_id
    goals = (await session.scalars(select(Goal).where(Goal.tenant_id == tenant, Goal.contract_id == old.id))).all()
    goal_ids = {g.id: uuid.uuid4() for g in goals}
    indicators = await _children(session, Indicator.goal_id, tenant, goal_ids)
    indicator_ids = {i.id: uuid.uuid4() for i in indicators}
    targets = await _children(session, Target.indicator_id, tenant, indicator_ids)
    return [
        *(
            Goal(
                id=goal_ids[g.id],
                tenant_id=tenant,
                contract_id=new.id,
                **_columns(g, {"contract_id", "reported_fulfilment_pct"}),
            )
            for g in goals
        ),
        *(
            Indicator(id=indicator_ids[i.id], tenant_id=tenant, goal_id=goal_ids[i.goal_id], **_columns(i, {"goal_id"}))
            for i in indicators
        ),
        *(
            Target(
                id=uuid.uuid4(),
                tenant_id=tenant,
                indicator_id=indicator_ids[t.indicator_id],
                **_columns(t, {"indicator_id"}),
            )
            for t in targets
        ),
    ]
