"""Municipality figures (DUT key, payments to the business hubs) and area totals computed from them.

Region and hub totals are never stored: one SQL statement per batch of areas
sums the municipalities' figures and populations per measure and year, counts
how many municipalities contributed, and joins the total the paper prints (if
any) to show the discrepancy.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

import strawberry
from sqlalchemy import ARRAY, String, bindparam, text
from strawberry.types.field import StrawberryField

from kkr.platform.models import MunicipalityFigure as FigureModel
from kkr.platform.models import MunicipalityMeasure as MeasureModel

from ..common.connection import bad_input
from ..common.database import execute
from ..common.fields import field
from ..common.loaders import ManyByKey, OneByKey, request_loader
from ..common.relations import to_one
from ..common.rows import CopiedFromRow, copied
from ..common.source import Source, source_of

#: `measure` of population totals (municipality_population), as in printed_total.measure.
POPULATION = "population"

MEASURE_BY_KEY = OneByKey(MeasureModel.key)
FIGURES_BY_MUNICIPALITY = ManyByKey(FigureModel.municipality_code, order_by=(FigureModel.measure, FigureModel.year))


@strawberry.type(description="A kind of municipality figure (e.g. the DUT key or the payment to the business hub).")
class MunicipalityMeasure(CopiedFromRow):
    key: str = strawberry.field(description="Stable key, e.g. 'dut-key', 'payment-vaeksthus', 'payment-business-hub'.")
    name: str = strawberry.field(description="Danish name as printed, e.g. 'DUT-nøgle'.")
    unit: str = strawberry.field(description="Unit of every value: 'dkk' (kroner), 'percent' or 'count'.")
    description: str | None = strawberry.field(description="What the figure is and how the papers print it.")
    additive: bool = strawberry.field(description="True when sums over municipalities make sense (area totals).")
    source: Source = strawberry.field(description="The table that prints this measure.")


@strawberry.type(description="One figure of a municipality in a year, as printed in a paper.")
class MunicipalityFigure:
    measure_key: str = strawberry.field(description="Key of the measure, e.g. 'payment-business-hub'.")
    year: int = strawberry.field(description="The year the figure is for.")
    value: Decimal = strawberry.field(
        description="The figure in the measure's unit (kroner for 'dkk', even when the paper prints 1.000 kr.)."
    )
    printed: str | None = strawberry.field(description="The figure exactly as printed, e.g. '6.269' (in 1.000 kr.).")
    recipient_hub_slug: str | None = strawberry.field(description="For a payment: slug of the business hub paid.")
    source: Source = strawberry.field(description="Where the figure is printed.")

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return copied(cls, row, measure_key=row.measure)

    measure = to_one(
        MEASURE_BY_KEY,
        "measure_key",
        MunicipalityMeasure,
        nullable=True,
        description="The measure: name, unit and what it means.",
    )


@strawberry.type(description="A total as printed in a paper; kept to show discrepancies, never used as data.")
class PrintedTotal:
    value: Decimal = strawberry.field(description="The printed total in the measure's unit.")
    printed: str | None = strawberry.field(description="The total exactly as printed, e.g. '14,853'.")
    source: Source = strawberry.field(description="Where the total is printed; the note explains a discrepancy.")


@strawberry.type(
    description="A measure summed over an area's municipalities for one year, computed in the database "
    "(never stored), with the total the paper prints where there is one."
)
class AreaFigureTotal:
    measure_key: str = strawberry.field(description="'population' or a municipality measure key (e.g. 'dut-key').")
    unit: str = strawberry.field(description="Unit of the sum: 'count' for population, else the measure's unit.")
    year: int = strawberry.field(description="The year summed.")
    value: Decimal | None = strawberry.field(
        description="Sum over the municipalities that have the figure; null for a measure that is not additive."
    )
    municipalities: int = strawberry.field(description="Number of municipalities of the area (in the directory).")
    contributing: int = strawberry.field(description="How many of them have the figure that year.")
    complete: bool = strawberry.field(description="True when every municipality of the area has the figure.")
    printed_total: PrintedTotal | None = strawberry.field(
        description="The total the paper prints for this area, measure and year, if any."
    )
    discrepancy: Decimal | None = strawberry.field(
        description="Printed total minus the computed sum (e.g. -0.002 for "
        "Sjælland's DUT key 14,853 against 14,855); null "
        "when nothing is printed."
    )

    @field(description="The measure (null for population).")
    async def measure(self, info: strawberry.Info) -> MunicipalityMeasure | None:
        if self.measure_key == POPULATION:
            return None
        row = await MEASURE_BY_KEY.load(info, self.measure_key)
        return MunicipalityMeasure.from_row(row) if row is not None else None


AreaKind = Literal["region", "hub"]

# The area a municipality belongs to, and which printed totals belong to an area.  A hub also takes the
# totals printed for its region when the region has no other hub (the KKR tables of Sjælland and Nordjylland).
_AREA = {"region": "m.region_slug", "hub": "m.business_hub_slug"}
_PRINTED_FOR = {
    "region": "pt.region_slug = fi.area",
    "hub": "(pt.business_hub_slug = fi.area OR (pt.region_slug = h.region_slug AND"
    " (SELECT count(*) FROM business_hub o WHERE o.region_slug = h.region_slug) = 1))",
}


def _totals_sql(kind: AreaKind) -> Any:
    hub_join = "LEFT JOIN business_hub h ON h.slug = fi.area" if kind == "hub" else ""
    return text(f"""
