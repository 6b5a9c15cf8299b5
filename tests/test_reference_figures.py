"""Municipality figures, area totals computed from them, and the segment vocabulary, through the GraphQL API.

Expected values are worked out by hand from the papers (file and line in each case):
KKR Sjælland's 2019 table (seed-002 L1607-1647) and Erhvervshus Nordjylland's 2021
payment key (seed-004 L5244-5276).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text

from kkr.platform.auth.identity import Identity
from kkr.platform.context import RequestContext
from kkr.schema.schema import schema

from .api_client import NORDJYLLAND_READ, SJAELLAND_READ, error_messages, gql, nodes, post

KL = "benchmark:read"
MINISTRY = "aggregates:read"

TOTAL_FIELDS = """measureKey unit year value municipalities contributing complete discrepancy
  measure { key name unit additive }
  printedTotal { value printed source { documentKey locator note } }"""

REGION_TOTALS = f"""
query Totals($slug: String!, $year: Int, $measure: String) {{
  region(slug: $slug) {{ figureTotals(year: $year, measure: $measure) {{ {TOTAL_FIELDS} }} }}
}}"""

REGION_FIGURES = """
query Figures($slug: String!, $year: Int, $measure: String) {
  region(slug: $slug) { municipalities(first: 100) { nodes { code name
    figures(year: $year, measure: $measure) { measureKey year value printed recipientHubSlug source { documentKey locator } }
    population { year population }
  } } }
}"""


def totals(
    client: httpx.Client, slug: str, scope: str = SJAELLAND_READ, **variables: Any
) -> dict[tuple[Any, ...], dict[str, Any]]:
    data = gql(client, REGION_TOTALS, {"slug": slug, **variables}, scope)
    return {(t["measureKey"], t["year"]): t for t in data["region"]["figureTotals"]}


def hand_sums(client: httpx.Client, slug: str, scope: str) -> dict[tuple[str, int], tuple[Decimal, int]]:
    """Sum every figure and population of the region's municipalities in the test (by hand)."""
    data = gql(client, REGION_FIGURES, {"slug": slug}, scope)
    sums: dict[tuple[str, int], tuple[Decimal, int]] = {}
    for m in nodes(data["region"]["municipalities"]):
        items = [(f["measureKey"], f["year"], Decimal(f["value"])) for f in m["figures"]]
        items += [("population", p["year"], Decimal(p["population"])) for p in m["population"]]
        for measure, year, value in items:
            total, count = sums.get((measure, year), (Decimal(0), 0))
            sums[(measure, year)] = (total + value, count + 1)
    return sums


def test_greve_figures_as_printed_with_source(client: httpx.Client, demo_data) -> None:
    data = gql(
        client,
        """{ municipality(code: "253") { name figures {
        measureKey year value printed recipientHubSlug measure { name unit } source { documentKey locator } } } }""",
        None,
        SJAELLAND_READ,
    )
    figures = {(f["measureKey"], f["year"]): f for f in data["municipality"]["figures"]}
    # seed-002 L1613: "Greve 50.569 6,04 0,825 kr. 900.000 kr. 1.445.162 kr. 545.162"
    assert figures[("dut-key", 2019)]["value"] == "0.825" and figures[("dut-key", 2019)]["printed"] == "0,825"
    assert figures[("dut-key", 2019)]["measure"] == {"name": "DUT-nøgle", "unit": "percent"}
    assert figures[("payment-vaeksthus", 2018)]["value"] == "900000"
    assert figures[("payment-vaeksthus", 2018)]["recipientHubSlug"] is None
    payment = figures[("payment-business-hub", 2019)]
    assert (payment["value"], payment["printed"], payment["recipientHubSlug"]) == ("1445162", "1.445.162", "sjaelland")
    assert payment["source"] == {"documentKey": "seed-002", "locator": "L1613"}
    only = gql(
        client,
        '{ municipality(code: "253") { figures(measure: "dut-key", year: 2019) { value } } }',
        None,
        SJAELLAND_READ,
    )
    assert only["municipality"]["figures"] == [{"value": "0.825"}]


