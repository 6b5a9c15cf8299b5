"""Queries of the organisations domain: business hubs (public), KKR members, hub offices, partnerships."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

import strawberry
from sqlalchemy import case, select

from kkr.platform.models import BusinessHub as BusinessHubModel
from kkr.platform.models import HubOffice as HubOfficeModel
from kkr.platform.models import KkrMember as KkrMemberModel
from kkr.platform.models import Partnership as PartnershipModel
from kkr.platform.models import enums as model_enums

from ..common.connection import Connection, QueryNodes, connection
from ..common.database import where_given
from ..common.enums import CouncilRole, OfficeKind, to_model
from ..common.fields import field
from ..common.text import contains_text, danish_sort_key, wants_search
from ..permissions import RegionalRead, SharedRead
from .loaders import HUB_BY_SLUG, role_rank
from .types import BusinessHub, HubOffice, KkrMember, Partnership


@strawberry.type
class OrganisationsQuery:
    @field(description="A business hub (erhvervshus) by its slug, e.g. 'sjaelland'.", permission_classes=[SharedRead])
    async def business_hub(
        self,
        info: strawberry.Info,
        slug: Annotated[str, strawberry.argument(description="Slug of the hub, e.g. 'sjaelland'.")],
    ) -> BusinessHub | None:
        row = await HUB_BY_SLUG.load(info, slug)
        return BusinessHub.from_row(row) if row is not None else None

    @connection(
        Connection[BusinessHub],
        description="The six business hubs (erhvervshuse) in Danish order of name.",
        permission_classes=[SharedRead],
    )
    async def business_hubs(
        self,
        info: strawberry.Info,
        region: Annotated[str | None, strawberry.argument(description="Only this region's hubs (slug).")] = None,
    ) -> Iterable[BusinessHub]:
        h = BusinessHubModel
        statement = select(h).order_by(danish_sort_key(h.name), h.slug)
        statement = where_given(statement, (h.region_slug, region))
        return QueryNodes(statement, BusinessHub.from_row)

    @connection(
        Connection[HubOffice],
        description="Hub offices (hovedsæder and filialer) of the reader's region(s), head offices first, by town.",
        permission_classes=[RegionalRead],
    )
    async def hub_offices(
        self,
        info: strawberry.Info,
        business_hub: Annotated[str | None, strawberry.argument(description="Only this hub's offices (slug).")] = None,
        municipality: Annotated[
            str | None, strawberry.argument(description="Only offices in this kommunekode.")
        ] = None,
        kind: Annotated[OfficeKind | None, strawberry.argument(description="Only head offices or branches.")] = None,
    ) -> Iterable[HubOffice]:
        o = HubOfficeModel
        statement = select(o).order_by(
            case({model_enums.OfficeKind.head_office: 0}, value=o.kind, else_=1), danish_sort_key(o.town), o.id
        )
        statement = where_given(
            statement,
            (o.business_hub_slug, business_hub),
            (o.municipality_code, municipality),
            (o.kind, to_model(model_enums.OfficeKind, kind)),
        )
        return QueryNodes(statement, HubOffice.from_row)

    @connection(
        Connection[KkrMember],
        description="KKR members of the reader's region(s): chair, vice chair, members, secretariat, then by name.",
        permission_classes=[RegionalRead],
    )
    async def kkr_members(
        self,
        info: strawberry.Info,
        region: Annotated[str | None, strawberry.argument(description="Only this region's KKR (slug).")] = None,
        role: Annotated[CouncilRole | None, strawberry.argument(description="Only members with this role.")] = None,
        municipality: Annotated[
            str | None, strawberry.argument(description="Only members from this kommunekode.")
        ] = None,
        search: Annotated[str | None, strawberry.argument(description="Part of the name, case-insensitive.")] = None,
    ) -> Iterable[KkrMember]:
        k = KkrMemberModel
        statement = select(k).order_by(k.tenant_id, role_rank(k.role), danish_sort_key(k.name), k.id)
        statement = where_given(
            statement,
            (k.tenant_id, region),
            (k.role, to_model(model_enums.CouncilRole, role)),
            (k.municipality_code, municipality),
        )
        if wants_search(search):
            statement = statement.where(contains_text(k.name, search))
        return QueryNodes(statement, KkrMember.from_row)

    @connection(
        Connection[Partnership],
        description="Cross-region partnerships the reader's region(s) take part in.",
        permission_classes=[RegionalRead],
    )
    async def partnerships(self, info: strawberry.Info) -> Iterable[Partnership]:
        p = PartnershipModel
        return QueryNodes(select(p).order_by(danish_sort_key(p.title), p.id), Partnership.from_row)
