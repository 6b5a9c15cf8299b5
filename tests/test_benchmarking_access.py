"""Only comparable figures reach KL, whatever the query path; the benchmarking fields are KL's alone.

Hostile queries with a `benchmark:read` token: a goal lineage whose members name a local goal and draft
contract goals (inserted here, removed afterwards), a local goal linked to a national goal, the draft year
2021 (both 2021 contracts of the demo data are drafts; KKR Sjælland's draft sets NPS "mindst 60" where the
framework agreement says 70), and node ids of a local goal and a draft contract.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from kkr.platform.database import Database
from kkr.platform.settings import Settings

from .api_client import SJAELLAND_READ, post
from .mutation_helpers import gid
from .test_benchmarking import CATALOGUE, COMPARISON, SERIES, nps_lineage, run

pytestmark = pytest.mark.usefixtures("demo_data")

KL = "benchmark:read"
HOSTILE = "hostile-test-lineage"
#: The owner changes a row for one test and back without audit events or other triggers (no trace for other tests).
QUIET = "SET LOCAL session_replication_role = replica"


async def _goal_id(owner_engine: AsyncEngine, hub: str, year: int, code: str) -> uuid.UUID:
    async with owner_engine.connect() as conn:
        return (
            await conn.execute(
                text(
                    "SELECT g.id FROM goal g JOIN result_contract c ON c.tenant_id = g.tenant_id AND c.id = g.contract_id"
                    " WHERE c.business_hub_slug = :hub AND c.year = :year AND g.code = :code ORDER BY c.version DESC LIMIT 1"
                ),
                {"hub": hub, "year": year, "code": code},
            )
        ).scalar_one()


@pytest.fixture
async def hostile_lineage(owner_engine: AsyncEngine) -> AsyncIterator[str]:
    """A lineage naming only a local goal (Sjælland 2020 Mål 8) and draft goals (the 2021 NPS goals)."""
    async with owner_engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO goal_lineage (key, name) VALUES (:key, 'Hostile test lineage')"), {"key": HOSTILE}
        )
        await conn.execute(
            text(
                "INSERT INTO goal_lineage_member (lineage_key, business_hub_slug, contract_year, goal_code) VALUES"
                " (:key, 'sjaelland', 2020, '8'), (:key, 'sjaelland', 2021, '3'), (:key, 'nordjylland', 2021, '3'),"
                " (:key, 'nordjylland', 2020, '9')"
            ),
            {"key": HOSTILE},
        )
    try:
        yield HOSTILE
    finally:
        async with owner_engine.begin() as conn:
            await conn.execute(text("DELETE FROM goal_lineage WHERE key = :key"), {"key": HOSTILE})


def contract_figures(data: dict[str, Any]) -> list[dict[str, Any]]:
    if "benchmarkSeries" in data:
        figures = data["benchmarkSeries"]["points"]
    else:
        figures = [f for m in data["benchmarkComparison"]["measures"] for f in m["figures"]]
    return [f for f in figures if f["target"] and f["target"]["sourceKind"] == "CONTRACT"]


async def test_a_lineage_naming_local_and_draft_goals_yields_no_contract_figure(
    app_db: Database, settings: Settings, hostile_lineage: str
) -> None:
    for period in ("2020", "2021"):
        data, _ = await run(app_db, settings, COMPARISON, {"lineage": hostile_lineage, "period": period})
        assert data["benchmarkComparison"]["measures"] == []
        assert len(data["benchmarkComparison"]["notReported"]) == 6  # nothing at all: every hub is missing
    data, _ = await run(app_db, settings, SERIES, {"lineage": hostile_lineage})
    assert contract_figures(data) == []
    assert all(p["target"] is None and p["result"] is None for p in data["benchmarkSeries"]["points"])
    assert {p["status"] for p in data["benchmarkSeries"]["points"]} <= {"NO_PUBLISHED_CONTRACT", "NOT_IN_CONTRACT"}
    catalogue, _ = await run(app_db, settings, CATALOGUE, {"search": "Hostile test"})
    [entry] = catalogue["benchmarkCatalogue"]
    assert (entry["key"], entry["businessHubs"], entry["periods"], entry["units"]) == (hostile_lineage, [], [], [])


async def test_a_local_goal_linked_to_a_national_goal_stays_out(
    app_db: Database, settings: Settings, owner_engine: AsyncEngine
) -> None:
    local = await _goal_id(owner_engine, "sjaelland", 2020, "8")
    async with owner_engine.begin() as conn:
        national = (
            await conn.execute(
                text("SELECT id FROM national_goal WHERE framework_agreement_slug = '2019-2020' AND code = '1'")
            )
        ).scalar_one()
        await conn.execute(text(QUIET))
        await conn.execute(text("UPDATE goal SET national_goal_id = :ng WHERE id = :id"), {"ng": national, "id": local})
    try:
        data, _ = await run(app_db, settings, COMPARISON, {"agreement": "2019-2020", "code": "1", "period": "2020"})
        assert {(f["area"]["slug"], f["goalCode"]) for f in contract_figures(data)} == {
            ("sjaelland", "1"),
            ("nordjylland", "1"),
        }
        lineage = await nps_lineage(app_db, settings)
        series, _ = await run(app_db, settings, SERIES, {"lineage": lineage, "hubs": ["sjaelland"]})
        assert {f["goalCode"] for f in contract_figures(series)} == {"3", "1"}  # 2019 Mål 3, 2020 Mål 1
        assert all(f["goalCategory"] in ("NATIONAL", "COMMON") for f in contract_figures(series))
    finally:
        async with owner_engine.begin() as conn:
            await conn.execute(text(QUIET))
            await conn.execute(text("UPDATE goal SET national_goal_id = NULL WHERE id = :id"), {"id": local})


async def test_the_draft_year_shows_the_framework_agreement_never_the_draft(
    app_db: Database, settings: Settings
) -> None:
    lineage = await nps_lineage(app_db, settings)
    for variables in (
        {"agreement": "2021-2023", "code": "3", "period": "2021"},
        {"lineage": lineage, "period": "2021"},
    ):
        data, _ = await run(app_db, settings, COMPARISON, variables)
        figures = [f for m in data["benchmarkComparison"]["measures"] for f in m["figures"]]
        assert figures and contract_figures(data) == []
        nps = [f for f in figures if f["unit"] == "NPS"]
        assert {f["target"]["value"] for f in nps} == {"70"}  # the draft's "mindst 60" never shows
        assert {f["status"] for f in figures} == {"NO_PUBLISHED_CONTRACT"}
    series, _ = await run(app_db, settings, SERIES, {"lineage": lineage, "hubs": ["sjaelland"]})
    assert {p["target"]["value"] for p in series["benchmarkSeries"]["points"] if p["year"] >= 2021} == {"70"}


def test_kl_token_over_http_gets_the_ranking(client: httpx.Client) -> None:
    body = post(
        client,
        '{ benchmarkComparison(indicatorKey: "hub-awareness-2020-09", period: "2020-09") {'
        " measures { nationalFigure { value } figures { area { slug } rank } } } }",
        None,
        KL,
    )
    assert "errors" not in body, body
    [measure] = body["data"]["benchmarkComparison"]["measures"]
    assert measure["nationalFigure"]["value"] == "33"
    assert [f["area"]["slug"] for f in measure["figures"]][:2] == ["nordjylland", "midtjylland"]


@pytest.mark.parametrize("scopes", [(SJAELLAND_READ,), ("aggregates:read",), ()])
def test_other_audiences_do_not_know_the_benchmarking_fields(client: httpx.Client, scopes: tuple[str, ...]) -> None:
    for field in (
        "benchmarkCatalogue { key }",
        'benchmarkSeries(frameworkAgreement: "2019-2020", nationalGoalCode: "1") { years }',
    ):
        body = post(client, "{ " + field + " }", None, *scopes)
        assert body.get("data") is None and body["errors"], body
        assert all(e["message"].startswith("Cannot query field") for e in body["errors"]), body


@pytest.mark.parametrize("scopes", [(SJAELLAND_READ,), (KL,)])
def test_the_segment_vocabulary_is_shared_by_regional_staff_and_kl(
    client: httpx.Client, scopes: tuple[str, ...]
) -> None:
    body = post(client, "{ segments { key name spellings } }", None, *scopes)
    assert "errors" not in body, body
    by_key = {s["key"]: s for s in body["data"]["segments"]}
    assert {"handlingsplan", "handlingsplaner"} <= set(by_key["action-plan"]["spellings"])
    assert {"korte forløb", "korte forløb/kontakter"} <= set(by_key["short-course"]["spellings"])


@pytest.mark.parametrize("scopes", [("aggregates:read",), ()])
def test_ministries_and_anonymous_do_not_know_the_segment_vocabulary(
    client: httpx.Client, scopes: tuple[str, ...]
) -> None:
    body = post(client, "{ segments { key } }", None, *scopes)
    assert body.get("data") is None and body["errors"], body
    assert all(e["message"].startswith("Cannot query field") for e in body["errors"]), body


async def test_node_ids_of_a_local_goal_its_targets_and_a_draft_contract_answer_nothing(
    client: httpx.Client, owner_engine: AsyncEngine
) -> None:
    local = await _goal_id(owner_engine, "sjaelland", 2020, "8")
    draft_goal = await _goal_id(owner_engine, "sjaelland", 2021, "3")
    async with owner_engine.connect() as conn:
        draft = (
            await conn.execute(
                text(
                    "SELECT id FROM result_contract WHERE business_hub_slug = 'sjaelland'"
                    " AND year = 2021 ORDER BY version DESC LIMIT 1"
                )
            )
        ).scalar_one()
        below = (
            await conn.execute(
                text(
                    "SELECT i.id AS indicator, t.id AS target, r.id AS result FROM indicator i"
                    " JOIN target t ON t.tenant_id = i.tenant_id AND t.indicator_id = i.id"
                    " LEFT JOIN result r ON r.tenant_id = t.tenant_id AND r.target_id = t.id"
                    " WHERE i.goal_id = :goal ORDER BY r.id NULLS LAST LIMIT 1"
                ),
                {"goal": local},
            )
        ).one()
    ids = [
        gid("Goal", local),
        gid("Goal", draft_goal),
        gid("ResultContract", draft),
        gid("Indicator", below.indicator),
        gid("Target", below.target),
    ] + ([gid("Result", below.result)] if below.result else [])
    for node_id in ids:
        body = post(client, "query($id: ID!) { node(id: $id) { id } }", {"id": node_id}, KL)
        assert body["data"] == {"node": None} and "errors" not in body, (node_id, body)


def test_comparable_figures_still_work_and_hold_no_draft_year(client: httpx.Client) -> None:
    body = post(
        client,
        "{ all: comparableFigures { contractYear goalCategory contractStatus }"
        " draft: comparableFigures(year: 2021) { goalCode } }",
        None,
        KL,
    )
    assert "errors" not in body, body
    assert body["data"]["draft"] == []
    assert {f["contractYear"] for f in body["data"]["all"]} == {2019, 2020}
    assert {f["goalCategory"] for f in body["data"]["all"]} == {"NATIONAL", "COMMON"}


@pytest.mark.parametrize("hubs", ['["sjaelland", "atlantis"]', '["atlantis"]'])
def test_an_unknown_hub_in_a_series_is_a_clear_error(client: httpx.Client, hubs: str) -> None:
    body = post(
        client,
        '{ benchmarkSeries(frameworkAgreement: "2019-2020", nationalGoalCode: "1",'
        f" businessHubs: {hubs}) {{ years }} }}",
        None,
        KL,
    )
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "'atlantis'" in error["message"], error


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            'lineage: "satisfaction-nps", frameworkAgreement: "2019-2020", nationalGoalCode: "1", period: "2020"',
            "exactly one of",
        ),
        ('frameworkAgreement: "2019-2020", period: "2020"', "'frameworkAgreement' and 'nationalGoalCode' go together"),
        ('lineage: "no-such-lineage", period: "2020"', "Argument 'lineage'"),
        ('frameworkAgreement: "2019-2020", nationalGoalCode: "99", period: "2020"', "no national goal '99'"),
        ('indicatorKey: "no-such-indicator", period: "2020"', "Argument 'indicatorKey'"),
        ('indicatorKey: "hub-awareness-2020-09", period: "2020-09", segment: "growth"', "Argument 'segment'"),
    ],
)
def test_bad_selectors_are_clear_errors(client: httpx.Client, arguments: str, message: str) -> None:
    body = post(client, "{ benchmarkComparison(" + arguments + ") { period } }", None, KL)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and message in error["message"], error
