"""The demo-data importer: Danish numbers, idempotent loading, and refusal of broken files
with errors that name file, record and field while the database stays as it was."""

from __future__ import annotations

import re
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from kkr.platform import migrate
from kkr.platform.importer.load import TENANT_MODELS, load, read_all
from kkr.platform.importer.numbers import parse_danish_number
from kkr.platform.importer.records import InvalidData
from kkr.platform.models import TENANT_TABLES, Base
from kkr.platform.models.figures import MEASURE_UNITS

from .conftest import create_database, drop_database, require
from .paths import REPO_ROOT


@pytest.mark.parametrize(
    ("printed", "value"),
    [
        ("1.445.162", Decimal("1445162")),
        ("6,04", Decimal("6.04")),
        ("2,60", Decimal("2.60")),
        ("44.440", Decimal("44440")),
        ("−70", Decimal("-70")),
        ("0,7", Decimal("0.7")),
        ("600", Decimal(600)),
    ],
)
def test_danish_numbers_are_read_as_printed(printed: str, value: Decimal) -> None:
    assert parse_danish_number(printed) == value


@pytest.mark.parametrize(
    "printed",
    ["12.5", "6.04", "1,2,3", "1.44", "abc", "", "5 5", ".600", ",5", ".1.445", "-,5", "+-5", "1.445,", "6,04 %"],
)
def test_ambiguous_or_malformed_numbers_are_refused(printed: str) -> None:
    with pytest.raises(ValueError, match="Danish format"):
        parse_danish_number(printed)


@pytest.fixture
async def empty_db():
    url = await create_database("kkr_import")
    await migrate.upgrade(url)
    yield url
    await drop_database(url)


async def snapshot(url) -> dict[str, tuple[int, str]]:
    """Every table's row count and a hash of its whole content (read as the owner)."""
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        tables = {
            t: tuple(
                (
                    await conn.execute(
                        text(
                            f"SELECT count(*), md5(coalesce(string_agg(x::text, chr(10) ORDER BY x::text), '')) FROM \"{t}\" x"
                        )
                    )
                ).one()
            )
            for t in Base.metadata.tables
        }
    await engine.dispose()
    return tables


async def test_loading_twice_changes_nothing(empty_db) -> None:
    first = await load(empty_db, REPO_ROOT / "tenants")
    assert first.changed > 0
    before = await snapshot(empty_db)
    assert before["municipality"][0] == 98 and before["region"][0] == 5 and before["business_hub"][0] == 6
    assert before["municipality_figure"][0] == 62 and before["printed_total"][0] == 5
    assert before["segment"][0] > 0 and before["segment_spelling"][0] > 0 and before["goal_lineage_member"][0] > 0
    second = await load(empty_db, REPO_ROOT / "tenants")
    assert second.changed == 0, second.lines()
    assert await snapshot(empty_db) == before  # every table's content, the audit trail included


def broken_copy(tmp_path: Path) -> Path:
    root = tmp_path / "tenants"
    shutil.copytree(REPO_ROOT / "tenants", root)
    return root


def edit(path: Path, change) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")


def first_target(document: dict[str, Any]) -> dict[str, Any]:
    for goal in document["contract"]["goals"]:
        for indicator in goal.get("indicators", []):
            for target in indicator.get("targets", []):
                return target
    raise AssertionError("no target in the contract")


def first_target_with_value(document: dict[str, Any]) -> dict[str, Any]:
    for goal in document["contract"]["goals"]:
        for indicator in goal.get("indicators", []):
            for target in indicator.get("targets", []):
                if "value" in target:
                    return target
    raise AssertionError("no target with a value in the contract")


CONTRACT = "sjaelland/contracts/2019-sjaelland.yaml"


