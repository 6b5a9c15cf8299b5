"""End to end against the running server: the contract mutations with bearer tokens.

Each mutation with a valid and an invalid input, stale versions, status transitions,
locked contracts, new versions, results as revisions, tenant isolation and the audit trail.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from strawberry.relay import from_base64

from .mutation_helpers import NJ_WRITE, gid, gql, mutate, ok, refused
from .service_helpers import fresh_year, owner_count, owner_row, stored

pytestmark = pytest.mark.usefixtures("demo_data")

CONTRACT = "resultContract { id title status version rowVersion adoptedOn signedOn published supersedes { id } }"
GOAL = "goal { id code title rowVersion }"
INDICATOR = "indicator { id name rowVersion targets { nodes { id periodLabel periodStart value rowVersion } } }"
TARGET = "target { id periodLabel value valueMax comparator rowVersion }"
RESULT = "result { id revision value measuredAt recordedBy }"


def row_id(node: dict[str, Any]) -> str:
    """The database id in a node's global ID."""
    return from_base64(node["id"])[1]


def new_contract(client: httpx.Client, **fields: object) -> dict[str, Any]:
    year = fresh_year()
    payload = mutate(
        client,
        "createResultContract",
        {"businessHubId": gid("BusinessHub", "sjaelland"), "year": year, "title": f"Kontrakt {year}", **fields},
        CONTRACT,
    )
    return ok(payload, "resultContract")


def with_goal_and_target(client: httpx.Client) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    contract = new_contract(client)
    goal = ok(
        mutate(
            client,
            "createGoal",
            {"contractId": contract["id"], "code": "1", "category": "LOCAL", "title": "Flere virksomheder i vækst"},
            GOAL,
        ),
        "goal",
    )
    year = contract["title"].split()[-1]
    indicator = ok(
        mutate(
            client,
            "createIndicator",
            {
                "goalId": goal["id"],
                "name": "Antal vækstforløb",
                "targets": [{"periodLabel": year, "unit": "COUNT", "value": "120"}],
            },
            INDICATOR,
        ),
        "indicator",
    )
    return contract, goal, indicator["targets"]["nodes"][0]


def step(client: httpx.Client, contract: dict[str, Any], status: str, **extra: object) -> dict[str, Any]:
    return mutate(
        client,
        "changeResultContractStatus",
        {"id": contract["id"], "rowVersion": contract["rowVersion"], "status": status, **extra},
        CONTRACT,
    )


def test_create_result_contract(client: httpx.Client) -> None:
    contract = new_contract(client, frameworkAgreementId=None, published=False)
    assert (contract["status"], contract["version"], contract["rowVersion"]) == ("DRAFT", 1, 1)
    payload = mutate(
        client,
        "createResultContract",
        {
            "businessHubId": gid("BusinessHub", "sjaelland"),
            "year": 1999,
            "title": " ",
            "frameworkAgreementId": gid("FrameworkAgreement", "2021-2023"),
        },
        CONTRACT,
    )
    assert sorted(refused(payload, "resultContract")) == sorted(
        [(["input", "year"], "INVALID"), (["input", "title"], "REQUIRED")]
    )
    wrong_type = mutate(
        client,
        "createResultContract",
        {"businessHubId": gid("Region", "sjaelland"), "year": 2050, "title": "x"},
        CONTRACT,
    )
    assert refused(wrong_type) == [(["input", "businessHubId"], "INVALID")]
    assert wrong_type["errors"][0]["message"] == "This is not a valid BusinessHub id."  # one message for any other id


