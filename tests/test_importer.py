"""The demo-data importer: Danish numbers, idempotent loading, and refusal of broken files
with errors that name file, record and field while the database stays as it was."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from kkr.platform.importer.load import load
from kkr.platform.importer.numbers import parse_danish_number
from kkr.platform.importer.records import InvalidData
from kkr.platform.models import Base
from kkr.platform.settings import REPO_ROOT

from .conftest import create_database, drop_database

from kkr.platform import migrate


@pytest.mark.parametrize(
    ("printed", "value"),
    [("1.445.162", Decimal("1445162")), ("6,04", Decimal("6.04")), ("2,60", Decimal("2.60")),
     ("44.440", Decimal("44440")), ("−70", Decimal("-70")), ("0,7", Decimal("0.7")), ("600", Decimal(600))],
)
def test_danish_numbers_are_read_as_printed(printed: str, value: Decimal) -> None:
    assert parse_danish_number(printed) == value


@pytest.mark.parametrize("printed", ["12.5", "6.04", "1,2,3", "1.44", "abc", "", "5 5"])
def test_ambiguous_or_malformed_numbers_are_refused(printed: str) -> None:
    with pytest.raises(ValueError, match="Danish format"):
        parse_danish_number(printed)


@pytest.fixture
async def empty_db():  # noqa: ANN201
    url = await create_database("kkr_import")
    await migrate.upgrade(url)
    yield url
    await drop_database(url)


async def snapshot(url) -> dict[str, int]:  # noqa: ANN001
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        counts = {
            t: (await conn.execute(text(f'SELECT count(*) FROM "{t}"'))).scalar()
            for t in Base.metadata.tables
        }
        counts["row versions"] = (await conn.execute(text(
            "SELECT coalesce(sum(row_version), 0) FROM result_contract"))).scalar()
    await engine.dispose()
    return counts


async def test_loading_twice_changes_nothing(empty_db) -> None:  # noqa: ANN001
    first = await load(empty_db, REPO_ROOT / "tenants")
    assert first.changed > 0
    before = await snapshot(empty_db)
    assert before["municipality"] == 98 and before["region"] == 5 and before["business_hub"] == 6
    second = await load(empty_db, REPO_ROOT / "tenants")
    assert second.changed == 0, second.lines()
    assert await snapshot(empty_db) == before  # audit_event included: no write happened at all


def broken_copy(tmp_path: Path) -> Path:
    root = tmp_path / "tenants"
    shutil.copytree(REPO_ROOT / "tenants", root)
    return root


def edit(path: Path, change) -> None:  # noqa: ANN001
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")


def first_target(document: dict) -> dict:
    for goal in document["contract"]["goals"]:
        for indicator in goal.get("indicators", []):
            for target in indicator.get("targets", []):
                return target
    raise AssertionError("no target in the contract")


CONTRACT = "sjaelland/contracts/2019-sjaelland.yaml"


@pytest.mark.parametrize(
    ("file", "change", "expected"),
    [
        ("sjaelland/council.yaml", lambda d: d["kkr_members"][0].update(municipality="999"),
         "tenants/sjaelland/council.yaml: record 1 (Niels Hörup): field 'municipality': unknown kommunekode '999'"),
        (CONTRACT, lambda d: first_target(d).pop("unit"), "field 'unit': is required"),
        (CONTRACT, lambda d: first_target(d).update(value="12.5"), "'12.5' is not a number in Danish format"),
        (CONTRACT, lambda d: d["contract"]["goals"][0].update(national_goal={"agreement": "2019-2020", "code": "99"}),
         "field 'code': no national goal '99' in framework agreement '2019-2020'"),
        (CONTRACT, lambda d: d["contract"].update(hub="atlantis"), "field 'hub': unknown business hub 'atlantis'"),
        (CONTRACT, lambda d: d["contract"].update(hub="nordjylland"),
         "hub 'nordjylland' belongs to region 'nordjylland', not to this tenant 'sjaelland'"),
    ],
    ids=["unknown-kommunekode", "target-without-unit", "malformed-number", "goal-to-missing-national-goal",
         "contract-to-missing-hub", "contract-of-another-tenant"],
)
async def test_broken_files_are_refused_and_nothing_is_written(
    empty_db, tmp_path: Path, file: str, change, expected: str  # noqa: ANN001
) -> None:
    await load(empty_db, REPO_ROOT / "tenants")
    before = await snapshot(empty_db)
    root = broken_copy(tmp_path)
    edit(root / file, change)
    with pytest.raises(InvalidData) as caught:
        await load(empty_db, root)
    messages = [str(e) for e in caught.value.errors]
    assert any(expected in m and f"tenants/{file}" in m for m in messages), messages
    assert await snapshot(empty_db) == before


async def test_a_failure_while_writing_rolls_the_whole_scope_back(empty_db, tmp_path: Path) -> None:  # noqa: ANN001
    root = broken_copy(tmp_path)
    # Valid for the validator, refused by the database (municipality names are unique).
    edit(root / "national/municipalities.yaml", lambda d: d["municipalities"][1].update(name=d["municipalities"][0]["name"]))
    before = await snapshot(empty_db)
    with pytest.raises(IntegrityError):
        await load(empty_db, root)
    assert await snapshot(empty_db) == before
