"""End to end against the running server: growth-team and climate mutations with bearer tokens."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text
from strawberry.relay import from_base64

from .mutation_helpers import NJ_WRITE, gid, gql, mutate, ok, refused
from .service_helpers import owner_row

pytestmark = pytest.mark.usefixtures("demo_data")

TEAM = "growthTeam { id name geography focusAreas regionSlug rowVersion }"
MEMBER = "growthTeamMember { id name role organisation position rowVersion }"
INITIATIVE = (
    "climateInitiative { id name status budgetDkk regionSlug rowVersion"
    " participants { nodes { municipalityCode organisation } } targets { nodes { id value rowVersion } } }"
)
PARTICIPANT = "climateParticipant { id municipalityCode organisation role rowVersion }"
CLIMATE_TARGET = "climateTarget { id value baselineYear targetYear rowVersion }"
DELETE = {"input_type": "DeleteInput"}


def test_growth_team_mutations(client: httpx.Client) -> None:
    team = ok(
        mutate(
            client,
            "createGrowthTeam",
            {
                "regionId": gid("Region", "sjaelland"),
                "name": "Vækstteam Sjælland",
                "geography": "Sjælland",
                "focusAreas": ["Grøn omstilling", "Life science"],
                "deadlineLabel": "maj 2021",
            },
            TEAM,
        ),
        "growthTeam",
    )
    assert (team["regionSlug"], team["focusAreas"], team["rowVersion"]) == (
        "sjaelland",
        ["Grøn omstilling", "Life science"],
        1,
    )
    bad = mutate(client, "createGrowthTeam", {"name": "", "geography": "x" * 65, "focusAreas": ["ok", " "]}, TEAM)
    assert refused(bad, "growthTeam") == [
        (["input", "name"], "REQUIRED"),
        (["input", "geography"], "INVALID"),
        (["input", "focusAreas", 1], "REQUIRED"),
    ]
    changed = ok(
        mutate(client, "updateGrowthTeam", {"id": team["id"], "rowVersion": 1, "focusAreas": []}, TEAM), "growthTeam"
    )
    assert (changed["focusAreas"], changed["rowVersion"]) == ([], 2)
    stale = mutate(client, "updateGrowthTeam", {"id": team["id"], "rowVersion": 1, "name": "x"}, TEAM)
    assert refused(stale, "growthTeam") == [(["input", "rowVersion"], "STALE_VERSION")]
    assert "current version is 2" in stale["errors"][0]["message"]
    elsewhere = mutate(
        client, "createGrowthTeam", {"regionId": gid("Region", "nordjylland"), "name": "x", "geography": "y"}, TEAM
    )
    assert refused(elsewhere, "growthTeam") == [(["input", "regionId"], "FORBIDDEN")]

    member = ok(
        mutate(
            client,
            "createGrowthTeamMember",
            {"growthTeamId": team["id"], "name": "Anne Hansen", "role": "Formand"},
            MEMBER,
        ),
        "growthTeamMember",
    )
    assert member["position"] == 0
    assert refused(
        mutate(client, "createGrowthTeamMember", {"growthTeamId": team["id"], "name": "Bo", "role": ""}, MEMBER),
        "growthTeamMember",
    ) == [(["input", "role"], "REQUIRED")]
    moved = ok(
        mutate(
            client,
            "updateGrowthTeamMember",
            {"id": member["id"], "rowVersion": 1, "organisation": "Novo Nordisk"},
            MEMBER,
        ),
        "growthTeamMember",
    )
    assert moved["organisation"] == "Novo Nordisk"
    assert refused(
        mutate(client, "updateGrowthTeamMember", {"id": member["id"], "rowVersion": 2, "position": -1}, MEMBER),
        "growthTeamMember",
    ) == [(["input", "position"], "INVALID")]
    assert refused(
        mutate(client, "deleteGrowthTeamMember", {"id": member["id"], "rowVersion": 1}, "deletedId", **DELETE)
    ) == [(["input", "rowVersion"], "STALE_VERSION")]
    assert (
        ok(
            mutate(client, "deleteGrowthTeamMember", {"id": member["id"], "rowVersion": 2}, "deletedId", **DELETE),
            "deletedId",
        )
        == member["id"]
    )
    assert refused(
        mutate(client, "deleteGrowthTeam", {"id": member["id"], "rowVersion": 2}, "deletedId", **DELETE)
    ) == [(["input", "id"], "INVALID")]
    assert (
        ok(mutate(client, "deleteGrowthTeam", {"id": team["id"], "rowVersion": 2}, "deletedId", **DELETE), "deletedId")
        == team["id"]
    )


async def test_another_regions_growth_team_cannot_be_touched(client: httpx.Client, owner_engine) -> None:
    async with owner_engine.connect() as conn:
        row = (
            (
                await conn.execute(
                    text(
                        "SELECT t.id, t.row_version, m.id AS member FROM growth_team t JOIN growth_team_member m"
                        " ON m.growth_team_id = t.id WHERE t.tenant_id = 'nordjylland' LIMIT 1"
                    )
                )
            )
            .mappings()
            .one()
        )
    before = await owner_row(owner_engine, "growth_team", row["id"])
    team = gid("GrowthTeam", row["id"])
    for name, input_, selection, extra in [
        ("updateGrowthTeam", {"id": team, "rowVersion": row["row_version"], "name": "hacked"}, TEAM, {}),
        ("deleteGrowthTeam", {"id": team, "rowVersion": row["row_version"]}, "deletedId", DELETE),
        ("createGrowthTeamMember", {"growthTeamId": team, "name": "x", "role": "y"}, MEMBER, {}),
        (
            "deleteGrowthTeamMember",
            {"id": gid("GrowthTeamMember", row["member"]), "rowVersion": 1},
            "deletedId",
            DELETE,
        ),
    ]:
        assert [code for _, code in refused(mutate(client, name, input_, selection, **extra))] == ["NOT_FOUND"], name
    assert await owner_row(owner_engine, "growth_team", row["id"]) == before
    assert await owner_row(owner_engine, "growth_team_member", row["member"]) is not None


async def test_climate_mutations(client: httpx.Client, owner_engine) -> None:
    initiative = ok(
        mutate(
            client,
            "createClimateInitiative",
            {
                "kind": "DK2020_CLIMATE_PLAN",
                "name": "Fælles klimaplan",
                "budgetDkk": "2500000",
                "startYear": 2021,
                "endYear": 2030,
                "participants": [{"municipalityId": gid("Municipality", "269")}, {"organisation": "Region Sjælland"}],
                "targets": [
                    {
                        "description": "-70 % CO2e i 2030 ift. 1990",
                        "metric": "greenhouse_gas_reduction",
                        "unit": "percent",
                        "value": "70",
                        "targetYear": 2030,
                        "baselineYear": 1990,
                    }
                ],
            },
            INITIATIVE,
        ),
        "climateInitiative",
    )
    assert (initiative["status"], initiative["regionSlug"], initiative["budgetDkk"]) == (
        "ACTIVE",
        "sjaelland",
        "2500000",
    )
    assert sorted(p["municipalityCode"] or p["organisation"] for p in initiative["participants"]["nodes"]) == [
        "269",
        "Region Sjælland",
    ]
    bad = mutate(
        client,
        "createClimateInitiative",
        {
            "kind": "OTHER",
            "name": "x",
            "startYear": 2030,
            "endYear": 2025,
            "budgetDkk": "-1",
            "participants": [{"organisation": "ok"}, {"role": "uden navn"}],
            "targets": [
                {"description": "x", "metric": "m", "unit": "percent", "targetYear": 2030, "baselineYear": 2040}
            ],
        },
        INITIATIVE,
    )
    assert refused(bad, "climateInitiative") == [
        (["input", "budgetDkk"], "INVALID"),
        (["input", "endYear"], "INVALID"),
        (["input", "participants", 1, "municipalityId"], "REQUIRED"),
        (["input", "targets", 0, "baselineYear"], "INVALID"),
    ]
    async with owner_engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM climate_initiative WHERE name = 'x'"))).scalar() == 0

    changed = ok(
        mutate(
            client,
            "updateClimateInitiative",
            {"id": initiative["id"], "rowVersion": 1, "status": "COMPLETED"},
            INITIATIVE,
        ),
        "climateInitiative",
    )
    assert (changed["status"], changed["rowVersion"]) == ("COMPLETED", 2)
    assert refused(
        mutate(
            client, "updateClimateInitiative", {"id": initiative["id"], "rowVersion": 2, "status": None}, INITIATIVE
        ),
        "climateInitiative",
    ) == [(["input", "status"], "REQUIRED")]
    assert refused(
        mutate(client, "updateClimateInitiative", {"id": initiative["id"], "rowVersion": 1, "name": "y"}, INITIATIVE),
        "climateInitiative",
    ) == [(["input", "rowVersion"], "STALE_VERSION")]

    participant = ok(
        mutate(
            client,
            "createClimateParticipant",
            {"initiativeId": initiative["id"], "organisation": "DTU", "role": "Videnpartner"},
            PARTICIPANT,
        ),
        "climateParticipant",
    )
    assert refused(
        mutate(
            client,
            "createClimateParticipant",
            {"initiativeId": initiative["id"], "municipalityId": gid("Municipality", "999")},
            PARTICIPANT,
        ),
        "climateParticipant",
    ) == [(["input", "municipalityId"], "NOT_FOUND")]
    assert (
        ok(
            mutate(
                client,
                "updateClimateParticipant",
                {"id": participant["id"], "rowVersion": 1, "role": "Partner"},
                PARTICIPANT,
            ),
            "climateParticipant",
        )["role"]
        == "Partner"
    )
    assert refused(
        mutate(
            client,
            "updateClimateParticipant",
            {"id": participant["id"], "rowVersion": 2, "organisation": None},
            PARTICIPANT,
        ),
        "climateParticipant",
    ) == [(["input", "municipalityId"], "REQUIRED")]
    stale = mutate(
        client, "deleteClimateParticipant", {"id": participant["id"], "rowVersion": 1}, "deletedId", **DELETE
    )
    assert refused(stale, "deletedId") == [(["input", "rowVersion"], "STALE_VERSION")]
    assert "current version is 2, yours is 1" in stale["errors"][0]["message"]
    wrong_type = mutate(
        client, "deleteClimateParticipant", {"id": initiative["id"], "rowVersion": 2}, "deletedId", **DELETE
    )
    assert refused(wrong_type, "deletedId") == [(["input", "id"], "INVALID")]
    assert (
        ok(
            mutate(
                client, "deleteClimateParticipant", {"id": participant["id"], "rowVersion": 2}, "deletedId", **DELETE
            ),
            "deletedId",
        )
        == participant["id"]
    )

    target = ok(
        mutate(
            client,
            "createClimateTarget",
            {
                "initiativeId": initiative["id"],
                "description": "Vedvarende energi",
                "metric": "renewable_share",
                "unit": "percent",
                "value": "100",
                "targetYear": 2040,
            },
            CLIMATE_TARGET,
        ),
        "climateTarget",
    )
    assert refused(
        mutate(
            client,
            "createClimateTarget",
            {"initiativeId": initiative["id"], "description": "x", "metric": "", "unit": "percent"},
            CLIMATE_TARGET,
        ),
        "climateTarget",
    ) == [(["input", "metric"], "REQUIRED")]
    ranged = mutate(
        client,
        "createClimateTarget",
        {
            "initiativeId": initiative["id"],
            "description": "x",
            "metric": "m",
            "unit": "percent",
            "value": "10",
            "comparator": "RANGE",
        },
        CLIMATE_TARGET,
    )
    assert refused(ranged, "climateTarget") == [(["input", "comparator"], "INVALID")]
    assert (
        ok(
            mutate(client, "updateClimateTarget", {"id": target["id"], "rowVersion": 1, "value": "90"}, CLIMATE_TARGET),
            "climateTarget",
        )["value"]
        == "90"
    )
    assert refused(
        mutate(
            client, "updateClimateTarget", {"id": target["id"], "rowVersion": 2, "targetYear": 3000}, CLIMATE_TARGET
        ),
        "climateTarget",
    ) == [(["input", "targetYear"], "INVALID")]
    assert refused(
        mutate(client, "deleteClimateTarget", {"id": target["id"], "rowVersion": 1}, "deletedId", **DELETE)
    ) == [(["input", "rowVersion"], "STALE_VERSION")]
    assert (
        ok(
            mutate(client, "deleteClimateTarget", {"id": target["id"], "rowVersion": 2}, "deletedId", **DELETE),
            "deletedId",
        )
        == target["id"]
    )

    # Nordjylland's editor cannot see it; Sjælland's deletes it with everything under it
    assert refused(
        mutate(
            client,
            "deleteClimateInitiative",
            {"id": initiative["id"], "rowVersion": 2},
            "deletedId",
            scopes=NJ_WRITE,
            subject="editor@nj",
            **DELETE,
        )
    ) == [(["input", "id"], "NOT_FOUND")]
    assert (
        ok(
            mutate(client, "deleteClimateInitiative", {"id": initiative["id"], "rowVersion": 2}, "deletedId", **DELETE),
            "deletedId",
        )
        == initiative["id"]
    )
    assert await owner_row(owner_engine, "climate_initiative", from_base64(initiative["id"])[1]) is None


def test_a_deleted_objects_history_stays_in_the_audit_trail(client: httpx.Client) -> None:
    actor = "sletter@sjaelland"
    team = ok(
        mutate(client, "createGrowthTeam", {"name": "Kortlivet team", "geography": "Lolland"}, TEAM, subject=actor),
        "growthTeam",
    )
    ok(
        mutate(client, "deleteGrowthTeam", {"id": team["id"], "rowVersion": 1}, "deletedId", subject=actor, **DELETE),
        "deletedId",
    )
    assert gql(client, "query($id: ID!) { node(id: $id) { id } }", {"id": team["id"]})["data"]["node"] is None
    events = gql(
        client,
        'query($actor: String!) { auditEvents(actor: $actor, tableName: "growth_team") {'
        " nodes { operation rowId nodeId before after } } }",
        {"actor": actor},
    )["data"]["auditEvents"]["nodes"]
    assert [(e["operation"], e["rowId"]) for e in events] == [
        ("DELETE", from_base64(team["id"])[1]),
        ("INSERT", from_base64(team["id"])[1]),
    ]
    assert {e["nodeId"] for e in events} == {team["id"]}  # the global id the front-end knows
    assert events[0]["before"]["name"] == "Kortlivet team" and events[0]["after"] is None


def test_every_audited_table_names_a_graphql_node_type() -> None:
    """`AuditEvent.nodeId` turns the table name into the type name; each must be a Node type of the schema."""
    from kkr.platform.models import Base
    from kkr.schema.audit.types import type_name_of
    from kkr.schema.schema import NODE_TYPES

    node_types = {t.__name__ for t in NODE_TYPES}
    audited = {name for name, table in Base.metadata.tables.items() if "tenant_id" in table.c and name != "audit_event"}
    assert audited and {type_name_of(name) for name in audited} <= node_types, audited
