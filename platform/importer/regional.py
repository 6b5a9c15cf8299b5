"""A tenant's own data from `tenants/<region>/`: council, hubs, contracts, growth teams, climate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..models import (
    ClimateInitiative,
    ClimateParticipant,
    ClimateTarget,
    Goal,
    GrowthTeam,
    GrowthTeamMember,
    HubBoardMember,
    HubOffice,
    Indicator,
    KkrMember,
    Result,
    ResultContract,
    Target,
)
from ..models.enums import (
    ClimateInitiativeKind,
    Comparator,
    ContractStatus,
    CouncilRole,
    GoalCategory,
    InitiativeStatus,
    OfficeKind,
)
from ..services.climate import NO_RANGE
from .catalogue import Catalogue, Row, national_goal_of
from .records import Reader, by_code, curated_id
from .targets import read_target_fields


def _own_hub(r: Reader, tenant: str, cat: Catalogue) -> str | None:
    hub = r.ref("hub", cat.hubs, "business hub")
    if hub and cat.hubs[hub] != tenant:
        r.error("hub", f"hub {hub!r} belongs to region {cat.hubs[hub]!r}, not to this tenant {tenant!r}")
    return hub


def read_council(tenant: str, records: list[Reader], cat: Catalogue, rows: list[Row]) -> None:
    for i, r in enumerate(records):
        name = r.text("name", max_length=128)
        role = r.choice("role", CouncilRole)
        rows.append(
            Row(
                KkrMember,
                {
                    "id": curated_id(tenant, "kkr-member", name, role and role.value, i),
                    "name": name,
                    "role": role,
                    "title": r.text("title", required=False),
                    "municipality_code": r.ref("municipality", cat.municipalities, "kommunekode", required=False),
                    "party": r.text("party", required=False, max_length=16),
                    "valid_from": r.date("valid_from"),
                    "valid_to": r.date("valid_to"),
                    **r.source(),
                },
            )
        )
        r.done()


def read_hubs(tenant: str, records: list[Reader], cat: Catalogue, rows: list[Row]) -> None:
    for r in records:
        hub = _own_hub(r, tenant, cat)
        for _, o in r.each("offices", "office"):
            kind = o.choice("kind", OfficeKind)
            town = o.text("town", max_length=64)
            rows.append(
                Row(
                    HubOffice,
                    {
                        "id": curated_id(tenant, "hub-office", hub, kind and kind.value, town),
                        "business_hub_slug": hub,
                        "kind": kind,
                        "town": town,
                        "municipality_code": o.ref("municipality", cat.municipalities, "kommunekode", required=False),
                        **o.source(),
                    },
                )
            )
        for i, b in r.each("board", "board"):
            name = b.text("name", max_length=128)
            rows.append(
                Row(
                    HubBoardMember,
                    {
                        "id": curated_id(tenant, "hub-board", hub, name, i),
                        "business_hub_slug": hub,
                        "name": name,
                        "role": b.choice("role", CouncilRole),
                        "organisation": b.text("organisation", required=False),
                        "position": i,
                        **b.source(),
                    },
                )
            )
        r.done()


def check_contract_versions(contracts: dict[tuple[Any, ...], Reader]) -> None:
    """Version n of a contract supersedes version n-1, which must be curated too (same region)."""
    for (tenant, _, hub, year, version), r in contracts.items():
        if version > 1 and (tenant, "contract", hub, year, version - 1) not in contracts:
            r.error(
                "version",
                f"version {version} supersedes version {version - 1} of contract {hub} {year},"
                " which no file of this region holds",
            )


def read_contract(
    tenant: str, r: Reader, cat: Catalogue, rows: list[Row], previous: dict[tuple[Any, ...], Reader]
) -> None:
    hub = _own_hub(r, tenant, cat)
    year = r.integer("year", required=True)
    version = r.integer("version") or 1
    key = (tenant, "contract", hub, year, version)
    contract_id = curated_id(*key)
    if key in previous:
        r.error("version", f"contract {hub} {year} version {version} is defined twice ({previous[key].file})")
    previous[key] = r
    supersedes = curated_id(tenant, "contract", hub, year, version - 1) if version > 1 else None
    rows.append(
        Row(
            ResultContract,
            {
                "id": contract_id,
                "business_hub_slug": hub,
                "framework_agreement_slug": r.ref(
                    "framework_agreement", cat.agreements, "framework agreement", required=False
                ),
                "year": year,
                "title": r.text("title"),
                "status": r.choice("status", ContractStatus),
                "version": version,
                "supersedes_id": supersedes,
                "published": r.boolean("published"),
                "adopted_on": r.date("adopted_on"),
                "signed_on": r.date("signed_on"),
                "fulfilment_rule": r.text("fulfilment_rule", required=False),
                "reported_fulfilment_pct": r.number("reported_fulfilment_pct"),
                **r.source(),
            },
        )
    )
    codes: set[str | None] = set()
    for position, g in r.each("goals", by_code("goal")):
        code = g.text("code", max_length=16)
        if code in codes:
            g.error("code", f"goal code {code!r} appears twice in this contract")
        codes.add(code)
        goal_id = curated_id(*key, "goal", code)
        named = national_goal_of(g, cat)
        partnership = g.ref("partnership", cat.partnerships, "partnership", required=False)
        rows.append(
            Row(
                Goal,
                {
                    "id": goal_id,
                    "contract_id": contract_id,
                    "code": code,
                    "category": g.choice("category", GoalCategory),
                    "title": g.text("title"),
                    "description": g.text("description", required=False),
                    "measurement_method": g.text("measurement_method", required=False),
                    "data_source": g.text("data_source", required=False),
                    "national_goal_id": named[1] if named else None,
                    "partnership_id": cat.partnerships.get(partnership) if partnership else None,
                    "position": position,
                    "reported_fulfilment_pct": g.number("reported_fulfilment_pct"),
                    **g.source(),
                },
            )
        )
        indicator_names = cat.contract_goals.setdefault((hub, year, code), set())
        for i_pos, ind in g.each("indicators", "indicator"):
            indicator_id = curated_id(*key, "goal", code, "indicator", i_pos)
            indicator_name = ind.text("name")
            indicator_names.add(indicator_name)
            rows.append(
                Row(
                    Indicator,
                    {
                        "id": indicator_id,
                        "goal_id": goal_id,
                        "name": indicator_name,
                        "description": ind.text("description", required=False),
                        "position": i_pos,
                        **ind.source(),
                    },
                )
            )
            for t_pos, t in ind.each("targets", "target"):
                target_id = curated_id(indicator_id, "target", t_pos)
                rows.append(
                    Row(
                        Target,
                        {
                            "id": target_id,
                            "indicator_id": indicator_id,
                            **read_target_fields(t, cat.segments),
                            **t.source(),
                        },
                    )
                )
                revisions: set[int] = set()
                for _, res in t.each("results", "result"):
                    revision = res.integer("revision") or 1
                    if revision in revisions:
                        res.error("revision", f"revision {revision} appears twice for this target")
                    revisions.add(revision)
                    value, value_text = res.number("value"), res.text("value_text", required=False)
                    if value is None and value_text is None:
                        res.error("value", "a result needs a value or a value_text")
                    rows.append(
                        Row(
                            Result,
                            {
                                "id": curated_id(target_id, "result", revision),
                                "target_id": target_id,
                                "revision": revision,
                                "value": value,
                                "value_text": value_text,
                                "measured_at": res.date("measured_at"),
                                "recorded_by": "importer",
                                **res.source(),
                            },
                        )
                    )
    r.done()


def read_growth_teams(tenant: str, records: list[Reader], cat: Catalogue, rows: list[Row]) -> None:
    for r in records:
        key = r.text("key")
        team_id = curated_id(tenant, "growth-team", key)
        rows.append(
            Row(
                GrowthTeam,
                {
                    "id": team_id,
                    "name": r.text("name"),
                    "geography": r.text("geography"),
                    "mandate": r.text("mandate", required=False),
                    "focus_areas": r.strings("focus_areas"),
                    "deadline": r.date("deadline"),
                    "deadline_label": r.text("deadline_label", required=False),
                    "recommendations": r.text("recommendations", required=False),
                    **r.source(),
                },
            )
        )
        for i, m in r.each("members", "member"):
            name = m.text("name", max_length=128)
            rows.append(
                Row(
                    GrowthTeamMember,
                    {
                        "id": curated_id(team_id, "member", i, name),
                        "growth_team_id": team_id,
                        "name": name,
                        "role": m.text("role", max_length=64),
                        "organisation": m.text("organisation", required=False),
                        "position": i,
                        **m.source(),
                    },
                )
            )
        r.done()


def read_climate(tenant: str, records: list[Reader], cat: Catalogue, rows: list[Row]) -> None:
    for r in records:
        key = r.text("key")
        initiative_id = curated_id(tenant, "climate", key)
        partnership = r.ref("partnership", cat.partnerships, "partnership", required=False)
        rows.append(
            Row(
                ClimateInitiative,
                {
                    "id": initiative_id,
                    "kind": r.choice("kind", ClimateInitiativeKind),
                    "name": r.text("name"),
                    "description": r.text("description", required=False),
                    "status": r.choice("status", InitiativeStatus, default=InitiativeStatus.active),
                    "budget_dkk": r.number("budget_dkk"),
                    "start_year": r.integer("start_year"),
                    "end_year": r.integer("end_year"),
                    "partnership_id": cat.partnerships.get(partnership) if partnership else None,
                    **r.source(),
                },
            )
        )
        for i, p in r.each("participants", "participant"):
            code = p.ref("municipality", cat.municipalities, "kommunekode", required=False)
            organisation = p.text("organisation", required=False)
            if not code and not organisation:
                p.error("municipality", "a participant needs a municipality or an organisation")
            rows.append(
                Row(
                    ClimateParticipant,
                    {
                        "id": curated_id(initiative_id, "participant", i),
                        "initiative_id": initiative_id,
                        "municipality_code": code,
                        "organisation": organisation,
                        "role": p.text("role", required=False, max_length=128),
                        **p.source(),
                    },
                )
            )
        for i, t in r.each("targets", "target"):
            comparator = t.choice("comparator", Comparator, default=Comparator.at_least)
            if comparator is Comparator.range:
                t.error("comparator", NO_RANGE)
            rows.append(
                Row(
                    ClimateTarget,
                    {
                        "id": curated_id(initiative_id, "target", i),
                        "initiative_id": initiative_id,
                        "description": t.text("description"),
                        "metric": t.text("metric", max_length=64),
                        "comparator": comparator,
                        "value": t.number("value"),
                        "unit": t.text("unit", max_length=32),
                        "target_year": t.integer("target_year"),
                        "baseline_year": t.integer("baseline_year"),
                        **t.source(),
                    },
                )
            )
        r.done()


#: Reads the records of one list of a tenant's file into rows.
TenantReader = Callable[[str, list[Reader], Catalogue, list[Row]], None]

#: Tenant files in load order: (file name, top-level key, reader).
TENANT_FILES: tuple[tuple[str, str, TenantReader], ...] = (
    ("council.yaml", "kkr_members", read_council),
    ("hubs.yaml", "hubs", read_hubs),
    ("growth_teams.yaml", "growth_teams", read_growth_teams),
    ("climate.yaml", "climate_initiatives", read_climate),
)
