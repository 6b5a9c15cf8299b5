"""Figures from the KKR papers, read through the GraphQL API of a running server and
compared with the values as printed in `../shared/seeds/` (file and line in each case).

Each check names where the figure is printed, so a failure points at the paper.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from .api_client import gql, nodes

NJ, SJ, SD = "region:nordjylland:read", "region:sjaelland:read", "region:syddanmark:read"

# No `first` on the nested lists: a page of up to 100 all the same, at the cost of a contract's usual counts
# (MAX_COST: `first: 100` at every level is taken at its word, 100^4 targets).
CONTRACT = """
query Contract($hub: String!, $year: Int!, $version: Int) {
  resultContract(businessHub: $hub, year: $year, version: $version) {
    title status reportedFulfilmentPct
    goals { nodes {
      code category title reportedFulfilmentPct
      indicators { nodes {
        name
        targets { nodes {
          unit comparator value valueMax valueText partialThreshold partialFulfilmentPct baselineValue
          results { nodes { value valueText measuredAt } }
        } }
      } }
    } }
  }
}
"""


def contract(client: httpx.Client, scope: str, hub: str, year: int, version: int | None = None) -> dict[str, Any]:
    data = gql(client, CONTRACT, {"hub": hub, "year": year, "version": version}, scope)["resultContract"]
    assert data is not None, f"no contract {hub} {year}"
    return data


def goal(c: dict[str, Any], code: str) -> dict[str, Any]:
    found = [g for g in nodes(c["goals"]) if g["code"] == code]
    assert found, f"goal {code} missing in {c['title']}"
    return found[0]


def targets(g: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for i in nodes(g["indicators"]) for t in nodes(i["targets"])]


def target_values(g: dict[str, Any]) -> set[Decimal]:
    return {Decimal(t["value"]) for t in targets(g) if t["value"] is not None}


def result_values(g: dict[str, Any]) -> set[Decimal]:
    return {Decimal(r["value"]) for t in targets(g) for r in nodes(t["results"]) if r["value"] is not None}


def result_texts(g: dict[str, Any]) -> set[str]:
    return {r["valueText"] for t in targets(g) for r in nodes(t["results"]) if r["valueText"]}


@pytest.fixture(scope="module")
def nj2020(client: httpx.Client, demo_data) -> dict[str, Any]:
    return contract(client, NJ, "nordjylland", 2020)


@pytest.fixture(scope="module")
def client(live_server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=60) as c:
        yield c


# --- KKR Nordjylland, follow-up on result contract 2020 (seed 003) -------------------------------


def test_nordjylland_2020_overall_fulfilment_is_97(nj2020) -> None:
    assert Decimal(nj2020["reportedFulfilmentPct"]) == 97  # seed-003 L306-310 "Samlet målopfyldelse 97%"


def test_nordjylland_2020_nps_target_60_half_at_50_and_result_72(nj2020) -> None:
    nps = targets(goal(nj2020, "1"))[0]
    assert (nps["unit"], nps["comparator"], Decimal(nps["value"])) == ("NPS", "AT_LEAST", Decimal(60))  # L331
    assert (Decimal(nps["partialThreshold"]), Decimal(nps["partialFulfilmentPct"])) == (
        Decimal(50),
        Decimal(50),
    )  # L362-366
    assert Decimal(72) in result_values(goal(nj2020, "1"))  # L377 "Den samlede NPS er 72."


def test_nordjylland_2020_effect_result_97(nj2020) -> None:
    assert Decimal(97) in result_values(goal(nj2020, "2"))  # seed-003 Mål 2


def test_nordjylland_2020_courses_315_and_langt_over_500(nj2020) -> None:
    g5 = goal(nj2020, "5")
    assert Decimal(315) in result_values(g5)  # L687 "realiseret 315 Vækst- og Driftsforløb"
    assert any("langt over 500" in t for t in result_texts(g5))  # L687-688, kept as printed
    assert Decimal(82) in result_values(g5) and Decimal(60) in target_values(g5)  # L689-690 Early Warning


def test_nordjylland_2020_goal_6_proposed_fulfilment_75(nj2020) -> None:
    g6 = goal(nj2020, "6")
    assert Decimal(g6["reportedFulfilmentPct"]) == 75  # L269-275
    assert g6["category"] == "COMMON"


# --- KKR Nordjylland, result contract 2021 (seed 004) ---------------------------------------------


def test_nordjylland_2021_goal_12_targets_800_350_600(client: httpx.Client, demo_data) -> None:
    g12 = goal(contract(client, NJ, "nordjylland", 2021), "12")
    assert {Decimal(800), Decimal(350), Decimal(600)} <= target_values(g12)  # seed-004 L5173 ff.


def test_nordjylland_2021_awareness_target_45_from_40(client: httpx.Client, demo_data) -> None:
    g1 = goal(contract(client, NJ, "nordjylland", 2021), "1")
    assert Decimal(45) in target_values(g1)
    assert Decimal(40) in {Decimal(t["baselineValue"]) for t in targets(g1) if t["baselineValue"]}


# --- KKR Sjælland, result contracts 2019, 2020, 2021 (seeds 002, 001, 000) ------------------------


def test_sjaelland_2019_nps_68_awareness_43_and_course_targets(client: httpx.Client, demo_data) -> None:
    c = contract(client, SJ, "sjaelland", 2019)
    assert Decimal(68) in result_values(goal(c, "3"))  # NPS 2019 (seed-001)
    assert Decimal(43) in result_values(goal(c, "12"))  # awareness August 2019
    assert {Decimal(400), Decimal(300)} <= target_values(goal(c, "1"))  # korte forløb, handlingsplaner (seed-002)
    assert goal(c, "5C")["category"] == "LOCAL"  # "5C" is a code, not a number


def test_sjaelland_2020_nps_81_and_half_year_courses(client: httpx.Client, demo_data) -> None:
    c = contract(client, SJ, "sjaelland", 2020)
    assert Decimal(81) in result_values(goal(c, "1"))  # "pr. august 2020"
    all_results = set().union(*(result_values(g) for g in nodes(c["goals"])))
    assert {Decimal(729), Decimal(89), Decimal(158)} <= all_results  # H1 2020 korte/handlings-/vækstplaner
    assert Decimal(93) in result_values(
        goal(c, "6")
    )  # "93% af de evaluerede virksomheder henvist", seed-001 L4106-4108


def test_sjaelland_2021_draft_local_goals(client: httpx.Client, demo_data) -> None:
    c = contract(client, SJ, "sjaelland", 2021)  # latest version: the January 2021 draft (seed-000)
    assert c["status"] == "DRAFT"
    assert {Decimal(600), Decimal(385), Decimal(315)} <= target_values(goal(c, "15"))  # L1447-1453
    gearing = targets(goal(c, "20"))[0]
    assert (Decimal(gearing["value"]), Decimal(gearing["baselineValue"])) == (Decimal("2.60"), Decimal("2.45"))
    assert Decimal(12_000_000) in target_values(goal(c, "18"))  # "12 mio. kr." consultancy grants
    assert Decimal(25_000_000) in target_values(goal(c, "16"))  # Femern Corridor applications


# --- Growth teams (seed 003), climate (seeds 001, 004), reference data (seeds 000, 002) ------------


def test_growth_team_nordjylland_chair(client: httpx.Client, demo_data) -> None:
    teams = nodes(
        gql(
            client,
            "{ growthTeams(first: 10) { nodes { name members(first: 20) { nodes { name role organisation } } } } }",
            None,
            NJ,
        )["growthTeams"]
    )
    members = [m for t in teams for m in nodes(t["members"])]
    chair = [m for m in members if m["role"] == "Formand"]
    assert chair and chair[0]["name"] == "Michael Lundgaard Thomsen"  # seed-003 L1819-1822
    assert "Aalborg Portland" in chair[0]["organisation"]


def test_growth_team_sydjylland_has_nine_members_and_no_chair(client: httpx.Client, demo_data) -> None:
    teams = nodes(
        gql(
            client,
            "{ growthTeams(first: 10) { nodes { name members(first: 20) { totalCount nodes { role } } } } }",
            None,
            SD,
        )["growthTeams"]
    )
    sydjylland = next(t for t in teams if "Sydjylland" in t["name"])
    assert sydjylland["members"]["totalCount"] == 9  # seed-003 L1941-2058; chair "Udestår"
    assert all(m["role"] != "Formand" for m in nodes(sydjylland["members"]))


def test_climate_figures(client: httpx.Client, demo_data) -> None:
    query = "{ climateInitiatives(first: 50) { nodes { name budgetDkk targets(first: 20) { nodes { value unit targetYear } } } } }"
    sj = nodes(gql(client, query, None, SJ)["climateInitiatives"])
    assert Decimal(2_225_500) in {Decimal(i["budgetDkk"]) for i in sj if i["budgetDkk"]}  # DK2020 budget, seed-001
    nj = nodes(gql(client, query, None, NJ)["climateInitiatives"])
    nj_targets = {(Decimal(t["value"]), t["targetYear"]) for i in nj for t in nodes(i["targets"]) if t["value"]}
    assert (Decimal(70), 2030) in nj_targets  # −70 % by 2030, seed-004 L1706-1707


def test_kkr_sjaelland_chair_and_population(client: httpx.Client, demo_data) -> None:
    data = gql(
        client,
        """{ region(slug: "sjaelland") { kkrMembers(first: 10) { nodes { name role party } } }
                            municipality(code: "269") { name population(year: 2019) { population sharePct } } }""",
        None,
        SJ,
    )
    chair = next(m for m in nodes(data["region"]["kkrMembers"]) if m["role"] == "CHAIR")
    assert (chair["name"], chair["party"]) == ("Niels Hörup", "V")  # seed-000 L100-102
    solrod = data["municipality"]
    assert solrod["name"] == "Solrød"
    assert solrod["population"][0]["population"] == 22806  # "22.806", seed-002 L1621
    assert Decimal(solrod["population"][0]["sharePct"]) == Decimal("2.73")  # "2,73"


@pytest.mark.parametrize(
    ("region", "name", "role", "party"),
    [
        ("midtjylland", "Torben Hansen", "CHAIR", "S"),  # seed-000 L3596-3598
        ("syddanmark", "Johannes Lundsfryd Jensen", "VICE_CHAIR", "S"),  # seed-000 L3600-3603
        ("hovedstaden", "Kasten Søndergaard", "VICE_CHAIR", "V"),  # seed-000 L3613-3615, "Kasten" as printed
    ],
)
def test_dk2020_political_representatives_of_the_other_kkrs(
    client: httpx.Client,
    demo_data,
    region: str,
    name: str,
    role: str,
    party: str,
) -> None:
    data = gql(
        client,
        f'{{ region(slug: "{region}") {{ kkrMembers(first: 10) {{ nodes {{ name role party }} }} }} }}',
        None,
        f"region:{region}:read",
    )
    assert {"name": name, "role": role, "party": party} in nodes(data["region"]["kkrMembers"])


def test_awareness_per_hub_september_2020(client: httpx.Client, demo_data) -> None:
    data = gql(
        client,
        '{ benchmarkObservations(indicatorKey: "hub-awareness-2020-09", first: 20)'
        " { nodes { businessHubSlug value } } }",
        None,
        SJ,
    )
    by_hub = {o["businessHubSlug"]: Decimal(o["value"]) for o in nodes(data["benchmarkObservations"])}
    # seed-000 L2919-2921: national 33, Nordjylland 40, Midtjylland 36, Sjælland 34, Fyn 33, Sydjylland 32, Hovedstaden 26
    assert by_hub == {
        None: 33,
        "nordjylland": 40,
        "midtjylland": 36,
        "sjaelland": 34,
        "fyn": 33,
        "sydjylland": 32,
        "hovedstaden": 26,
    }


def test_framework_2021_2023_nps_target_70(client: httpx.Client, demo_data) -> None:
    data = gql(
        client,
        '{ frameworkAgreement(slug: "2021-2023") { signedOn nationalGoals(first: 20) { nodes { code targets(first: 20) { nodes { unit value segment } } } } } }',
        None,
        SJ,
    )["frameworkAgreement"]
    assert data["signedOn"] == "2021-01-27"  # seed-000 L1763
    goal3 = next(g for g in nodes(data["nationalGoals"]) if g["code"] == "3")
    nps = {(t["segment"], Decimal(t["value"])) for t in nodes(goal3["targets"]) if t["unit"] == "NPS"}
    assert {s for s, v in nps if v == 70} >= {"drift", "vækst"}  # "NPS på mindst 70" per segment, L2904-2908


def test_every_figure_leads_back_to_its_seed_file_and_lines(nj2020, client: httpx.Client) -> None:
    data = gql(
        client,
        '{ resultContract(businessHub: "nordjylland", year: 2020) { goals(first: 1) { nodes {'
        " indicators(first: 1) { nodes { targets(first: 1) { nodes { results(first: 1) { nodes {"
        " value source { locator document { key file title } } } } } } } } } } } }",
        None,
        NJ,
    )
    goal1 = nodes(data["resultContract"]["goals"])[0]
    result = nodes(nodes(nodes(goal1["indicators"])[0]["targets"])[0]["results"])[0]
    assert Decimal(result["value"]) == 72
    assert result["source"]["locator"] == "L376-377"
    assert result["source"]["document"]["file"] == "003_2294b20c545d9869.txt"


# KKR Sjælland, "Bidrag til Erhvervshus Sjælland" (seed-002 L1613-1645), as printed:
# kommune: (DUT-nøgle, bidrag Væksthus Sjælland 2018 kr., bidrag Erhvervshus Sjælland 2019 kr.)
SJAELLAND_2019 = {
    "Greve": ("0,825", "900.000", "1.445.162"),
    "Køge": ("1,08", "1.152.000", "1.738.344"),
    "Lejre": ("0,438", "468.000", "784.381"),
    "Roskilde": ("1,405", "1.500.000", "2.512.980"),
    "Solrød": ("0,345", "372.000", "651.750"),
    "Faxe": ("0,624", "660.000", "1.033.153"),
    "Guldborgsund": ("1,168", "1.248.000", "1.743.402"),
    "Holbæk": ("1,252", "1.332.000", "2.026.610"),
    "Kalundborg": ("0,902", "936.000", "1.402.152"),
    "Lolland": ("0,929", "960.000", "1.194.190"),
    "Næstved": ("1,454", "1.536.000", "2.369.261"),
    "Odsherred": ("0,601", "648.000", "941.074"),
    "Ringsted": ("0,607", "648.000", "993.829"),
    "Slagelse": ("1,465", "1.548.000", "2.260.950"),
    "Sorø": ("0,517", "540.000", "845.452"),
    "Stevns": ("0,400", "432.000", "654.522"),
    "Vordingborg": ("0,843", "900.000", "1.312.788"),
}
# Erhvervshus Nordjylland, basisbevilling 2021 in 1.000 kr. (seed-004 L5254-5274), as printed.
NORDJYLLAND_2021 = {
    "Morsø": "585",
    "Thisted": "1.254",
    "Brønderslev": "1.049",
    "Frederikshavn": "1.723",
    "Vesthimmerlands": "1.061",
    "Læsø": "52",
    "Rebild": "870",
    "Mariagerfjord": "1.207",
    "Jammerbugt": "1.107",
    "Aalborg": "6.269",
    "Hjørring": "1.862",
}

FIGURES = """query($slug: String!) { region(slug: $slug) {
  municipalities(first: 100) { nodes { name figures { measureKey year value printed recipientHubSlug } } }
  figureTotals { measureKey year value discrepancy printedTotal { value printed } } } }"""


def _danish(printed: str) -> Decimal:
    return Decimal(printed.replace(".", "").replace(",", "."))


def test_sjaelland_2019_payment_table_as_printed(client: httpx.Client, demo_data) -> None:
    region = gql(client, FIGURES, {"slug": "sjaelland"}, SJ)["region"]
    loaded = {
        m["name"]: {(f["measureKey"], f["year"]): f for f in m["figures"]} for m in nodes(region["municipalities"])
    }
    assert set(loaded) == set(SJAELLAND_2019)
    for name, (dut, v2018, v2019) in SJAELLAND_2019.items():
        figures = loaded[name]
        assert figures[("dut-key", 2019)]["printed"] == dut, name
        assert Decimal(figures[("dut-key", 2019)]["value"]) == _danish(dut), name
        assert Decimal(figures[("payment-vaeksthus", 2018)]["value"]) == _danish(v2018), name
        assert Decimal(figures[("payment-business-hub", 2019)]["value"]) == _danish(v2019), name
        assert figures[("payment-business-hub", 2019)]["recipientHubSlug"] == "sjaelland"
    # Hand sums of the printed rows against the printed total row (L1647 "14,853 ... 15.780.000 ... 23.910.000")
    assert sum(_danish(v[2]) for v in SJAELLAND_2019.values()) == Decimal(23_910_000)
    assert sum(_danish(v[1]) for v in SJAELLAND_2019.values()) == Decimal(15_780_000)
    assert sum(_danish(v[0]) for v in SJAELLAND_2019.values()) == Decimal("14.855")
    totals = {(t["measureKey"], t["year"]): t for t in region["figureTotals"]}
    assert Decimal(totals[("payment-business-hub", 2019)]["value"]) == Decimal(23_910_000)
    assert Decimal(totals[("dut-key", 2019)]["value"]) == Decimal("14.855")
    assert totals[("dut-key", 2019)]["printedTotal"] == {"value": "14.853", "printed": "14,853"}  # sic, L1647
    assert Decimal(totals[("dut-key", 2019)]["discrepancy"]) == Decimal("-0.002")


def test_nordjylland_2021_payment_key_as_printed(client: httpx.Client, demo_data) -> None:
    region = gql(client, FIGURES, {"slug": "nordjylland"}, NJ)["region"]
    loaded = {m["name"]: m["figures"] for m in nodes(region["municipalities"])}
    assert set(loaded) == set(NORDJYLLAND_2021)
    for name, printed in NORDJYLLAND_2021.items():
        (figure,) = loaded[name]
        assert (figure["measureKey"], figure["year"], figure["printed"]) == ("payment-business-hub", 2021, printed)
        assert Decimal(figure["value"]) == _danish(printed) * 1000, name  # printed in 1.000 kr., stored in kr.
    assert sum(_danish(v) for v in NORDJYLLAND_2021.values()) == 17_039  # rows, against the printed 17.037 (L5276)
    (total,) = region["figureTotals"]
    assert Decimal(total["value"]) == 17_039_000
    assert total["printedTotal"] == {"value": "17037000", "printed": "17.037"}
    assert Decimal(total["discrepancy"]) == -2000


def test_sjaelland_growth_team_member_without_the_page_number(client: httpx.Client, demo_data) -> None:
    teams = nodes(
        gql(
            client,
            "{ growthTeams(first: 10) { nodes { members(first: 20) { nodes { name organisation } } } } }",
            None,
            SJ,
        )["growthTeams"]
    )
    members = {m["name"]: m["organisation"] for t in teams for m in nodes(t["members"])}
    # seed-003 L1930 "Claus Engholm Jensen Regionskonsulent, 3F Regionskontor Sjælland 4": the "4" is the page number
    assert members["Claus Engholm Jensen"] == "Regionskonsulent, 3F Regionskontor Sjælland"