async def test_update_and_delete_result_contract(client: httpx.Client, owner_engine) -> None:
    contract = new_contract(client)
    changed = ok(
        mutate(client, "updateResultContract", {"id": contract["id"], "rowVersion": 1, "title": "Ny titel"}, CONTRACT),
        "resultContract",
    )
    assert (changed["title"], changed["rowVersion"]) == ("Ny titel", 2)
    payload = mutate(
        client,
        "updateResultContract",
        {"id": contract["id"], "rowVersion": 2, "reportedFulfilmentPct": "120.5"},
        CONTRACT,
    )
    assert refused(payload, "resultContract") == [(["input", "reportedFulfilmentPct"], "INVALID")]
    stale = mutate(
        client, "deleteResultContract", {"id": contract["id"], "rowVersion": 1}, "deletedId", input_type="DeleteInput"
    )
    assert refused(stale) == [(["input", "rowVersion"], "STALE_VERSION")]
    assert "current version is 2, yours is 1" in stale["errors"][0]["message"]
    deleted = mutate(
        client, "deleteResultContract", {"id": contract["id"], "rowVersion": 2}, "deletedId", input_type="DeleteInput"
    )
    assert deleted == {"deletedId": contract["id"], "errors": []}
    assert await owner_row(owner_engine, "result_contract", row_id(contract)) is None


def test_goal_mutations(client: httpx.Client) -> None:
    contract = new_contract(client)
    goal = ok(
        mutate(
            client,
            "createGoal",
            {"contractId": contract["id"], "code": "5C", "category": "COMMON", "title": "Grøn omstilling"},
            GOAL,
        ),
        "goal",
    )
    duplicate = mutate(
        client,
        "createGoal",
        {"contractId": contract["id"], "code": "5C", "category": "LOCAL", "title": "x", "reportedFulfilmentPct": "-1"},
        GOAL,
    )
    assert refused(duplicate, "goal") == [
        (["input", "reportedFulfilmentPct"], "INVALID"),
        (["input", "code"], "DUPLICATE"),
    ]
    changed = ok(
        mutate(client, "updateGoal", {"id": goal["id"], "rowVersion": 1, "title": "Grøn omstilling i SMV'er"}, GOAL),
        "goal",
    )
    assert changed["rowVersion"] == 2
    blank = mutate(client, "updateGoal", {"id": goal["id"], "rowVersion": 2, "title": None}, GOAL)
    assert refused(blank, "goal") == [(["input", "title"], "REQUIRED")]
    stale = mutate(client, "deleteGoal", {"id": goal["id"], "rowVersion": 1}, "deletedId", input_type="DeleteInput")
    assert refused(stale) == [(["input", "rowVersion"], "STALE_VERSION")]
    assert (
        ok(
            mutate(client, "deleteGoal", {"id": goal["id"], "rowVersion": 2}, "deletedId", input_type="DeleteInput"),
            "deletedId",
        )
        == goal["id"]
    )


