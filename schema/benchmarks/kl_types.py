"""GraphQL types of KL's benchmarking (`benchmark:read`): comparisons, series, normalised figures, catalogue.

Every figure here is comparable: a target of a national or common goal in the
latest published version of a hub's contract (with its latest result), a
national target of a framework agreement, or a printed benchmark observation.
Drafts and local goals never appear (row-level security and the statements of
platform/services/benchmarking.py).
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import strawberry

from ..access import requires
from ..common.enums import Comparator, GoalCategory, SegmentKind, Unit
from ..common.source import Source
from ..contracts.targets import FulfilmentStatus
from ..permissions import BenchmarkRead, SharedRead


@strawberry.enum(description="What a comparison or series is about.")
class BenchmarkSubjectKind(enum.Enum):
    GOAL_LINEAGE = strawberry.enum_value(
        "lineage",
        description="A goal lineage: one national (or common) goal "
        "across framework agreements and renumbered contract goals.",
    )
    NATIONAL_GOAL = strawberry.enum_value("national_goal", description="One national goal of one framework agreement.")
    OBSERVATION_INDICATOR = strawberry.enum_value(
        "observation",
        description="A benchmark observation indicator printed per hub or region (e.g. awareness, September 2020).",
    )


@strawberry.enum(description="Where a hub's target comes from.")
class TargetSource(enum.Enum):
    CONTRACT = strawberry.enum_value("contract", description="The hub's published result contract.")
    FRAMEWORK_AGREEMENT = strawberry.enum_value(
        "framework_agreement",
        description="The framework agreement's national target (the hub has no published "
        "contract target for this goal and period).",
    )


@strawberry.enum(description="Whether a hub's figure is there, and if not why.")
class BenchmarkFigureStatus(enum.Enum):
    REPORTED = strawberry.enum_value("reported", description="A result (or observation) is reported.")
    NOT_REPORTED = strawberry.enum_value(
        "not_reported", description="The published contract has the target, but no result has been reported."
    )
    NO_PUBLISHED_CONTRACT = strawberry.enum_value(
        "no_published_contract",
        description="The hub has no published contract for the year (drafts are never "
        "shown); the national target stands in where there is one.",
    )
    NOT_IN_CONTRACT = strawberry.enum_value(
        "not_in_contract", description="The hub's published contract has no target for this goal, period and segment."
    )
    NOT_PRINTED = strawberry.enum_value("not_printed", description="The papers print no observation for this area.")


@strawberry.enum(description="What a normalised figure is divided by.")
class DenominatorKind(enum.Enum):
    POPULATION = strawberry.enum_value(
        "population",
        description="Inhabitants of the area's municipalities in the "
        "figure's year, in thousands (per 1,000 inhabitants).",
    )
    MUNICIPALITIES = strawberry.enum_value("municipalities", description="Number of municipalities of the area.")
    TARGET = strawberry.enum_value("target", description="The target value (share of target, in percent).")


@strawberry.enum(description="Kind of area a figure is for.")
class BenchmarkAreaKind(enum.Enum):
    BUSINESS_HUB = strawberry.enum_value("hub", description="A business hub (erhvervshus); six in all.")
    REGION = strawberry.enum_value("region", description="A KKR region; five in all.")


@requires(BenchmarkRead)
@strawberry.type(description="A hub or region a figure is for.")
class BenchmarkArea:
    kind: BenchmarkAreaKind = strawberry.field(description="Business hub or region.")
    slug: str = strawberry.field(description="Slug of the hub or region, e.g. 'sjaelland'.")
    name: str = strawberry.field(description="Name of the hub or region, e.g. 'Erhvervshus Sjælland'.")
    region_slug: str = strawberry.field(description="Slug of the region the area belongs to.")


@requires(BenchmarkRead)
@strawberry.type(
    description="A course type or customer segment as printed, with its canonical segment "
    "(forløbstype / kundesegment; see `segments`)."
)
class SegmentLabel:
    printed: str | None = strawberry.field(description="The segment exactly as printed in the paper, if any.")
    key: str | None = strawberry.field(
        description="Key of the canonical segment, e.g. 'action-plan'; null when "
        "nothing is printed or the spelling is not mapped yet."
    )
    name: str | None = strawberry.field(description="Danish canonical name, e.g. 'handlingsplaner'.")


@requires(BenchmarkRead)
@strawberry.type(description="How many municipalities of the area the denominator covers.")
class Coverage:
    municipalities: int = strawberry.field(description="Municipalities of the area (kommuner in the directory).")
    with_figure: int = strawberry.field(description="Of these, how many have the figure (e.g. a population that year).")
    complete: bool = strawberry.field(description="True when every municipality of the area has the figure.")


@requires(BenchmarkRead)
@strawberry.type(description="What a normalised figure is divided by.")
class Denominator:
    kind: DenominatorKind = strawberry.field(description="Population, number of municipalities or the target.")
    value: Decimal | None = strawberry.field(
        description="The denominator's value (inhabitants, municipalities or target); null when it is incomplete."
    )
    description: str = strawberry.field(description="What the denominator is, in words.")
    year: int | None = strawberry.field(description="Year of the denominator (population year), if any.")
    coverage: Coverage | None = strawberry.field(
        description="Municipalities covered (population and municipality counts)."
    )


@requires(BenchmarkRead)
@strawberry.type(
    description="A figure divided by a stated denominator; null value with a reason when it cannot be "
    "computed (e.g. not every municipality has a population that year)."
)
class NormalisedFigure:
    value: Decimal | None = strawberry.field(
        description="The normalised figure (rounded to 4 decimals; share of target in percent, 2 decimals)."
    )
    denominator: Denominator = strawberry.field(description="What it is divided by.")
    unavailable_reason: str | None = strawberry.field(description="Why the value is null, if it is.")


@requires(BenchmarkRead)
@strawberry.type(
    description="Fulfilment (målopfyldelse) of a contract target by its latest result, by the "
    "platform's rules (see `Fulfilment` of regional contracts)."
)
class BenchmarkFulfilment:
    status: FulfilmentStatus = strawberry.field(
        description="Met, partly met, not met, not yet reported or not assessable."
    )
    pct: Decimal | None = strawberry.field(
        description="Fulfilment in percent (100 met, the partial rule's percentage, 0 not met)."
    )
    explanation: str = strawberry.field(description="Why, in one sentence.")


@requires(BenchmarkRead)
@strawberry.type(
    description="A target (måltal) as printed: from a hub's published contract or the framework agreement."
)
class BenchmarkTarget:
    source_kind: TargetSource = strawberry.field(description="Contract or framework agreement.")
    measure: str | None = strawberry.field(description="What is measured (målepunkt / indicator), as printed.")
    period: str = strawberry.field(description="Period label of the target as printed, e.g. '2020' or '2021-2023'.")
    comparator: Comparator = strawberry.field(description="How a result is compared with the target.")
    value: Decimal | None = strawberry.field(description="The target (the lower bound of a range).")
    value_max: Decimal | None = strawberry.field(description="Upper bound of a range target.")
    text: str | None = strawberry.field(description="The target as printed when it is not a number.")
    segment: SegmentLabel = strawberry.field(description="Segment or course type of the target.")
    source: Source = strawberry.field(description="Where the target is printed.")


@requires(BenchmarkRead)
@strawberry.type(
    description="One hub's (or region's) figure in a comparison or a series: target, result, "
    "fulfilment, share of target, rank and normalised figures."
)
class BenchmarkFigure:
    area: BenchmarkArea = strawberry.field(description="The hub (or region) the figure is for.")
    year: int | None = strawberry.field(
        description="Year of the figure: the contract year, or the year a national target or observation applies to."
    )
    status: BenchmarkFigureStatus = strawberry.field(description="Reported, not reported, or why there is nothing.")
    goal_code: str | None = strawberry.field(
        description="Code of the goal as printed in the hub's contract (the "
        "same national goal may carry another number there)."
    )
    goal_category: GoalCategory | None = strawberry.field(description="National or common (never local).")
    goal_title: str | None = strawberry.field(description="Title of the goal as printed.")
    framework_agreement: str | None = strawberry.field(description="Framework agreement of the national goal.")
    national_goal_code: str | None = strawberry.field(description="Code of the national goal in its agreement.")
    measure: str | None = strawberry.field(description="What is measured (indicator or målepunkt), as printed.")
    unit: Unit | None = strawberry.field(description="Unit of target and result.")
    segment: SegmentLabel = strawberry.field(description="Segment or course type: printed text and canonical key.")
    target: BenchmarkTarget | None = strawberry.field(
        description="The target (contract or national); null for observations or when there is none."
    )
    result: Decimal | None = strawberry.field(
        description="The figure compared: the latest reported result, or the printed observation."
    )
    result_text: str | None = strawberry.field(description="The result as printed when it is (also) text.")
    measured_at: dt.date | None = strawberry.field(description="When the result was measured, if printed.")
    fulfilment: BenchmarkFulfilment | None = strawberry.field(
        description="Fulfilment of a contract target; null for national targets and observations."
    )
    share_of_target: NormalisedFigure = strawberry.field(description="Result in percent of the target value.")
    rank: int | None = strawberry.field(
        description="Rank among the areas with a numeric figure for the same measure "
        "(and year): 1 = highest (lowest for at-most targets); ties share "
        "a rank (1, 2, 2, 4)."
    )
    ranked: int = strawberry.field(description="How many areas were ranked.")
    result_per_thousand_inhabitants: NormalisedFigure = strawberry.field(
        description="Result per 1,000 inhabitants of the area's municipalities that year (counts and amounts only)."
    )
    target_per_thousand_inhabitants: NormalisedFigure = strawberry.field(
        description="Target per 1,000 inhabitants of the area's municipalities that year (counts and amounts only)."
    )
    result_per_municipality: NormalisedFigure = strawberry.field(
        description="Result divided by the number of municipalities of the area (counts and amounts only)."
    )
    target_per_municipality: NormalisedFigure = strawberry.field(
        description="Target divided by the number of municipalities of the area (counts and amounts only)."
    )
    source: Source | None = strawberry.field(description="Where the target (or observation) is printed.")
    note: str | None = strawberry.field(description="Why the figure is missing, or the curator's note.")


@requires(BenchmarkRead)
@strawberry.type(description="A figure printed for the whole country (landsplan).")
class NationalFigure:
    value: Decimal = strawberry.field(description="The national figure as printed.")
    unit: Unit | None = strawberry.field(description="Unit of the figure.")
    source: Source = strawberry.field(description="Where it is printed.")


@requires(BenchmarkRead)
@strawberry.type(description="One measure (unit and segment) of a comparison: every hub side by side, ranked.")
class ComparisonMeasure:
    unit: Unit | None = strawberry.field(description="Unit of the figures.")
    segment: SegmentLabel = strawberry.field(
        description="Canonical segment of the measure (printed spellings vary "
        "by hub and year; see each figure's segment)."
    )
    national_targets: list[BenchmarkTarget] = strawberry.field(
        description="The framework agreement's targets for this measure and period, if any."
    )
    national_figure: NationalFigure | None = strawberry.field(
        description="The national figure where the papers print one (observations with no hub or region)."
    )
    figures: list[BenchmarkFigure] = strawberry.field(description="Every expected hub (or region), ranked first.")
    not_reported: list[BenchmarkArea] = strawberry.field(
        description="The expected areas with no reported figure (see each figure's status for why)."
    )


@requires(BenchmarkRead)
@strawberry.type(description="What a comparison or series is about.")
class BenchmarkSubject:
    kind: BenchmarkSubjectKind = strawberry.field(description="Goal lineage, national goal or observation indicator.")
    key: str = strawberry.field(
        description="Lineage key, '<agreement>/<code>' of a national goal, or the indicator key."
    )
    name: str = strawberry.field(description="Name as printed (or curated for a lineage).")
    description: str | None = strawberry.field(description="Description, if any.")
    framework_agreement: str | None = strawberry.field(description="The national goal's framework agreement.")
    national_goal_code: str | None = strawberry.field(description="The national goal's code.")
    lineages: list[str] = strawberry.field(description="Keys of the goal lineages it belongs to (or is).")
    source: Source | None = strawberry.field(description="Where it is defined or printed.")


@requires(BenchmarkRead)
@strawberry.type(description="Every hub side by side for one goal (or indicator) and period.")
class BenchmarkComparison:
    subject: BenchmarkSubject = strawberry.field(description="The goal, lineage or indicator compared.")
    period: str = strawberry.field(description="The period compared, as asked.")
    measures: list[ComparisonMeasure] = strawberry.field(description="One entry per unit and canonical segment.")
    not_reported: list[BenchmarkArea] = strawberry.field(description="Areas with no reported figure in any measure.")


@requires(BenchmarkRead)
@strawberry.type(description="One goal's figures for every hub and year.")
class BenchmarkSeries:
    subject: BenchmarkSubject = strawberry.field(description="The lineage or national goal.")
    years: list[int] = strawberry.field(
        description="The years of the series (the agreements' years and every year with a published figure)."
    )
    points: list[BenchmarkFigure] = strawberry.field(
        description="Hub by hub, year by year; a hub-year without any figure is one point with a status saying why."
    )


@requires(BenchmarkRead)
@strawberry.type(description="An indicator or measure KL can benchmark.")
class CatalogueEntry:
    kind: BenchmarkSubjectKind = strawberry.field(description="Lineage, national goal or observation indicator.")
    key: str = strawberry.field(
        description="Pass it to benchmarkComparison / benchmarkSeries: `lineage`, "
        "`frameworkAgreement` + `nationalGoalCode` ('<agreement>/<code>'), or "
        "`indicatorKey`."
    )
    name: str = strawberry.field(description="Name as printed (curated for a lineage).")
    description: str | None = strawberry.field(description="Description, if any.")
    units: list[str] = strawberry.field(description="Units of its figures (count, percent, nps, ...).")
    periods: list[str] = strawberry.field(description="Period labels with figures (targets or observations).")
    business_hubs: list[str] = strawberry.field(
        description="Hubs with a figure: an observation, or a target in a published contract."
    )
    regions: list[str] = strawberry.field(description="Regions with an observation (indicators printed per KKR).")
    national_figure: bool = strawberry.field(description="Whether a national figure (landsplan) is printed.")
    segments: list[str] = strawberry.field(
        description="Canonical segment keys of its targets (the printed text where a spelling is not mapped)."
    )
    framework_agreement: str | None = strawberry.field(description="Framework agreement of a national goal.")
    national_goal_code: str | None = strawberry.field(description="Code of a national goal.")
    lineages: list[str] = strawberry.field(description="Goal lineages it belongs to.")
    source_documents: list[str] = strawberry.field(
        description="Keys of the papers its definition or figures are printed in."
    )
    source: Source | None = strawberry.field(description="Where it is defined (first document for observations).")


@requires(SharedRead)
@strawberry.type(description="A canonical course type (forløbstype) or customer segment with its printed spellings.")
class Segment:
    key: str = strawberry.field(description="Stable key, e.g. 'action-plan'.")
    name: str = strawberry.field(description="Danish canonical name, e.g. 'handlingsplaner'.")
    kind: SegmentKind = strawberry.field(
        description="A course type, a customer segment or several course types counted together."
    )
    description: str | None = strawberry.field(description="What it covers.")
    spellings: list[str] = strawberry.field(description="Every spelling printed in the papers for it.")
