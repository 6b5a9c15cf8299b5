"""Queries of the climate domain."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

import strawberry
from sqlalchemy import select

from kkr.platform.models import ClimateInitiative as ClimateInitiativeModel
from kkr.platform.models import ClimateParticipant as ClimateParticipantModel
from kkr.platform.models import enums as model_enums
from kkr.platform.tenant_criteria import CROSS_TENANT_OPTIONS

from ..common.connection import Connection, QueryNodes, connection
from ..common.database import where_given
from ..common.enums import ClimateInitiativeKind, InitiativeStatus, to_model
from ..common.text import SEARCH_SYNTAX, danish_sort_key, searched
from ..permissions import RegionalRead
from .types import ClimateInitiative


@strawberry.type
class ClimateQuery:
    @connection(
        Connection[ClimateInitiative],
        description="Climate initiatives of the reader's region(s) and those shared with them: best search match"
        " first, otherwise by name.",
        permission_classes=[RegionalRead],
    )
    async def climate_initiatives(
        self,
        info: strawberry.Info,
        region: Annotated[str | None, strawberry.argument(description="Only this region's initiatives (slug).")] = None,
        status: Annotated[InitiativeStatus | None, strawberry.argument(description="Only this status.")] = None,
        kind: Annotated[ClimateInitiativeKind | None, strawberry.argument(description="Only this kind.")] = None,
        municipality: Annotated[
            str | None, strawberry.argument(description="Only those this municipality takes part in (kommunekode).")
        ] = None,
        year: Annotated[int | None, strawberry.argument(description="Only initiatives running in this year.")] = None,
        search: Annotated[
            str | None, strawberry.argument(description=f"Words in name or description ({SEARCH_SYNTAX}).")
        ] = None,
    ) -> Iterable[ClimateInitiative]:
        c, p = ClimateInitiativeModel, ClimateParticipantModel
        statement = select(c)
        statement = where_given(
            statement,
            (c.tenant_id, region),
            (c.status, to_model(model_enums.InitiativeStatus, status)),
            (c.kind, to_model(model_enums.ClimateInitiativeKind, kind)),
        )
        if municipality is not None:
            statement = statement.where(
                c.id.in_(select(p.initiative_id).where(p.tenant_id == c.tenant_id, p.municipality_code == municipality))
            )
        if year is not None:
            statement = statement.where(
                (c.start_year.is_(None) | (c.start_year <= year)) & (c.end_year.is_(None) | (c.end_year >= year))
            )
        order = [danish_sort_key(c.name), c.id]
        statement = searched(statement, c.search_vector, search, order)
        # initiatives shared with the reader through a partnership are another region's (kkr.platform.tenant_criteria)
        return QueryNodes(statement.execution_options(**CROSS_TENANT_OPTIONS), ClimateInitiative.from_row)