def test_indicator_and_target_mutations(client: httpx.Client) -> None:
    contract, goal, target = with_goal_and_target(client)
    year = contract["title"].split()[-1]
    assert (target["periodStart"], target["value"]) == (f"{year}-01-01", "120")
    bad = mutate(
        client,
        "createIndicator",
        {
            "goalId": goal["id"],
            "name": "Tilfredshed",
            "targets": [
                {"periodLabel": year, "unit": "NPS", "value": "60"},
                {"periodLabel": year, "unit": "PERCENT"},
                {
                    "periodLabel": year,
                    "unit": "PERCENT",
                    "value": "70",
                    "comparator": "RANGE",
                    "partialThreshold": "50",
                },
            ],
        },
        INDICATOR,
    )
    assert refused(bad, "indicator") == [
        (["input", "targets", 1, "value"], "REQUIRED"),
        (["input", "targets", 2, "valueMax"], "REQUIRED"),
        (["input", "targets", 2, "partialFulfilmentPct"], "REQUIRED"),
    ]
    indicator = gql(
        client,
        "query($id: ID!) { node(id: $id) { ... on Goal { indicators { nodes { id rowVersion } } } } }",
        {"id": goal["id"]},
    )["data"]["node"]["indicators"]["nodes"][0]
    assert indicator["rowVersion"] == 1  # the refused indicator was not written: still one
    renamed = mutate(
        client, "updateIndicator", {"id": indicator["id"], "rowVersion": 1, "name": "Vækstforløb"}, INDICATOR
    )
    assert ok(renamed, "indicator")["name"] == "Vækstforløb"
    assert refused(
        mutate(client, "updateIndicator", {"id": indicator["id"], "rowVersion": 2, "name": ""}, INDICATOR), "indicator"
    ) == [(["input", "name"], "REQUIRED")]
    added = ok(
        mutate(
            client,
            "createTarget",
            {
                "indicatorId": indicator["id"],
                "periodLabel": "2. halvår",
                "unit": "COUNT",
                "comparator": "RANGE",
                "value": "10",
                "valueMax": "20",
            },
            TARGET,
        ),
        "target",
    )
    assert (added["comparator"], added["valueMax"]) == ("RANGE", "20")
    assert refused(
        mutate(
            client,
            "createTarget",
            {
                "indicatorId": indicator["id"],
                "periodLabel": "x",
                "unit": "COUNT",
                "comparator": "RANGE",
                "value": "10",
                "valueMax": "5",
            },
            TARGET,
        ),
        "target",
    ) == [(["input", "valueMax"], "INVALID")]
    never = mutate(
        client,
        "createTarget",
        {
            "indicatorId": indicator["id"],
            "periodLabel": "x",
            "unit": "PERCENT",
            "comparator": "AT_LEAST",
            "value": "60",
            "partialThreshold": "70",
            "partialFulfilmentPct": "50",
        },
        TARGET,
    )
    assert refused(never, "target") == [(["input", "partialThreshold"], "INVALID")]
    assert "below the value 60" in never["errors"][0]["message"]
    changed = ok(
        mutate(client, "updateTarget", {"id": target["id"], "rowVersion": 1, "value": "150"}, TARGET), "target"
    )
    assert (changed["value"], changed["rowVersion"]) == ("150", 2)
    assert refused(
        mutate(
            client,
            "updateTarget",
            {"id": target["id"], "rowVersion": 2, "periodStart": f"{year}-12-31", "periodEnd": f"{year}-01-01"},
            TARGET,
        ),
        "target",
    ) == [(["input", "periodEnd"], "INVALID")]
    assert refused(
        mutate(client, "deleteTarget", {"id": added["id"], "rowVersion": 7}, "deletedId", input_type="DeleteInput")
    ) == [(["input", "rowVersion"], "STALE_VERSION")]
    assert (
        ok(
            mutate(client, "deleteTarget", {"id": added["id"], "rowVersion": 1}, "deletedId", input_type="DeleteInput"),
            "deletedId",
        )
        == added["id"]
    )
    wrong = mutate(
        client, "deleteIndicator", {"id": goal["id"], "rowVersion": 2}, "deletedId", input_type="DeleteInput"
    )
    assert refused(wrong) == [(["input", "id"], "INVALID")]
    assert (
        ok(
            mutate(
                client,
                "deleteIndicator",
                {"id": indicator["id"], "rowVersion": 2},
                "deletedId",
                input_type="DeleteInput",
            ),
            "deletedId",
        )
        == indicator["id"]
    )


