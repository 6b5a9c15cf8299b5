"""KL's benchmarking on the demo data, compared with figures worked out by hand from the papers.

- awareness of the six hubs in September 2020 with the national figure (seed-000 L2919-2921, printed again in
  seed-004 L4582-4584): "på landsplan 33 pct., ... Nordjylland 40 pct., Midtjylland 36 pct., Sjælland 34 pct.,
  Fyn 33 pct., Sydjylland 32 pct. og Hovedstaden 26 pct.";
- the NPS goal across the agreements 2019-2020 (national goal 1, "Mål 3" in KKR Sjælland's 2019 contract) and
  2021-2023 (national goal 3, NPS målepunkt) for Sjælland and Nordjylland: Sjælland 2019 target 60 result 68
  (seed-002 L470-499, seed-001 L3500-3504), Sjælland 2020 target 60 result 81 (seed-001 L3462-3510),
  Nordjylland 2020 target 60 result 72 (seed-003 L331-377); Nordjylland has no contract for 2019 in the papers
  and both 2021 contracts are drafts, so those years show the framework agreement's targets (60 in 2019,
  70 for each of the drifts- and vækstsegment in 2021-2023, seed-000 L2904-2908), never the draft's 60;
- per 1,000 inhabitants: SOSU-assistant places (social- og sundhedshjælper, current dimensioning) in KKR
  Sjælland 2019, 345 (seed-002 L3371), over the 836.657 inhabitants of its 17 municipalities in 2019
  (seed-002 L1609-1647): 345 / 836.657 = 0,4124 per 1,000.

Queries run in process through the real schema as the application role with a `benchmark:read` identity;
every SQL statement is counted (as tests/test_api_n_plus_one.py does).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from kkr.platform.auth.identity import Identity
from kkr.platform.context import RequestContext
from kkr.platform.database import Database
from kkr.platform.settings import Settings
from kkr.schema.schema import schema

pytestmark = pytest.mark.usefixtures("demo_data")

HUBS = {"fyn", "hovedstaden", "midtjylland", "nordjylland", "sjaelland", "sydjylland"}

FIGURE = """
fragment Figure on BenchmarkFigure {
  area { kind slug name } year status goalCode goalCategory frameworkAgreement nationalGoalCode measure unit
  segment { printed key name }
  target { sourceKind value period comparator text source { documentKey locator } }
  result resultText fulfilment { status pct explanation }
  shareOfTarget { value unavailableReason denominator { kind value } }
  rank ranked note
  resultPerThousandInhabitants { value unavailableReason
    denominator { kind value year description coverage { municipalities withFigure complete } } }
  targetPerThousandInhabitants { value unavailableReason denominator { value year } }
  resultPerMunicipality { value unavailableReason denominator { kind value } }
}
"""

COMPARISON = (
    FIGURE
    + """
query Comparison($lineage: String, $agreement: String, $code: String, $indicator: String, $period: String!,
                 $segment: String) {
  benchmarkComparison(lineage: $lineage, frameworkAgreement: $agreement, nationalGoalCode: $code,
                      indicatorKey: $indicator, period: $period, segment: $segment) {
    subject { kind key name lineages }
    period
    notReported { slug }
    measures {
      unit segment { key name printed }
      nationalTargets { value period measure sourceKind segment { printed key } }
      nationalFigure { value unit source { documentKey locator } }
      notReported { slug }
      figures { ...Figure }
    }
  }
}
"""
)

SERIES = (
    FIGURE
    + """
