"""Onboarding a region is data, not code: a sixth, fictional tenant (`testregion`, tests/data/new_tenant/) is
added to a copy of `tenants/` by files alone, loaded into a fresh database by `kkr serve --demo` (migrate, load,
serve, with TENANTS_DIR pointing at the copy) and served with the same isolation as the five regions.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.engine import URL

from kkr.platform.database import Database, TenantContext, app_url_for
from kkr.platform.models import TENANT_TABLES
from kkr.platform.settings import Settings

from .conftest import create_database, drop_database
from .mutation_helpers import gid
from .paths import REPO_ROOT
from .processes import serve_env, stop_process, wait_until_answering
from .tokens import bearer

KKR = Path(sys.executable).with_name("kkr")
FIXTURE = REPO_ROOT / "tests" / "data" / "new_tenant"
NEW = "testregion"
CONTRACT_TITLE = "Resultatkontrakt 2094 mellem KKR Testregion og Erhvervshus Testregion (testdata)"
READ = """{
  regions { slug }
  businessHub(slug: "testregion") { name regionSlug }
  resultContracts(first: 100) { totalCount nodes { id regionSlug title year goals { nodes { code title } } } }
  hubOffices(first: 100) { totalCount nodes { regionSlug town } }
  kkrMembers(first: 100) { totalCount nodes { regionSlug name } }
  growthTeams(first: 100) { totalCount nodes { regionSlug name } }
}"""
LISTS = ("resultContracts", "hubOffices", "kkrMembers", "growthTeams")


def onboard(original: Path, copy: Path) -> None:
    """What an operator does: append the fixture's national records, add the region's folder."""
    shutil.copytree(original, copy)
    for fragment in sorted((FIXTURE / "national").glob("*.yaml")):
        target = copy / "national" / fragment.name
        document = yaml.safe_load(target.read_text(encoding="utf-8"))
        for key, records in yaml.safe_load(fragment.read_text(encoding="utf-8")).items():
            document[key].extend(records)
        target.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    shutil.copytree(FIXTURE / NEW, copy / NEW)


@dataclass
class Served:
    base: str
    database: URL
    tenants: Path

    def read(self, *scopes: str) -> dict[str, Any]:
        response = httpx.post(f"{self.base}/graphql", json={"query": READ}, headers=bearer(*scopes), timeout=30)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    def query(self, query: str, *scopes: str) -> dict[str, Any]:
        response = httpx.post(f"{self.base}/graphql", json={"query": query}, headers=bearer(*scopes), timeout=30)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
async def database() -> AsyncIterator[URL]:
    url = await create_database("kkr_new_tenant")
    try:
        yield url
    finally:
        await drop_database(url)


@pytest.fixture(scope="module")
def served(settings: Settings, database: URL, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`kkr serve --demo` on the fresh database with TENANTS_DIR = the onboarded copy."""
    workdir = tmp_path_factory.mktemp("new-tenant")
    tenants = workdir / "tenants"
    onboard(settings.tenants_dir, tenants)
    port = _free_port()
    log = workdir / "serve.log"
    env = serve_env(settings, database, TENANTS_DIR=str(tenants))
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(KKR), "serve", "--demo", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_answering(proc, f"{base}/readyz", 90, lambda: log.read_text(errors="replace")[-4000:])
        yield Served(base, database, tenants)
    finally:
        stop_process(proc)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_new_region_is_only_files(settings: Settings, tmp_path: Path) -> None:
    """The fixture holds data files only; onboarding adds a folder and appends records, changing no record."""
    assert {p.suffix for p in FIXTURE.rglob("*") if p.is_file()} == {".yaml", ".md"}
    copy = tmp_path / "tenants"
    onboard(settings.tenants_dir, copy)
    added = {p.relative_to(copy) for p in copy.rglob("*")} - {
        p.relative_to(settings.tenants_dir) for p in settings.tenants_dir.rglob("*")
    }
    assert added == {Path(NEW) / p.relative_to(FIXTURE / NEW) for p in (FIXTURE / NEW).rglob("*")} | {Path(NEW)}
    for fragment in (FIXTURE / "national").glob("*.yaml"):
        before = yaml.safe_load((settings.tenants_dir / "national" / fragment.name).read_text(encoding="utf-8"))
        after = yaml.safe_load((copy / "national" / fragment.name).read_text(encoding="utf-8"))
        for key, records in yaml.safe_load(fragment.read_text(encoding="utf-8")).items():
            assert after[key] == before[key] + records  # the five regions' records untouched, the new ones after