def test_nordjylland_key_is_stored_in_kroner_and_shown_as_printed(client: httpx.Client, demo_data) -> None:
    data = gql(
        client,
        '{ municipality(code: "851") { figures(year: 2021) { value printed source { locator } } } }',
        None,
        NORDJYLLAND_READ,
    )
    # seed-004 L5272: "Aalborg 6.269" (1.000 kr.)
    assert data["municipality"]["figures"] == [{"value": "6269000", "printed": "6.269", "source": {"locator": "L5272"}}]


def test_sjaelland_2019_totals_are_computed_with_the_printed_totals(client: httpx.Client, demo_data) -> None:
    t = totals(client, "sjaelland", year=2019)
    payment = t[("payment-business-hub", 2019)]
    # seed-002 L1647: "836.657 100 14,853 kr. 15.780.000 kr. 23.910.000 kr. 8.130.000"
    assert payment["value"] == "23910000" and payment["printedTotal"]["printed"] == "23.910.000"
    assert payment["discrepancy"] == "0" and payment["unit"] == "dkk"
    assert (payment["municipalities"], payment["contributing"], payment["complete"]) == (17, 17, True)
    dut = t[("dut-key", 2019)]
    assert dut["value"] == "14.855" and dut["printedTotal"]["value"] == "14.853"
    assert dut["printedTotal"]["printed"] == "14,853" and dut["discrepancy"] == "-0.002"
    assert "14,855" in dut["printedTotal"]["source"]["note"]
    assert dut["printedTotal"]["source"]["locator"] == "L1647"
    population = t[("population", 2019)]
    assert population["value"] == "836657" and population["discrepancy"] == "0" and population["measure"] is None
    assert population["unit"] == "count" and population["complete"]
    vaeksthus = totals(client, "sjaelland", measure="payment-vaeksthus")[("payment-vaeksthus", 2018)]
    assert vaeksthus["value"] == "15780000" and vaeksthus["discrepancy"] == "0"


def test_nordjylland_2021_rows_add_to_17039_against_the_printed_17037(client: httpx.Client, demo_data) -> None:
    t = totals(client, "nordjylland", NORDJYLLAND_READ, measure="payment-business-hub")
    assert list(t) == [("payment-business-hub", 2021)]
    payment = t[("payment-business-hub", 2021)]
    assert payment["value"] == "17039000" and payment["printedTotal"]["value"] == "17037000"
    assert payment["printedTotal"]["printed"] == "17.037" and payment["discrepancy"] == "-2000"
    assert (payment["contributing"], payment["complete"]) == (11, True)
    hub = gql(
        client,
        f"""{{ businessHub(slug: "nordjylland") {{ figureTotals(year: 2021) {{ {TOTAL_FIELDS} }}
                           populationTotal(year: 2021) {{ value }} }} }}""",
        None,
        NORDJYLLAND_READ,
    )["businessHub"]
    assert hub["figureTotals"] == [payment] and hub["populationTotal"] is None


@pytest.mark.parametrize(
    ("slug", "scope"), [("sjaelland", SJAELLAND_READ), ("nordjylland", NORDJYLLAND_READ), ("hovedstaden", KL)]
)
def test_region_totals_equal_the_hand_sums_of_their_municipalities(
    client: httpx.Client,
    demo_data,
    slug: str,
    scope: str,
) -> None:
    expected = hand_sums(client, slug, scope)
    computed = totals(client, slug, scope)
    assert set(computed) == set(expected) and expected
    for key, (value, count) in expected.items():
        assert Decimal(computed[key]["value"]) == value, key
        assert computed[key]["contributing"] == count, key


