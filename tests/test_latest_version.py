"""The latest-version rule of result contracts is one rule: every read path gives the same answer.

Demo data: Sjælland's 2021 contract has versions 1 and 2; every path shows version 2 alone unless all
versions are asked for.  The SQL text the aggregate functions use (migration 0002) is the rule's text."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from kkr.platform.models import ResultContract
from kkr.platform.models.contracts import LATEST_VERSION_SQL
from kkr.schema.contracts.versions import is_latest_version

from .api_client import NORDJYLLAND_READ, SJAELLAND_READ, gql

pytestmark = pytest.mark.usefixtures("demo_data")

READERS = (SJAELLAND_READ, NORDJYLLAND_READ)
Key = tuple[str, str, int, int]  # region, hub, year, version


def _keys(contracts: list[dict[str, Any]]) -> set[Key]:
    return {(c["regionSlug"], c["businessHubSlug"], c["year"], c["version"]) for c in contracts}


CONTRACT = "regionSlug businessHubSlug year version"


def _root_list(client: httpx.Client, all_versions: bool) -> set[Key]:
    query = f"query($all: Boolean!) {{ resultContracts(allVersions: $all, first: 100) {{ nodes {{ {CONTRACT} }} }} }}"
    return _keys(gql(client, query, {"all": all_versions}, *READERS)["resultContracts"]["nodes"])


def _region_lists(client: httpx.Client) -> set[Key]:
    query = f"{{ regions {{ resultContracts(first: 100) {{ nodes {{ {CONTRACT} }} }} }} }}"
    regions = gql(client, query, None, *READERS)["regions"]
    return _keys([c for r in regions for c in r["resultContracts"]["nodes"]])


def _hub_lists(client: httpx.Client) -> set[Key]:
    query = f"{{ businessHubs(first: 100) {{ nodes {{ resultContracts(first: 100) {{ nodes {{ {CONTRACT} }} }} }} }} }}"
    hubs = gql(client, query, None, *READERS)["businessHubs"]["nodes"]
    return _keys([c for h in hubs for c in h["resultContracts"]["nodes"]])


def _goal_contracts(client: httpx.Client) -> set[Key]:
    query = f"{{ goals(first: 100) {{ nodes {{ contract {{ {CONTRACT} }} }} }} }}"
    goals = gql(client, query, None, *READERS)["goals"]["nodes"]
    return _keys([g["contract"] for g in goals if g["contract"] is not None])


def _single_look_ups(client: httpx.Client, keys: set[Key]) -> set[Key]:
    query = f"query($hub: String!, $year: Int!) {{ resultContract(businessHub: $hub, year: $year) {{ {CONTRACT} }} }}"
    found = [
        gql(client, query, {"hub": hub, "year": year}, *READERS)["resultContract"] for _, hub, year, _ in sorted(keys)
    ]
    return _keys(found)


def test_every_read_path_shows_the_same_latest_versions(client: httpx.Client) -> None:
    every = _root_list(client, all_versions=True)
    latest = _root_list(client, all_versions=False)
    assert ("sjaelland", "sjaelland", 2021, 2) in latest
    assert ("sjaelland", "sjaelland", 2021, 1) in every - latest  # superseded: only with allVersions
    assert latest == {
        k for k in every if not any(o[:3] == k[:3] and o[3] > k[3] for o in every)
    }  # the rule itself: no higher version of the same region, hub and year
    assert _region_lists(client) == latest
    assert _hub_lists(client) == latest
    assert _single_look_ups(client, latest) == latest
    assert _goal_contracts(client) <= latest and _goal_contracts(client)


def test_published_contracts_are_latest_versions(client: httpx.Client) -> None:
    latest = _root_list(client, all_versions=False)
    published = gql(client, "{ publishedContracts { region businessHub year version } }", None, *READERS)
    keys = {(c["region"], c["businessHub"], c["year"], c["version"]) for c in published["publishedContracts"]}
    assert keys and keys <= latest


def test_the_sql_text_of_the_aggregates_is_the_rule() -> None:
    from kkr import migrations

    path = Path(next(iter(migrations.__path__))) / "versions" / "0002_auth.py"
    spec = importlib.util.spec_from_file_location("migration_0002", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.LATEST_VERSION == LATEST_VERSION_SQL


async def test_the_sql_text_and_the_expression_choose_the_same_rows(owner_engine: AsyncEngine) -> None:
    c = ResultContract
    async with owner_engine.connect() as conn:
        by_expression = set((await conn.execute(select(c.id).where(is_latest_version()))).scalars())
        by_text = set(
            (await conn.execute(text(f"SELECT c.id FROM result_contract c WHERE {LATEST_VERSION_SQL}"))).scalars()
        )
        every = set((await conn.execute(select(c.id))).scalars())
    assert by_expression == by_text
    assert by_expression < every  # demo data has superseded versions
