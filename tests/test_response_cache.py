"""The response cache (platform/response_cache.py): reused answers, never stale, never another scope's.

In-process tests run the real application (Starlette's TestClient, its own pool on the suite's database)
and count the statements its engine sends; `test_response_cache_processes.py` covers several worker
processes and instances.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.testclient import TestClient

from kkr.platform.app import create_app
from kkr.platform.response_cache import CACHE_HEADER
from kkr.platform.settings import Settings

from .mutation_helpers import SJ_WRITE, gid, mutate, ok
from .tokens import bearer

TEAMS = "query Teams { growthTeams { totalCount nodes { name geography } } }"
SJ_READ = ("region:sjaelland:read",)
NJ_READ = ("region:nordjylland:read",)


class CountingClient:
    """A TestClient on the real application that counts the SQL statements of each request: every statement
    its connections send, through SQLAlchemy or straight on asyncpg (`database.fetch_row`), BEGIN included
    (asyncpg's query logger on each connection of the application's pool)."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.statements: list[str] = []
        engine = client.app.state.db.engine.sync_engine  # type: ignore[attr-defined]
        engine.pool.dispose()  # connections opened at start-up have no logger
        event.listen(engine, "connect", self._log_queries)

    def _log_queries(self, dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(lambda query: self.statements.append(query.query))

    def post(
        self, query: str, variables: dict[str, Any] | None = None, *scopes: str, subject: str = "test-user"
    ) -> tuple[str | None, dict[str, Any], int]:
        """(X-Cache header, body, statements sent for this request)."""
        before = len(self.statements)
        headers = bearer(*scopes, subject=subject) if scopes else {}
        body = json.dumps({"query": query, "variables": variables or {}})  # ASCII: lone surrogates escaped
        response = self.client.post("/graphql", content=body, headers={**headers, "Content-Type": "application/json"})
        assert response.status_code == 200, response.text
        return response.headers.get(CACHE_HEADER), response.json(), len(self.statements) - before


def _client(settings: Settings, **changes: Any) -> Iterator[CountingClient]:
    with TestClient(create_app(settings.model_copy(update=changes))) as client:
        yield CountingClient(client)


@pytest.fixture
def app(settings: Settings, demo_data: Any) -> Iterator[CountingClient]:
    yield from _client(settings)


@pytest.fixture
def uncached(settings: Settings, demo_data: Any) -> Iterator[CountingClient]:
    yield from _client(settings, response_cache_enabled=False)


def test_a_repeated_read_is_answered_from_the_cache_with_one_statement(app: CountingClient) -> None:
    first = app.post(TEAMS, None, *SJ_READ)
    again = app.post(TEAMS, None, *SJ_READ)
    assert first[0] == "miss" and again[0] == "hit"
    same = json.dumps({"query": TEAMS, "variables": {}})  # the request as sent, byte for byte, is the key
    for accept in ("application/graphql-response+json", "application/json"):
        response = app.client.post(
            "/graphql", content=same, headers={**bearer(*SJ_READ), "Accept": accept, "Content-Type": "application/json"}
        )
        assert (response.headers[CACHE_HEADER], response.headers["content-type"].split(";")[0]) == ("hit", accept)
        assert response.json() == first[1]
    assert app.client.get("/graphql", params={"query": TEAMS}, headers=bearer(*SJ_READ)).headers[CACHE_HEADER] == "miss"
    get = app.client.get("/graphql", params={"query": TEAMS}, headers=bearer(*SJ_READ))
    assert (get.headers[CACHE_HEADER], get.json()) == ("hit", first[1])
    assert again[1] == first[1] and "errors" not in first[1]
    assert first[2] > 1
    assert again[2] == 1, "a hit counts the request against its rate limit and reads the data versions"
    assert "kkr_rate_limit" in app.statements[-1] and "data_version" in app.statements[-1]
    # Other variables, operation name or document: another answer.
    assert app.post(TEAMS, {"unused": 1}, *SJ_READ)[0] == "miss"
    assert app.post(TEAMS.replace("geography", "geography name"), None, *SJ_READ)[0] == "miss"


def test_a_write_through_the_api_is_seen_by_the_next_read(app: CountingClient) -> None:
    before = app.post(TEAMS, None, *SJ_READ)
    assert app.post(TEAMS, None, *SJ_READ)[0] == "hit"
    team = ok(
        mutate(
            app.client,
            "createGrowthTeam",
            {
                "regionId": gid("Region", "sjaelland"),
                "name": "Cache-test vækstteam",
                "geography": "Sorø",
            },
            "growthTeam { id rowVersion }",
        ),
        "growthTeam",
    )
    cache, after, _ = app.post(TEAMS, None, *SJ_READ)
    assert cache == "miss"
    assert after["data"]["growthTeams"]["totalCount"] == before[1]["data"]["growthTeams"]["totalCount"] + 1
    assert {"name": "Cache-test vækstteam", "geography": "Sorø"} in after["data"]["growthTeams"]["nodes"]
    ok(
        mutate(
            app.client,
            "updateGrowthTeam",
            {"id": team["id"], "rowVersion": 1, "geography": "Ringsted"},
            "growthTeam { id }",
        ),
        "growthTeam",
    )
    assert {"name": "Cache-test vækstteam", "geography": "Ringsted"} in app.post(TEAMS, None, *SJ_READ)[1]["data"][
        "growthTeams"
    ]["nodes"]
    ok(
        mutate(
            app.client,
            "deleteGrowthTeam",
            {"id": team["id"], "rowVersion": 2},
            "deletedId",
            input_type="DeleteInput",
        ),
        "deletedId",
    )
    assert app.post(TEAMS, None, *SJ_READ)[1] == before[1]


async def test_a_write_outside_the_api_is_seen_too(app: CountingClient, owner_engine: AsyncEngine) -> None:
    """The importer, an operator's SQL, another application: the triggers see every committed write."""
    query = '{ region(slug: "sjaelland") { name } }'
    assert app.post(query, None, *SJ_READ)[1]["data"]["region"]["name"] == "Sjælland"
    assert app.post(query, None, *SJ_READ)[0] == "hit"
    try:
        async with owner_engine.begin() as conn:
            await conn.execute(text("UPDATE region SET name = 'Sjælland (renamed)' WHERE slug = 'sjaelland'"))
        assert app.post(query, None, *SJ_READ)[1]["data"]["region"]["name"] == "Sjælland (renamed)"
        async with owner_engine.begin() as conn:  # also when a tool loads data in replica mode
            await conn.execute(text("SET LOCAL session_replication_role = replica"))
            await conn.execute(text("UPDATE region SET name = 'Sjælland (replica)' WHERE slug = 'sjaelland'"))
        assert app.post(query, None, *SJ_READ)[1]["data"]["region"]["name"] == "Sjælland (replica)"
    finally:
        async with owner_engine.begin() as conn:
            await conn.execute(text("UPDATE region SET name = 'Sjælland' WHERE slug = 'sjaelland'"))
    assert app.post(query, None, *SJ_READ)[1]["data"]["region"]["name"] == "Sjælland"


SCOPES: dict[str, tuple[str, ...]] = {
    "sjaelland reader": SJ_READ,
    "sjaelland editor": SJ_WRITE,
    "nordjylland reader": NJ_READ,
    "both regions": SJ_READ + NJ_READ,
    "KL": ("benchmark:read",),
    "ministry": ("aggregates:read",),
    "anonymous": (),
}
#: Documents every caller may send (the first two answer each without errors); answers differ by scope.
INTROSPECTION = "{ __schema { queryType { fields { name } } } }"
VIEWER = "{ viewer { readableRegions writableRegions } }"
REGIONAL = '{ growthTeams { totalCount nodes { name } } region(slug: "sjaelland") { resultContracts { totalCount } } }'


@pytest.mark.parametrize("document", [INTROSPECTION, VIEWER, REGIONAL], ids=["introspection", "viewer", "regional"])
def test_a_caller_never_gets_the_cached_answer_of_another_scope(
    app: CountingClient, uncached: CountingClient, document: str
) -> None:
    """Each scope in turn sends the same document after all the others have it cached: it gets a miss, and
    exactly the answer computed for it without any cache."""
    for name, scopes in SCOPES.items():
        cache, body, _ = app.post(document, None, *scopes)
        assert cache in ("miss", None), f"{name} got another scope's cached answer"
        assert body == uncached.post(document, None, *scopes)[1], name
    answers = {name: app.post(document, None, *scopes) for name, scopes in SCOPES.items()}
    for name, (cache, body, _) in answers.items():
        assert body == uncached.post(document, None, *SCOPES[name])[1], name
        if "errors" not in body:
            assert cache == "hit", name
    assert len({repr(body) for _, body, _ in answers.values()}) > 3


def test_personal_answers_are_kept_per_caller(app: CountingClient) -> None:
    query = "{ viewer { subject scopes } regions { slug } }"
    alice = app.post(query, None, *SJ_READ, subject="alice@sjaelland")
    bob = app.post(query, None, *SJ_READ, subject="bob@sjaelland")
    assert alice[1]["data"]["viewer"]["subject"] == "alice@sjaelland"
    assert (bob[0], bob[1]["data"]["viewer"]["subject"]) == ("miss", "bob@sjaelland")
    assert app.post(query, None, *SJ_READ, subject="alice@sjaelland")[:2] == ("hit", alice[1])
    assert app.post(query, None, *SJ_READ, subject="bob@sjaelland")[:2] == ("hit", bob[1])


def test_errors_and_mutations_are_not_cached(app: CountingClient) -> None:
    unstorable = app.post("query($slug: String!) { region(slug: $slug) { name } }", {"slug": "sj\ud800"}, *SJ_READ)
    assert unstorable[0] is None and unstorable[1]["errors"][0]["message"].startswith("Variable slug: text may not")
    failing = '{ regions { slug } node(id: "bm90IGFuIGlk") { id } }'
    for _ in range(2):
        cache, body, _ = app.post(failing, None, *SJ_READ)
        assert "errors" in body and cache is None
    mutation = 'mutation { createGrowthTeam(input: {name: "", geography: "x"}) { errors { code } } }'
    for _ in range(2):
        cache, body, _ = app.post(mutation, None, *SJ_WRITE)
        assert cache is None and body["data"]["createGrowthTeam"]["errors"]


async def test_the_access_log_records_cached_calls_too(app: CountingClient, owner_engine: AsyncEngine) -> None:
    query = "query LoggedRegions { regions { slug name } }"

    async def logged() -> int:
        async with owner_engine.connect() as conn:
            return (
                await conn.execute(text("SELECT count(*) FROM access_log WHERE operation_name = 'LoggedRegions'"))
            ).scalar_one()

    before = await logged()
    first = app.post(query, None, "benchmark:read")
    second = app.post(query, None, "benchmark:read")
    assert (first[0], second[0]) == ("miss", "hit")
    assert await logged() == before + 2


def test_without_rate_limits_a_hit_reads_the_versions_only(settings: Settings, demo_data: Any) -> None:
    for app in _client(settings, rate_limit_enabled=False):
        assert app.post(TEAMS, None, *SJ_READ)[0] == "miss"
        cache, _, statements = app.post(TEAMS, None, *SJ_READ)
        assert (cache, statements) == ("hit", 1) and "kkr_rate_limit" not in app.statements[-1]


def test_the_cache_can_be_switched_off(uncached: CountingClient) -> None:
    assert uncached.post(TEAMS, None, *SJ_READ)[0] is None
    assert uncached.post(TEAMS, None, *SJ_READ)[0] is None