GOAL_1 = "contract > goal 1"
#: file, change (None: delete the file), the error expected for that file
CASES = [
    (
        "sjaelland/council.yaml",
        lambda d: d["kkr_members"][0].update(municipality="999"),
        "record 1 (Niels Hörup): field 'municipality': unknown kommunekode '999'",
    ),
    (
        CONTRACT,
        lambda d: first_target(d).pop("unit"),
        f"{GOAL_1} > indicator[0] > target[0]: field 'unit': is required",
    ),
    (
        CONTRACT,
        lambda d: first_target(d).update(value="12.5"),
        f"{GOAL_1} > indicator[0] > target[0]: field 'value': '12.5' is not a number in Danish format",
    ),
    (
        CONTRACT,
        lambda d: first_target(d).update(value=".600"),
        f"{GOAL_1} > indicator[0] > target[0]: field 'value': '.600' is not a number in Danish format",
    ),
    (
        CONTRACT,
        lambda d: d["contract"]["goals"][0].update(national_goal={"agreement": "1999-2000", "code": "1"}),
        f"{GOAL_1} > national_goal: field 'agreement': unknown framework agreement '1999-2000'",
    ),
    (
        CONTRACT,
        lambda d: d["contract"]["goals"][0].update(national_goal={"agreement": "2019-2020", "code": "99"}),
        f"{GOAL_1} > national_goal: field 'code': no national goal '99' in framework agreement '2019-2020'",
    ),
    (
        "sjaelland/contracts/2021-sjaelland-v1.yaml",
        None,
        "contract: field 'version': version 2 supersedes version 1 of contract sjaelland 2021,"
        " which no file of this region holds",
    ),
    (
        CONTRACT,
        lambda d: first_target_with_value(d).pop("source"),
        f"{GOAL_1} > indicator[1] > target[0]: field 'source': is required for a record with figures (value)",
    ),
    (
        CONTRACT,
        lambda d: first_target(d)["source"].update(lines="3880-3890"),
        f"{GOAL_1} > indicator[0] > target[0] > source: field 'lines': the range '3880-3890' ends after the seed"
        " file's last line (3888)",
    ),
    (
        CONTRACT,
        lambda d: first_target(d)["source"].update(lines="261-253"),
        f"{GOAL_1} > indicator[0] > target[0] > source: field 'lines': the range '261-253' does not run forwards",
    ),
    (
        CONTRACT,
        lambda d: d["contract"]["goals"][2]["indicators"][0]["targets"][0]["partial"].update(threshold=70),
        "contract > goal 3 > indicator[0] > target[0] > partial: field 'threshold': must be below the value 60",
    ),
    (
        "nordjylland/climate.yaml",
        lambda d: d["climate_initiatives"][0]["targets"][0].update(comparator="range"),
        "record 1 (faelles-nordjysk-klimaambition) > target[0]: field 'comparator': A climate target has a single value",
    ),
    (
        CONTRACT,
        lambda d: d["contract"].update(hub="atlantis"),
        "contract: field 'hub': unknown business hub 'atlantis'",
    ),
    (
        CONTRACT,
        lambda d: d["contract"].update(hub="nordjylland"),
        "contract: field 'hub': hub 'nordjylland' belongs to region 'nordjylland', not to this tenant",
    ),
]
FIGURES = "national/municipality_figures.yaml"
LINEAGES = "national/goal_lineages.yaml"
FIGURE_1 = "record 1 (dut-key 2019 253)"
CASES += [
    (
        CONTRACT,
        lambda d: first_target(d).update(segment="korte forløbene"),
        f"{GOAL_1} > indicator[0] > target[0]: field 'segment': 'korte forløbene' is not a printed spelling of any"
        " segment in national/segments.yaml",
    ),
    (
        "national/framework_agreements.yaml",
        lambda d: d["framework_agreements"][1]["national_goals"][2]["targets"][0].update(segment="driften"),
        "record 2 (2021-2023) > national goal 3 > target[0]: field 'segment': 'driften' is not a printed spelling",
    ),
    (
        "national/segments.yaml",
        lambda d: d["segments"][0]["spellings"][0].pop("source"),
        "record 1 (short-course) > spelling[0]: field 'source': is required: where this spelling is printed",
    ),
    (
        "national/segments.yaml",
        lambda d: d["segments"][1]["spellings"].append(
            {"printed": "korte forløb", "source": {"doc": "seed-002", "lines": "267"}}
        ),
        "record 2 (long-course) > spelling[1]: field 'printed': 'korte forløb' is already a spelling of segment"
        " 'short-course'",
    ),
    (
        FIGURES,
        lambda d: d["figures"][0].pop("source"),
        f"{FIGURE_1}: field 'source': is required for a record with figures (value)",
    ),
    (
        FIGURES,
        lambda d: d["figures"][0].update(municipality="999"),
        "record 1 (dut-key 2019 999): field 'municipality': unknown municipality (kommunekode) '999'",
    ),
    (
        FIGURES,
        lambda d: d["figures"][0].update(name="Køge"),
        f"{FIGURE_1}: field 'name': 'Køge' is not a name or alias of municipality 253",
    ),
    (
        FIGURES,
        lambda d: d["figures"][0].update(measure="tax-base"),
        "record 1 (tax-base 2019 253): field 'measure': unknown municipality measure 'tax-base'",
    ),
    (
        FIGURES,
        lambda d: d["figures"][-1].update(scale="1000"),
        "field 'scale': '1000' is not one of: 1, 1.000, 1.000.000",
    ),
    (
        FIGURES,
        lambda d: d["printed_totals"][1].update(hub="sjaelland"),
        "record 2 (dut-key 2019 sjaelland sjaelland): field 'region': a printed total belongs to exactly one region",
    ),
    (
        LINEAGES,
        lambda d: d["goal_lineages"][0]["members"][2].update(goal="99"),
        "record 1 (satisfaction-nps) > member[2]: field 'goal': no contract goal '99' in a 2019 contract of sjaelland",
    ),
    (
        LINEAGES,
        lambda d: d["goal_lineages"][0]["members"][5].update(indicator="NPS i alt"),
        "record 1 (satisfaction-nps) > member[5]: field 'indicator': goal '3' of the 2021 sjaelland contract has no"
        " indicator 'NPS i alt'",
    ),
    (
        LINEAGES,
        lambda d: d["goal_lineages"][0]["members"][1].update(indicator="NPS"),
        "record 1 (satisfaction-nps) > member[1]: field 'indicator': national goal '3' of '2021-2023' has no target"
        " measure 'NPS'",
    ),
    (
        LINEAGES,
        lambda d: d["goal_lineages"][0].pop("source"),
        "record 1 (satisfaction-nps): field 'source': is required: the lines that show the goals measure the same",
    ),
]
CASE_IDS = [
    "unknown-kommunekode",
    "target-without-unit",
    "malformed-number",
    "malformed-number-leading-point",
    "goal-to-missing-framework-agreement",
    "goal-to-missing-national-goal",
    "contract-to-missing-version",
    "figure-without-source",
    "source-beyond-the-seed-file",
    "source-range-backwards",
    "partial-rule-that-never-fires",
    "climate-target-range",
    "contract-to-missing-hub",
    "contract-of-another-tenant",
    "unknown-segment-spelling",
    "unknown-national-target-segment",
    "spelling-without-source",
    "spelling-of-two-segments",
    "municipality-figure-without-source",
    "figure-of-unknown-municipality",
    "figure-name-of-another-municipality",
    "figure-of-unknown-measure",
    "figure-in-unknown-scale",
    "printed-total-of-region-and-hub",
    "lineage-to-missing-contract-goal",
    "lineage-to-missing-indicator",
    "lineage-to-missing-national-measure",
    "lineage-without-source",
]
ERROR_FILE = {"sjaelland/contracts/2021-sjaelland-v1.yaml": "sjaelland/contracts/2021-sjaelland.yaml"}


