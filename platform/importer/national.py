"""Shared reference data from `tenants/national/`: sources, regions, hubs, municipalities,
framework agreements with national goals, benchmark figures and partnerships."""

from __future__ import annotations

from collections.abc import Callable

from ..models import (
    BenchmarkObservation,
    BusinessHub,
    FrameworkAgreement,
    Municipality,
    MunicipalityPopulation,
    NationalGoal,
    NationalTarget,
    Partnership,
    Region,
    SourceDocument,
)
from ..models.enums import PartnershipKind, UrbanRural
from . import figures
from .catalogue import Catalogue, Row
from .records import Reader, by_code, curated_id
from .targets import read_target_fields


def read_sources(records: list[Reader], cat: Catalogue, rows: list[Row]) -> None:
    for r in records:
        key = r.text("key", max_length=64)
        region = r.ref("region", cat.regions, "region", required=False)
        values = {
            "key": key,
            "title": r.text("title"),
            "file": r.text("file", required=False, max_length=128),
            "region_slug": region,
            "published_on": r.date("published_on"),
            "note": r.text("note", required=False),
        }
        line_count = r.integer("line_count")
        r.done()
        if key:
            cat.sources[key] = line_count
            rows.append(Row(SourceDocument, values))


def read_regions(records: list[Reader], cat: Catalogue, rows: list[Row]) -> None:
    for r in records:
        slug = r.text("slug", max_length=32)
        rows.append(
            Row(
                Region,
                {
                    "slug": slug,
                    "name": r.text("name"),
                    "kkr_name": r.text("kkr_name"),
                    "position": r.integer("position", required=True),
                },
            )
        )
        r.done()
        if slug:
            cat.regions.add(slug)


def read_hubs(records: list[Reader], cat: Catalogue, rows: list[Row]) -> None:
    for r in records:
        slug = r.text("slug", max_length=32)
        region = r.ref("region", cat.regions, "region")
        rows.append(
            Row(
                BusinessHub,
                {
                    "slug": slug,
                    "name": r.text("name"),
                    "short_name": r.text("short_name", required=False),
                    "region_slug": region,
                    "founded_on": r.date("founded_on"),
                    **r.source(),
                },
            )
        )
        r.done()
        if slug and region:
            cat.hubs[slug] = region


def read_municipalities(records: list[Reader], cat: Catalogue, rows: list[Row]) -> None:
    populations: list[Row] = []
    for r in records:
        code = r.text("code", max_length=3)
        if code is not None and not (code.isdigit() and len(code) == 3):
            r.error("code", f"{code!r} is not a three-digit kommunekode")
        if code in cat.municipalities:
            r.error("code", f"kommunekode {code} appears twice")
        region = r.ref("region", cat.regions, "region")
        hub = r.ref("hub", cat.hubs, "business hub")
        if hub and region and cat.hubs.get(hub) != region:
            r.error("hub", f"hub {hub!r} belongs to region {cat.hubs[hub]!r}, not {region!r}")
        rows.append(
            Row(
                Municipality,
                {
                    "code": code,
                    "name": r.text("name"),
                    "aliases": r.strings("aliases"),
                    "region_slug": region,
                    "business_hub_slug": hub,
                    "urban_rural": r.choice("urban_rural", UrbanRural),
                    **r.source(),
                },
            )
        )
        for _, p in r.each("population", "population"):
            populations.append(
                Row(
                    MunicipalityPopulation,
                    {
                        "municipality_code": code,
                        "year": p.integer("year", required=True),
                        "population": _whole(p, "value"),
                        "share_pct": p.number("share_pct"),
                        **p.source(),
                    },
                )
            )
        r.done()
        if code:
            cat.municipalities.add(code)
            names = [values for values in (rows[-1].values["name"], *rows[-1].values["aliases"]) if values]
            cat.municipality_names[code] = {n.casefold() for n in names}
    rows.extend(populations)


def _whole(r: Reader, name: str) -> int | None:
    value = r.number(name, required=True)
    if value is not None and value != value.to_integral_value():
        r.error(name, f"{value} is not a whole number")
        return None
    return int(value) if value is not None else None


