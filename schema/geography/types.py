"""GraphQL types of the geography domain: regions (tenants) and municipalities (kommuner)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Self

import strawberry
from strawberry import relay

from kkr.platform.models import Municipality as MunicipalityModel

from ..common.connection import Connection, connection
from ..common.enums import CouncilRole, InitiativeStatus, UrbanRural
from ..common.fields import field
from ..common.nodes import LoadedNode
from ..common.rows import CopiedFromRow, copied
from ..common.source import Source
from ..contracts.types import result_contracts_field
from ..organisations.relations import BUSINESS_HUB
from ..permissions import RegionalRead
from .figures import (
    MunicipalityFigure,
    YearArg,
    figure_totals_field,
    figures_of_municipality,
    population_total_field,
)
from .loaders import (
    MUNICIPALITIES_BY_HUB,
    MUNICIPALITIES_BY_REGION,
    MUNICIPALITY_BY_CODE,
    POPULATION_BY_MUNICIPALITY,
    REGION_BY_SLUG,
)
from .relations import REGION

if TYPE_CHECKING:
    from ..climate.types import ClimateInitiative
    from ..growth.types import GrowthTeam
    from ..organisations.types import BusinessHub, KkrMember

_ORGANISATIONS = "kkr.schema.organisations.types"
_GROWTH = "kkr.schema.growth.types"
_CLIMATE = "kkr.schema.climate.types"


@strawberry.type(description="One of the five KKR regions (Kommunekontaktråd); the tenant of all regional data.")
class Region(LoadedNode):
    id: relay.NodeID[str]
    node_loader = REGION_BY_SLUG
    slug: str = strawberry.field(description="Stable identifier, e.g. 'sjaelland'.")
    name: str = strawberry.field(description="Name of the region, e.g. 'Sjælland'.")
    kkr_name: str = strawberry.field(description="Name of the council, e.g. 'KKR Sjælland'.")
    position: int = strawberry.field(description="Conventional order of the regions (Hovedstaden first).")

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return copied(cls, row, id=row.slug)

    @connection(Connection["Municipality"], description="The region's municipalities (kommuner) in Danish order.")
    async def municipalities(
        self,
        info: strawberry.Info,
        search: Annotated[str | None, strawberry.argument(description="Part of the name or an alias.")] = None,
    ) -> list[Municipality]:
        rows = await MUNICIPALITIES_BY_REGION.load(info, self.slug)
        return [Municipality.from_row(r) for r in rows if search is None or _name_matches(r, search)]

    population_total = population_total_field(
        "region",
        "The region's population in a year, summed in the database over its municipalities (with how many "
        "contributed); never stored. Null when no municipality of the region has a population that year.",
    )
    figure_totals = figure_totals_field(
        "region",
        "Sums of the region's municipality figures per measure and year (population included), computed in the "
        "database from the municipalities, with the total the paper prints and the discrepancy where one is printed.",
    )

    @connection(
        Connection[Annotated["BusinessHub", strawberry.lazy(_ORGANISATIONS)]],
        description="The region's business hubs (erhvervshuse); Syddanmark has two.",
    )
    async def business_hubs(
        self, info: strawberry.Info
    ) -> list[Annotated[BusinessHub, strawberry.lazy(_ORGANISATIONS)]]:
        from ..organisations.types import hubs_of_region

        return await hubs_of_region(info, self.slug)

    @connection(
        Connection[Annotated["KkrMember", strawberry.lazy(_ORGANISATIONS)]] | None,
        description="Members and secretariat of the region's KKR, chair first.",
        permission_classes=[RegionalRead],
    )
    async def kkr_members(
        self,
        info: strawberry.Info,
        role: Annotated[CouncilRole | None, strawberry.argument(description="Only members with this role.")] = None,
    ) -> list[Annotated[KkrMember, strawberry.lazy(_ORGANISATIONS)]]:
        from ..organisations.types import kkr_members_of_region

        return await kkr_members_of_region(info, self.slug, role)

    result_contracts = result_contracts_field("region")

    @connection(
        Connection[Annotated["GrowthTeam", strawberry.lazy(_GROWTH)]] | None,
        description="The region's growth teams (vækstteams).",
        permission_classes=[RegionalRead],
    )
    async def growth_teams(self, info: strawberry.Info) -> list[Annotated[GrowthTeam, strawberry.lazy(_GROWTH)]]:
        from ..growth.types import growth_teams_of_region

        return await growth_teams_of_region(info, self.slug)

    @connection(
        Connection[Annotated["ClimateInitiative", strawberry.lazy(_CLIMATE)]] | None,
        description="The region's climate initiatives (klimaindsatser).",
        permission_classes=[RegionalRead],
    )
    async def climate_initiatives(
        self,
        info: strawberry.Info,
        status: Annotated[InitiativeStatus | None, strawberry.argument(description="Only this status.")] = None,
    ) -> list[Annotated[ClimateInitiative, strawberry.lazy(_CLIMATE)]]:
        from ..climate.types import climate_initiatives_of_region

        return await climate_initiatives_of_region(info, self.slug, status)


@strawberry.type(description="Population of a municipality in one year, as printed in a source.")
class MunicipalityPopulation(CopiedFromRow):
    year: int = strawberry.field(description="The year the figure is for.")
    population: int = strawberry.field(description="Number of inhabitants (indbyggertal).")
    share_pct: Decimal | None = strawberry.field(description="Share of the region's population, in percent.")
    source: Source = strawberry.field(description="Where the figure is printed.")


@strawberry.type(description="A municipality (kommune), identified by its kommunekode.")
class Municipality(LoadedNode):
    id: relay.NodeID[str]
    node_loader = MUNICIPALITY_BY_CODE
    code: str = strawberry.field(description="Official kommunekode, e.g. '269' (Solrød); a string, never a number.")
    name: str = strawberry.field(description="Name as commonly written, e.g. 'Aarhus'.")
    aliases: list[str] = strawberry.field(description="Other spellings found in the papers, e.g. 'Solrød Kommune'.")
    urban_rural: UrbanRural = strawberry.field(description="By- or landkommune class.")
    region_slug: str = strawberry.field(description="Slug of the region (KKR) the municipality belongs to.")
    business_hub_slug: str = strawberry.field(description="Slug of the business hub serving the municipality.")
    source: Source = strawberry.field(description="Where the municipality's facts come from.")

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return copied(cls, row, id=row.code, aliases=list(row.aliases or []))

    region = REGION.field("The region (KKR) the municipality belongs to.")
    business_hub = BUSINESS_HUB.field("The business hub (erhvervshus) serving the municipality.")

    @field(description="Population by year (oldest first), as printed in the papers.")
    async def population(
        self,
        info: strawberry.Info,
        year: Annotated[int | None, strawberry.argument(description="Only this year.")] = None,
    ) -> list[MunicipalityPopulation]:
        rows = await POPULATION_BY_MUNICIPALITY.load(info, self.code)
        return [MunicipalityPopulation.from_row(r) for r in rows if year is None or r.year == year]

    @field(
        description="The municipality's figures as printed (DUT key, payments to Væksthus and the "
        "business hub), by measure and year, each with its source."
    )
    async def figures(
        self,
        info: strawberry.Info,
        year: YearArg = None,
        measure: Annotated[
            str | None,
            strawberry.argument(description="Only this measure (a key of municipalityMeasures, e.g. 'dut-key')."),
        ] = None,
    ) -> list[MunicipalityFigure]:
        return await figures_of_municipality(info, self.code, year, measure)


def _name_matches(row: MunicipalityModel, search: str) -> bool:
    needle = search.casefold()
    return any(needle in name.casefold() for name in (row.name, *(row.aliases or [])))


async def municipalities_of_hub(info: strawberry.Info, hub_slug: str) -> list[Municipality]:
    return [Municipality.from_row(r) for r in await MUNICIPALITIES_BY_HUB.load(info, hub_slug)]