query Series($lineage: String, $agreement: String, $code: String, $segment: String, $hubs: [String!]) {
  benchmarkSeries(lineage: $lineage, frameworkAgreement: $agreement, nationalGoalCode: $code, segment: $segment,
                  businessHubs: $hubs) {
    subject { kind key }
    years
    points { ...Figure }
  }
}
"""
)

CATALOGUE = """
query Catalogue($search: String, $kind: BenchmarkSubjectKind) {
  benchmarkCatalogue(search: $search, kind: $kind) {
    kind key name units periods businessHubs regions nationalFigure segments frameworkAgreement nationalGoalCode
    lineages sourceDocuments source { documentKey locator }
  }
}
"""


#: Statements of every request, not of the query: the transaction's tenant context and the access log.
INFRASTRUCTURE = ("SELECT set_config(", "INSERT INTO access_log")


async def run(
    db: Database,
    settings: Settings,
    query: str,
    variables: dict[str, Any] | None = None,
    scopes: frozenset[str] = frozenset({"benchmark:read"}),
) -> tuple[dict[str, Any], int]:
    """The data of `query` for a KL identity and the number of SQL statements it took (beyond the
    request's own: tenant context and access log)."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().startswith(INFRASTRUCTURE):
            statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        context = RequestContext(db=db, settings=settings, identity=Identity(subject="kl-test", scopes=scopes))
        result = await schema.execute(query, variable_values=variables, context_value=context)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    assert result.errors is None and result.data is not None, result.errors
    return result.data, len(statements)


async def nps_lineage(db: Database, settings: Settings) -> str:
    """The curated lineage of the NPS goal: national goal 1 of 2019-2020 and national goal 3 of 2021-2023."""
    data, _ = await run(db, settings, CATALOGUE, {"kind": "NATIONAL_GOAL"})
    goals = {entry["key"]: set(entry["lineages"]) for entry in data["benchmarkCatalogue"]}
    [lineage] = goals["2019-2020/1"] & goals["2021-2023/3"]
    return lineage


# --- side by side -------------------------------------------------------------------------------------------------


async def test_awareness_september_2020_ranks_the_six_hubs_with_the_national_figure(
    app_db: Database, settings: Settings
) -> None:
    data, _ = await run(app_db, settings, COMPARISON, {"indicator": "hub-awareness-2020-09", "period": "2020-09"})
    comparison = data["benchmarkComparison"]
    assert comparison["subject"]["kind"] == "OBSERVATION_INDICATOR"
    [measure] = comparison["measures"]
    assert measure["unit"] == "PERCENT"
    assert measure["nationalFigure"]["value"] == "33"
    assert measure["nationalFigure"]["source"]["documentKey"] == "seed-000"
    ranking = [(f["area"]["slug"], Decimal(f["result"]), f["rank"]) for f in measure["figures"]]
    assert ranking == [
        ("nordjylland", Decimal(40), 1),
        ("midtjylland", Decimal(36), 2),
        ("sjaelland", Decimal(34), 3),
        ("fyn", Decimal(33), 4),
        ("sydjylland", Decimal(32), 5),
        ("hovedstaden", Decimal(26), 6),
    ]
    assert {f["ranked"] for f in measure["figures"]} == {6}
    assert measure["notReported"] == [] and comparison["notReported"] == []
    assert all(f["status"] == "REPORTED" and f["area"]["kind"] == "BUSINESS_HUB" for f in measure["figures"])
    # percentages are not normalised per inhabitant, and the figure says why
    sjaelland = next(f for f in measure["figures"] if f["area"]["slug"] == "sjaelland")
    assert sjaelland["resultPerThousandInhabitants"]["value"] is None
    assert "percent" in sjaelland["resultPerThousandInhabitants"]["unavailableReason"]


async def test_national_goal_side_by_side_with_fulfilment_share_rank_and_missing_hubs(
    app_db: Database, settings: Settings
) -> None:
    data, _ = await run(app_db, settings, COMPARISON, {"agreement": "2019-2020", "code": "1", "period": "2020"})
    comparison = data["benchmarkComparison"]
    assert comparison["subject"]["key"] == "2019-2020/1"
    [measure] = comparison["measures"]
    assert [t["value"] for t in measure["nationalTargets"]] == ["60"]
    figures = {f["area"]["slug"]: f for f in measure["figures"]}
    assert set(figures) == HUBS
    sjaelland, nordjylland = figures["sjaelland"], figures["nordjylland"]
    assert (sjaelland["result"], sjaelland["rank"], sjaelland["shareOfTarget"]["value"]) == ("81", 1, "135")
    assert (nordjylland["result"], nordjylland["rank"], nordjylland["shareOfTarget"]["value"]) == ("72", 2, "120")
    assert sjaelland["fulfilment"] == {"status": "MET", "pct": "100", "explanation": "81 meets the target >= 60."}
    assert sjaelland["target"]["sourceKind"] == "CONTRACT" and sjaelland["goalCode"] == "1"
    assert sjaelland["shareOfTarget"]["denominator"] == {"kind": "TARGET", "value": "60"}
    assert {f["ranked"] for f in figures.values()} == {2}
    # the four hubs without a published 2020 contract in the papers: national target, no result, no rank
    missing = HUBS - {"sjaelland", "nordjylland"}
    assert {a["slug"] for a in measure["notReported"]} == missing == {a["slug"] for a in comparison["notReported"]}
    for hub in missing:
        figure = figures[hub]
        assert figure["status"] == "NO_PUBLISHED_CONTRACT" and figure["result"] is None and figure["rank"] is None
        assert figure["target"]["sourceKind"] == "FRAMEWORK_AGREEMENT" and figure["target"]["value"] == "60"
        assert figure["fulfilment"] is None


async def test_ties_share_a_rank(app_db: Database, settings: Settings) -> None:
    """Green awareness September 2020: hubs with the same printed figure share a rank (RANK(), not ROW_NUMBER())."""
    data, _ = await run(app_db, settings, COMPARISON, {"indicator": "hub-green-awareness-2020-09", "period": "2020-09"})
    [measure] = data["benchmarkComparison"]["measures"]
    values = [Decimal(f["result"]) for f in measure["figures"]]
    ranks = [f["rank"] for f in measure["figures"]]
    assert len(set(values)) < len(values), "the printed figures must hold a tie for this test"
    assert values == sorted(values, reverse=True)
    expected = [1 + sum(1 for other in values if other > value) for value in values]
    assert ranks == expected


# --- series -------------------------------------------------------------------------------------------------------


async def test_nps_series_across_both_agreements_for_sjaelland_and_nordjylland(
    app_db: Database, settings: Settings
) -> None:
    lineage = await nps_lineage(app_db, settings)
    data, _ = await run(app_db, settings, SERIES, {"lineage": lineage, "hubs": ["sjaelland", "nordjylland"]})
    series = data["benchmarkSeries"]
    assert series["years"] == [2019, 2020, 2021, 2022, 2023]
    points = [
        (
            p["area"]["slug"],
            p["year"],
            p["segment"]["key"],
            p["target"]["sourceKind"],
            p["target"]["value"],
            p["result"],
            p["goalCode"],
            p["status"],
        )
        for p in series["points"]
    ]
    national = "FRAMEWORK_AGREEMENT"

    def later(hub: str) -> list[tuple[Any, ...]]:
        return [
            (hub, year, segment, national, "70", None, None, "NO_PUBLISHED_CONTRACT")
            for year in (2021, 2022, 2023)
            for segment in ("growth", "operations")
        ]

    expected = [
        ("nordjylland", 2019, None, national, "60", None, None, "NO_PUBLISHED_CONTRACT"),
        ("nordjylland", 2020, None, "CONTRACT", "60", "72", "1", "REPORTED"),
        *later("nordjylland"),
        ("sjaelland", 2019, None, "CONTRACT", "60", "68", "3", "REPORTED"),
        ("sjaelland", 2020, None, "CONTRACT", "60", "81", "1", "REPORTED"),
        *later("sjaelland"),
    ]
    assert sorted(points, key=str) == sorted(expected, key=str)
    by_key = {(p["area"]["slug"], p["year"]): p for p in series["points"] if p["year"] < 2021}
    assert by_key[("sjaelland", 2019)]["shareOfTarget"]["value"] == "113.33"  # 68 / 60
    assert by_key[("sjaelland", 2019)]["frameworkAgreement"] == "2019-2020"
    assert by_key[("sjaelland", 2019)]["fulfilment"]["status"] == "MET"
    assert (by_key[("sjaelland", 2020)]["rank"], by_key[("nordjylland", 2020)]["rank"]) == (1, 2)
    assert {p["frameworkAgreement"] for p in series["points"] if p["year"] >= 2021} == {"2021-2023"}


async def test_series_by_canonical_segment(app_db: Database, settings: Settings) -> None:
    lineage = await nps_lineage(app_db, settings)
    data, _ = await run(app_db, settings, SERIES, {"lineage": lineage, "segment": "operations", "hubs": ["fyn"]})
    points = data["benchmarkSeries"]["points"]
    with_target = [(p["year"], p["segment"]["printed"], p["target"]["value"]) for p in points if p["target"]]
    assert with_target == [(2021, "drift", "70"), (2022, "drift", "70"), (2023, "drift", "70")]
    # the years without a target in that segment are there, saying why
    assert {p["year"] for p in points if p["target"] is None} == {2019, 2020}


# --- normalisation ------------------------------------------------------------------------------------------------


async def test_per_thousand_inhabitants_states_its_denominator(app_db: Database, settings: Settings) -> None:
    data, _ = await run(
        app_db, settings, COMPARISON, {"indicator": "sosu-ssh-dimensionering-nuvaerende", "period": "2019"}
    )
    [measure] = data["benchmarkComparison"]["measures"]
    figures = {f["area"]["slug"]: f for f in measure["figures"]}
    assert set(figures) == {"hovedstaden", "sjaelland", "syddanmark", "midtjylland", "nordjylland"}
    assert {f["area"]["kind"] for f in figures.values()} == {"REGION"}
    assert measure["nationalFigure"]["value"] == "2200"
    sjaelland = figures["sjaelland"]
    assert sjaelland["result"] == "345"
    per_thousand = sjaelland["resultPerThousandInhabitants"]
    assert per_thousand["value"] == "0.4124"  # 345 / 836.657
    assert per_thousand["denominator"]["kind"] == "POPULATION"
    assert Decimal(per_thousand["denominator"]["value"]) == Decimal("836.657")
    assert per_thousand["denominator"]["year"] == 2019
    assert per_thousand["denominator"]["coverage"] == {"municipalities": 17, "withFigure": 17, "complete": True}
    assert sjaelland["resultPerMunicipality"]["value"] == "20.2941"  # 345 / 17
    assert sjaelland["resultPerMunicipality"]["denominator"] == {"kind": "MUNICIPALITIES", "value": "17"}
    # no population for 2019 elsewhere: null, with the reason and the coverage
    hovedstaden = figures["hovedstaden"]["resultPerThousandInhabitants"]
    assert hovedstaden["value"] is None and "0 of the 29 municipalities" in hovedstaden["unavailableReason"]
    assert hovedstaden["denominator"]["coverage"] == {"municipalities": 29, "withFigure": 0, "complete": False}


# --- catalogue and vocabulary -------------------------------------------------------------------------------------


async def test_catalogue_lists_indicators_and_goals_searchable_by_danish_name(
    app_db: Database, settings: Settings
) -> None:
    data, _ = await run(app_db, settings, CATALOGUE)
    entries = {entry["key"]: entry for entry in data["benchmarkCatalogue"]}
    awareness = entries["hub-awareness-2020-09"]
    assert awareness["kind"] == "OBSERVATION_INDICATOR" and awareness["units"] == ["percent"]
    assert awareness["periods"] == ["2020-09"] and set(awareness["businessHubs"]) == HUBS
    assert awareness["nationalFigure"] is True and "seed-000" in awareness["sourceDocuments"]
    sosu = entries["sosu-ssh-dimensionering-nuvaerende"]
    assert sosu["businessHubs"] == [] and len(sosu["regions"]) == 5
    nps = entries["2019-2020/1"]
    assert nps["kind"] == "NATIONAL_GOAL" and nps["units"] == ["nps"]
    assert set(nps["businessHubs"]) == {"nordjylland", "sjaelland"}  # published contracts only
    assert {"2019", "2020"} <= set(nps["periods"])
    lineage = entries[await nps_lineage(app_db, settings)]
    assert lineage["kind"] == "GOAL_LINEAGE" and lineage["units"] == ["nps"]
    assert {"growth", "operations"} <= set(lineage["segments"])
    # upper case, Danish letters, stemming
    for search in ("KENDSKABSGRAD", "SÆRLIG", "tilfredshed"):
        found, _ = await run(app_db, settings, CATALOGUE, {"search": search})
        names = [entry["name"].lower() for entry in found["benchmarkCatalogue"]]
        assert names and len(names) < len(entries)
    found, _ = await run(app_db, settings, CATALOGUE, {"search": "KENDSKABSGRAD"})
    assert "hub-awareness-2020-09" in {entry["key"] for entry in found["benchmarkCatalogue"]}
    blank, _ = await run(app_db, settings, CATALOGUE, {"search": "  "})
    assert len(blank["benchmarkCatalogue"]) == len(entries)


async def test_segments_map_printed_spellings_to_one_canonical_value(app_db: Database, settings: Settings) -> None:
    data, _ = await run(app_db, settings, "{ segments { key name kind spellings } }")
    segments = {s["key"]: s for s in data["segments"]}
    assert {"handlingsplan", "handlingsplaner"} <= set(segments["action-plan"]["spellings"])
    assert {"korte forløb", "korte forløb/kontakter"} <= set(segments["short-course"]["spellings"])


async def test_figures_carry_printed_and_canonical_segment(app_db: Database, settings: Settings) -> None:
    data, _ = await run(
        app_db, settings, COMPARISON, {"agreement": "2021-2023", "code": "3", "period": "2021", "segment": "growth"}
    )
    measures = data["benchmarkComparison"]["measures"]
    assert measures and all(m["segment"]["key"] == "growth" for m in measures)
    for measure in measures:
        assert {(f["segment"]["printed"], f["segment"]["key"]) for f in measure["figures"]} == {("vækst", "growth")}


# --- bounded SQL --------------------------------------------------------------------------------------------------


async def test_statement_count_does_not_grow_with_hubs_years_or_measures(app_db: Database, settings: Settings) -> None:
    lineage = await nps_lineage(app_db, settings)
    await run(app_db, settings, "{ viewer { subject } }")  # warm-up
    _, small = await run(app_db, settings, COMPARISON, {"agreement": "2019-2020", "code": "1", "period": "2020"})
    large_data, large = await run(
        app_db, settings, COMPARISON, {"agreement": "2021-2023", "code": "3", "period": "2021"}
    )
    assert len(large_data["benchmarkComparison"]["measures"]) >= 4
    assert large == small <= 3, (small, large)  # subject, figures, national targets
    _, one_hub = await run(app_db, settings, SERIES, {"lineage": lineage, "hubs": ["fyn"]})
    all_data, all_hubs = await run(app_db, settings, SERIES, {"lineage": lineage})
    assert len(all_data["benchmarkSeries"]["points"]) >= 6 * 5
    assert one_hub == all_hubs <= 2, (one_hub, all_hubs)  # subject, figures
    _, catalogue = await run(app_db, settings, CATALOGUE)
    assert catalogue == 1
    documents = (
        "query($l: String) { benchmarkSeries(lineage: $l) { points { target { source { document { title } } } } } }"
    )
    data, with_documents = await run(app_db, settings, documents, {"l": lineage})
    titles = {p["target"]["source"]["document"]["title"] for p in data["benchmarkSeries"]["points"] if p["target"]}
    assert len(titles) >= 3 and with_documents == all_hubs + 1  # one batched look-up of the source documents


# --- a common goal across years: canonical course types, normalised contract figures ----------------------------

COURSES = "test-course-volume"


@pytest.fixture
async def course_lineage(owner_engine: AsyncEngine) -> AsyncIterator[str]:
    """A lineage of KKR Sjælland's course-volume goal (common goal "Mål 1" in 2019, "Mål 4" in 2020), as a curator
    could add it: the 2019 counts of korte forløb and handlingsplaner (seed-002 L267-282) and the 2020 goal
    (seed-001 L3651-3661), whose printed course types are spelled "korte forløb/kontakter" and "handlingsplaner"."""
    async with owner_engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO goal_lineage (key, name) VALUES (:key, 'Antal forløb (test)')"), {"key": COURSES}
        )
        await conn.execute(
            text(
                "INSERT INTO goal_lineage_member (lineage_key, business_hub_slug, contract_year, goal_code, indicator_name)"
                " VALUES (:key, 'sjaelland', 2019, '1', 'Antal korte forløb'),"
                " (:key, 'sjaelland', 2019, '1', 'Antal handlingsplaner'), (:key, 'sjaelland', 2020, '4', NULL)"
            ),
            {"key": COURSES},
        )
    try:
        yield COURSES
    finally:
        async with owner_engine.begin() as conn:
            await conn.execute(text("DELETE FROM goal_lineage WHERE key = :key"), {"key": COURSES})