def rename_first_growth_team(document: dict[str, Any]) -> None:
    document["growth_teams"][0]["name"] += " (changed)"


@pytest.mark.parametrize(("file", "change", "expected"), CASES, ids=CASE_IDS)
async def test_broken_files_are_refused_and_nothing_is_written(
    empty_db,
    tmp_path: Path,
    file: str,
    change,
    expected: str,
) -> None:
    await load(empty_db, REPO_ROOT / "tenants")
    before = await snapshot(empty_db)
    root = broken_copy(tmp_path)
    # A valid change in the same region and one in another: neither may be written either.
    edit(root / "sjaelland/growth_teams.yaml", rename_first_growth_team)
    edit(root / "nordjylland/growth_teams.yaml", rename_first_growth_team)
    if change is None:
        (root / file).unlink()
    else:
        edit(root / file, change)
    with pytest.raises(InvalidData) as caught:
        await load(empty_db, root)
    messages = [str(e) for e in caught.value.errors]
    prefix = f"tenants/{ERROR_FILE.get(file, file)}: "
    assert any(m.startswith(prefix) and expected in m for m in messages), messages
    assert await snapshot(empty_db) == before


async def test_a_failure_while_writing_rolls_the_whole_scope_back(empty_db, tmp_path: Path) -> None:
    root = broken_copy(tmp_path)
    # Valid for the validator, refused by the database (municipality names are unique).
    edit(
        root / "national/municipalities.yaml",
        lambda d: d["municipalities"][1].update(name=d["municipalities"][0]["name"]),
    )
    before = await snapshot(empty_db)
    with pytest.raises(IntegrityError):
        await load(empty_db, root)
    assert await snapshot(empty_db) == before


