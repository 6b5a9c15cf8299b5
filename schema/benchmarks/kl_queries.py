"""KL's benchmarking queries (`benchmark:read`): side by side, series, catalogue and the segment vocabulary.

Each field runs a bounded number of set-based statements (at most three,
whatever the number of hubs, years or measures): see
platform/services/benchmarking.py and platform/services/benchmark_catalogue.py.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Annotated, Any

import strawberry

from kkr.platform.services import benchmark_catalogue as catalogue
from kkr.platform.services import benchmarking as service

from ..common.connection import bad_input
from ..common.database import execute
from ..common.enums import SegmentKind
from ..common.fields import field
from ..common.text import wants_search
from ..organisations.loaders import HUB_BY_SLUG
from ..permissions import BenchmarkRead, SharedRead
from .kl_figures import (
    area_of,
    goal_figure,
    observation_figure,
    segment_label,
    source,
    target_of,
    unit_of,
)
from .kl_types import (
    BenchmarkComparison,
    BenchmarkFigureStatus,
    BenchmarkSeries,
    BenchmarkSubject,
    BenchmarkSubjectKind,
    CatalogueEntry,
    ComparisonMeasure,
    NationalFigure,
    Segment,
)

LineageArg = Annotated[
    str | None,
    strawberry.argument(
        description="Key of a goal lineage (see benchmarkCatalogue), e.g. 'satisfaction-nps': one goal across framework "
        "agreements and renumbered contract goals."
    ),
]
AgreementArg = Annotated[
    str | None,
    strawberry.argument(description="Slug of a framework agreement, e.g. '2019-2020' (with nationalGoalCode)."),
]
GoalCodeArg = Annotated[
    str | None,
    strawberry.argument(description="Code of a national goal in that agreement, e.g. '1' (with frameworkAgreement)."),
]
SegmentArg = Annotated[
    str | None,
    strawberry.argument(
        description="Only figures of this canonical segment or course type (a key of `segments`, e.g. 'action-plan'); "
        "matches every printed spelling of it."
    ),
]


def _selector(
    lineage: str | None,
    agreement: str | None,
    code: str | None,
    indicator_key: str | None = None,
    *,
    observations: bool = False,
) -> str:
    """Which of the selectors is used; exactly one must be."""
    if (agreement is None) != (code is None):
        raise bad_input("Arguments 'frameworkAgreement' and 'nationalGoalCode' go together: give both or neither.")
    chosen = [
        name
        for name, given in (
            ("lineage", lineage is not None),
            ("national_goal", agreement is not None),
            ("observation", indicator_key is not None),
        )
        if given
    ]
    if len(chosen) != 1:
        allowed = "'lineage', 'frameworkAgreement' + 'nationalGoalCode'" + (
            " or 'indicatorKey'" if observations else ""
        )
        raise bad_input(f"Give exactly one of {allowed}.")
    return chosen[0]


async def _subject(
    info: strawberry.Info,
    kind: str,
    lineage: str | None,
    agreement: str | None,
    code: str | None,
    indicator_key: str | None = None,
) -> BenchmarkSubject:
    if kind == "lineage":
        row = (await execute(info.context, service.LINEAGE_STATEMENT, {"lineage": lineage})).first()
        if row is None:
            raise bad_input(f"Argument 'lineage': there is no goal lineage '{lineage}' (see benchmarkCatalogue).")
        return BenchmarkSubject(
            kind=BenchmarkSubjectKind.GOAL_LINEAGE,
            key=row.key,
            name=row.name,
            description=row.description,
            framework_agreement=None,
            national_goal_code=None,
            lineages=[row.key],
            source=source(row.source_document_key, row.source_locator, row.note),
        )
    if kind == "national_goal":
        row = (
            await execute(
                info.context, service.NATIONAL_GOAL_STATEMENT, {"agreement": agreement, "national_goal_code": code}
            )
        ).first()
        if row is None:
            raise bad_input(
                f"Arguments 'frameworkAgreement' and 'nationalGoalCode': the agreement '{agreement}' has "
                f"no national goal '{code}' (see benchmarkCatalogue)."
            )
        return BenchmarkSubject(
            kind=BenchmarkSubjectKind.NATIONAL_GOAL,
            key=f"{row.agreement}/{row.code}",
            name=row.title,
            description=row.description,
            framework_agreement=row.agreement,
            national_goal_code=row.code,
            lineages=list(row.lineages or []),
            source=source(row.source_document_key, row.source_locator, row.note),
        )
    row = (await execute(info.context, catalogue.OBSERVATION_INDICATOR, {"indicator_key": indicator_key})).first()
    if row is None:
        raise bad_input(
            f"Argument 'indicatorKey': there is no benchmark indicator '{indicator_key}' (see benchmarkCatalogue)."
        )
    return BenchmarkSubject(
        kind=BenchmarkSubjectKind.OBSERVATION_INDICATOR,
        key=row.indicator_key,
        name=row.name,
        description=None,
        framework_agreement=None,
        national_goal_code=None,
        lineages=[],
        source=None,
    )


def _params(lineage: str | None, agreement: str | None, code: str | None, segment: str | None) -> dict[str, Any]:
    return {"lineage": lineage, "agreement": agreement, "national_goal_code": code, "segment": segment}


def _not_reported(figures: list[Any]) -> list[Any]:
    return [f.area for f in figures if f.status is not BenchmarkFigureStatus.REPORTED]


async def _goal_comparison(
    info: strawberry.Info, params: dict[str, Any], period: str
) -> tuple[list[ComparisonMeasure], list[Any]]:
    """The measures of a goal selector in `period`, and the hubs expected when no measure matches at all."""
    year = service.period_year(period)
    params = {**params, "period": period, "year": year}
    rows = (await execute(info.context, service.comparison_statement(), params)).all()
    national = (await execute(info.context, service.national_targets_statement(), params)).all()
    groups: OrderedDict[str, list[Any]] = OrderedDict()
    for row in rows:
        if row.grid_key is not None:  # else: nothing matches at all (one row per hub, no measure)
            groups.setdefault(row.grid_key, []).append(row)
    measures = []
    for key, group in groups.items():
        first = group[0]
        figures = [goal_figure(row, row.figure_year if row.figure_year is not None else year) for row in group]
        targets = [target_of(_national_as_target(n)) for n in national if n.measure_key == key]
        measures.append(
            ComparisonMeasure(
                unit=unit_of(first.grid_unit),
                segment=segment_label(first.grid_unmapped_segment, first.grid_segment_key, first.grid_segment_name),
                national_targets=[t for t in targets if t is not None],
                national_figure=None,
                figures=figures,
                not_reported=_not_reported(figures),
            )
        )
    return measures, [area_of(row) for row in rows if row.grid_key is None]


class _national_as_target:
    """A national target row with the columns `target_of` reads."""

    def __init__(self, row: Any) -> None:
        self._row = row
        self.target_source = "framework_agreement"

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, name)


async def _observation_comparison(
    info: strawberry.Info, indicator_key: str, period: str
) -> tuple[list[ComparisonMeasure], list[Any]]:
    """The one measure of a benchmark indicator in `period` (every hub or region, and the national figure)."""
    rows = (
        await execute(
            info.context, catalogue.OBSERVATION_COMPARISON, {"indicator_key": indicator_key, "period": period}
        )
    ).all()
    year = int(period[:4]) if period[:4].isdigit() else None
    national = next((r for r in rows if r.kind == "national"), None)
    figures = [observation_figure(r, year) for r in rows if r.kind != "national"]
    units = {r.unit for r in rows if r.unit is not None}
    return [
        ComparisonMeasure(
            unit=unit_of(next(iter(units))) if len(units) == 1 else None,
            segment=segment_label(None, None, None),
            national_targets=[],
            national_figure=NationalFigure(
                value=national.value,
                unit=unit_of(national.unit),
                source=source(national.source_document_key, national.source_locator, national.note),
            )
            if national
            else None,
            figures=figures,
            not_reported=_not_reported(figures),
        )
    ], []


@strawberry.type
class KlBenchmarksQuery:
    @field(
        description="Every hub side by side for one national or common goal (by lineage, or framework agreement + "
        "national goal code) or one benchmark indicator, in one period: target, result, fulfilment, "
        "share of target, rank (ties share a rank), normalised figures, the national target or figure, "
        "and which hubs have not reported.  Published contracts, national and common goals only.",
        permission_classes=[BenchmarkRead],
    )
    async def benchmark_comparison(
        self,
        info: strawberry.Info,
        period: Annotated[
            str,
            strawberry.argument(
                description="Period label as printed, e.g. '2020' for a contract year or '2020-09' for the awareness "
                "survey; a year also matches national targets printed for a span ('2021-2023')."
            ),
        ],
        lineage: LineageArg = None,
        framework_agreement: AgreementArg = None,
        national_goal_code: GoalCodeArg = None,
        indicator_key: Annotated[
            str | None,
            strawberry.argument(description="Key of a benchmark observation indicator, e.g. 'hub-awareness-2020-09'."),
        ] = None,
        segment: SegmentArg = None,
    ) -> BenchmarkComparison:
        kind = _selector(lineage, framework_agreement, national_goal_code, indicator_key, observations=True)
        if not period.strip():
            raise bad_input("Argument 'period' must not be empty.")
        subject = await _subject(info, kind, lineage, framework_agreement, national_goal_code, indicator_key)
        if kind == "observation":
            assert indicator_key is not None  # the "observation" selector is indicator_key
            if segment is not None:
                raise bad_input("Argument 'segment' applies to goals only; benchmark observations have no segment.")
            measures, nothing = await _observation_comparison(info, indicator_key, period)
        else:
            measures, nothing = await _goal_comparison(
                info, _params(lineage, framework_agreement, national_goal_code, segment), period
            )
        missing: OrderedDict[str, Any] = OrderedDict((area.slug, [area, False]) for area in nothing)
        for measure in measures:
            reported = {f.area.slug for f in measure.figures if f.status is BenchmarkFigureStatus.REPORTED}
            for figure in measure.figures:
                missing.setdefault(figure.area.slug, [figure.area, False])[1] |= figure.area.slug in reported
        return BenchmarkComparison(
            subject=subject,
            period=period,
            measures=measures,
            not_reported=[area for area, seen in missing.values() if not seen],
        )

    @field(
        description="One goal's figures for every hub and year, across framework agreements (2019-2020, "
        "2021-2023) and contracts that number the goal differently: targets from published contracts, "
        "else the framework agreement's national targets; results where reported.",
        permission_classes=[BenchmarkRead],
    )
    async def benchmark_series(
        self,
        info: strawberry.Info,
        lineage: LineageArg = None,
        framework_agreement: AgreementArg = None,
        national_goal_code: GoalCodeArg = None,
        segment: SegmentArg = None,
        business_hubs: Annotated[
            list[str] | None, strawberry.argument(description="Only these hubs (slugs); all six by default.")
        ] = None,
        from_year: Annotated[int | None, strawberry.argument(description="First year of the series.")] = None,
        to_year: Annotated[int | None, strawberry.argument(description="Last year of the series.")] = None,
    ) -> BenchmarkSeries:
        kind = _selector(lineage, framework_agreement, national_goal_code)
        if from_year is not None and to_year is not None and from_year > to_year:
            raise bad_input("Argument 'fromYear' must not be after 'toYear'.")
        subject = await _subject(info, kind, lineage, framework_agreement, national_goal_code)
        params = {
            **_params(lineage, framework_agreement, national_goal_code, segment),
            "hubs": business_hubs,
            "from_year": from_year,
            "to_year": to_year,
        }
        rows = (await execute(info.context, service.series_statement(), params)).all()
        # every known hub has a point for every year; with no points at all, ask the hub directory
        unknown = set(business_hubs or ()) - {row.hub_slug for row in rows}
        if unknown and not rows:
            known = await HUB_BY_SLUG.load_many(info, sorted(unknown))
            unknown = {slug for slug, hub in zip(sorted(unknown), known, strict=True) if hub is None}
        if unknown:
            raise bad_input(f"Argument 'businessHubs': no business hub {', '.join(map(repr, sorted(unknown)))}.")
        points = [goal_figure(row, row.grid_year) for row in rows]
        return BenchmarkSeries(subject=subject, years=sorted({row.grid_year for row in rows}), points=points)

    @field(
        description="Every indicator and measure KL can benchmark: goal lineages, national goals and benchmark "
        "observation indicators, with units, periods, hubs or regions covered, segments and sources.",
        permission_classes=[BenchmarkRead],
    )
    async def benchmark_catalogue(
        self,
        info: strawberry.Info,
        search: Annotated[
            str | None,
            strawberry.argument(
                description="Only entries whose name (or key) contains this text, case-insensitive (æ, ø, å included), "
                "or matches it with Danish stemming; blank = no filter."
            ),
        ] = None,
        kind: Annotated[BenchmarkSubjectKind | None, strawberry.argument(description="Only this kind.")] = None,
    ) -> list[CatalogueEntry]:
        query = search.strip() if wants_search(search) else None
        rows = (
            await execute(
                info.context,
                catalogue.CATALOGUE,
                {
                    "search": query,
                    "pattern": catalogue.like_pattern(query) if query else None,
                    "kind": kind.value if kind else None,
                },
            )
        ).all()
        return [
            CatalogueEntry(
                kind=BenchmarkSubjectKind(r.kind),
                key=r.key,
                name=r.name,
                description=r.description,
                units=sorted(r.units),
                periods=sorted(r.periods),
                business_hubs=sorted(r.hubs),
                regions=sorted(r.regions),
                national_figure=bool(r.national_figure),
                segments=sorted(r.segments),
                framework_agreement=r.agreement,
                national_goal_code=r.national_goal_code,
                lineages=sorted(r.lineages),
                source_documents=sorted(r.source_documents),
                source=source(r.source_document_key, r.source_locator, r.note) if r.source_document_key else None,
            )
            for r in rows
        ]

    @field(
        description="The canonical vocabulary of course types (forløbstyper) and customer segments, with every "
        "printed spelling that maps to each (regional staff and KL).",
        permission_classes=[SharedRead],
    )
    async def segments(
        self,
        info: strawberry.Info,
        kind: Annotated[
            SegmentKind | None,
            strawberry.argument(description="Only course types, only customer segments or only combined segments."),
        ] = None,
    ) -> list[Segment]:
        rows = (await execute(info.context, catalogue.SEGMENTS, {"kind": kind.value if kind else None})).all()
        return [
            Segment(
                key=r.key, name=r.name, kind=SegmentKind(r.kind), description=r.description, spellings=list(r.spellings)
            )
            for r in rows
        ]


__all__ = ["KlBenchmarksQuery"]
