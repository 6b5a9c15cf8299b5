"""Rows of the benchmarking statements (platform/services/benchmarking.py) as GraphQL objects.

Only presentation: every row is one figure the SQL selected, grouped and
ranked; fulfilment uses the platform's rules (platform/services/fulfilment.py).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kkr.platform.services import benchmarking as service

from ..common.enums import Comparator, GoalCategory, Unit, to_graphql
from ..common.source import Source
from ..contracts.targets import FulfilmentStatus
from .kl_types import (
    BenchmarkArea,
    BenchmarkAreaKind,
    BenchmarkFigure,
    BenchmarkFigureStatus,
    BenchmarkFulfilment,
    BenchmarkTarget,
    Coverage,
    Denominator,
    DenominatorKind,
    NormalisedFigure,
    SegmentLabel,
    TargetSource,
)


def unit_of(value: str | None) -> Unit | None:
    try:
        return to_graphql(Unit, value)
    except ValueError:
        return None


def source(document_key: str | None, locator: str | None, note: str | None = None) -> Source:
    return Source(document_key=document_key, locator=locator, note=note)


def segment_label(printed: str | None, key: str | None, name: str | None) -> SegmentLabel:
    return SegmentLabel(printed=printed, key=key, name=name)


def area_of(row: Any, kind: str | None = None) -> BenchmarkArea:
    """The hub of a goal row (`kind` None), or the hub or region of an observation row."""
    if kind is None:
        return BenchmarkArea(
            kind=BenchmarkAreaKind.BUSINESS_HUB, slug=row.hub_slug, name=row.hub_name, region_slug=row.region_slug
        )
    return BenchmarkArea(kind=BenchmarkAreaKind(kind), slug=row.slug, name=row.name, region_slug=row.region_slug)


def _coverage(row: Any) -> Coverage | None:
    if row.municipalities is None:
        return None
    return Coverage(
        municipalities=row.municipalities,
        with_figure=row.with_population or 0,
        complete=bool(row.municipalities) and row.with_population == row.municipalities,
    )


def _normalised(result: service.Normalised, denominator: Denominator) -> NormalisedFigure:
    return NormalisedFigure(value=result.value, denominator=denominator, unavailable_reason=result.reason)


def normalisations(
    value: Decimal | None, unit: str | None, row: Any, year: int | None, area_name: str
) -> tuple[NormalisedFigure, NormalisedFigure]:
    """`value` per 1,000 inhabitants and per municipality of the area, each with its denominator."""
    coverage = _coverage(row)
    complete = coverage is not None and coverage.complete
    population = Denominator(
        kind=DenominatorKind.POPULATION,
        value=Decimal(row.population) / 1000 if complete and row.population else None,
        description=f"Inhabitants (in thousands) of the {row.municipalities or 0} municipalities of {area_name} in "
        f"{year} (municipality_population, as printed in the papers).",
        year=year,
        coverage=coverage,
    )
    municipalities = Denominator(
        kind=DenominatorKind.MUNICIPALITIES,
        value=Decimal(row.municipalities) if row.municipalities else None,
        description=f"Number of municipalities of {area_name} (municipality directory).",
        year=None,
        coverage=Coverage(
            municipalities=row.municipalities or 0,
            with_figure=row.municipalities or 0,
            complete=bool(row.municipalities),
        ),
    )
    return (
        _normalised(
            service.per_thousand(value, unit, row.population, row.municipalities, row.with_population, year, area_name),
            population,
        ),
        _normalised(service.per_municipality(value, unit, row.municipalities, area_name), municipalities),
    )


def share_of_target(row: Any, result: Decimal | None) -> NormalisedFigure:
    value = getattr(row, "value", None) if getattr(row, "target_source", None) else None
    denominator = Denominator(
        kind=DenominatorKind.TARGET,
        value=value,
        year=None,
        coverage=None,
        description="The target value; the share is the result in percent of it.",
    )
    text_target = bool(getattr(row, "value_text", None)) if getattr(row, "target_source", None) else False
    return _normalised(service.share_of_target(result, value, text_target), denominator)


def target_of(row: Any) -> BenchmarkTarget | None:
    if row.target_source is None:
        return None
    return BenchmarkTarget(
        source_kind=TargetSource(row.target_source),
        measure=row.measure,
        period=row.period_label,
        comparator=to_graphql(Comparator, row.comparator),
        value=row.value,
        value_max=row.value_max,
        text=row.value_text,
        segment=segment_label(row.segment, row.segment_key, row.segment_name),
        source=source(row.source_document_key, row.source_locator),
    )


def status_of(row: Any) -> tuple[BenchmarkFigureStatus, str | None]:
    if row.target_source == "contract":
        if row.result_value is not None or row.result_text is not None:
            return BenchmarkFigureStatus.REPORTED, None
        return BenchmarkFigureStatus.NOT_REPORTED, "The published contract has the target; no result is reported."
    if not row.contract_published:
        national = " The framework agreement's national target is shown." if row.target_source else ""
        return BenchmarkFigureStatus.NO_PUBLISHED_CONTRACT, f"No published contract of the hub for the year.{national}"
    return BenchmarkFigureStatus.NOT_IN_CONTRACT, "The hub's published contract has no target for this goal here."


def fulfilment_of(row: Any) -> BenchmarkFulfilment | None:
    if row.target_source is None:
        return None
    assessed = service.fulfilment_of(row)
    if assessed is None:
        return None
    return BenchmarkFulfilment(
        status=FulfilmentStatus(assessed.status.value), pct=assessed.pct, explanation=assessed.explanation
    )


def goal_figure(row: Any, year: int | None) -> BenchmarkFigure:
    """A hub's figure of a contract or national target (a grid row of the comparison or series statement)."""
    status, note = status_of(row)
    unit = row.unit
    result_thousand, result_municipality = normalisations(row.result_value, unit, row, year, row.hub_name)
    target_thousand, target_municipality = normalisations(
        row.value if row.target_source else None, unit, row, year, row.hub_name
    )
    return BenchmarkFigure(
        area=area_of(row),
        year=year,
        status=status,
        goal_code=row.goal_code,
        goal_category=to_graphql(GoalCategory, row.category) if row.category in ("national", "common") else None,
        goal_title=row.goal_title,
        framework_agreement=row.agreement,
        national_goal_code=row.national_goal_code,
        measure=row.measure,
        unit=unit_of(unit),
        segment=segment_label(row.segment, row.segment_key, row.segment_name),
        target=target_of(row),
        result=row.result_value,
        result_text=row.result_text,
        measured_at=row.measured_at,
        fulfilment=fulfilment_of(row),
        share_of_target=share_of_target(row, row.result_value),
        rank=row.rank,
        ranked=row.ranked or 0,
        result_per_thousand_inhabitants=result_thousand,
        target_per_thousand_inhabitants=target_thousand,
        result_per_municipality=result_municipality,
        target_per_municipality=target_municipality,
        source=source(row.source_document_key, row.source_locator) if row.target_source else None,
        note=note,
    )