def test_an_incomplete_population_says_how_many_contributed(client: httpx.Client, demo_data) -> None:
    # Hovedstaden: "Indbyggertal 2018k4" printed for 14 of its 29 municipalities (seed-002 L3010-3041).
    data = gql(
        client,
        '{ region(slug: "hovedstaden") { populationTotal(year: 2018) { municipalities contributing'
        " complete printedTotal { value } } } }",
        None,
        KL,
    )
    assert data["region"]["populationTotal"] == {
        "municipalities": 29,
        "contributing": 14,
        "complete": False,
        "printedTotal": None,
    }
    none = gql(client, '{ region(slug: "syddanmark") { populationTotal(year: 2019) { value } } }', None, KL)
    assert none["region"]["populationTotal"] is None


def test_sjaelland_hub_takes_its_regions_printed_totals(client: httpx.Client, demo_data) -> None:
    data = gql(
        client,
        '{ businessHub(slug: "sjaelland") { populationTotal(year: 2019) { value discrepancy'
        " printedTotal { printed } } } }",
        None,
        SJAELLAND_READ,
    )
    assert data["businessHub"]["populationTotal"] == {
        "value": "836657",
        "discrepancy": "0",
        "printedTotal": {"printed": "836.657"},
    }


def test_unknown_measure_is_refused_naming_the_argument(client: httpx.Client, demo_data) -> None:
    for query in (
        '{ region(slug: "sjaelland") { figureTotals(measure: "tax-base") { value } } }',
        '{ municipality(code: "253") { figures(measure: "population") { value } } }',
    ):
        body = post(client, query, None, SJAELLAND_READ)
        assert any("Argument 'measure'" in m for m in error_messages(body)), body
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_measures_are_listed_for_regions_and_kl_not_ministries(client: httpx.Client, demo_data) -> None:
    query = "{ municipalityMeasures { key unit additive source { documentKey locator } } }"
    for scope in (SJAELLAND_READ, KL):
        measures = gql(client, query, None, scope)["municipalityMeasures"]
        assert [m["key"] for m in measures] == ["dut-key", "payment-vaeksthus", "payment-business-hub"]
        assert {m["unit"] for m in measures} == {"percent", "dkk"}
    body = post(client, query, None, MINISTRY)
    assert "data" not in body or body["data"] is None, body
    assert body["errors"] and all(e.get("extensions", {}).get("code") != "FORBIDDEN" for e in body["errors"]), body


def test_canonical_segment_of_printed_variants(client: httpx.Client, demo_data) -> None:
    query = """query($year: Int!) { resultContract(businessHub: "sjaelland", year: $year) { goals {
      nodes { indicators { nodes { targets { nodes { segment
        canonicalSegment { key name kind } } } } } } } } }"""
    seen: dict[str | None, Any] = {}
    for year in (2019, 2020):
        data = gql(client, query, {"year": year}, SJAELLAND_READ)
        for goal in nodes(data["resultContract"]["goals"]):
            for indicator in nodes(goal["indicators"]):
                for target in nodes(indicator["targets"]):
                    seen[target["segment"]] = target["canonicalSegment"]
    # seed-002 L276-282 prints "handlingsplan" (2019), seed-001 L3651-3661 "handlingsplaner" (2020)
    assert (
        seen["handlingsplan"]
        == seen["handlingsplaner"]
        == {"key": "action-plan", "name": "handlingsplaner", "kind": "COURSE_TYPE"}
    )
    assert seen["korte forløb"]["key"] == seen["korte forløb/kontakter"]["key"] == "short-course"
    assert seen[None] is None


