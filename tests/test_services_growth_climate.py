"""Growth-team and climate services against real PostgreSQL as the application role, each call through
its mutation's input declaration (`service_helpers.call`), as the API does."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from kkr.platform.models import ClimateParticipant, ClimateTarget, GrowthTeam
from kkr.platform.models.enums import ClimateInitiativeKind, InitiativeStatus
from kkr.platform.services import climate, growth
from kkr.platform.services.errors import ErrorCode, ServiceError

from .service_helpers import NJ_EDITOR, SJ_EDITOR, SJ_EDITOR_NJ_READER, call, owner_count, owner_row

pytestmark = pytest.mark.usefixtures("demo_data")


def codes(exc: pytest.ExceptionInfo[ServiceError]) -> list[tuple[tuple[Any, ...], ErrorCode]]:
    return [(e.field, e.code) for e in exc.value.errors]


async def test_growth_team_and_members_lifecycle(app_db, owner_engine) -> None:
    team = await call(
        app_db,
        SJ_EDITOR,
        growth.create_growth_team,
        {
            "name": "Vækstteam for Sjælland og øerne",
            "geography": "Sjælland",
            "focus_areas": ["Grøn omstilling", " Turisme "],
        },
    )
    assert (team.tenant_id, team.focus_areas, team.row_version) == ("sjaelland", ["Grøn omstilling", "Turisme"], 1)
    member = await call(
        app_db,
        SJ_EDITOR,
        growth.create_growth_team_member,
        {"growth_team_id": team.id, "name": "Anne Hansen", "role": "Formand"},
    )
    second = await call(
        app_db,
        SJ_EDITOR,
        growth.create_growth_team_member,
        {"growth_team_id": team.id, "name": "Bo Jensen", "role": "Medlem"},
    )
    assert (member.position, second.position) == (0, 1)
    member = await call(
        app_db,
        SJ_EDITOR,
        growth.update_growth_team_member,
        {"id": member.id, "row_version": 1, "organisation": "Region Sjælland"},
    )
    assert (member.organisation, member.row_version) == ("Region Sjælland", 2)
    with pytest.raises(ServiceError) as exc:
        await call(
            app_db,
            SJ_EDITOR,
            growth.update_growth_team,
            {"id": team.id, "row_version": 1, "name": "", "deadline": "maj"},
        )
    assert codes(exc) == [(("name",), ErrorCode.REQUIRED), (("deadline",), ErrorCode.INVALID)]
    await call(app_db, SJ_EDITOR, growth.delete_growth_team, {"id": team.id, "row_version": 1})
    assert await owner_row(owner_engine, "growth_team", team.id) is None
    assert await owner_row(owner_engine, "growth_team_member", second.id) is None
    deleted = await owner_count(
        owner_engine,
        "SELECT count(*) FROM audit_event WHERE operation = 'delete'"
        " AND actor = 'editor@sjaelland' AND row_id IN (:t, :m)",
        t=team.id,
        m=second.id,
    )
    assert deleted == 2


async def test_a_new_teams_region_is_explicit_or_the_callers_only_one(app_db) -> None:
    team = await call(app_db, NJ_EDITOR, growth.create_growth_team, {"name": "x", "geography": "Nordjylland"})
    assert team.tenant_id == "nordjylland"
    with pytest.raises(ServiceError) as exc:
        await call(
            app_db, SJ_EDITOR, growth.create_growth_team, {"region_id": "nordjylland", "name": "x", "geography": "y"}
        )
    assert codes(exc) == [(("region_id",), ErrorCode.FORBIDDEN)]
    with pytest.raises(ServiceError) as exc:
        await call(
            app_db, SJ_EDITOR, growth.create_growth_team, {"region_id": "atlantis", "name": "x", "geography": "y"}
        )
    assert codes(exc) == [(("region_id",), ErrorCode.NOT_FOUND)]
    two = SJ_EDITOR.__class__(subject="two", scopes=frozenset({"region:sjaelland:write", "region:nordjylland:write"}))
    with pytest.raises(ServiceError) as exc:
        await call(app_db, two, growth.create_growth_team, {"name": "x", "geography": "y"})
    assert codes(exc) == [(("region_id",), ErrorCode.REQUIRED)]


async def test_another_regions_team_is_not_found_or_forbidden_and_unchanged(app_db, owner_engine) -> None:
    async with app_db.transaction(NJ_EDITOR.tenant_context()) as session:
        theirs = (await session.scalars(select(GrowthTeam).order_by(GrowthTeam.name))).first()
    assert theirs is not None and theirs.tenant_id == "nordjylland"  # from the demo data
    before = await owner_row(owner_engine, "growth_team", theirs.id)
    change = {"id": theirs.id, "row_version": theirs.row_version, "name": "hacked"}
    with pytest.raises(ServiceError) as exc:
        await call(app_db, SJ_EDITOR, growth.update_growth_team, change)
    assert codes(exc) == [(("id",), ErrorCode.NOT_FOUND)]
    with pytest.raises(ServiceError) as exc:  # can read Nordjylland, but not write it
        await call(
            app_db, SJ_EDITOR_NJ_READER, growth.delete_growth_team, {"id": theirs.id, "row_version": theirs.row_version}
        )
    assert codes(exc) == [(("id",), ErrorCode.FORBIDDEN)]
    with pytest.raises(ServiceError) as exc:
        await call(
            app_db,
            SJ_EDITOR_NJ_READER,
            growth.create_growth_team_member,
            {"growth_team_id": theirs.id, "name": "x", "role": "y"},
        )
    assert codes(exc) == [(("growth_team_id",), ErrorCode.FORBIDDEN)]
    assert await owner_row(owner_engine, "growth_team", theirs.id) == before


async def test_a_climate_initiative_with_participants_and_targets(app_db, owner_engine) -> None:
    initiative = await call(
        app_db,
        SJ_EDITOR,
        climate.create_climate_initiative,
        {
            "region_id": "sjaelland",
            "kind": ClimateInitiativeKind.dk2020_climate_plan,
            "name": "Klimaplan 2030",
            "start_year": 2021,
            "end_year": 2030,
            "budget_dkk": Decimal("1250000.50"),
            "participants": [{"municipality_id": "269", "role": "Deltager"}, {"organisation": "Region Sjælland"}],
            "targets": [
                {
                    "description": "70 % reduktion",
                    "metric": "greenhouse_gas_reduction",
                    "value": Decimal(70),
                    "unit": "percent",
                    "target_year": 2030,
                    "baseline_year": 1990,
                }
            ],
        },
    )
    assert (initiative.status, initiative.tenant_id) == (InitiativeStatus.active, "sjaelland")
    async with app_db.transaction(SJ_EDITOR.tenant_context()) as session:
        participants = (
            await session.scalars(select(ClimateParticipant).where(ClimateParticipant.initiative_id == initiative.id))
        ).all()
        target = (
            await session.scalars(select(ClimateTarget).where(ClimateTarget.initiative_id == initiative.id))
        ).one()
    assert sorted(p.municipality_code or p.organisation for p in participants) == ["269", "Region Sjælland"]
    target = await call(
        app_db, SJ_EDITOR, climate.update_climate_target, {"id": target.id, "row_version": 1, "value": 75}
    )
    assert target.value == Decimal(75)
    with pytest.raises(ServiceError) as exc:
        await call(
            app_db, SJ_EDITOR, climate.update_climate_target, {"id": target.id, "row_version": 2, "baseline_year": 2040}
        )
    assert codes(exc) == [(("baseline_year",), ErrorCode.INVALID)]
    # a climate target has no upper bound (no value_max column), so it cannot be a range
    for service, data in [
        (climate.update_climate_target, {"id": target.id, "row_version": 2, "comparator": "range"}),
        (
            climate.create_climate_target,
            {
                "initiative_id": initiative.id,
                "description": "x",
                "metric": "m",
                "unit": "percent",
                "value": 10,
                "comparator": "range",
            },
        ),
    ]:
        with pytest.raises(ServiceError) as exc:
            await call(app_db, SJ_EDITOR, service, data)
        assert codes(exc) == [(("comparator",), ErrorCode.INVALID)], service.__name__
        assert "no upper bound" in exc.value.errors[0].message
    added = await call(
        app_db,
        SJ_EDITOR,
        climate.create_climate_participant,
        {"initiative_id": initiative.id, "municipality_id": "253"},
    )
    await call(app_db, SJ_EDITOR, climate.delete_climate_participant, {"id": added.id, "row_version": 1})
    await call(app_db, SJ_EDITOR, climate.delete_climate_initiative, {"id": initiative.id, "row_version": 1})
    assert (
        await owner_count(owner_engine, "SELECT count(*) FROM climate_target WHERE initiative_id = :i", i=initiative.id)
        == 0
    )


async def test_climate_errors_name_the_nested_field_and_nothing_is_written(app_db, owner_engine) -> None:
    before = await owner_count(owner_engine, "SELECT count(*) FROM climate_initiative")
    with pytest.raises(ServiceError) as exc:
        await call(
            app_db,
            SJ_EDITOR,
            climate.create_climate_initiative,
            {
                "kind": "other",
                "name": "x",
                "start_year": 2030,
                "end_year": 2020,
                "participants": [{"organisation": "ok"}, {"role": "no one"}, {"municipality_id": "999"}],
                "targets": [{"description": "x", "metric": "m"}],
            },
        )
    assert codes(exc) == [  # the fields' own rules (nested ones too) first, then the rules across fields
        (("targets", 0, "unit"), ErrorCode.REQUIRED),
        (("end_year",), ErrorCode.INVALID),
        (("participants", 1, "municipality_id"), ErrorCode.REQUIRED),
        (("participants", 2, "municipality_id"), ErrorCode.NOT_FOUND),
    ]
    assert await owner_count(owner_engine, "SELECT count(*) FROM climate_initiative") == before