def observation_figure(row: Any, year: int | None) -> BenchmarkFigure:
    """An area's benchmark observation (a row of the observation comparison statement)."""
    area = area_of(row, row.kind)
    per_thousand, per_municipality = normalisations(row.value, row.unit, row, year, row.name)
    reported = row.value is not None
    none = NormalisedFigure(
        value=None,
        unavailable_reason="Observations have no target.",
        denominator=Denominator(
            kind=DenominatorKind.TARGET, value=None, description="The target value.", year=None, coverage=None
        ),
    )
    return BenchmarkFigure(
        area=area,
        year=year,
        status=BenchmarkFigureStatus.REPORTED if reported else BenchmarkFigureStatus.NOT_PRINTED,
        goal_code=None,
        goal_category=None,
        goal_title=None,
        framework_agreement=None,
        national_goal_code=None,
        measure=row.indicator_name,
        unit=unit_of(row.unit),
        segment=segment_label(None, None, None),
        target=None,
        result=row.value,
        result_text=None,
        measured_at=None,
        fulfilment=None,
        share_of_target=none,
        rank=row.rank,
        ranked=row.ranked or 0,
        result_per_thousand_inhabitants=per_thousand,
        target_per_thousand_inhabitants=NormalisedFigure(
            value=None, denominator=per_thousand.denominator, unavailable_reason="Observations have no target."
        ),
        result_per_municipality=per_municipality,
        target_per_municipality=NormalisedFigure(
            value=None, denominator=per_municipality.denominator, unavailable_reason="Observations have no target."
        ),
        source=source(row.source_document_key, row.source_locator, row.note) if reported else None,
        note=None if reported else "The papers print no figure for this area and period.",
    )
