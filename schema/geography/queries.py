"""Queries of the geography domain."""

from __future__ import annotations

import strawberry
from sqlalchemy import select

from kkr.platform.models import Region as RegionModel

from .types import Region


@strawberry.type
class GeographyQuery:
    @strawberry.field(description="The five KKR regions in their conventional order.")
    async def regions(self, info: strawberry.Info) -> list[Region]:
        session = await info.context.session()
        rows = await session.scalars(select(RegionModel).order_by(RegionModel.position))
        return [Region.from_model(r) for r in rows]