SEEDS = REPO_ROOT.parent / "shared" / "seeds"


def test_line_counts_in_sources_match_the_seed_files() -> None:
    # CI lays the seed papers beside the checkout; only a developer's checkout without them skips
    require(SEEDS.is_dir(), "the seed papers (../shared/seeds) are not beside this checkout")
    sources = yaml.safe_load((REPO_ROOT / "tenants/national/sources.yaml").read_text(encoding="utf-8"))["sources"]
    for source in (s for s in sources if s.get("file")):
        text = (SEEDS / source["file"]).read_text(encoding="utf-8")
        assert source["line_count"] == len(text.splitlines()), source["key"]


async def test_reference_rows_removed_from_the_files_are_removed(empty_db, tmp_path: Path) -> None:
    await load(empty_db, REPO_ROOT / "tenants")
    root = broken_copy(tmp_path)
    edit(root / "national/municipality_figures.yaml", lambda d: d["figures"].pop(0))
    edit(root / "national/goal_lineages.yaml", lambda d: d["goal_lineages"].pop())
    summary = await load(empty_db, root)
    assert summary.counts["municipality_figure"]["deleted"] == 1
    assert summary.counts["goal_lineage"]["deleted"] == 1 and summary.counts["goal_lineage_member"]["deleted"] >= 1
    after = await snapshot(empty_db)
    assert after["municipality_figure"][0] == 61
    assert (await load(empty_db, root)).changed == 0


def test_a_file_holding_several_lists_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """municipality_figures.yaml holds three lists (measures, figures, printed totals): parsed once, one error
    when it is not YAML, listed once among the files read."""
    root = broken_copy(tmp_path)
    parsed: list[str] = []
    safe_load = yaml.safe_load

    def counting(stream: str) -> Any:
        parsed.append(stream[:40])
        return safe_load(stream)

    monkeypatch.setattr(yaml, "safe_load", counting)
    plan = read_all(root)
    figures = "tenants/national/municipality_figures.yaml"
    assert plan.files.count(figures) == 1
    assert len(parsed) == len(plan.files)  # every file parsed exactly once
    (root / "national" / "municipality_figures.yaml").write_text("measures: [unclosed\n", encoding="utf-8")
    with pytest.raises(InvalidData) as refused:
        read_all(root)
    [error] = [e for e in refused.value.errors if e.file == figures]  # once, not once per list
    assert "not valid YAML" in error.message


def test_the_importer_writes_every_tenant_table_but_the_audit_trail_parents_first() -> None:
    names = [m.__tablename__ for m in TENANT_MODELS]
    assert set(names) == set(TENANT_TABLES) - {"audit_event"}
    assert names.index("result_contract") < names.index("goal") < names.index("indicator") < names.index("target")
    assert names.index("target") < names.index("result") and names.index("growth_team") < names.index(
        "growth_team_member"
    )


async def test_measure_units_are_the_models_and_the_databases(tmp_path: Path, owner_engine: AsyncEngine) -> None:
    """The importer checks a measure's unit against `models.figures.MEASURE_UNITS`, the list the check
    constraint is built from (migration 0007 created the same constraint)."""
    async with owner_engine.connect() as conn:
        constraint = (
            await conn.execute(
                text(
                    "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'ck_municipality_measure_unit'"
                )
            )
        ).scalar_one()
    assert sorted(re.findall(r"'(\w+)'", constraint)) == sorted(u.value for u in MEASURE_UNITS)
    root = broken_copy(tmp_path)
    edit(root / "national" / "municipality_figures.yaml", lambda d: d["measures"][0].update(unit="nps"))
    with pytest.raises(InvalidData, match="'nps' is not one of: dkk, percent, count"):
        read_all(root)