async def test_totals_of_every_region_and_hub_take_a_bounded_number_of_statements(
    app_db,
    settings,
    demo_data,
) -> None:
    """Totals and figures of 1 or of all 5 regions (and 98 municipalities) take the same number of statements."""

    async def count(query: str) -> int:
        statements: list[str] = []

        def listen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        event.listen(app_db.engine.sync_engine, "before_cursor_execute", listen)
        try:
            context = RequestContext(
                db=app_db, settings=settings, identity=Identity(subject="t", scopes=frozenset({KL}))
            )
            result = await schema.execute(query, context_value=context)
        finally:
            event.remove(app_db.engine.sync_engine, "before_cursor_execute", listen)
        assert result.errors is None, result.errors
        return len(statements)

    body = """figureTotals { value measure { name } } populationTotal(year: 2019) { value }
      municipalities(first: 100) { nodes { figures { value measure { name } } } }
      businessHubs { nodes { figureTotals { value } populationTotal(year: 2019) { value } } }"""
    one = await count(f'{{ region(slug: "sjaelland") {{ {body} }} }}')
    every = await count(f"{{ regions {{ {body} }} }}")
    assert every == one


LINEAGE_GOALS = text("""
SELECT DISTINCT c.business_hub_slug AS hub, c.year, g.code
FROM goal_lineage_member lm
JOIN result_contract c ON c.business_hub_slug = lm.business_hub_slug AND c.year = lm.contract_year
JOIN goal g ON g.tenant_id = c.tenant_id AND g.contract_id = c.id AND g.code = lm.goal_code
WHERE lm.lineage_key = :lineage
UNION
SELECT DISTINCT c.business_hub_slug, c.year, g.code
FROM goal_lineage_member lm
JOIN goal g ON g.national_goal_id = lm.national_goal_id
JOIN result_contract c ON c.tenant_id = g.tenant_id AND c.id = g.contract_id
WHERE lm.lineage_key = :lineage AND lm.indicator_name IS NULL
ORDER BY 1, 2, 3
""")


async def test_nps_lineage_follows_the_renumbered_goal(owner_engine, demo_data) -> None:
    """Sjælland prints the NPS goal as Mål 3 (2019, seed-002 L449), Mål 1 (2020, seed-001 L3459) and Mål 3 (2021
    draft, seed-000 L1338); Nordjylland as Mål 1 (2020, seed-003 L328)."""
    async with owner_engine.connect() as conn:
        goals = [tuple(r) for r in (await conn.execute(LINEAGE_GOALS, {"lineage": "satisfaction-nps"})).all()]
        effect = [tuple(r) for r in (await conn.execute(LINEAGE_GOALS, {"lineage": "experienced-effect"})).all()]
        lineages = (
            await conn.execute(
                text("SELECT count(*) FILTER (WHERE source_document_key IS NULL), count(*) FROM goal_lineage")
            )
        ).one()
        members = (
            await conn.execute(
                text("SELECT count(*) FILTER (WHERE source_document_key IS NULL), count(*) FROM goal_lineage_member")
            )
        ).one()
    assert goals == [
        ("nordjylland", 2020, "1"),
        ("sjaelland", 2019, "3"),
        ("sjaelland", 2020, "1"),
        ("sjaelland", 2021, "3"),
    ]
    assert effect == [
        ("nordjylland", 2020, "2"),
        ("nordjylland", 2021, "7"),
        ("sjaelland", 2019, "4"),
        ("sjaelland", 2020, "2"),
        ("sjaelland", 2021, "10"),
    ]
    assert lineages[0] == 0 and lineages[1] >= 10  # every lineage and member has its source
    assert members[0] == 0 and members[1] > lineages[1]


async def test_every_curated_target_segment_has_a_canonical_segment(owner_engine, demo_data) -> None:
    async with owner_engine.connect() as conn:
        unmapped = (
            await conn.execute(
                text(
                    "SELECT DISTINCT t.segment FROM (SELECT segment FROM target UNION ALL SELECT segment FROM national_target) t"
                    " LEFT JOIN segment_spelling s ON s.printed = t.segment WHERE t.segment IS NOT NULL AND s.printed IS NULL"
                )
            )
        ).all()
    assert unmapped == []