WITH area_municipality AS (
    SELECT m.code, {_AREA[kind]} AS area FROM municipality m WHERE {_AREA[kind]} = ANY (:areas)
), counts AS (
    SELECT area, count(*) AS municipalities FROM area_municipality GROUP BY area
), figures AS (
    SELECT am.area, f.measure, f.year, count(*) AS contributing,
           CASE WHEN bool_and(mm.additive) THEN sum(f.value) END AS total, min(mm.unit) AS unit
    FROM area_municipality am
    JOIN municipality_figure f ON f.municipality_code = am.code
    JOIN municipality_measure mm ON mm.key = f.measure
    GROUP BY am.area, f.measure, f.year
    UNION ALL
    SELECT am.area, '{POPULATION}', p.year, count(*), sum(p.population), 'count'
    FROM area_municipality am JOIN municipality_population p ON p.municipality_code = am.code
    GROUP BY am.area, p.year
)
SELECT fi.area, fi.measure, fi.year, fi.contributing, fi.total, fi.unit, c.municipalities,
       pt.value AS printed_value, pt.printed, pt.source_document_key, pt.source_locator, pt.note
FROM figures fi
JOIN counts c ON c.area = fi.area
{hub_join}
LEFT JOIN LATERAL (
    SELECT pt.* FROM printed_total pt
    WHERE pt.measure = fi.measure AND pt.year = fi.year AND {_PRINTED_FOR[kind]}
    ORDER BY pt.business_hub_slug NULLS LAST, pt.id LIMIT 1
) pt ON true
ORDER BY fi.area, fi.measure, fi.year
""").bindparams(bindparam("areas", type_=ARRAY(String)))


@dataclass(frozen=True)
class _TotalsByArea:
    kind: AreaKind

    async def _batch(self, context: Any, areas: list[str]) -> list[list[AreaFigureTotal]]:
        rows = (await execute(context, _totals_sql(self.kind), {"areas": list(areas)})).all()
        by_area: dict[str, list[AreaFigureTotal]] = {a: [] for a in areas}
        for r in rows:
            printed = None
            if r.printed_value is not None:
                printed = PrintedTotal(value=r.printed_value, printed=r.printed, source=source_of(r))
            by_area[r.area].append(
                AreaFigureTotal(
                    measure_key=r.measure,
                    unit=r.unit,
                    year=r.year,
                    value=Decimal(r.total) if r.total is not None else None,
                    municipalities=r.municipalities,
                    contributing=r.contributing,
                    complete=r.contributing == r.municipalities,
                    printed_total=printed,
                    discrepancy=(r.printed_value - Decimal(r.total)) if printed and r.total is not None else None,
                )
            )
        return [by_area[a] for a in areas]

    async def load(self, info: strawberry.Info, area: str) -> list[AreaFigureTotal]:
        totals: list[AreaFigureTotal] = await request_loader(info, f"area-totals:{self.kind}", self._batch).load(area)
        return totals


TOTALS_BY_REGION = _TotalsByArea("region")
TOTALS_BY_HUB = _TotalsByArea("hub")

YearArg = Annotated[int | None, strawberry.argument(description="Only this year.")]
MeasureArg = Annotated[
    str | None,
    strawberry.argument(
        description="Only this measure: a municipality measure key (e.g. 'payment-business-hub') or 'population'."
    ),
]


async def check_measure(info: strawberry.Info, measure: str | None, *, population: bool = True) -> None:
    """Refuse an unknown measure key, naming the argument."""
    if measure is None or (population and measure == POPULATION):
        return
    if await MEASURE_BY_KEY.load(info, measure) is None:
        also = " or 'population'" if population else ""
        raise bad_input(
            f"Argument 'measure': unknown municipality measure {measure!r} (a key of municipalityMeasures{also})."
        )


async def area_totals(
    info: strawberry.Info, kind: AreaKind, area: str, year: int | None, measure: str | None
) -> list[AreaFigureTotal]:
    """The area's computed totals per measure and year (population included), optionally filtered."""
    await check_measure(info, measure)
    loader = TOTALS_BY_REGION if kind == "region" else TOTALS_BY_HUB
    return [
        t
        for t in await loader.load(info, area)
        if (year is None or t.year == year) and (measure is None or t.measure_key == measure)
    ]


async def population_total(info: strawberry.Info, kind: AreaKind, area: str, year: int) -> AreaFigureTotal | None:
    totals = await area_totals(info, kind, area, year, POPULATION)
    return totals[0] if totals else None


async def figures_of_municipality(
    info: strawberry.Info, code: str, year: int | None, measure: str | None
) -> list[MunicipalityFigure]:
    await check_measure(info, measure, population=False)
    rows = await FIGURES_BY_MUNICIPALITY.load(info, code)
    return [
        MunicipalityFigure.from_row(r)
        for r in rows
        if (year is None or r.year == year) and (measure is None or r.measure == measure)
    ]


def figure_totals_field(kind: AreaKind, description: str) -> StrawberryField:
    """`figureTotals` of a region or a business hub (by its `slug`)."""

    async def figure_totals(
        self: Any, info: strawberry.Info, year: YearArg = None, measure: MeasureArg = None
    ) -> list[AreaFigureTotal]:
        return await area_totals(info, kind, self.slug, year, measure)

    return field(description=description)(figure_totals)


def population_total_field(kind: AreaKind, description: str) -> StrawberryField:
    """`populationTotal` of a region or a business hub (by its `slug`)."""

    async def population_total_of(
        self: Any,
        info: strawberry.Info,
        year: Annotated[int, strawberry.argument(description="The population year, e.g. 2019.")],
    ) -> AreaFigureTotal | None:
        return await population_total(info, kind, self.slug, year)

    return field(description=description)(population_total_of)
