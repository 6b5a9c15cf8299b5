"""Climate initiatives (klimainitiativer) with their participants and targets.

A new initiative's region is the `region` given (or the caller's only writable
one); it may be created with its participants and targets in one go.  Participants
and targets belong to their initiative's region.  A climate target has one value and no
upper bound, so its comparator cannot be `range`.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ..auth.identity import Identity
from ..models import ClimateInitiative, ClimateParticipant, ClimateTarget, Municipality
from ..models.enums import Comparator, InitiativeStatus
from . import store
from .errors import ErrorCode
from .validation import Input, merged

#: Why a climate target's comparator cannot be `range` (also the importer's message).
NO_RANGE = (
    "A climate target has a single value and no upper bound, so it cannot be a range; use at_least, at_most or exactly."
)


# --- values with their rules across fields ---------------------------------------------------


def initiative_values(data: Input, row: ClimateInitiative | None = None) -> dict[str, Any]:
    check, values = data.check, dict(data.values)
    if "status" in values and values["status"] is None:
        if row is None:
            values["status"] = InitiativeStatus.active
        else:
            check.error("status", ErrorCode.REQUIRED, "may not be cleared.")
    start, end = merged(row, values, "start_year"), merged(row, values, "end_year")
    if start is not None and end is not None and end < start:
        check.error("end_year", ErrorCode.INVALID, f"must not be before the start year {start}.")
    return values


async def participant_values(
    session: AsyncSession, data: Input, row: ClimateParticipant | None = None
) -> dict[str, Any]:
    check, values = data.check, data.values
    code = merged(row, values, "municipality_code")
    if code is None and merged(row, values, "organisation") is None:
        check.error(
            "municipality_id",
            ErrorCode.REQUIRED,
            "A participant is a municipality (its code) or else an organisation (its name).",
        )
    elif values.get("municipality_code") is not None and await session.get(Municipality, code) is None:
        check.error("municipality_id", ErrorCode.NOT_FOUND, f"No municipality with kommunekode '{code}' exists.")
    return values


def target_values(data: Input, row: ClimateTarget | None = None) -> dict[str, Any]:
    check, values = data.check, dict(data.values)
    if "comparator" in values and values["comparator"] is None:
        if row is None:
            values["comparator"] = Comparator.at_least
        else:
            check.error("comparator", ErrorCode.REQUIRED, "may not be cleared.")
    if values.get("comparator") is Comparator.range:
        check.error("comparator", ErrorCode.INVALID, NO_RANGE)
    baseline, year = merged(row, values, "baseline_year"), merged(row, values, "target_year")
    if baseline is not None and year is not None and baseline > year:
        check.error("baseline_year", ErrorCode.INVALID, f"must not be after the target year {year}.")
    return values


# --- initiatives -----------------------------------------------------------------------------


async def create_climate_initiative(session: AsyncSession, identity: Identity, data: Input) -> ClimateInitiative:
    """A climate initiative, optionally with `participants` and `targets` (lists of their inputs)."""
    region = await store.region_for_new(session, identity, data.get("region_id"))
    check = data.check
    values = initiative_values(data)
    await store.check_partnership(session, values["partnership_id"], region, "partnership_id", check)
    participants = [await participant_values(session, p) for p in data.nested("participants")]
    targets = [target_values(t) for t in data.nested("targets")]
    await store.check_nested_sources(session, participants, "participants", check)
    await store.check_nested_sources(session, targets, "targets", check)
    check.raise_if_errors()
    initiative = ClimateInitiative(id=uuid.uuid4(), tenant_id=region, **values)
    return await store.insert(
        session,
        initiative,
        *(store.child(ClimateParticipant, initiative, "initiative_id", p) for p in participants),
        *(store.child(ClimateTarget, initiative, "initiative_id", t) for t in targets),
    )


async def update_climate_initiative(session: AsyncSession, identity: Identity, data: Input) -> ClimateInitiative:
    initiative = await store.for_change(session, identity, ClimateInitiative, data)
    values = initiative_values(data, initiative)
    await store.check_partnership(
        session, values.get("partnership_id"), initiative.tenant_id, "partnership_id", data.check
    )
    data.check.raise_if_errors()
    return await store.update(session, initiative, values)


async def delete_climate_initiative(session: AsyncSession, identity: Identity, data: Input) -> ClimateInitiative:
    """Delete an initiative with its participants and targets."""
    initiative = await store.for_change(session, identity, ClimateInitiative, data)
    return await store.remove(session, initiative)


# --- participants and targets ----------------------------------------------------------------


async def create_climate_participant(session: AsyncSession, identity: Identity, data: Input) -> ClimateParticipant:
    initiative = await store.named(session, identity, ClimateInitiative, data, "initiative_id")
    values = await participant_values(session, data)
    data.check.raise_if_errors()
    participant = store.child(ClimateParticipant, initiative, "initiative_id", values)
    return await store.insert(session, participant)


async def update_climate_participant(session: AsyncSession, identity: Identity, data: Input) -> ClimateParticipant:
    participant = await store.for_change(session, identity, ClimateParticipant, data)
    values = await participant_values(session, data, participant)
    data.check.raise_if_errors()
    return await store.update(session, participant, values)


async def delete_climate_participant(session: AsyncSession, identity: Identity, data: Input) -> ClimateParticipant:
    participant = await store.for_change(session, identity, ClimateParticipant, data)
    return await store.remove(session, participant)


async def create_climate_target(session: AsyncSession, identity: Identity, data: Input) -> ClimateTarget:
    initiative = await store.named(session, identity, ClimateInitiative, data, "initiative_id")
    values = target_values(data)
    data.check.raise_if_errors()
    target = store.child(ClimateTarget, initiative, "initiative_id", values)
    return await store.insert(session, target)


async def update_climate_target(session: AsyncSession, identity: Identity, data: Input) -> ClimateTarget:
    target = await store.for_change(session, identity, ClimateTarget, data)
    values = target_values(data, target)
    data.check.raise_if_errors()
    return await store.update(session, target, values)


async def delete_climate_target(session: AsyncSession, identity: Identity, data: Input) -> ClimateTarget:
    target = await store.for_change(session, identity, ClimateTarget, data)
    return await store.remove(session, target)
