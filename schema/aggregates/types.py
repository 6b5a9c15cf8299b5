"""Types of the ministries' aggregates (`aggregates:read`, also open to KL's `benchmark:read`).

No type here carries a row of a figure family: only cells of aggregate tables computed, with
statistical disclosure control, in the database (platform/services/aggregates.py).

The value types below carry no permission classes of their own: they are reachable only through the root
field `aggregate`, which is guarded (`AggregatesRead`), and schema/visibility.py prunes them from every
other audience's schema.  (A permission check on every field of every cell cost about 4,400 checks for a
table of 278 cells.)
"""

from __future__ import annotations

import enum
from decimal import Decimal

import strawberry

from kkr.platform.services import aggregates as service

from ..common.enums import GoalCategory


@strawberry.enum(description="A family of figures that can be aggregated.")
class AggregateFamily(enum.Enum):
    CONTRACT_TARGETS = strawberry.enum_value(
        service.Family.CONTRACT_TARGETS,
        description="Targets (måltal) of national and common goals in the "
        "latest published version of each hub's contract per year; contributors are the business hubs.",
    )
    CONTRACT_RESULTS = strawberry.enum_value(
        service.Family.CONTRACT_RESULTS,
        description="Reported results (latest revision) of those targets; contributors are the business hubs.",
    )
    BENCHMARK_OBSERVATIONS = strawberry.enum_value(
        service.Family.BENCHMARK_OBSERVATIONS,
        description="Published comparable figures per hub or region "
        "(awareness, NPS, SOSU places per KKR, ...), national figures left out; contributors are the hubs or "
        "regions.  Filter on `indicators` or group by INDICATOR.",
    )
    MUNICIPALITY_FIGURES = strawberry.enum_value(
        service.Family.MUNICIPALITY_FIGURES,
        description="Figures per municipality (kommune) and year: "
        "indicator 'population' (befolkning) and the municipality measures (DUT key, payments to Væksthus and "
        "the business hubs); contributors are the municipalities.  Filter on `indicators` or group by INDICATOR.",
    )


@strawberry.enum(description="A dimension aggregate tables can be grouped and filtered by.")
class AggregateDimension(enum.Enum):
    YEAR = strawberry.enum_value(
        service.Dimension.YEAR,
        description="Contract year, year of a municipality figure, or the year of an observation's period.",
    )
    PERIOD = strawberry.enum_value(service.Dimension.PERIOD, description="Period label as printed, e.g. '2020-09'.")
    REGION = strawberry.enum_value(service.Dimension.REGION, description="KKR region (slug).")
    HUB = strawberry.enum_value(service.Dimension.HUB, description="Business hub, erhvervshus (slug).")
    URBAN_RURAL = strawberry.enum_value(
        service.Dimension.URBAN_RURAL, description="Municipality class: 'city' (bykommune) or 'rural' (landkommune)."
    )
    GOAL_CATEGORY = strawberry.enum_value(
        service.Dimension.GOAL_CATEGORY, description="Goal category: 'national' or 'common' (local goals never)."
    )
    LINEAGE = strawberry.enum_value(
        service.Dimension.LINEAGE,
        description="National goal lineage (key): one goal across framework agreements and renumbered contract goals.",
    )
    UNIT = strawberry.enum_value(service.Dimension.UNIT, description="Unit of the figures, e.g. 'percent'.")
    SEGMENT = strawberry.enum_value(
        service.Dimension.SEGMENT,
        description="Canonical course type or customer "
        "segment (key; printed spellings mapped); no value when unmapped or none.",
    )
    INDICATOR = strawberry.enum_value(
        service.Dimension.INDICATOR,
        description="Indicator key of an observation, or 'population' / a municipality measure key.",
    )


@strawberry.enum(description="A measure of an aggregate cell.")
class AggregateMeasure(enum.Enum):
    COUNT = strawberry.enum_value(service.Measure.COUNT, description="Number of figures.")
    SUM = strawberry.enum_value(service.Measure.SUM, description="Sum of the figures.")
    MEAN = strawberry.enum_value(service.Measure.MEAN, description="Mean of the figures (sum / count).")
    MEDIAN = strawberry.enum_value(service.Measure.MEDIAN, description="Median of the figures.")
    MIN = strawberry.enum_value(service.Measure.MIN, description="Smallest figure.")
    MAX = strawberry.enum_value(service.Measure.MAX, description="Largest figure.")


@strawberry.enum(description="Which subtotals (grouping sets) an aggregate returns besides the full grouping.")
class AggregateSubtotals(enum.Enum):
    NONE = strawberry.enum_value(service.Subtotals.NONE, description="Only the cells of all grouped dimensions.")
    GRAND_TOTAL = strawberry.enum_value(service.Subtotals.GRAND_TOTAL, description="Plus the grand total.")
    ROLLUP = strawberry.enum_value(
        service.Subtotals.ROLLUP,
        description="Hierarchical subtotals in groupBy order and the grand total (SQL ROLLUP).",
    )
    CUBE = strawberry.enum_value(
        service.Subtotals.CUBE,
        description="Subtotals of every combination of the dimensions and the grand total (SQL CUBE).",
    )