async def test_status_transitions_locks_results_and_new_versions(client: httpx.Client, owner_engine) -> None:
    contract, goal, target = with_goal_and_target(client)
    year = contract["title"].split()[-1]
    report = {"targetId": target["id"], "value": "95", "measuredAt": f"{year}-06-30"}
    assert refused(mutate(client, "reportResult", report, RESULT), "result") == [
        (["input", "targetId"], "CONTRACT_NOT_SIGNED")
    ]
    skip = step(client, contract, "SIGNED")
    assert refused(skip, "resultContract") == [(["input", "status"], "INVALID_TRANSITION")]
    assert "draft → adopted → signed → reported" in skip["errors"][0]["message"]
    adopted = ok(step(client, contract, "ADOPTED", on=f"{year}-01-15"), "resultContract")
    assert (adopted["status"], adopted["adoptedOn"], adopted["rowVersion"]) == ("ADOPTED", f"{year}-01-15", 2)
    assert refused(step(client, adopted, "DRAFT"), "resultContract") == [(["input", "status"], "INVALID_TRANSITION")]
    early = step(client, adopted, "SIGNED", on=f"{year}-01-01")
    assert refused(early, "resultContract") == [(["input", "on"], "INVALID")]
    signed = ok(step(client, adopted, "SIGNED", on=f"{year}-02-01"), "resultContract")
    assert (signed["status"], signed["signedOn"]) == ("SIGNED", f"{year}-02-01")

    # a signed contract's content is locked; its reporting is not
    locked = mutate(client, "updateGoal", {"id": goal["id"], "rowVersion": 1, "title": "Ændret"}, GOAL)
    assert refused(locked, "goal") == [(["input", "title"], "CONTRACT_LOCKED")]
    assert "Create a new version" in locked["errors"][0]["message"]
    reporting = ok(
        mutate(
            client,
            "updateGoal",
            {"id": goal["id"], "rowVersion": 1, "reportedFulfilmentPct": "80"},
            "goal { id rowVersion reportedFulfilmentPct }",
        ),
        "goal",
    )
    assert (reporting["reportedFulfilmentPct"], reporting["rowVersion"]) == ("80", 2)
    assert refused(
        mutate(
            client, "createGoal", {"contractId": signed["id"], "code": "2", "category": "LOCAL", "title": "x"}, GOAL
        ),
        "goal",
    ) == [(["input", "contractId"], "CONTRACT_LOCKED")]
    assert refused(
        mutate(client, "updateResultContract", {"id": signed["id"], "rowVersion": 3, "year": 2099}, CONTRACT),
        "resultContract",
    ) == [(["input", "year"], "CONTRACT_LOCKED")]
    assert refused(
        mutate(
            client, "deleteResultContract", {"id": signed["id"], "rowVersion": 3}, "deletedId", input_type="DeleteInput"
        )
    ) == [(["input", "id"], "CONTRACT_LOCKED")]
    assert (await stored(owner_engine, "goal", row_id(goal)))["title"] == "Flere virksomheder i vækst"

    # results: revisions, corrections keep the history
    first = ok(mutate(client, "reportResult", report, RESULT), "result")
    assert (first["revision"], first["value"], first["recordedBy"]) == (1, "95", "editor@sjaelland")
    assert refused(mutate(client, "reportResult", {**report, "expectedRevision": 0}, RESULT), "result") == [
        (["input", "expectedRevision"], "STALE_VERSION")
    ]
    assert refused(
        mutate(client, "reportResult", {"targetId": target["id"], "measuredAt": f"{int(year) + 1}-01-01"}, RESULT),
        "result",
    ) == [(["input", "value"], "REQUIRED"), (["input", "measuredAt"], "INVALID")]
    fixed = ok(mutate(client, "correctResult", {"id": first["id"], "value": "97"}, RESULT), "result")
    assert (fixed["revision"], fixed["value"], fixed["measuredAt"]) == (2, "97", f"{year}-06-30")
    assert refused(mutate(client, "correctResult", {"id": first["id"], "value": "1"}, RESULT), "result") == [
        (["input", "id"], "STALE_VERSION")
    ]
    results = gql(
        client,
        "query($id: ID!) { node(id: $id) { ... on Target { results { nodes { revision value } }"
        " latestResult { revision } } } }",
        {"id": target["id"]},
    )["data"]["node"]
    assert results == {
        "results": {"nodes": [{"revision": 1, "value": "95"}, {"revision": 2, "value": "97"}]},
        "latestResult": {"revision": 2},
    }
    assert refused(mutate(client, "deleteResult", {"id": first["id"]}, "deletedId")) == [(["input", "id"], "INVALID")]
    third = ok(mutate(client, "reportResult", {**report, "value": "99", "expectedRevision": 2}, RESULT), "result")
    assert ok(mutate(client, "deleteResult", {"id": third["id"]}, "deletedId"), "deletedId") == third["id"]

    reported = ok(step(client, signed, "REPORTED"), "resultContract")
    assert refused(step(client, reported, "REPORTED"), "resultContract") == [
        (["input", "status"], "INVALID_TRANSITION")
    ]

    # a new version: a draft copy with the content, superseding the old one, which is final
    assert refused(
        mutate(client, "createResultContractVersion", {"id": reported["id"], "rowVersion": 1}, CONTRACT),
        "resultContract",
    ) == [(["input", "rowVersion"], "STALE_VERSION")]
    new = ok(
        mutate(
            client,
            "createResultContractVersion",
            {"id": reported["id"], "rowVersion": reported["rowVersion"]},
            CONTRACT,
        ),
        "resultContract",
    )
    assert (new["version"], new["status"], new["supersedes"]) == (2, "DRAFT", {"id": reported["id"]})
    copied = gql(
        client,
        "query($id: ID!) { node(id: $id) { ... on ResultContract { goals { nodes { id code title"
        " indicators { nodes { targets { nodes { value results { totalCount } } } } } } } } } }",
        {"id": new["id"]},
    )["data"]["node"]["goals"]["nodes"]
    assert [(g["code"], g["title"]) for g in copied] == [("1", "Flere virksomheder i vækst")]
    assert copied[0]["indicators"]["nodes"][0]["targets"]["nodes"] == [{"value": "120", "results": {"totalCount": 0}}]
    assert copied[0]["id"] != goal["id"]
    edited = mutate(client, "updateGoal", {"id": copied[0]["id"], "rowVersion": 1, "title": "Version 2"}, GOAL)
    assert ok(edited, "goal")["title"] == "Version 2"
    assert refused(
        mutate(
            client,
            "createResultContractVersion",
            {"id": reported["id"], "rowVersion": reported["rowVersion"]},
            CONTRACT,
        ),
        "resultContract",
    ) == [(["input", "id"], "DUPLICATE")]
    assert refused(
        mutate(client, "createResultContractVersion", {"id": new["id"], "rowVersion": 1}, CONTRACT), "resultContract"
    ) == [(["input", "id"], "INVALID_TRANSITION")]


