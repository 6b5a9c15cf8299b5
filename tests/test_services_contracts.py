"""The contract services against real PostgreSQL as the application role: validation,
status transitions, locks, new versions, results as revisions, concurrency, tenancy.

Each call goes through its mutation's input declaration first, as the API does (`service_helpers.call`):
the fields' rules live there, the services add their business rules."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from kkr.platform.auth.identity import Identity
from kkr.platform.database import Database
from kkr.platform.models import Goal, Indicator, ResultContract, Target
from kkr.platform.models.enums import ContractStatus, GoalCategory, Unit
from kkr.platform.services import contract_items, contracts, results, store
from kkr.platform.services.errors import ErrorCode, ServiceError
from kkr.platform.services.fulfilment import FulfilmentStatus, Reported, TargetRule, assess

from .service_helpers import NJ_EDITOR, SJ_EDITOR, call, checked, fresh_year, owner_count, stored

pytestmark = pytest.mark.usefixtures("demo_data")


def codes(exc: pytest.ExceptionInfo[ServiceError]) -> list[tuple[tuple[Any, ...], ErrorCode]]:
    return [(e.field, e.code) for e in exc.value.errors]


async def new_contract(
    db: Database, *, goals: int = 1, hub: str = "sjaelland", who: Identity = SJ_EDITOR
) -> dict[str, Any]:
    """A draft contract with `goals` goals, each with one indicator and one 2040-style yearly target."""
    year = fresh_year()
    contract = await call(
        db, who, contracts.create_contract, {"business_hub_id": hub, "year": year, "title": f"Kontrakt {year}"}
    )
    made = {"contract": contract, "goals": [], "targets": []}
    for n in range(goals):
        goal = await call(
            db,
            who,
            contract_items.create_goal,
            {"contract_id": contract.id, "code": str(n + 1), "category": GoalCategory.local, "title": f"Mål {n + 1}"},
        )
        indicator = await call(
            db,
            who,
            contract_items.create_indicator,
            {
                "goal_id": goal.id,
                "name": "Antal forløb",
                "targets": [{"period_label": str(year), "unit": Unit.count, "value": Decimal(100)}],
            },
        )
        async with db.transaction(who.tenant_context()) as session:
            target = (await session.scalars(select(Target).where(Target.indicator_id == indicator.id))).one()
        made["goals"].append(goal)
        made["targets"].append(target)
    return made


async def step(
    db: Database, contract: ResultContract, status: ContractStatus, who: Identity = SJ_EDITOR
) -> ResultContract:
    return await call(
        db,
        who,
        contracts.transition_contract,
        {"id": contract.id, "row_version": contract.row_version, "status": status},
    )


async def test_a_new_contract_is_a_draft_of_its_hubs_region(app_db: Database, owner_engine) -> None:
    made = await new_contract(app_db, goals=0)
    contract = made["contract"]
    assert (contract.tenant_id, contract.status, contract.version, contract.row_version) == (
        "sjaelland",
        ContractStatus.draft,
        1,
        1,
    )
    actors = await owner_count(
        owner_engine,
        "SELECT count(*) FROM audit_event WHERE row_id = :id AND actor = 'editor@sjaelland' AND operation = 'insert'",
        id=contract.id,
    )
    assert actors == 1


async def test_every_invalid_field_is_reported_at_once(app_db: Database) -> None:
    with pytest.raises(ServiceError) as exc:
        await call(
            app_db,
            SJ_EDITOR,
            contracts.create_contract,
            {"business_hub_id": "sjaelland", "year": 1999, "title": "   ", "reported_fulfilment_pct": Decimal(101)},
        )
    assert sorted(codes(exc)) == sorted(
        [
            (("year",), ErrorCode.INVALID),
            (("title",), ErrorCode.REQUIRED),
            (("reported_fulfilment_pct",), ErrorCode.INVALID),
        ]
    )


async def test_the_region_of_a_new_contract_needs_write_access(app_db: Database) -> None:
    with pytest.raises(ServiceError) as exc:
        await call(
            app_db,
            SJ_EDITOR,
            contracts.create_contract,
            {"business_hub_id": "nordjylland", "year": fresh_year(), "title": "x"},
        )
    assert codes(exc) == [(("business_hub_id",), ErrorCode.FORBIDDEN)]
    assert "region:nordjylland:write" in exc.value.errors[0].message


async def test_a_second_contract_for_the_same_hub_and_year_is_a_duplicate(app_db: Database) -> None:
    contract = (await new_contract(app_db, goals=0))["contract"]
    with pytest.raises(ServiceError) as exc:
        await call(
            app_db,
            SJ_EDITOR,
            contracts.create_contract,
            {"business_hub_id": "sjaelland", "year": contract.year, "title": "again"},
        )
    assert codes(exc) == [(("year",), ErrorCode.DUPLICATE)]


async def test_nested_target_errors_name_their_index_and_nothing_is_written(app_db: Database, owner_engine) -> None:
    goal = (await new_contract(app_db))["goals"][0]
    before = await owner_count(owner_engine, "SELECT count(*) FROM indicator WHERE goal_id = :g", g=goal.id)
    with pytest.raises(ServiceError) as exc:
        await call(
            app_db,
            SJ_EDITOR,
            contract_items.create_indicator,
            {
                "goal_id": goal.id,
                "name": "Tilfredshed",
                "targets": [
                    {"period_label": "2041", "unit": Unit.nps, "value": Decimal(60)},
                    {"period_label": "2041", "unit": Unit.percent},
                    {
                        "period_label": "2041",
                        "unit": Unit.percent,
                        "value": 5,
                        "comparator": "range",
                        "partial_threshold": 2,
                    },
                ],
            },
        )
    assert codes(exc) == [
        (("targets", 1, "value"), ErrorCode.REQUIRED),
        (("targets", 2, "value_max"), ErrorCode.REQUIRED),
        (("targets", 2, "partial_fulfilment_pct"), ErrorCode.REQUIRED),
    ]
    assert await owner_count(owner_engine, "SELECT count(*) FROM indicator WHERE goal_id = :g", g=goal.id) == before


async def test_status_moves_one_step_at_a_time(app_db: Database) -> None:
    made = await new_contract(app_db)
    contract = made["contract"]
    with pytest.raises(ServiceError) as exc:
        await step(app_db, contract, ContractStatus.signed)
    assert codes(exc) == [(("status",), ErrorCode.INVALID_TRANSITION)]
    assert "draft → adopted → signed → reported" in exc.value.errors[0].message
    contract = await step(app_db, contract, ContractStatus.adopted)
    assert contract.adopted_on is not None and contract.row_version == 2
    with pytest.raises(ServiceError) as exc:
        await step(app_db, contract, ContractStatus.draft)
    assert codes(exc) == [(("status",), ErrorCode.INVALID_TRANSITION)]
    contract = await step(app_db, contract, ContractStatus.signed)
    contract = await step(app_db, contract, ContractStatus.reported)
    with pytest.raises(ServiceError) as exc:
        await step(app_db, contract, ContractStatus.reported)
    assert "already reported" in exc.value.errors[0].message


async def test_a_contract_without_goals_cannot_be_adopted(app_db: Database) -> None:
    contract = (await new_contract(app_db, goals=0))["contract"]
    with pytest.raises(ServiceError) as exc:
        await step(app_db, contract, ContractStatus.adopted)
    assert codes(exc) == [(("status",), ErrorCode.INVALID)]


async def test_a_signed_contracts_content_is_locked(app_db: Database, owner_engine) -> None:
    made = await new_contract(app_db)
    contract = await step(app_db, await step(app_db, made["contract"], ContractStatus.adopted), ContractStatus.signed)
    goal, target = made["goals"][0], made["targets"][0]
    for service, data, field in [
        (contract_items.update_goal, {"id": goal.id, "row_version": goal.row_version, "title": "new"}, "title"),
        (contract_items.delete_target, {"id": target.id, "row_version": target.row_version}, "id"),
        (
            contract_items.create_goal,
            {"contract_id": contract.id, "code": "9", "category": GoalCategory.local, "title": "x"},
            "contract_id",
        ),
        (contracts.update_contract, {"id": contract.id, "row_version": contract.row_version, "title": "new"}, "title"),
    ]:
        with pytest.raises(ServiceError) as exc:
            await call(app_db, SJ_EDITOR, service, data)
        assert codes(exc) == [((field,), ErrorCode.CONTRACT_LOCKED)], service.__name__
        assert "new version" in exc.value.errors[0].message
    assert (await stored(owner_engine, "goal", goal.id))["title"] == "Mål 1"
    # its reporting may still be recorded
    contract = await call(
        app_db,
        SJ_EDITOR,
        contracts.update_contract,
        {
            "id": contract.id,
            "row_version": contract.row_version,
            "published": True,
            "reported_fulfilment_pct": Decimal(90),
        },
    )
    assert contract.published and contract.reported_fulfilment_pct == Decimal(90)
    with pytest.raises(ServiceError) as exc:
        await call(
            app_db, SJ_EDITOR, contracts.delete_contract, {"id": contract.id, "row_version": contract.row_version}
        )
    assert codes(exc) == [(("id",), ErrorCode.CONTRACT_LOCKED)]


async def test_a_locked_contracts_goals_still_take_their_reporting(app_db: Database, owner_engine) -> None:
    made = await new_contract(app_db)
    contract = await step(app_db, await step(app_db, made["contract"], ContractStatus.adopted), ContractStatus.signed)
    goal = await call(
        app_db,
        SJ_EDITOR,
        contract_items.update_goal,
        {"id": made["goals"][0].id, "row_version": 1, "reported_fulfilment_pct": Decimal(80), "note": "Afrapporteret"},
    )
    assert (goal.reported_fulfilment_pct, goal.note, goal.row_version) == (Decimal(80), "Afrapporteret", 2)
    with pytest.raises(ServiceError) as exc:  # its content stays locked, also next to its reporting
        await call(
            app_db,
            SJ_EDITOR,
            contract_items.update_goal,
            {"id": goal.id, "row_version": 2, "reported_fulfilment_pct": Decimal(90), "title": "x", "code": "9"},
        )
    assert codes(exc) == [(("code",), ErrorCode.CONTRACT_LOCKED), (("title",), ErrorCode.CONTRACT_LOCKED)]
    assert (await stored(owner_engine, "goal", goal.id))["reported_fulfilment_pct"] == Decimal(80)
    await step(app_db, contract, ContractStatus.reported)
    goal = await call(
        app_db,
        SJ_EDITOR,
        contract_items.update_goal,
        {"id": goal.id, "row_version": 2, "reported_fulfilment_pct": Decimal("87.5")},
    )
    assert (goal.reported_fulfilment_pct, goal.title) == (Decimal("87.5"), "Mål 1")


async def test_a_lost_race_for_a_hub_and_year_is_a_duplicate_year(app_db: Database, owner_engine) -> None:
    """Both creations pass the check before either is committed; the unique key refuses the second."""
    year = fresh_year()
    data = {"business_hub_id": "sjaelland", "year": year, "title": "Først"}
    async with app_db.transaction(SJ_EDITOR.tenant_context()) as session:
        await contracts.create_contract(session, SJ_EDITOR, checked(contracts.create_contract, data))  # not committed
        loser = asyncio.create_task(call(app_db, SJ_EDITOR, contracts.create_contract, {**data, "title": "Sidst"}))
        for _ in range(200):  # until the loser's INSERT waits for the winner's row
            if loser.done() or await owner_count(
                owner_engine,
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND query ILIKE 'INSERT INTO result_contract%'",
            ):
                break
            await asyncio.sleep(0.05)
        waited = not loser.done()
    with pytest.raises(ServiceError) as exc:
        await loser
    assert waited, "the second creation did not reach the unique key"
    assert codes(exc) == [(("year",), ErrorCode.DUPLICATE)]
    assert f"already has a result contract for {year} (version 1)" in exc.value.errors[0].message
    assert await owner_count(owner_engine, "SELECT count(*) FROM result_contract WHERE year = :y", y=year) == 1


def _target(
    comparator: str, value: int | None, threshold: int, value_max: int | None = None, **extra: object
) -> dict[str, Any]:
    return {
        "period_label": "2041",
        "unit": Unit.count,
        "comparator": comparator,
        "value": value,
        "value_max": value_max,
        "partial_threshold": threshold,
        "partial_fulfilment_pct": Decimal(50),
        **extra,
    }


def _partly_met_somewhere(target: dict[str, Any]) -> bool:
    row = TargetRule.of(
        target["comparator"],
        target.get("value"),
        target.get("value_max"),
        target.get("partial_threshold"),
        target.get("partial_fulfilment_pct"),
    )
    return any(assess(row, Reported(Decimal(v))).status is FulfilmentStatus.partly_met for v in range(-5, 100))


async def test_a_partial_threshold_must_be_able_to_apply(app_db: Database) -> None:
    goal = (await new_contract(app_db))["goals"][0]
    never = [
        _target("at_least", 60, 70),
        _target("at_least", 60, 60),
        _target("at_most", 10, 5),
        _target("exactly", 4, 4),
        _target("range", 10, 15, value_max=20),
        _target("at_least", None, 1, unit=Unit.deliverable, value_text="Strategi vedtaget"),
    ]
    fires = [
        _target("at_least", 60, 50),
        _target("at_most", 10, 15),
        _target("exactly", 4, 3),
        _target("range", 10, 25, value_max=20),
    ]
    # the rule agrees with the fulfilment it feeds
    assert [_partly_met_somewhere(t) for t in never + fires] == [False] * len(never) + [True] * len(fires)
    with pytest.raises(ServiceError) as exc:
        await call(
            app_db, SJ_EDITOR, contract_items.create_indicator, {"goal_id": goal.id, "name": "x", "targets": never}
        )
    assert codes(exc) == [(("targets", i, "partial_threshold"), ErrorCode.INVALID) for i in range(len(never))]
    messages = [e.message for e in exc.value.errors]
    assert "below the value 60" in messages[0] and "above the value 10" in messages[2]
    assert "below the value 10 or above the value max 20" in messages[4] and "no numeric value" in messages[5]
    indicator = await call(
        app_db, SJ_EDITOR, contract_items.create_indicator, {"goal_id": goal.id, "name": "y", "targets": fires}
    )
    async with app_db.transaction(SJ_EDITOR.tenant_context()) as session:
        target = (
            await session.scalars(
                select(Target).where(Target.indicator_id == indicator.id, Target.comparator == "at_least")
            )
        ).one()
    with pytest.raises(ServiceError) as exc:  # on update the rule holds for the merged target
        await call(app_db, SJ_EDITOR, contract_items.update_target, {"id": target.id, "row_version": 1, "value": 40})
    assert codes(exc) == [(("partial_threshold",), ErrorCode.INVALID)]


async def test_a_new_version_copies_the_content_as_a_draft_and_locks_the_old_one(app_db: Database) -> None:
    made = await new_contract(app_db, goals=2)
    old = await step(app_db, await step(app_db, made["contract"], ContractStatus.adopted), ContractStatus.signed)
    with pytest.raises(ServiceError) as exc:
        await call(app_db, SJ_EDITOR, contracts.create_contract_version, {"id": old.id, "row_version": 1})
    assert codes(exc) == [(("row_version",), ErrorCode.STALE_VERSION)]
    new = await call(
        app_db, SJ_EDITOR, contracts.create_contract_version, {"id": old.id, "row_version": old.row_version}
    )
    assert (new.version, new.status, new.supersedes_id, new.year) == (2, ContractStatus.draft, old.id, old.year)
    async with app_db.transaction(SJ_EDITOR.tenant_context()) as session:
        goals = (await session.scalars(select(Goal).where(Goal.contract_id == new.id).order_by(Goal.code))).all()
        targets = (
            await session.scalars(
                select(Target)
                .join(Indicator, (Indicator.tenant_id == Target.tenant_id) & (Indicator.id == Target.indicator_id))
                .where(Indicator.goal_id.in_([g.id for g in goals]))
            )
        ).all()
    assert [g.code for g in goals] == ["1", "2"] and len(targets) == 2
    assert {g.id for g in goals}.isdisjoint({g.id for g in made["goals"]})
    # the new draft is editable, the old version is locked and final, and only the latest gets a successor
    await call(
        app_db, SJ_EDITOR, contract_items.update_goal, {"id": goals[0].id, "row_version": 1, "title": "Ny titel"}
    )
    with pytest.raises(ServiceError) as exc:
        await step(app_db, old, ContractStatus.reported)
    assert codes(exc) == [(("status",), ErrorCode.INVALID_TRANSITION)]
    with pytest.raises(ServiceError) as exc:
        await call(app_db, SJ_EDITOR, contracts.create_contract_version, {"id": old.id, "row_version": old.row_version})
    assert codes(exc) == [(("id",), ErrorCode.DUPLICATE)]
    with pytest.raises(ServiceError) as exc:
        await call(app_db, SJ_EDITOR, contracts.create_contract_version, {"id": new.id, "row_version": new.row_version})
    assert codes(exc) == [(("id",), ErrorCode.INVALID_TRANSITION)]


async def test_results_are_revisions_on_signed_contracts(app_db: Database, owner_engine) -> None:
    made = await new_contract(app_db)
    target = made["targets"][0]
    year = made["contract"].year
    report = {"target_id": target.id, "value": Decimal(80), "measured_at": __import__("datetime").date(year, 6, 30)}
    with pytest.raises(ServiceError) as exc:
        await call(app_db, SJ_EDITOR, results.report_result, report)
    assert codes(exc) == [(("target_id",), ErrorCode.CONTRACT_NOT_SIGNED)]
    await step(app_db, await step(app_db, made["contract"], ContractStatus.adopted), ContractStatus.signed)
    first = await call(app_db, SJ_EDITOR, results.report_result, report)
    assert (first.revision, first.value, first.recorded_by) == (1, Decimal(80), "editor@sjaelland")
    fixed = await call(app_db, SJ_EDITOR, results.correct_result, {"id": first.id, "value": Decimal(85)})
    assert (fixed.revision, fixed.value, fixed.measured_at) == (2, Decimal(85), first.measured_at)
    assert (await stored(owner_engine, "result", first.id))["value"] == Decimal(80)  # history kept
    with pytest.raises(ServiceError) as exc:
        await call(app_db, SJ_EDITOR, results.correct_result, {"id": first.id, "value": Decimal(1)})
    assert codes(exc) == [(("id",), ErrorCode.STALE_VERSION)]
    with pytest.raises(ServiceError) as exc:
        await call(app_db, SJ_EDITOR, results.report_result, {**report, "expected_revision": 1})
    assert codes(exc) == [(("expected_revision",), ErrorCode.STALE_VERSION)]
    with pytest.raises(ServiceError) as exc:
        await call(
            app_db,
            SJ_EDITOR,
            results.report_result,
            {"target_id": target.id, "measured_at": __import__("datetime").date(year + 1, 1, 1)},
        )
    assert sorted(codes(exc)) == [(("measured_at",), ErrorCode.INVALID), (("value",), ErrorCode.REQUIRED)]
    with pytest.raises(ServiceError) as exc:
        await call(app_db, SJ_EDITOR, results.delete_result, {"id": first.id})
    assert codes(exc) == [(("id",), ErrorCode.INVALID)]
    await call(app_db, SJ_EDITOR, results.delete_result, {"id": fixed.id})
    assert await owner_count(owner_engine, "SELECT count(*) FROM result WHERE target_id = :t", t=target.id) == 1
    with pytest.raises(ServiceError) as exc:
        await call(
            app_db, SJ_EDITOR, contract_items.delete_target, {"id": target.id, "row_version": target.row_version}
        )
    assert codes(exc) == [(("id",), ErrorCode.CONTRACT_LOCKED)]


async def test_a_stale_version_is_refused_with_the_current_one(app_db: Database, owner_engine) -> None:
    goal = (await new_contract(app_db))["goals"][0]
    await call(app_db, SJ_EDITOR, contract_items.update_goal, {"id": goal.id, "row_version": 1, "title": "first"})
    with pytest.raises(ServiceError) as exc:
        await call(app_db, SJ_EDITOR, contract_items.update_goal, {"id": goal.id, "row_version": 1, "title": "second"})
    assert codes(exc) == [(("row_version",), ErrorCode.STALE_VERSION)]
    assert "current version is 2, yours is 1" in exc.value.errors[0].message
    with pytest.raises(ServiceError) as exc:
        await call(app_db, SJ_EDITOR, contract_items.delete_goal, {"id": goal.id, "row_version": 1})
    assert codes(exc) == [(("row_version",), ErrorCode.STALE_VERSION)]
    assert (await stored(owner_engine, "goal", goal.id))["title"] == "first"


async def test_a_lost_race_is_a_stale_version_too(app_db: Database) -> None:
    """Both editors read version 1; the second one's UPDATE finds the row changed (StaleDataError)."""
    goal = (await new_contract(app_db))["goals"][0]
    async with app_db.transaction(SJ_EDITOR.tenant_context()) as session:
        mine = await store.load_for_change(session, SJ_EDITOR, Goal, goal.id, 1)
        await call(app_db, SJ_EDITOR, contract_items.update_goal, {"id": goal.id, "row_version": 1, "title": "theirs"})
        with pytest.raises(ServiceError) as exc:
            await store.update(session, mine, {"title": "mine"})
        await session.rollback()
    assert codes(exc) == [(("row_version",), ErrorCode.STALE_VERSION)]
    assert "current version is 2" in exc.value.errors[0].message


