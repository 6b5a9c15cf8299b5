"""Queries of the growth-team domain."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

import strawberry
from sqlalchemy import func, select

from kkr.platform.models import GrowthTeam as GrowthTeamModel

from ..common.connection import Connection, QueryNodes, connection
from ..common.text import DANISH, SEARCH_SYNTAX, danish_sort_key, matches_search, wants_search
from ..permissions import RegionalRead
from .types import GrowthTeam


@strawberry.type
class GrowthQuery:
    @connection(
        Connection[GrowthTeam],
        description="Growth teams (vækstteams) of the reader's region(s): best search match first, otherwise by name.",
        permission_classes=[RegionalRead],
    )
    async def growth_teams(
        self,
        info: strawberry.Info,
        region: Annotated[str | None, strawberry.argument(description="Only this region's teams (slug).")] = None,
        search: Annotated[
            str | None, strawberry.argument(description=f"Words in name or mandate ({SEARCH_SYNTAX}).")
        ] = None,
    ) -> Iterable[GrowthTeam]:
        t = GrowthTeamModel
        statement = select(t)
        order = [danish_sort_key(t.name), t.id]
        if region is not None:
            statement = statement.where(t.tenant_id == region)
        if wants_search(search):
            statement = statement.where(matches_search(t.search_vector, search))
            order.insert(0, func.ts_rank(t.search_vector, func.websearch_to_tsquery(DANISH, search)).desc())
        return QueryNodes(statement.order_by(*order), GrowthTeam.from_row)