def test_the_new_region_reads_its_own_hub_and_contract(served: Served) -> None:
    own = served.read(f"region:{NEW}:read")
    assert [r["slug"] for r in own["regions"]] == [
        "hovedstaden", "sjaelland", "syddanmark", "midtjylland", "nordjylland", NEW
    ]  # fmt: skip
    assert own["businessHub"] == {"name": "Erhvervshus Testregion (testdata)", "regionSlug": NEW}
    contracts = own["resultContracts"]
    assert contracts["totalCount"] == 1
    assert contracts["nodes"][0] | {"id": None} == {
        "id": None,
        "regionSlug": NEW,
        "title": CONTRACT_TITLE,
        "year": 2094,
        "goals": {"nodes": [{"code": "1", "title": "Flere testvirksomheder vejledt (testdata)"}]},
    }
    assert sorted(o["town"] for o in own["hubOffices"]["nodes"]) == ["Prøvekøbing", "Testby"]
    assert [m["name"] for m in own["kkrMembers"]["nodes"]] == ["Testa Testesen"]
    assert [t["name"] for t in own["growthTeams"]["nodes"]] == ["Vækstteam Testregion (testdata)"]


def test_the_new_region_sees_no_row_of_another_region(served: Served) -> None:
    own = served.read(f"region:{NEW}:read")
    for field in LISTS:
        assert {n["regionSlug"] for n in own[field]["nodes"]} == {NEW}, field
        assert own[field]["totalCount"] == len(own[field]["nodes"]), field
    for region in ("nordjylland", "sjaelland"):
        asked = served.query(f'{{ resultContracts(region: "{region}") {{ totalCount }} }}', f"region:{NEW}:read")
        assert "errors" not in asked and asked["data"] == {"resultContracts": {"totalCount": 0}}, asked


def test_another_region_does_not_see_the_new_regions_rows(served: Served) -> None:
    nordjylland = served.read("region:nordjylland:read")
    assert nordjylland["resultContracts"]["totalCount"] >= 2  # its own demo contracts (2020, 2021)
    for field in LISTS:
        assert {n["regionSlug"] for n in nordjylland[field]["nodes"]} == {"nordjylland"}, field
    contract_id = served.read(f"region:{NEW}:read")["resultContracts"]["nodes"][0]["id"]
    by_id = f'{{ node(id: "{contract_id}") {{ id }} }}'
    assert served.query(by_id, f"region:{NEW}:read")["data"] == {"node": {"id": contract_id}}
    assert served.query(by_id, "region:nordjylland:read")["data"] == {"node": None}


async def test_row_level_security_keeps_the_new_tenants_rows_to_itself(served: Served, settings: Settings) -> None:
    """In PostgreSQL, as the API's role: per tenant table, what each tenant's context sees."""
    db = Database(app_url_for(served.database, settings.app_db_role), pool_size=1)
    try:

        async def seen(tenant: str) -> dict[str, set[str]]:
            async with db.transaction(TenantContext.for_tenant(tenant, write=False, actor="test")) as session:
                return {
                    table: set((await session.execute(text(f'SELECT DISTINCT tenant_id FROM "{table}"'))).scalars())
                    for table in TENANT_TABLES
                }

        new, nordjylland = await seen(NEW), await seen("nordjylland")
    finally:
        await db.dispose()
    assert all(tenants <= {NEW} for tenants in new.values()), new
    assert {t for t, tenants in new.items() if tenants} >= {
        "result_contract", "goal", "indicator", "target", "result", "hub_office", "hub_board_member",
        "kkr_member", "growth_team", "growth_team_member", "audit_event",
    }  # fmt: skip
    assert all(NEW not in tenants for tenants in nordjylland.values()), nordjylland


def test_the_new_regions_editors_write_its_rows_and_no_one_elses(served: Served) -> None:
    """A write token of the new region creates its contracts; a nordjylland editor cannot, and vice versa."""
    create = """mutation($input: CreateResultContractInput!) {
      createResultContract(input: $input) { resultContract { regionSlug year } errors { field code } }
    }"""

    def created(hub: str, *scopes: str) -> dict[str, Any]:
        variables = {"input": {"businessHubId": gid("BusinessHub", hub), "year": 2095, "title": f"Testkontrakt {hub}"}}
        response = httpx.post(
            f"{served.base}/graphql", json={"query": create, "variables": variables}, headers=bearer(*scopes)
        )
        assert response.status_code == 200, response.text
        assert "errors" not in response.json(), response.text
        return response.json()["data"]["createResultContract"]

    assert created(NEW, f"region:{NEW}:write") == {
        "resultContract": {"regionSlug": NEW, "year": 2095},
        "errors": [],
    }
    forbidden = {"resultContract": None, "errors": [{"field": ["input", "businessHubId"], "code": "FORBIDDEN"}]}
    assert created(NEW, "region:nordjylland:write") == forbidden
    assert created("nordjylland", f"region:{NEW}:write") == forbidden
    assert [n for n in served.read("region:nordjylland:read")["resultContracts"]["nodes"] if n["year"] == 2095] == []
    assert [n["year"] for n in served.read(f"region:{NEW}:read")["resultContracts"]["nodes"]] == [2095, 2094]