async def test_history_shows_who_changed_what(client: httpx.Client) -> None:
    contract = new_contract(client)
    goal = ok(
        mutate(
            client, "createGoal", {"contractId": contract["id"], "code": "7", "category": "LOCAL", "title": "Før"}, GOAL
        ),
        "goal",
    )
    mutate(
        client,
        "updateGoal",
        {"id": goal["id"], "rowVersion": 1, "title": "Efter"},
        GOAL,
        subject="anden.redaktoer@sjaelland",
    )
    history = gql(
        client,
        "query($id: ID!) { node(id: $id) { ... on Goal { history { nodes {"
        " actor operation changedFields before after } } } } }",
        {"id": goal["id"]},
    )["data"]["node"]["history"]["nodes"]
    assert [(h["actor"], h["operation"]) for h in history] == [
        ("editor@sjaelland", "INSERT"),
        ("anden.redaktoer@sjaelland", "UPDATE"),
    ]
    assert history[1]["changedFields"] == ["title"]
    assert (history[1]["before"]["title"], history[1]["after"]["title"]) == ("Før", "Efter")
    assert (history[1]["before"]["row_version"], history[1]["after"]["row_version"]) == (1, 2)


async def test_another_regions_contract_cannot_be_touched(client: httpx.Client, owner_engine) -> None:
    async with owner_engine.connect() as conn:
        from sqlalchemy import text

        row = (
            (
                await conn.execute(
                    text(
                        "SELECT c.id AS contract, c.row_version AS cv, g.id AS goal, g.row_version AS gv, t.id AS target"
                        " FROM result_contract c JOIN goal g ON g.contract_id = c.id JOIN indicator i ON i.goal_id = g.id"
                        " JOIN target t ON t.indicator_id = i.id WHERE c.tenant_id = 'nordjylland' LIMIT 1"
                    )
                )
            )
            .mappings()
            .one()
        )
    before = {
        t: await owner_row(owner_engine, t, row[k]) for t, k in (("result_contract", "contract"), ("goal", "goal"))
    }
    contract, goal = gid("ResultContract", row["contract"]), gid("Goal", row["goal"])
    attempts = [
        ("updateResultContract", {"id": contract, "rowVersion": row["cv"], "title": "hacked"}, CONTRACT, {}),
        ("changeResultContractStatus", {"id": contract, "rowVersion": row["cv"], "status": "REPORTED"}, CONTRACT, {}),
        ("createResultContractVersion", {"id": contract, "rowVersion": row["cv"]}, CONTRACT, {}),
        ("deleteResultContract", {"id": contract, "rowVersion": row["cv"]}, "deletedId", {"input_type": "DeleteInput"}),
        ("updateGoal", {"id": goal, "rowVersion": row["gv"], "title": "hacked"}, GOAL, {}),
        ("deleteGoal", {"id": goal, "rowVersion": row["gv"]}, "deletedId", {"input_type": "DeleteInput"}),
        ("createGoal", {"contractId": contract, "code": "X", "category": "LOCAL", "title": "x"}, GOAL, {}),
        ("reportResult", {"targetId": gid("Target", row["target"]), "value": "1"}, RESULT, {}),
    ]
    for name, input_, selection, extra in attempts:
        codes = [code for _, code in refused(mutate(client, name, input_, selection, **extra))]
        assert codes == ["NOT_FOUND"], name
    # an editor who may read Nordjylland (but write only Sjælland) is refused as FORBIDDEN
    reader = ("region:sjaelland:write", "region:nordjylland:read")
    for name, input_, selection, extra in attempts[:1] + attempts[4:5]:
        codes = [code for _, code in refused(mutate(client, name, input_, selection, scopes=reader, **extra))]
        assert codes == ["FORBIDDEN"], name
    # a Sjælland hub's contract cannot be created by Nordjylland's editor
    payload = mutate(
        client,
        "createResultContract",
        {"businessHubId": gid("BusinessHub", "sjaelland"), "year": 2051, "title": "x"},
        CONTRACT,
        scopes=NJ_WRITE,
        subject="editor@nj",
    )
    assert refused(payload, "resultContract") == [(["input", "businessHubId"], "FORBIDDEN")]
    for table, key in (("result_contract", "contract"), ("goal", "goal")):
        assert await owner_row(owner_engine, table, row[key]) == before[table]
    assert (
        await owner_count(
            owner_engine,
            "SELECT count(*) FROM result WHERE target_id = :t AND recorded_by = 'editor@sjaelland'",
            t=row["target"],
        )
        == 0
    )


def test_mutations_need_a_write_scope(client: httpx.Client) -> None:
    query = "mutation($input: CreateGoalInput!) { createGoal(input: $input) { goal { id } errors { code } } }"
    variables = {
        "input": {
            "contractId": gid("ResultContract", "00000000-0000-0000-0000-000000000000"),
            "code": "1",
            "category": "LOCAL",
            "title": "x",
        }
    }
    for kwargs in ({"token": False}, {"scopes": ("region:sjaelland:read",)}):
        body = gql(client, query, variables, **kwargs)  # their schemas have no mutations (schema/visibility.py)
        assert body.get("data") is None
        assert any("mutation" in e["message"] for e in body["errors"]), body