@strawberry.enum(description="Why a cell is suppressed (national statistics offices print '..').")
class SuppressionReason(enum.Enum):
    FEW_CONTRIBUTORS = strawberry.enum_value(
        "FEW_CONTRIBUTORS", description="Fewer contributors than the minimum (primary suppression)."
    )
    DOMINANCE = strawberry.enum_value(
        "DOMINANCE",
        description="The n largest contributors hold more than k % of the sum ((n,k) rule, primary suppression).",
    )
    SECONDARY = strawberry.enum_value(
        "SECONDARY",
        description="Suppressed so that no primary suppressed cell "
        "can be recovered from the published cells and subtotals.",
    )


@strawberry.input(
    description="Only figures with these values (each field: any of its values; fields combined "
    "with AND).  Filtering happens in the database before aggregation.  Regions, hubs "
    "and the urban/rural class pick contributors and are no filters (group by them "
    "instead): the total of all minus the total of all but one would give that one away."
)
class AggregateFilter:
    years: list[int] | None = strawberry.field(default=None, description="Years (YEAR).")
    periods: list[str] | None = strawberry.field(default=None, description="Period labels as printed (PERIOD).")
    goal_categories: list[GoalCategory] | None = strawberry.field(
        default=None, description="NATIONAL and/or COMMON (GOAL_CATEGORY); LOCAL is refused."
    )
    lineages: list[str] | None = strawberry.field(default=None, description="National goal lineage keys (LINEAGE).")
    units: list[str] | None = strawberry.field(default=None, description="Units, e.g. 'percent' (UNIT).")
    segments: list[str] | None = strawberry.field(default=None, description="Canonical segment keys (SEGMENT).")
    indicators: list[str] | None = strawberry.field(
        default=None, description="Indicator keys, 'population' or municipality measure keys (INDICATOR)."
    )


@strawberry.type(description="One dimension's coordinate of a cell.")
class AggregateCoordinate:
    dimension: AggregateDimension = strawberry.field(description="The dimension.")
    value: str | None = strawberry.field(
        description="Its value (slug, key, year, label); null for a total or "
        "for figures without a value in this dimension."
    )
    total: bool = strawberry.field(description="True when the cell sums over every value of the dimension.")


@strawberry.type(description="One cell of an aggregate table.  When suppressed, every measure is null.")
class AggregateCell:
    coordinates: list[AggregateCoordinate] = strawberry.field(description="One per groupBy dimension, in order.")
    contributors: int | None = strawberry.field(
        description="Number of contributors (hubs, regions or municipalities); null when suppressed."
    )
    count: int | None = strawberry.field(description="Number of figures; null when suppressed or not asked for.")
    sum: Decimal | None = strawberry.field(description="Sum; null when suppressed or not asked for.")
    mean: Decimal | None = strawberry.field(description="Mean; null when suppressed or not asked for.")
    median: Decimal | None = strawberry.field(description="Median; null when suppressed, withheld or not asked for.")
    min: Decimal | None = strawberry.field(
        description="Smallest figure; null when suppressed, withheld or not asked for."
    )
    max: Decimal | None = strawberry.field(
        description="Largest figure; null when suppressed, withheld or not asked for."
    )
    suppressed: bool = strawberry.field(description="True when the cell is not published.")
    reason: SuppressionReason | None = strawberry.field(description="Why it is suppressed.")
    order_statistics_withheld: bool = strawberry.field(
        description="True when min, median and max are withheld: they are one contributor's figure, and a cell "
        "below this one (contained in it) is suppressed, so they could point at it."
    )


@strawberry.type(description="A dominance rule: a sum whose n largest contributors hold more than k % is suppressed.")
class DominanceRule:
    n: int = strawberry.field(description="Number of largest contributors.")
    k: float = strawberry.field(description="Share in percent of the sum of absolute contributions.")


@strawberry.type(description="The statistical disclosure control applied (server settings DISCLOSURE_*).")
class DisclosureRules:
    min_contributors: int = strawberry.field(description="Cells with fewer contributors are suppressed.")
    dominance: list[DominanceRule] = strawberry.field(description="The (n,k) dominance rules.")
    protection_percent: float = strawberry.field(
        description="Protection level p: for every primary suppressed cell of value x, the published cells and "
        "subtotals allow any value in [x - p % x, x + p % x] (non-negative figures assumed)."
    )


@strawberry.type(description="An aggregate table: cells of the full grouping and of the subtotals asked for.")
class AggregateTable:
    family: AggregateFamily = strawberry.field(description="The figure family aggregated.")
    group_by: list[AggregateDimension] = strawberry.field(description="The grouped dimensions, in order.")
    measures: list[AggregateMeasure] = strawberry.field(description="The measures computed.")
    contributor: str = strawberry.field(description="What a contributor is in this family.")
    rules: DisclosureRules = strawberry.field(description="The disclosure control applied.")
    cells: list[AggregateCell] = strawberry.field(
        description="The cells (finest grouping first, then subtotals, "
        "grand total last); cells without figures never appear."
    )
