"""GraphQL types of the organisations domain: business hubs (erhvervshuse) with offices and boards,
KKR members, and cross-region partnerships."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Self

import strawberry
from strawberry import relay

from ..common.connection import Connection, connection
from ..common.enums import CouncilRole, OfficeKind, PartnershipKind
from ..common.fields import field
from ..common.nodes import EditableNode, LoadedNode
from ..common.rows import copied
from ..common.source import Source
from ..contracts.types import result_contracts_field
from ..geography.figures import figure_totals_field, population_total_field
from ..geography.loaders import REGION_BY_SLUG
from ..geography.relations import MUNICIPALITY, REGION
from ..permissions import RegionalRead
from .loaders import (
    BOARD_BY_HUB,
    BOARD_MEMBER_BY_ID,
    HUB_BY_SLUG,
    HUBS_BY_REGION,
    KKR_MEMBER_BY_ID,
    KKR_MEMBERS_BY_TENANT,
    OFFICE_BY_ID,
    OFFICES_BY_HUB,
    PARTNERSHIP_BY_ID,
)
from .relations import BUSINESS_HUB

if TYPE_CHECKING:
    from ..geography.types import Municipality, Region

_GEOGRAPHY = "kkr.schema.geography.types"


@strawberry.type(
    description="A business hub (erhvervshus): six hubs for five KKRs (Syddanmark has Fyn and Sydjylland)."
)
class BusinessHub(LoadedNode):
    id: relay.NodeID[str]
    node_loader = HUB_BY_SLUG
    slug: str = strawberry.field(description="Stable identifier, e.g. 'sjaelland' or 'fyn'.")
    name: str = strawberry.field(description="Name, e.g. 'Erhvervshus Sjælland'.")
    short_name: str | None = strawberry.field(description="Abbreviation as printed, e.g. 'EHSJ'.")
    region_slug: str = strawberry.field(description="Slug of the region (KKR) the hub serves.")
    founded_on: dt.date | None = strawberry.field(description="Date the hub was founded.")
    source: Source = strawberry.field(description="Where the hub's facts come from.")

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return copied(cls, row, id=row.slug)

    region = REGION.field("The region (KKR) the hub serves.")

    @connection(
        Connection[Annotated["Municipality", strawberry.lazy(_GEOGRAPHY)]],
        description="The municipalities the hub serves, in Danish order.",
    )
    async def municipalities(self, info: strawberry.Info) -> list[Annotated[Municipality, strawberry.lazy(_GEOGRAPHY)]]:
        from ..geography.types import municipalities_of_hub

        return await municipalities_of_hub(info, self.slug)

    figure_totals = figure_totals_field(
        "hub",
        "Sums of the municipality figures of the municipalities the hub serves, per measure and year (population "
        "included), computed in the database, with the total the paper prints and the discrepancy where one is "
        "printed.",
    )
    population_total = population_total_field(
        "hub",
        "Population of the hub's municipalities in a year, summed in the database (with how many contributed); "
        "null when none has a population that year.",
    )

    @connection(
        Connection["HubOffice"] | None,
        description="The hub's head office (hovedsæde) first, then its branches (filialer).",
        permission_classes=[RegionalRead],
    )
    async def offices(
        self,
        info: strawberry.Info,
        kind: Annotated[OfficeKind | None, strawberry.argument(description="Only head offices or branches.")] = None,
    ) -> list[HubOffice]:
        rows = await OFFICES_BY_HUB.load(info, self.slug)
        return [HubOffice.from_row(r) for r in rows if kind is None or r.kind.value == kind.value]

    @connection(
        Connection["HubBoardMember"] | None,
        description="The hub's board (bestyrelse), chair first.",
        permission_classes=[RegionalRead],
    )
    async def board_members(self, info: strawberry.Info) -> list[HubBoardMember]:
        return [HubBoardMember.from_row(r) for r in await BOARD_BY_HUB.load(info, self.slug)]

    result_contracts = result_contracts_field("hub")


@strawberry.type(description="A business hub's head office (hovedsæde) or branch (filial).")
class HubOffice(EditableNode):
    id: relay.NodeID[str]
    node_loader = OFFICE_BY_ID
    region_slug: str = strawberry.field(description="Slug of the region (tenant) that owns this record.")
    business_hub_slug: str = strawberry.field(description="Slug of the hub the office belongs to.")
    kind: OfficeKind = strawberry.field(description="Head office or branch.")
    town: str = strawberry.field(description="Town (by) of the office, e.g. 'Vordingborg'.")
    municipality_code: str | None = strawberry.field(description="Kommunekode of the office's municipality.")
    source: Source = strawberry.field(description="Where the office is documented.")

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return copied(cls, row, id=str(row.id), row_id=row.id, region_slug=row.tenant_id)

    business_hub = BUSINESS_HUB.field("The hub the office belongs to.")
    municipality = MUNICIPALITY.field("The municipality the office lies in.", nullable=True)


@strawberry.type(description="A member of a business hub's board (bestyrelse).")
class HubBoardMember(EditableNode):
    id: relay.NodeID[str]
    node_loader = BOARD_MEMBER_BY_ID
    region_slug: str = strawberry.field(description="Slug of the region (tenant) that owns this record.")
    business_hub_slug: str = strawberry.field(description="Slug of the hub whose board this is.")
    name: str = strawberry.field(description="Full name as printed.")
    role: CouncilRole = strawberry.field(description="Chair (formand), vice chair (næstformand) or member.")
    organisation: str | None = strawberry.field(description="Organisation and title as printed.")
    position: int = strawberry.field(description="Order of the member as printed.")
    source: Source = strawberry.field(description="Where the membership is printed.")

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return copied(cls, row, id=str(row.id), row_id=row.id, region_slug=row.tenant_id)

    business_hub = BUSINESS_HUB.field("The hub whose board this is.")


@strawberry.type(description="A member of a KKR (formand, næstformand, medlem) or its secretariat, for a period.")
class KkrMember(EditableNode):
    id: relay.NodeID[str]
    node_loader = KKR_MEMBER_BY_ID
    region_slug: str = strawberry.field(description="Slug of the region (KKR) the member sits in.")
    name: str = strawberry.field(description="Full name as printed.")
    role: CouncilRole = strawberry.field(description="Chair, vice chair, member or secretariat.")
    title: str | None = strawberry.field(description="Title as printed, e.g. 'borgmester i Solrød Kommune'.")
    municipality_code: str | None = strawberry.field(description="Kommunekode of the member's municipality.")
    party: str | None = strawberry.field(description="Party letter, e.g. 'V' or 'A'.")
    valid_from: dt.date | None = strawberry.field(description="Start of the membership, when known.")
    valid_to: dt.date | None = strawberry.field(description="End of the membership, when known.")
    source: Source = strawberry.field(description="Where the membership is printed.")

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return copied(cls, row, id=str(row.id), row_id=row.id, region_slug=row.tenant_id)

    region = REGION.field("The region (KKR) the member sits in.")
    municipality = MUNICIPALITY.field("The member's municipality.", nullable=True)


@strawberry.type(
    description="An explicit link between regions, e.g. a goal shared by two KKRs or Movia serving two"
    " KKRs; visible to its parties only."
)
class Partnership(LoadedNode):
    id: relay.NodeID[str]
    node_loader = PARTNERSHIP_BY_ID
    kind: PartnershipKind = strawberry.field(description="Shared goal, shared service or joint agreement.")
    title: str = strawberry.field(description="Title as printed.")
    description: str | None = strawberry.field(description="What the partnership is about.")
    party_slugs: list[str] = strawberry.field(description="Slugs of the participating regions.")
    source: Source = strawberry.field(description="Where the partnership is documented.")

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return copied(cls, row, id=str(row.id), party_slugs=list(row.parties))

    @field(description="The participating regions.")
    async def parties(self, info: strawberry.Info) -> list[Annotated[Region, strawberry.lazy(_GEOGRAPHY)]]:
        from ..geography.types import Region

        rows = await REGION_BY_SLUG.load_many(info, self.party_slugs)
        return [Region.from_row(r) for r in rows if r is not None]


async def hubs_of_region(info: strawberry.Info, region_slug: str) -> list[BusinessHub]:
    return [BusinessHub.from_row(r) for r in await HUBS_BY_REGION.load(info, region_slug)]


async def kkr_members_of_region(info: strawberry.Info, region_slug: str, role: CouncilRole | None) -> list[KkrMember]:
    rows = await KKR_MEMBERS_BY_TENANT.load(info, region_slug)
    return [KkrMember.from_row(r) for r in rows if role is None or r.role.value == role.value]
