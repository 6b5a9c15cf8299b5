"""Growth teams (vækstteams) and their members.

A new team's region is the `region` given, or the caller's only writable region;
a member belongs to its team's region.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..auth.identity import Identity
from ..models import GrowthTeam, GrowthTeamMember
from . import store
from .validation import Input


async def create_growth_team(session: AsyncSession, identity: Identity, data: Input) -> GrowthTeam:
    region = await store.region_for_new(session, identity, data.get("region_id"))
    data.check.raise_if_errors()
    values = data.values
    team = GrowthTeam(id=uuid.uuid4(), tenant_id=region, **values)
    return await store.insert(session, team)


async def update_growth_team(session: AsyncSession, identity: Identity, data: Input) -> GrowthTeam:
    team = await store.for_change(session, identity, GrowthTeam, data)
    values = data.values
    if "focus_areas" in values and values["focus_areas"] is None:
        values["focus_areas"] = []
    data.check.raise_if_errors()
    return await store.update(session, team, values)


async def delete_growth_team(session: AsyncSession, identity: Identity, data: Input) -> GrowthTeam:
    """Delete a growth team with its members."""
    team = await store.for_change(session, identity, GrowthTeam, data)
    return await store.remove(session, team)


async def create_growth_team_member(session: AsyncSession, identity: Identity, data: Input) -> GrowthTeamMember:
    team = await store.named(session, identity, GrowthTeam, data, "growth_team_id")
    data.check.raise_if_errors()
    values = dict(data.values)
    if values["position"] is None:
        last = await session.scalar(
            select(func.max(GrowthTeamMember.position)).where(
                GrowthTeamMember.tenant_id == team.tenant_id, GrowthTeamMember.growth_team_id == team.id
            )
        )
        values["position"] = 0 if last is None else last + 1
    member = store.child(GrowthTeamMember, team, "growth_team_id", values)
    return await store.insert(session, member)


async def update_growth_team_member(session: AsyncSession, identity: Identity, data: Input) -> GrowthTeamMember:
    member = await store.for_change(session, identity, GrowthTeamMember, data)
    data.check.raise_if_errors()
    values = data.values
    return await store.update(session, member, values)


async def delete_growth_team_member(session: AsyncSession, identity: Identity, data: Input) -> GrowthTeamMember:
    member = await store.for_change(session, identity, GrowthTeamMember, data)
    return await store.remove(session, member)