async def test_database_constraints_become_field_errors(app_db: Database) -> None:
    goals = (await new_contract(app_db, goals=2))["goals"]
    async with app_db.transaction(SJ_EDITOR.tenant_context()) as session:
        row = await store.load(session, Goal, goals[1].id, "id")
        with pytest.raises(ServiceError) as exc:  # bypassing the service's own duplicate check
            await store.update(session, row, {"code": "1"})
        assert codes(exc) == [(("code",), ErrorCode.DUPLICATE)]
        with pytest.raises(ServiceError) as exc:
            await store.update(session, row, {"national_goal_id": uuid.uuid4()})
        assert codes(exc) == [(("national_goal_id",), ErrorCode.NOT_FOUND)]
        await session.rollback()
    async with app_db.transaction(SJ_EDITOR.tenant_context()) as session:
        with pytest.raises(Exception) as raw:
            async with session.begin_nested():
                await session.execute(text("UPDATE goal SET category = 'bogus' WHERE id = :id"), {"id": goals[0].id})
        assert isinstance(raw.value, DBAPIError)
        mapped = store.database_error(raw.value, {})
        assert isinstance(mapped, ServiceError)
        assert [(e.field, e.code) for e in mapped.errors] == [(("category",), ErrorCode.INVALID)]
        await session.rollback()


