"""National reference figures and vocabularies from `tenants/national/`.

- `segments.yaml`: canonical course types and customer segments with every printed spelling;
- `municipality_figures.yaml`: measures, figures per municipality and year, printed totals;
- `goal_lineages.yaml`: one national goal's identity across agreements and renumbered contract goals.

Contract goals of a lineage are checked once every tenant's contracts are read
(`check_lineage_members`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..models import (
    Base,
    GoalLineage,
    GoalLineageMember,
    MunicipalityFigure,
    MunicipalityMeasure,
    PrintedTotal,
    Segment,
    SegmentSpelling,
)
from ..models.enums import SegmentKind
from ..models.figures import MEASURE_UNITS
from .catalogue import Catalogue, Row, national_goal_of
from .records import Reader, curated_id

#: The units a municipality measure may have (the model's; its check constraint is built from them).
UNITS = tuple(u.value for u in MEASURE_UNITS)
#: The national tables of this module's files, which only the importer writes: rows no longer in the files are
#: deleted (children first).
CURATED_ONLY: tuple[type[Base], ...] = (
    GoalLineageMember,
    GoalLineage,
    SegmentSpelling,
    Segment,
    MunicipalityFigure,
    PrintedTotal,
    MunicipalityMeasure,
)
#: Scales a figure may be printed in: the value is stored in the measure's unit (e.g. kr.).
SCALES = {"1": Decimal(1), "1.000": Decimal(1000), "1.000.000": Decimal(1_000_000)}


def read_segments(records: list[Reader], cat: Catalogue, rows: list[Row]) -> None:
    for position, r in enumerate(records):
        key = r.text("key", max_length=64)
        kind = r.choice("kind", SegmentKind)
        if key in cat.segment_keys:
            r.error("key", f"segment {key!r} appears twice")
        rows.append(
            Row(
                Segment,
                {
                    "key": key,
                    "name": r.text("name"),
                    "kind": kind.value if kind else None,
                    "description": r.text("description", required=False),
                    "position": position,
                },
            )
        )
        for _, s in r.each("spellings", "spelling", required="a segment needs at least one printed spelling"):
            printed = s.text("printed", max_length=64)
            if printed is not None and printed in cat.segments:
                s.error("printed", f"{printed!r} is already a spelling of segment {cat.segments[printed]!r}")
            s.require("source", "where this spelling is printed")
            rows.append(Row(SegmentSpelling, {"printed": printed, "segment_key": key, **s.source()}))
            if printed is not None and key:
                cat.segments.setdefault(printed, key)
        r.done()
        if key:
            cat.segment_keys.add(key)


def read_measures(records: list[Reader], cat: Catalogue, rows: list[Row]) -> None:
    for position, r in enumerate(records):
        key = r.text("key", max_length=64)
        unit = r.text("unit", max_length=16)
        if unit is not None and unit not in UNITS:
            r.error("unit", f"{unit!r} is not one of: {', '.join(UNITS)}")
        if key in cat.measures or key == "population":
            r.error("key", f"measure {key!r} appears twice (population is municipality_population)")
        r.require("source", "the table that prints this measure")
        rows.append(
            Row(
                MunicipalityMeasure,
                {
                    "key": key,
                    "name": r.text("name"),
                    "unit": unit,
                    "description": r.text("description"),
                    "additive": r.boolean("additive", default=True),
                    "position": position,
                    **r.source(),
                },
            )
        )
        r.done()
        if key:
            cat.measures[key] = unit or ""


def _scaled(r: Reader, name: str) -> tuple[Decimal | None, str | None]:
    """The printed figure (Danish format) times the record's `scale` ('1.000' for "1.000 kr.")."""
    raw = r.raw(name)
    value = r.number(name, required=True)
    scale_text = r.text("scale", required=False)
    scale = SCALES.get(scale_text or "1")
    if scale is None:
        r.error("scale", f"{scale_text!r} is not one of: {', '.join(SCALES)}")
        return None, None
    printed = str(raw).strip() if raw is not None else None
    return (value * scale if value is not None else None), printed


