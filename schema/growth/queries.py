"""Queries of the growth-team domain."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

import strawberry
from sqlalchemy import select

from kkr.platform.models import GrowthTeam as GrowthTeamModel

from ..common.connection import Connection, QueryNodes, connection
from ..common.database import where_given
from ..common.text import SEARCH_SYNTAX, danish_sort_key, searched
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
        statement = where_given(statement, (t.tenant_id, region))
        order = [danish_sort_key(t.name), t.id]
        return QueryNodes(searched(statement, t.search_vector, search, order), GrowthTeam.from_row)
