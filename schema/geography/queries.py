"""Queries of the geography domain: regions and municipalities (public reference data)."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Annotated, Any

import strawberry
from sqlalchemy import func, or_, select

from kkr.platform.models import Municipality as MunicipalityModel
from kkr.platform.models import MunicipalityMeasure as MeasureModel
from kkr.platform.models import Region as RegionModel
from kkr.platform.models import enums as model_enums

from ..common.connection import Connection, QueryNodes, connection
from ..common.database import scalars, where_given
from ..common.enums import SortDirection, UrbanRural, to_model
from ..common.fields import field
from ..common.text import contains_text, danish_sort_key, wants_search
from ..permissions import SharedRead
from .figures import MunicipalityMeasure
from .loaders import MUNICIPALITY_BY_CODE, REGION_BY_SLUG
from .types import Municipality, Region


@strawberry.enum(description="Orderings of the municipality list.")
class MunicipalityOrder(enum.Enum):
    NAME = strawberry.enum_value("name", description="Danish alphabetical order of the name (Aabenraa after Ærø).")
    CODE = strawberry.enum_value("code", description="Kommunekode.")


@strawberry.type
class GeographyQuery:
    @field(
        description="The five KKR regions in their conventional order (a closed list, not paginated).",
        permission_classes=[SharedRead],
    )
    async def regions(self, info: strawberry.Info) -> list[Region]:
        rows = await scalars(info.context, select(RegionModel).order_by(RegionModel.position))
        return [Region.from_row(r) for r in rows]

    @field(description="A region by its slug, e.g. 'sjaelland'.", permission_classes=[SharedRead])
    async def region(
        self,
        info: strawberry.Info,
        slug: Annotated[str, strawberry.argument(description="Slug of the region, e.g. 'sjaelland'.")],
    ) -> Region | None:
        row = await REGION_BY_SLUG.load(info, slug)
        return Region.from_row(row) if row is not None else None

    @field(description="A municipality by its kommunekode, e.g. '269'.", permission_classes=[SharedRead])
    async def municipality(
        self,
        info: strawberry.Info,
        code: Annotated[
            str,
            strawberry.argument(
                description='Kommunekode: three digits as a string ("101"); the four-digit form "0101" is accepted.'
            ),
        ],
    ) -> Municipality | None:
        row = await MUNICIPALITY_BY_CODE.load(info, code.removeprefix("0") if len(code) == 4 else code)
        return Municipality.from_row(row) if row is not None else None

    @connection(
        Connection[Municipality],
        description="All 98 municipalities, filtered and ordered (Danish order by default).",
        permission_classes=[SharedRead],
    )
    async def municipalities(
        self,
        info: strawberry.Info,
        region: Annotated[str | None, strawberry.argument(description="Only this region's (slug).")] = None,
        business_hub: Annotated[str | None, strawberry.argument(description="Only those served by this hub.")] = None,
        urban_rural: Annotated[UrbanRural | None, strawberry.argument(description="Only by- or landkommuner.")] = None,
        search: Annotated[
            str | None, strawberry.argument(description="Part of the name or an alias, case-insensitive (e.g. 'køge').")
        ] = None,
        order_by: Annotated[MunicipalityOrder, strawberry.argument(description="Ordering.")] = MunicipalityOrder.NAME,
        direction: Annotated[SortDirection, strawberry.argument(description="Sort direction.")] = SortDirection.ASC,
    ) -> Iterable[Municipality]:
        m = MunicipalityModel
        statement = select(m)
        statement = where_given(
            statement,
            (m.region_slug, region),
            (m.business_hub_slug, business_hub),
            (m.urban_rural, to_model(model_enums.UrbanRural, urban_rural)),
        )
        if wants_search(search):
            statement = statement.where(
                or_(contains_text(m.name, search), contains_text(func.array_to_string(m.aliases, " "), search))
            )
        keys: tuple[Any, ...] = (danish_sort_key(m.name), m.name) if order_by is MunicipalityOrder.NAME else (m.code,)
        if direction is SortDirection.DESC:
            keys = tuple(k.desc() for k in keys)
        return QueryNodes(statement.order_by(*keys, m.code), Municipality.from_row)

    @field(
        description="The kinds of municipality figures (DUT key, payments to Væksthus and the business "
        "hubs) with unit and source: the keys `Municipality.figures` and the area "
        "totals take.",
        permission_classes=[SharedRead],
    )
    async def municipality_measures(self, info: strawberry.Info) -> list[MunicipalityMeasure]:
        rows = await scalars(info.context, select(MeasureModel).order_by(MeasureModel.position, MeasureModel.key))
        return [MunicipalityMeasure.from_row(r) for r in rows]