def read_agreements(records: list[Reader], cat: Catalogue, rows: list[Row]) -> None:
    for r in records:
        slug = r.text("slug", max_length=32)
        rows.append(
            Row(
                FrameworkAgreement,
                {
                    "slug": slug,
                    "title": r.text("title"),
                    "parties": r.text("parties"),
                    "signed_on": r.date("signed_on"),
                    "valid_from": r.date("valid_from", required=True),
                    "valid_to": r.date("valid_to", required=True),
                    **r.source(),
                },
            )
        )
        if slug:
            cat.agreements.add(slug)
        for position, g in r.each("national_goals", by_code("national goal")):
            code = g.text("code", max_length=16)
            goal_id = curated_id("national-goal", slug, code)
            if (slug, code) in cat.national_goals:
                g.error("code", f"national goal {code!r} appears twice in {slug}")
            cat.national_goals[(slug, code)] = goal_id
            rows.append(
                Row(
                    NationalGoal,
                    {
                        "id": goal_id,
                        "framework_agreement_slug": slug,
                        "code": code,
                        "title": g.text("title"),
                        "description": g.text("description", required=False),
                        "measurement_method": g.text("measurement_method", required=False),
                        "position": position,
                        **g.source(),
                    },
                )
            )
            for i, t in g.each("targets", "target"):
                measure = t.text("measure")
                cat.national_goal_measures.setdefault((slug, code), set()).add(measure)
                fields = read_target_fields(t, cat.segments)
                rows.append(
                    Row(
                        NationalTarget,
                        {
                            "id": curated_id("national-target", slug, code, i),
                            "national_goal_id": goal_id,
                            "measure": measure,
                            **fields,
                            **t.source(),
                        },
                    )
                )
        r.done()


def read_benchmarks(records: list[Reader], cat: Catalogue, rows: list[Row]) -> None:
    for i, r in enumerate(records):
        key = r.text("indicator_key", max_length=64)
        hub = r.ref("hub", cat.hubs, "business hub", required=False)
        region = r.ref("region", cat.regions, "region", required=False)
        period = r.text("period", max_length=64)
        rows.append(
            Row(
                BenchmarkObservation,
                {
                    "id": curated_id("benchmark", key, hub, region, period, i),
                    "indicator_key": key,
                    "indicator_name": r.text("indicator_name"),
                    "business_hub_slug": hub,
                    "region_slug": region,
                    "period_label": period,
                    "value": r.number("value", required=True),
                    "unit": r.text("unit"),
                    **r.source(),
                },
            )
        )
        r.done()


def read_partnerships(records: list[Reader], cat: Catalogue, rows: list[Row]) -> None:
    for r in records:
        key = r.text("key")
        parties = r.strings("parties")
        unknown = [p for p in parties if p not in cat.regions]
        if unknown or len(parties) < 2:
            r.error("parties", f"needs two or more known region slugs (unknown: {unknown})")
        pid = curated_id("partnership", key)
        rows.append(
            Row(
                Partnership,
                {
                    "id": pid,
                    "kind": r.choice("kind", PartnershipKind),
                    "title": r.text("title"),
                    "description": r.text("description", required=False),
                    "parties": parties,
                    **r.source(),
                },
            )
        )
        r.done()
        if key:
            cat.partnerships[key] = pid


#: Reads the records of one list of a national file into rows.
NationalReader = Callable[[list[Reader], Catalogue, list[Row]], None]

#: National files in load order: (file name, top-level key, reader, required).
NATIONAL_FILES: tuple[tuple[str, str, NationalReader, bool], ...] = (
    ("regions.yaml", "regions", read_regions, True),
    ("sources.yaml", "sources", read_sources, True),
    ("business_hubs.yaml", "business_hubs", read_hubs, True),
    ("municipalities.yaml", "municipalities", read_municipalities, True),
    ("segments.yaml", "segments", figures.read_segments, True),
    ("framework_agreements.yaml", "framework_agreements", read_agreements, False),
    ("benchmarks.yaml", "benchmark_observations", read_benchmarks, False),
    ("partnerships.yaml", "partnerships", read_partnerships, False),
    ("goal_lineages.yaml", "goal_lineages", figures.read_lineages, False),
    ("municipality_figures.yaml", "measures", figures.read_measures, False),
    ("municipality_figures.yaml", "figures", figures.read_figures, False),
    ("municipality_figures.yaml", "printed_totals", figures.read_printed_totals, False),
)