def read_figures(records: list[Reader], cat: Catalogue, rows: list[Row]) -> None:
    seen: set[tuple[str | None, str | None, int | None]] = set()
    for r in records:
        code = r.ref("municipality", cat.municipalities, "municipality (kommunekode)")
        name = r.text("name", required=False)
        if code and name and name.casefold() not in cat.municipality_names.get(code, set()):
            r.error("name", f"{name!r} is not a name or alias of municipality {code}")
        measure = r.ref("measure", cat.measures, "municipality measure")
        year = r.integer("year", required=True)
        value, printed = _scaled(r, "value")
        hub = r.ref("recipient_hub", cat.hubs, "business hub", required=False)
        if (code, measure, year) in seen:
            r.error("year", f"municipality {code} has two figures of {measure!r} in {year}")
        seen.add((code, measure, year))
        rows.append(
            Row(
                MunicipalityFigure,
                {
                    "municipality_code": code,
                    "measure": measure,
                    "year": year,
                    "value": value,
                    "printed": printed,
                    "recipient_hub_slug": hub,
                    **r.source(),
                },
            )
        )
        r.done()


def read_printed_totals(records: list[Reader], cat: Catalogue, rows: list[Row]) -> None:
    for r in records:
        measure = r.text("measure", max_length=64)
        if measure is not None and measure != "population" and measure not in cat.measures:
            r.error("measure", f"unknown municipality measure {measure!r} (or 'population')")
        year = r.integer("year", required=True)
        region = r.ref("region", cat.regions, "region", required=False)
        hub = r.ref("hub", cat.hubs, "business hub", required=False)
        if r.present("region") == r.present("hub"):
            r.error("region", "a printed total belongs to exactly one region or one hub")
        value, printed = _scaled(r, "value")
        rows.append(
            Row(
                PrintedTotal,
                {
                    "id": curated_id("printed-total", measure, year, region, hub),
                    "measure": measure,
                    "year": year,
                    "region_slug": region,
                    "business_hub_slug": hub,
                    "value": value,
                    "printed": printed,
                    **r.source(),
                },
            )
        )
        r.done()


def read_lineages(records: list[Reader], cat: Catalogue, rows: list[Row]) -> None:
    for position, r in enumerate(records):
        key = r.text("key", max_length=64)
        r.require("source", "the lines that show the goals measure the same")
        rows.append(
            Row(
                GoalLineage,
                {
                    "key": key,
                    "name": r.text("name"),
                    "description": r.text("description", required=False),
                    "position": position,
                    **r.source(),
                },
            )
        )
        for _, m in r.each("members", "member", required="a lineage needs at least one member"):
            indicator = m.text("indicator", required=False)
            values: dict[str, Any] = {
                "national_goal_id": None,
                "business_hub_slug": None,
                "contract_year": None,
                "goal_code": None,
            }
            named = national_goal_of(m, cat)
            if named is not None:
                ref, values["national_goal_id"] = named
                measures = cat.national_goal_measures.get(ref, set())
                if values["national_goal_id"] is not None and indicator is not None and indicator not in measures:
                    m.error("indicator", f"national goal {ref[1]!r} of {ref[0]!r} has no target measure {indicator!r}")
                natural: tuple[object, ...] = ("national", *ref)
                if m.present("hub") or m.present("contract_year") or m.present("goal"):
                    m.error("national_goal", "a member is a national goal or a contract goal, not both")
            else:
                hub = m.ref("hub", cat.hubs, "business hub")
                year = m.integer("contract_year", required=True)
                code = m.text("goal", max_length=16)
                values.update(business_hub_slug=hub, contract_year=year, goal_code=code)
                natural = ("contract", hub, year, code)
                if hub and year and code:
                    cat.lineage_checks.append((m, (hub, year, code), indicator))
            m.require("source", "where the paper shows this goal is the lineage's measure")
            rows.append(
                Row(
                    GoalLineageMember,
                    {
                        "id": curated_id("goal-lineage-member", key, *natural, indicator),
                        "lineage_key": key,
                        **values,
                        "indicator_name": indicator,
                        **m.source(),
                    },
                )
            )
        r.done()


def check_lineage_members(cat: Catalogue) -> None:
    """Every contract goal named by a lineage exists in some tenant's contracts (with that indicator)."""
    for m, goal, indicator in cat.lineage_checks:
        if goal not in cat.contract_goals:
            m.error("goal", f"no contract goal {goal[2]!r} in a {goal[1]} contract of {goal[0]}")
        elif indicator is not None and indicator not in cat.contract_goals[goal]:
            m.error("indicator", f"goal {goal[2]!r} of the {goal[1]} {goal[0]} contract has no indicator {indicator!r}")