async def test_another_regions_contract_is_not_found(app_db: Database, owner_engine) -> None:
    made = await new_contract(app_db, hub="nordjylland", who=NJ_EDITOR)
    contract, goal = made["contract"], made["goals"][0]
    for service, data in [
        (contracts.update_contract, {"id": contract.id, "row_version": 1, "title": "hacked"}),
        (contracts.delete_contract, {"id": contract.id, "row_version": 1}),
        (contract_items.update_goal, {"id": goal.id, "row_version": 1, "title": "hacked"}),
        (contract_items.create_goal, {"contract_id": contract.id, "code": "X", "category": "local", "title": "x"}),
    ]:
        with pytest.raises(ServiceError) as exc:
            await call(app_db, SJ_EDITOR, service, data)
        assert exc.value.errors[0].code is ErrorCode.NOT_FOUND
    assert (await stored(owner_engine, "result_contract", contract.id))["title"] == contract.title
    assert (await stored(owner_engine, "goal", goal.id))["title"] == "Mål 1"
    assert (
        await owner_count(
            owner_engine,
            "SELECT count(*) FROM result WHERE tenant_id = 'nordjylland' AND recorded_by = 'editor@sjaelland'",
        )
        == 0
    )


async def test_unknown_source_documents_are_named_also_in_nested_rows(app_db: Database, owner_engine) -> None:
    goal = (await new_contract(app_db))["goals"][0]
    with pytest.raises(ServiceError) as exc:  # the database's foreign key, mapped to the field
        await call(
            app_db,
            SJ_EDITOR,
            contract_items.update_goal,
            {"id": goal.id, "row_version": 1, "source_document": "no-such-paper"},
        )
    assert codes(exc) == [(("source_document",), ErrorCode.NOT_FOUND)]
    with pytest.raises(ServiceError) as exc:
        await call(
            app_db,
            SJ_EDITOR,
            contract_items.create_indicator,
            {
                "goal_id": goal.id,
                "name": "x",
                "targets": [
                    {"period_label": "2041", "unit": Unit.count, "value": 1, "source_document": "seed-001"},
                    {"period_label": "2041", "unit": Unit.count, "value": 1, "source_document": "no-such-paper"},
                ],
            },
        )
    assert codes(exc) == [(("targets", 1, "source_document"), ErrorCode.NOT_FOUND)]
    assert await owner_count(owner_engine, "SELECT count(*) FROM indicator WHERE goal_id = :g", g=goal.id) == 1


async def test_a_first_version_may_move_to_a_free_year_only(app_db: Database) -> None:
    one, other = (await new_contract(app_db, goals=0))["contract"], (await new_contract(app_db, goals=0))["contract"]
    with pytest.raises(ServiceError) as exc:
        await call(app_db, SJ_EDITOR, contracts.update_contract, {"id": one.id, "row_version": 1, "year": other.year})
    assert codes(exc) == [(("year",), ErrorCode.DUPLICATE)]
    free = fresh_year()
    moved = await call(app_db, SJ_EDITOR, contracts.update_contract, {"id": one.id, "row_version": 1, "year": free})
    assert (moved.year, moved.row_version) == (free, 2)