async def test_series_by_canonical_course_type_lines_up_spellings_and_normalises_targets(
    app_db: Database, settings: Settings, course_lineage: str
) -> None:
    data, _ = await run(
        app_db, settings, SERIES, {"lineage": course_lineage, "segment": "short-course", "hubs": ["sjaelland"]}
    )
    points = {p["year"]: p for p in data["benchmarkSeries"]["points"]}
    assert sorted(points) == [2019, 2020]
    y2019, y2020 = points[2019], points[2020]
    assert (y2019["segment"], y2019["target"]["value"], y2019["goalCode"]) == (
        {"printed": "korte forløb", "key": "short-course", "name": "korte forløb"},
        "400",
        "1",
    )
    assert (
        y2020["segment"]["printed"],
        y2020["segment"]["key"],
        y2020["target"]["value"],
        y2020["result"],
        y2020["goalCode"],
    ) == ("korte forløb/kontakter", "short-course", "500", "729", "4")
    # 400 korte forløb for the 836.657 inhabitants of KKR Sjælland's 17 municipalities in 2019
    per_thousand = y2019["targetPerThousandInhabitants"]
    assert per_thousand["value"] == "0.4781" and per_thousand["denominator"]["year"] == 2019
    assert Decimal(per_thousand["denominator"]["value"]) == Decimal("836.657")
    assert y2019["resultPerThousandInhabitants"]["unavailableReason"] == "No numeric figure to normalise."
    # no population is printed for 2020: null, with the reason
    assert y2020["targetPerThousandInhabitants"]["value"] is None
    assert "2020" in y2020["targetPerThousandInhabitants"]["unavailableReason"]
    assert y2020["shareOfTarget"]["value"] == "145.8"  # 729 / 500
    assert y2020["resultPerMunicipality"]["value"] == "42.8824"  # 729 / 17

    plans, _ = await run(
        app_db, settings, SERIES, {"lineage": course_lineage, "segment": "action-plan", "hubs": ["sjaelland"]}
    )
    points = {p["year"]: p for p in plans["benchmarkSeries"]["points"]}
    assert (points[2019]["segment"]["printed"], points[2019]["target"]["value"]) == ("handlingsplan", "300")
    assert points[2019]["targetPerThousandInhabitants"]["value"] == "0.3586"  # 300 / 836.657
    assert (points[2020]["segment"]["printed"], points[2020]["target"]["value"], points[2020]["result"]) == (
        "handlingsplaner",
        "385",
        "89",
    )
    assert points[2020]["shareOfTarget"]["value"] == "23.12"  # 89 / 385
    assert points[2020]["fulfilment"]["status"] == "NOT_MET"


async def test_comparable_figures_carry_the_canonical_segment(app_db: Database, settings: Settings) -> None:
    query = '{ comparableFigures(segment: "short-course") { contractYear segment segmentKey segmentName targetValue } }'
    data, _ = await run(app_db, settings, query)
    figures = {(f["contractYear"], f["segment"], f["segmentKey"]) for f in data["comparableFigures"]}
    assert {(2019, "korte forløb", "short-course"), (2020, "korte forløb/kontakter", "short-course")} <= figures
